// GradientNorms: Pruner-Zero's G, the per-weight gradient norm over calibration windows (reference rule 6).
//
// Follows lib/gradient_computation.py of github.com/pprp/Pruner-Zero: for each calibration window, one forward
// and backward of the dense model with loss = mean next-token cross-entropy (labels = inputs); for every linear of
// every block, accumulate (100·∂L/∂W)² in float32 (the scale is applied before squaring, per window); at the end
// G = sqrt(sum), kept in float32 (the reference then stores float16; rounding is the caller's option). It does not
// gather X statistics or prune; the calibrate command stores what this returns.
//
// Memory: the whole model in Float32 (LlamaParameters, 4 bytes per parameter), one window's saved activations
// (Tape: L·T·(2C + 2HD + 2KD + 2F) floats, or with `recomputeBlocks` L·T·C + one block's), one block's
// gradients, and G itself (4 bytes per linear weight).
import Foundation

/// Computes G for the seven linears of every block.
enum GradientNorms {
    /// The reference's `--scale`: gradients are multiplied by it before squaring.
    static let scale: Float = 100

    /// The seven linears, in the order of `BlockTensor`.
    static let linears: [BlockTensor] = [.q, .k, .v, .o, .gate, .up, .down]

    /// `model.layers.{layer}.self_attn.q_proj` …: the HF tensor name without `.weight`.
    static func name(layer: Int, _ t: BlockTensor) -> String {
        String(TensorNames.block(layer, t).dropLast(".weight".count))
    }

    /// G of every linear of `model` over `windows`: name → (out, in) row-major Float32.
    /// `progress(windowsDone, windows)` after each window. `recomputeBlocks` trades one more forward per window
    /// for keeping only block inputs instead of every block's activations (see Backward).
    static func compute(
        model: ModelWeights, windows: Windows, recomputeBlocks: Bool = false, progress: ((Int, Int) -> Void)? = nil
    ) throws -> [String: [Float]] {
        try compute(parameters: LlamaParameters(model: model), windows: windows, recomputeBlocks: recomputeBlocks,
                    progress: progress)
    }

    /// As `compute(model:…)`, from parameters already in memory.
    static func compute(
        parameters p: LlamaParameters, windows: Windows, recomputeBlocks: Bool = false,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> [String: [Float]] {
        let c = p.config
        let engine = Backward(config: c, seqlen: windows.seqlen, windows: 1, recomputeBlocks: recomputeBlocks)
        // sums[layer][i]: Σ_windows (100·∂L/∂W)² for linears[i].
        var sums = (0..<c.layers).map { _ in linears.map { [Float](repeating: 0, count: $0.shape(c).reduce(1, *)) } }
        for w in 0..<windows.count {
            _ = try engine.forward(p, tokens: windows[w])
            engine.backwardBlocks(p) { layer, grads in
                for (i, t) in linears.enumerated() {
                    sums[layer][i].withUnsafeMutableBufferPointer { accumulateSquares($0, grads[t]) }
                }
            }
            progress?(w + 1, windows.count)
        }
        var result: [String: [Float]] = [:]
        for layer in 0..<c.layers {
            for (i, t) in linears.enumerated() {
                result[name(layer: layer, t)] = sums[layer][i].map { $0.squareRoot() }
            }
        }
        return result
    }

    /// sum += (scale·g)², in float32 as the reference: the product rounded, then squared, then added.
    static func accumulateSquares(_ sum: UnsafeMutableBufferPointer<Float>, _ g: [Float]) {
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
