import Foundation
import Testing
@testable import Shared
@testable import Model
@testable import Engine
@testable import Fitness
@testable import Serve

/// Early termination by depth, the worker's half (`DepthProbe.swift`), on the prune-reference fixture: the dense
/// states line up block for block with an evaluation's, the divergence is the documented per-token relative error
/// against them, a stopped evaluation stops after the block whose threshold it exceeded, and the serve loop's
/// fitness function runs the probe only for a job that asks for it (`Job.abortThresholds`).
@Suite(.enabled(if: PruneReference.available, "../shared/fixtures/prune-reference is absent"), .serialized)
struct DepthProbeTests {
    static let cheapWindows = 4

    /// The residual stream after every block of an evaluation of `request` (the hook's view), and the outcome.
    static func streams(_ evaluator: FitnessEvaluator, _ request: PruningRequest) throws -> [Activations] {
        var seen: [Activations] = []
        evaluator.afterBlock = { _, stream in seen.append(stream) }
        defer { evaluator.afterBlock = nil }
        _ = try evaluator.evaluate(request)
        return seen
    }

    /// A metric pruning ⌊in·0⌋ = 0 weights of every row: the dense model through the evaluation's path.
    static func unpruned() throws -> PruningRequest {
        PruningRequest(method: .metric(try MetricExpression(parsing: "W")), pattern: .unstructured(ratio: 0),
                       evaluationWindows: cheapWindows)
    }

    /// The divergence written out by hand: mean over rows r·stride of Σ(p − d)² / Σd², in Float64.
    static func divergence(_ pruned: Activations, _ dense: Activations, stride: Int, windows: Int) -> Double {
        let c = dense.hidden
        var total = 0.0, rows = 0
        var r = 0
        while r < windows * dense.seqlen {
            var num = 0.0, den = 0.0
            for j in 0..<c {
                let p = Double(pruned.x[r * c + j]), d = Double(dense.x[r * c + j])
                num += (p - d) * (p - d)
                den += d * d
            }
            total += num / den
            rows += 1
            r += stride
        }
        return total / Double(rows)
    }

    @Test func anUnprunedEvaluationHasZeroDivergenceAtEveryBlock() throws {
        let evaluator = try PruneReference.evaluator()
        let trajectory = try evaluator.denseTrajectory(windows: Self.cheapWindows)
        #expect(trajectory.stride == 1 && trajectory.windows == Self.cheapWindows)
        // A metric at sparsity 0 prunes nothing (⌊in·0⌋ per row; `magnitude` would prune each matrix's smallest): the evaluation's stream is the dense one, bit for bit (README, "Determinism"),
        // so any misalignment (a block early or late, other windows) would show as a positive divergence.
        // The dense model run block by block here: exactly the trajectory's states.
        var stream = try evaluator.forward.embed(evaluator.model, tokens: evaluator.data.evaluationTokens[0..<Self.cheapWindows * 64])
        var weights = BlockWeights(zeros: evaluator.model.config)
        for layer in 0..<evaluator.model.config.layers {
            try evaluator.model.block(layer, into: &weights)
            evaluator.forward.runBlock(layer, weights: weights, hidden: &stream)
            #expect(trajectory.divergence(layer: layer, stream) == 0, "block \(layer)")
        }
        let monitor = DepthMonitor(trajectory: trajectory, thresholds: [])
        evaluator.afterBlock = { try monitor.observe(layer: $0, $1) }
        defer { evaluator.afterBlock = nil }
        _ = try evaluator.evaluate(try Self.unpruned())
        #expect(monitor.divergence == [Double](repeating: 0, count: evaluator.model.config.layers))
    }

    @Test func divergenceIsThePerTokenRelativeErrorAgainstTheDenseStates() throws {
        let evaluator = try PruneReference.evaluator()
        let request = PruningRequest(method: .wanda, pattern: .unstructured(ratio: 0.5), evaluationWindows: Self.cheapWindows)
        let dense = try Self.streams(evaluator, try Self.unpruned())
        let pruned = try Self.streams(evaluator, request)
        // The full-window evaluation's first windows are the cheap ones: the same divergences from its stream.
        let full = try Self.streams(evaluator, PruningRequest(method: .wanda, pattern: .unstructured(ratio: 0.5)))
        for limit in [DenseTrajectory.defaultByteLimit, 20_000] {
            let trajectory = try evaluator.denseTrajectory(windows: Self.cheapWindows, byteLimit: limit)
            #expect(trajectory.bytes <= limit)
            for layer in pruned.indices {
                let expected = Self.divergence(pruned[layer], dense[layer], stride: trajectory.stride, windows: Self.cheapWindows)
                // Same terms, same order, both in Float64: equal but for the last bits of the division.
                #expect(Swift.abs(trajectory.divergence(layer: layer, pruned[layer]) - expected) <= 1e-12 * expected)
                #expect(trajectory.divergence(layer: layer, full[layer]) == trajectory.divergence(layer: layer, pruned[layer]))
                #expect(expected > 0)
            }
            if limit == 20_000 { #expect(trajectory.stride > 1, "the small limit did not subsample") }
        }
    }

    @Test func anAbortedEvaluationStopsAfterTheBlockOverItsThreshold() throws {
        let evaluator = try PruneReference.evaluator()
        let layers = evaluator.model.config.layers
        #expect(layers >= 3)
        let trajectory = try evaluator.denseTrajectory(windows: Self.cheapWindows)
        let request = PruningRequest(method: .wanda, pattern: .unstructured(ratio: 0.5), evaluationWindows: Self.cheapWindows)
        let measure = DepthMonitor(trajectory: trajectory, thresholds: [])
        evaluator.afterBlock = { try measure.observe(layer: $0, $1) }
        _ = try evaluator.evaluate(request)
        let profile = measure.divergence
        #expect(profile.count == layers)

        // Thresholds above the profile at block 0, below it at block 1: stops after 2 blocks, whatever follows.
        let thresholds = [profile[0] * 1.01, profile[1] * 0.99] + [Double](repeating: 0, count: layers - 2)
        let monitor = DepthMonitor(trajectory: trajectory, thresholds: thresholds)
        var blocksPruned = 0
        evaluator.afterBlock = { try monitor.observe(layer: $0, $1) }
        evaluator.prunedBlockSink = { _, _ in blocksPruned += 1 }
        defer { evaluator.afterBlock = nil; evaluator.prunedBlockSink = nil }
        let stop = try #require(throws: DepthAborted.self) { try evaluator.evaluate(request) }
        #expect(stop.blocks == 2 && stop.divergence == Array(profile[0..<2]))
        #expect(blocksPruned == 1, "the block after which it stopped is never handed on")
        #expect(stop.stageSeconds["evaluation"] != nil, "an aborted evaluation reports what it spent")

        // Thresholds just at the profile never stop it (the rule is 'exceeds').
        let atProfile = DepthMonitor(trajectory: trajectory, thresholds: profile)
        evaluator.afterBlock = { try atProfile.observe(layer: $0, $1) }
        _ = try evaluator.evaluate(request)
        #expect(atProfile.divergence == profile)
    }

    /// A job without thresholds (a search with `--early-abort off`) builds no dense states and measures nothing; a
    /// measure-only one (`[+inf]`, shorter than the blocks: the coordinator's warm-up) measures every block, stops
    /// at none and changes no perplexity; a missing entry is +inf; thresholds a job may not carry fail it.
    @Test func theJobsThresholdsDecideWhetherTheProbeRuns() throws {
        let url = BundleTests.scratch()
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try BundleTests.writeBundle(to: url)
        let fitness = try BundleFitnessFunction(directory: url)
        let layers = fitness.bundle.model.config.layers
        #expect(layers >= 3)
        let cheap = FitnessRequest(sparsity: .unstructured(ratio: 0.5), windows: .cheap)
        let wanda = JobMethod.metric(try MetricExpression(parsing: "mul(abs(W), sqrt(X))"))
        func screen(_ thresholds: [Double], _ request: FitnessRequest = cheap) throws -> FitnessOutcome {
            try fitness.evaluate(request, method: wanda, abortThresholds: thresholds, screenPerplexity: nil,
                                 progress: FitnessProgress())
        }
        let probeStages: Set = ["dense states (once per worker)", "depth divergence"]

        let off = try screen([])
        #expect(off.divergence.isEmpty && off.abortedAfter == nil && off.perplexity.isFinite)
        #expect(!fitness.depthProbe.isBuilt, "a screen without thresholds built the dense states")
        #expect(off.stageTimes.allSatisfy { !probeStages.contains($0.name) }, "\(off.stageTimes)")

        let warmup = try screen([.infinity])
        #expect(warmup.abortedAfter == nil && warmup.divergence.count == layers)
        #expect(warmup.divergence.allSatisfy { $0 > 0 && $0.isFinite }, "\(warmup.divergence)")
        #expect(fitness.depthProbe.isBuilt)
        #expect(Set(warmup.stageTimes.map(\.name)).isSuperset(of: probeStages), "\(warmup.stageTimes)")
        // The probe reads the residual stream and never writes it: the same perplexity and masks, bit for bit.
        #expect(warmup.perplexity == off.perplexity && warmup.maskFingerprint == off.maskFingerprint)

        // No entry after block 1: only block 1's zero can stop it, after 2 blocks, whatever follows.
        let stopped = try screen([.infinity, 0])
        #expect(stopped.abortedAfter == 2 && stopped.divergence == Array(warmup.divergence.prefix(2)))

        #expect {
            _ = try screen([Double](repeating: .infinity, count: layers + 1))
        } throws: { "\($0)" == "\(layers + 1) abort thresholds for a model of \(layers) blocks" }
        #expect {
            _ = try screen([.infinity], FitnessRequest(sparsity: .unstructured(ratio: 0.5), windows: .full))
        } throws: { "\($0)" == "abort thresholds are for a metric's cheap screen only, not for a metric on the full windows" }
        // A full evaluation without thresholds is the off screen's model on more windows: still no divergence.
        let full = try screen([], FitnessRequest(sparsity: .unstructured(ratio: 0.5), windows: .full))
        #expect(full.divergence.isEmpty && full.perplexity.isFinite)
    }
}
