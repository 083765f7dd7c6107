import Foundation
import Testing
@testable import Model
@testable import Dataset
@testable import Engine
@testable import Fitness
@testable import Training

extension EngineFixtures {
    /// The prune-reference dump (per linear G, X, metric, mask), or nil when absent.
    static let pruneDump: URL? = packageRoot.flatMap {
        let url = $0.appendingPathComponent("../shared/fixtures/prune-reference/pruner-zero-unstructured.dump.safetensors")
            .standardizedFileURL
        return FileManager.default.fileExists(atPath: url.path) && available ? url : nil
    }

    /// The reference run's calibration windows: `random.seed(0)`, 8 × `randint(0, N − 64 − 1)` on calib.bin.
    static let referenceCalibrationOffsets = [1729, 788, 1552, 1823, 861, 82, 530, 1977]
}

/// G on `../shared/fixtures/hf-llama/sharded` with the reference run's 8 calibration windows of 64 tokens, against
/// the G the prune-reference dump holds for all 21 linears (reference rule 6). Seen: ‖ΔG‖/‖G‖ ≤ 4.2e-7 and
/// element-wise ≤ 5e-6 (entries above 1e-3 of the max); the bounds (1e-5, 1e-4) leave 20× margin for BLAS kernels.
@Suite("Gradient norms against the prune reference",
       .enabled(if: EngineFixtures.pruneDump != nil, "../shared/fixtures/prune-reference or hf-llama is absent"))
struct BackwardFixtureTests {
    @Test func gMatchesTheReferenceDump() throws {
        let dir = EngineFixtures.directory("sharded")
        let model = try ModelWeights(directory: dir)
        let stream = try EngineFixtures.tokens(dir.appendingPathComponent("calib.bin"))
        let windows = Windows(stream: stream, offsets: EngineFixtures.referenceCalibrationOffsets, seqlen: 64)
        var reported: [Int] = []
        let start = DispatchTime.now().uptimeNanoseconds
        let g = try GradientNorms.compute(model: model, windows: windows, plan: .inMemory) { done, total in
            #expect(total == 8)
            reported.append(done)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        #expect(reported.last == 8 && reported == reported.sorted())   // after each batch of windows
        #expect(g.count == 3 * 7)
        // The lean plan (blocks widened on demand and recomputed) changes memory, not numbers.
        #expect(GradientMemoryPlan.automatic(model.config, seqlen: 64) == .inMemory)
        #expect(try GradientNorms.compute(model: model, windows: windows, plan: .lean) == g)
        // One window per call (the in-memory plan batches 8): the same bits, since every token product runs in
        // per-window blocks (BLAS.tokenGemm) whatever the batch, on every OpenBLAS core type.
        let single = try GradientNorms.compute(source: LlamaParameters(model: model), windows: windows, batchWindows: 1)
        for (name, values) in single {
            let differ = zip(values, g[name]!).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differ == 0, "\(name): one window per call changes \(differ) values")
        }

        let dump = try SafeTensorsFile(path: EngineFixtures.pruneDump!.path)
        var worstNorm = 0.0, worstElement = 0.0, worstName = ""
        let typical = DeterminismBound.gradientTypical(model.config, seqlen: 64)
        for layer in 0..<model.config.layers {
            for linear in PrunableLinear.allCases {
                let name = linear.name(layer: layer)
                let shape = try dump.info(name + ".G").shape, expected = try dump.float32(name + ".G")
                #expect(shape == linear.tensor.shape(model.config), "\(name).G shape \(shape)")
                let actual = try #require(g[name])
                #expect(actual.count == expected.count)
                // ‖ΔG‖ / ‖G‖, and the max per-element relative difference over entries above 1e-3 of the max.
                var diff2 = 0.0, ref2 = 0.0, elem = 0.0
                let floor = Double(expected.max()!) * 1e-3
                for (a, e) in zip(actual, expected) {
                    let d = Double(a) - Double(e)
                    diff2 += d * d; ref2 += Double(e) * Double(e)
                    if Double(e) > floor { elem = max(elem, abs(d) / Double(e)) }
                }
                let norm = (diff2 / ref2).squareRoot()
                if norm > worstNorm { worstNorm = norm; worstName = name }
                worstElement = max(worstElement, elem)
                // The reference (PyTorch, float32) sums in other orders. Under the probabilistic model of rounding
                // (DeterminismBound.gradientTypical: √(3·depth·K)·u with depth = 6L + 1 = 19 products in series, K =
                // max(C, F, T, V) = 512, so 1.0e-5) ‖ΔG‖/‖G‖ is about one σ, bounded here by 2σ; single entries above
                // 1e-3 of the max stay within 10σ (a 10σ excursion among ~10⁵ entries has odds below 10⁻¹⁸ for a
                // Gaussian). The worst case (DeterminismBound.gradientNormwise, 3.5e-3) is far looser.
                #expect(norm < 2 * typical, "\(name).G: ‖ΔG‖/‖G‖ = \(norm), bound \(2 * typical)")
                #expect(elem < 10 * typical, "\(name).G: max element relative difference \(elem), bound \(10 * typical)")
            }
        }
        // The float16 option rounds to nearest (the reference's .to(torch.float16)); 65504 is float16's largest.
        let rounded = GradientNorms.float16Rounded(["x": [1, 1 + 1.0 / 4096, 1 + 3.0 / 2048, 1e-8, 65504, 7e4]])["x"]!
        #expect(rounded == [1, 1, 1 + 1.0 / 512, 0, 65504, .infinity])
        print("G vs prune reference (21 linears, 8 windows × 64 tokens, \(String(format: "%.2f", seconds)) s debug): "
              + "max ‖ΔG‖/‖G‖ = \(worstNorm) (\(worstName)), max element relative (above 1e-3 of max) = \(worstElement)")
    }
}

/// The two weight sources agree on the Hugging Face fixtures, tied and untied (streamed blocks are widened from
/// the memory map at each use; the bf16 fixture exercises widening).
@Suite("Backward weight sources", .enabled(if: EngineFixtures.available, "../shared/fixtures/hf-llama is absent"))
struct BackwardWeightSourceTests {
    @Test(arguments: ["tiny", "tiny-tied", "bf16"])
    func streamedEqualsInMemory(_ name: String) throws {
        let dir = EngineFixtures.directory(name)
        let model = try ModelWeights(directory: dir)
        let tokens = try EngineFixtures.tokens(dir.appendingPathComponent("tokens.bin"))
        let t = tokens.count / 2
        let memory = try LlamaParameters(model: model), streamed = try StreamedWeights(model)
        let engine = Backward(config: model.config, seqlen: t, windows: 2)
        var a = LlamaParameters(zeros: model.config), b = a
        let la = try engine.forward(memory, tokens: tokens[0..<2 * t])
        try engine.backward(memory, into: &a)
        let lb = try engine.forward(streamed, tokens: tokens[0..<2 * t])
        try engine.backward(streamed, into: &b)
        #expect(la == lb)
        for tensor in memory.tensors { #expect(a[tensor] == b[tensor], "\(tensor.name)") }
    }
}
