import Foundation
import Testing
import TestSupport
@testable import Worker

/// The fitness bound the worker sends in its hello (`DeterminismBound.fitness`): its logit scale comes from the
/// weights alone and must bound the logit scale real activations reach, and it is the worst case with the
/// probabilistic accumulation in place of the linear one.
@Suite struct DeterminismBoundTests {
    /// Cauchy–Schwarz holds for any input: the weight-only Z is at least the Z measured on the determination
    /// check's model and windows (and on a model with ten times larger weights, whose RMSNorm output is alike).
    @Test(arguments: [Float(0.1), 1.0])
    func theWeightOnlyLogitScaleBoundsTheMeasuredOne(std: Float) {
        let c = DeterminismCheckCommand.config(), t = DeterminismCheckCommand.seqlen
        let p = LlamaParameters(initialized: c, std: std, seed: 5)
        let tokens = (0..<DeterminismCheckCommand.windows * t).map { TokenID(($0 * 7919 + 13) % c.vocab) }
        let run = DeterminismCheckCommand.forward(p, tokens[...], chunkWindows: DeterminismCheckCommand.windows,
                                                  lanes: 1)
        let projection = p.lmHead.isEmpty ? p.embedding : p.lmHead
        let head = OutputHead(config: c, norm: p.finalNorm, projection: projection)
        let measured = DeterminismCheckCommand.logitScale(head, run.activations)
        let bound = DeterminismBound.logitScaleBound(projection: projection, norm: p.finalNorm)
        #expect(measured > 0 && measured <= bound, "measured Z \(measured), weight-only bound \(bound)")
    }

    @Test func theFitnessBoundIsTheWorstCaseWithSquareRootAccumulation() {
        let c = DeterminismCheckCommand.config(), t = DeterminismCheckCommand.seqlen
        let p = LlamaParameters(initialized: c, std: 0.1, seed: 5)
        let projection = p.lmHead.isEmpty ? p.embedding : p.lmHead
        let row = DeterminismBound.headRowNorm(projection: projection, norm: p.finalNorm)
        let z = DeterminismBound.logitScaleBound(projection: projection, norm: p.finalNorm)
        let worst = DeterminismBound.meanNLL(c, seqlen: t, logitScale: z)
        let probable = DeterminismBound.fitness(c, seqlen: t, headRowNorm: row)
        let terms = Double(DeterminismBound.forwardDepth(c) * DeterminismBound.longestReduction(c, seqlen: t))
        // γ_K = K·u/(1 − K·u) against K·u: equal to 1e-5 relative at these sizes.
        let expected = terms.squareRoot() * Double(c.hidden).squareRoot() / DeterminismBound.lambda
        #expect(abs(worst / probable - expected) / expected < 1e-5)
        #expect(probable < worst)
    }
}

extension DeterminismBoundTests {
    /// The bound a worker sends for the fixture model, read in row blocks, equals the one from the whole head.
    @Test(.enabled(if: Fixtures.hfLlamaAvailable, "../shared/fixtures/hf-llama is absent"))
    func theModelsBoundReadsTheHeadInBlocks() throws {
        let model = try ModelWeights(directory: Fixtures.url("fixtures/hf-llama/sharded"))
        let whole = DeterminismBound.headRowNorm(projection: try model.outputProjection(), norm: try model.finalNorm())
        let expected = DeterminismBound.fitness(model.config, seqlen: 64, headRowNorm: whole)
        #expect(try DeterminismBound.fitness(model, seqlen: 64) == expected)
        #expect(try DeterminismBound.fitness(model, seqlen: 64, step: 100) == expected)  // 6 blocks, the last partial
        #expect(expected > 1e-4 && expected < 1e-3, "fixture bound \(expected)")  // 3.8e-4 (README, "Determinism")
    }
}
