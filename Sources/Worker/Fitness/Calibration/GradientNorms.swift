// GradientNorms: Pruner-Zero's G, the per-weight gradient norm over calibration windows (reference rule 6).
//
// Follows lib/gradient_computation.py of github.com/pprp/Pruner-Zero: for each calibration window, one forward
// and backward of the dense model with loss = mean next-token cross-entropy (labels = inputs); for every linear of
// every block, accumulate (100·∂L/∂W)² in float32 (the scale is applied before squaring, per window); at the end
// G = sqrt(sum), kept in float32 (the reference then stores float16; rounding is the caller's option). It does not
// gather X statistics or prune; the calibrate command stores what this returns.
//
// Memory, beside G itself (4 bytes per linear weight) and one block's gradients, by plan:
//   .inMemory — the whole model in Float32 (4 bytes per parameter) and every block's activations of up to 8
//               windows run together (L·T·(2C + 2HD + 2KD + 2F) floats each, ≤ 1 GB in all): fastest.
//   .lean     — blocks widened from the memory map when used (one block of Float32), only block inputs kept
//               (L·T·C floats) and each block's forward rerun before its backward (≈ +1/3 compute, +1 widening).
// For LLaMA-7B at T = 2048: .inMemory ≈ 27 GB weights + 12.2 GB activations; .lean ≈ 0.8 GB + 1.1 GB (+ G 26 GB).
import Dataset
import Engine
import Foundation
import Model

/// How G trades memory for compute (see the file header).
package enum GradientMemoryPlan {
    case inMemory
    case lean

    /// .inMemory when the Float32 model and one window's activations fit in `budget` bytes, else .lean.
    package static func automatic(_ c: LlamaConfig, seqlen: Int, budget: Int = 8 << 30) -> GradientMemoryPlan {
        let linear = c.layers * BlockTensor.allCases.reduce(0) { $0 + $1.shape(c).reduce(1, *) }
        let weights = 4 * (linear + c.vocab * c.hidden * (c.tiedEmbeddings ? 1 : 2))
        let tape = 4 * c.layers * seqlen * BlockTape.floatsPerRow(c)
        return weights + tape <= budget ? .inMemory : .lean
    }
}

/// Computes G for the seven linears of every block.
package enum GradientNorms {
    /// The reference's `--scale`: gradients are multiplied by it before squaring.
    package static let scale: Float = 100

    /// The seven linears, keyed in results by `PrunableLinear.name(layer:)` (the bundle's and the reference's names).
    package static let linears = PrunableLinear.allCases

    /// G of every linear of `model` over `windows`: name → (out, in) row-major Float32.
    /// `progress(windowsDone, windows)` after each call of the engine (one window, or a batch of up to 8).
    /// `plan` defaults to what fits in 8 GB.
    package static func compute(
        model: ModelWeights, windows: Windows, plan: GradientMemoryPlan? = nil, progress: ((Int, Int) -> Void)? = nil
    ) throws -> [String: [Float]] {
        let c = model.config, t = windows.seqlen
        switch plan ?? .automatic(c, seqlen: t) {
        case .inMemory:
            // Windows batched up to 8, within 1 GB of activations.
            let batch = max(1, min(8, (1 << 30) / max(1, 4 * c.layers * t * BlockTape.floatsPerRow(c))))
            return try compute(source: LlamaParameters(model: model), windows: windows, recomputeBlocks: false,
                               batchWindows: batch, progress: progress)
        case .lean:
            return try compute(source: StreamedWeights(model), windows: windows, recomputeBlocks: true, progress: progress)
        }
    }

    /// As `compute(model:…)`, from any weight source; `recomputeBlocks` as in Backward. `batchWindows` windows go
    /// through the engine together (bigger products; weight gradients still per window), at that many windows'
    /// activations.
    package static func compute(
        source p: WeightSource, windows: Windows, recomputeBlocks: Bool = false, batchWindows: Int = 1,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> [String: [Float]] {
        let c = p.config, t = windows.seqlen
        let batch = max(1, min(windows.count, batchWindows))
        let engine = Backward(config: c, seqlen: t, windows: batch, recomputeBlocks: recomputeBlocks)
        // sums[layer][i]: Σ_windows (100·∂L_w/∂W)² for linears[i].
        var sums = (0..<c.layers).map { _ in linears.map { [Float](repeating: 0, count: $0.tensor.shape(c).reduce(1, *)) } }
        var w0 = 0
        while w0 < windows.count {
            let n = min(batch, windows.count - w0)
            _ = try engine.forward(p, tokens: windows.tokens[w0 * t..<(w0 + n) * t])
            try engine.backwardBlocks(p, perWindow: true) { layer, _, grads in
                for (i, bt) in linears.enumerated() {
                    sums[layer][i].withUnsafeMutableBufferPointer { accumulateSquares($0, grads[bt.tensor]) }
                }
            }
            w0 += n
            progress?(w0, windows.count)
        }
        // G = sqrt(sum), in place, each array moved into the result (no second copy of G).
        var result: [String: [Float]] = [:]
        for layer in 0..<c.layers {
            for (i, t) in linears.enumerated() {
                var g: [Float] = []
                swap(&g, &sums[layer][i])
                g.withUnsafeMutableBufferPointer { b in for j in b.indices { b[j] = b[j].squareRoot() } }
                result[t.name(layer: layer)] = g
            }
        }
        return result
    }

    /// G rounded to float16 and back, as the reference stores it (`grad_sqrt.to(dtype=torch.float16)`): an option
    /// for matching its masks bit for bit; rounding flips a few entries near the pruning threshold.
    package static func float16Rounded(_ g: [String: [Float]]) -> [String: [Float]] {
        g.mapValues { $0.map { Float(Float16($0)) } }
    }

    /// sum += (scale·g)², in float32 as the reference: the product rounded, then squared, then added.
    package static func accumulateSquares(_ sum: UnsafeMutableBufferPointer<Float>, _ g: [Float]) {
        precondition(sum.count == g.count)
        g.withUnsafeBufferPointer { gb in
            let s = sum.baseAddress!, src = gb.baseAddress!
            Parallel.chunked(gb.count, grain: 1 << 15) { range in
                for i in range {
                    let v = src[i] * scale
                    s[i] += v * v
                }
            }
        }
    }
}
