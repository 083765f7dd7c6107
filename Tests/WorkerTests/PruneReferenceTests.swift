import Foundation
import Testing
@testable import Shared
@testable import Model
@testable import Engine
@testable import Fitness

/// The fitness function against `../shared/fixtures/prune-reference`: the reference's algorithm run by PyTorch on
/// `hf-llama/sharded` (8 calibration windows at fixed offsets, 16 evaluation windows of 64 tokens, G from its dump).
@Suite(.enabled(if: PruneReference.available, "../shared/fixtures/prune-reference is absent"), .serialized)
struct PruneReferenceTests {
    @Test func densePerplexityMatches() throws {
        let evaluator = try PruneReference.evaluator()
        let dense = try evaluator.densePerplexity()
        try PruneReference.expectClose(dense.perplexity, PruneReference.result("dense", "unstructured").ppl)
    }

    @Test(arguments: [("pruner-zero", "unstructured"), ("pruner-zero", "2:4"), ("magnitude", "unstructured"),
                      ("magnitude", "2:4"), ("wanda", "unstructured"), ("wanda", "2:4")])
    func prunedPerplexityMatches(method: String, type: String) throws {
        let reference = try PruneReference.result(method, type)
        let evaluator = try PruneReference.evaluator()
        let request = PruningRequest(method: try PruningMethod(parsing: method),
                                     pattern: try SparsitySpec(type: type, ratio: 0.5))
        let outcome = try evaluator.evaluate(request)
        try PruneReference.expectClose(outcome.perplexity, reference.ppl)
        for (name, sparsity) in reference.sparsity {
            #expect(Swift.abs(outcome.layerSparsity[name]! - sparsity) < 1e-12, "\(name)")
        }
    }

    /// X, the metric and the mask of every linear, against the reference's dump of its 50% unstructured run.
    @Test func everyLinearMatchesTheDump() throws {
        let dump = try SafeTensorsFile(path: PruneReference.directory.appendingPathComponent(
            "pruner-zero-unstructured.dump.safetensors").path)
        let evaluator = try PruneReference.evaluator()
        var worstX = 0.0, worstMetric = 0.0, maskDifferences = 0, linears = 0
        evaluator.inspector = { name, x, metric, mask in
            linears += 1
            let refX = try! dump.float32(name + ".X"), refMetric = try! dump.float32(name + ".metric")
            let refMask = try! dump.float32(name + ".mask")
            worstX = max(worstX, PruneReference.relativeError(x, refX))
            worstMetric = max(worstMetric, PruneReference.relativeError(Array(metric), refMetric))
            for (i, pruned) in refMask.enumerated() where (pruned == 1) != mask[i / mask.cols, i % mask.cols] {
                maskDifferences += 1
            }
        }
        // The paper's metric plus X·0: bit-identical values and masks, but it reads X, so X is gathered
        // sequentially exactly as the reference gathered the dump's.
        let withX = try MetricExpression(parsing: "add(mul(abs(mul(W, W)), mms(G)), mul(X, sub(W, W)))")
        _ = try evaluator.evaluate(PruningRequest(method: .metric(withX), pattern: .unstructured(ratio: 0.5)))
        #expect(linears == 21)
        #expect(worstX < 1e-4 && worstMetric < 1e-4, "X \(worstX), metric \(worstMetric)")
        #expect(maskDifferences == 0)
        print("prune-reference dump: X within \(worstX), metric within \(worstMetric), \(maskDifferences) mask entries differ")
    }

    /// Block 0's X is computed once per evaluator and reused: a second evaluation sees the same X in every linear
    /// and gives the same perplexity, bit for bit.
    @Test func laterEvaluationsReuseBlockZeroXExactly() throws {
        let evaluator = try PruneReference.evaluator()
        var seen: [[String: [Float]]] = [[:], [:]]
        var run = 0
        evaluator.inspector = { name, x, _, _ in seen[run][name] = x }
        let request = PruningRequest(method: .wanda, pattern: .unstructured(ratio: 0.5))
        let first = try evaluator.evaluate(request)
        run = 1
        let second = try evaluator.evaluate(request)
        #expect(second.perplexity.bitPattern == first.perplexity.bitPattern)
        #expect(second.maskFingerprint == first.maskFingerprint)
        #expect(seen[0].count == 21 && seen[0] == seen[1])
    }

    @Test func staticModeNeedsNoCalibrationPassAndStaysClose() throws {
        let evaluator = try PruneReference.evaluator()
        let sequential = try evaluator.evaluate(PruningRequest(method: .wanda, pattern: .unstructured(ratio: 0.5)))
        let approximate = try evaluator.evaluate(PruningRequest(method: .wanda, pattern: .unstructured(ratio: 0.5),
                                                                activationMode: .static))
        #expect(approximate.stageSeconds["calibration (dense, for X)"] == nil)
        #expect(Swift.abs(approximate.perplexity / sequential.perplexity - 1) < 0.05)
        print("wanda 50%: sequential \(sequential.perplexity), static \(approximate.perplexity)")
    }

    @Test func degenerateMetricsFailClearly() throws {
        let evaluator = try PruneReference.evaluator()
        let constant = try MetricExpression(parsing: "mms(sub(W, W))")
        #expect(throws: FitnessFailure.nonFiniteMetric(linear: "model.layers.0.self_attn.q_proj", count: 128 * 128)) {
            try evaluator.evaluate(PruningRequest(method: .metric(constant), pattern: .unstructured(ratio: 0.5)))
        }
        #expect(throws: FitnessFailure.rowConstantMetric(linear: "model.layers.0.self_attn.q_proj")) {
            try evaluator.evaluate(PruningRequest(method: .metric(try MetricExpression(parsing: "sub(G, G)")),
                                                  pattern: .unstructured(ratio: 0.5)))
        }
    }

    /// Exact pre-flight masks (no X, or static X) are the evaluation's masks: reusing them changes nothing.
    @Test func preflightMasksAreExactWhereTheyClaimToBe() throws {
        let evaluator = try PruneReference.evaluator()
        let paper = PruningRequest(method: .paper, pattern: .unstructured(ratio: 0.5))
        let preflight = try evaluator.preflight(paper)
        #expect(preflight.exact && preflight.masks.count == 21)
        let plain = try evaluator.evaluate(paper), reused = try evaluator.evaluate(paper, masks: preflight)
        #expect(plain.maskFingerprint == preflight.fingerprint && reused.maskFingerprint == preflight.fingerprint)
        #expect(plain.perplexity == reused.perplexity)
        // Wanda reads X: with sequential X its pre-flight (dense X) is only an estimate.
        #expect(!(try evaluator.preflight(PruningRequest(method: .wanda, pattern: .unstructured(ratio: 0.5)))).exact)
    }

    @Test func cheapFidelityUsesTheFirstWindows() throws {
        let evaluator = try PruneReference.evaluator()
        let cheap = try evaluator.evaluate(PruningRequest(method: .magnitude, pattern: .nOfM(n: 2, m: 4),
                                                          evaluationWindows: 4))
        #expect(cheap.windows == 4)
        #expect(cheap.maskFingerprint == (try evaluator.evaluate(
            PruningRequest(method: .magnitude, pattern: .nOfM(n: 2, m: 4)))).maskFingerprint)
    }
}

enum PruneReference {
    static let directory = EngineFixtures.packageRoot!.appendingPathComponent("../shared/fixtures/prune-reference")
        .standardizedFileURL
    static var available: Bool {
        EngineFixtures.available && FileManager.default.fileExists(atPath: directory.appendingPathComponent("results.jsonl").path)
    }
    static let offsets = [1729, 788, 1552, 1823, 861, 82, 530, 1977]
    static let seqlen = 64

    struct Result: Decodable {
        let ppl: Double
        let method: String
        let sparsity_type: String
        let sparsity: [String: Double]
    }

    static func result(_ method: String, _ type: String) throws -> Result {
        let lines = try String(contentsOf: directory.appendingPathComponent("results.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        let results = try lines.map { try JSONDecoder().decode(Result.self, from: Data($0.utf8)) }
        return try #require(results.first { $0.method == method && $0.sparsity_type == type })
    }

    /// The evaluator on the sharded fixture with the dump's G and the fixture's windows.
    static func evaluator() throws -> FitnessEvaluator {
        let model = try ModelWeights(directory: EngineFixtures.directory("sharded"))
        let calib = try EngineFixtures.tokens(EngineFixtures.directory("sharded").appendingPathComponent("calib.bin"))
        let eval = try EngineFixtures.tokens(EngineFixtures.directory("sharded").appendingPathComponent("eval.bin"))
        let dump = try SafeTensorsFile(path: directory.appendingPathComponent("pruner-zero-unstructured.dump.safetensors").path)
        var gradients: [String: [Float]] = [:], layerZeroX: [String: [Float]] = [:]
        for layer in 0..<model.config.layers {
            for linear in PrunableLinear.allCases {
                let name = linear.name(layer: layer)
                gradients[name] = try dump.float32(name + ".G")
                layerZeroX[name] = try dump.float32(name + ".X")  // X of the pruned run: stands in for dense X
            }
        }
        let data = CalibrationData(seqlen: seqlen, gradients: GradientTable(gradients), denseX: layerZeroX,
                                   calibrationTokens: offsets.flatMap { calib[$0..<$0 + seqlen] },
                                   evaluationTokens: Array(eval))
        return try FitnessEvaluator(model: model, data: data)
    }

    static func expectClose(_ value: Double, _ reference: Double, tolerance: Double = 1e-4) throws {
        #expect(Swift.abs(value / reference - 1) < tolerance, "\(value) vs reference \(reference)")
    }

    /// max |a − b| / max |b| (relative to the tensor's scale).
    static func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        let scale = b.map { Double(Swift.abs($0)) }.max() ?? 1
        return zip(a, b).map { Double(Swift.abs($0 - $1)) }.max()! / scale
    }
}
