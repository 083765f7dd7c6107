import Model
// Tape and BackwardWorkspace: what the training-style forward saves for the backward, and the backward's scratch.
//
// Saved per block, for R = B·T rows: the block input x0 and the residual after attention x1 (the two RMSNorms'
// inputs), q and k after RoPE, v, the attention output, and the MLP's gate and up before the activation. Not saved,
// recomputed in the backward because they are cheap: the normed inputs (from x0, x1), silu(gate)·up, and the
// attention probabilities P (one (Tq, T) block at a time per head). Per row and block that is
//   2C + 2·H·D + 2·K·D + 2F floats,
// e.g. 7B (C = H·D = K·D = 4096, F = 11008): 46 592 floats = 186 KB per token per block, 12.2 GB for one window of
// 2048 tokens over 32 blocks; the sharded fixture (C 128, F 352, 3 blocks): 6 KB per token per block.
// All buffers are allocated once, for the most windows a call will carry.

/// One block's saved activations, (R, ·) row-major, views into one allocation.
package final class BlockTape {
    package let x0: UnsafeMutablePointer<Float>     // (R, C) block input
    package let q: UnsafeMutablePointer<Float>      // (R, H·D) after RoPE
    package let k: UnsafeMutablePointer<Float>      // (R, K·D) after RoPE
    package let v: UnsafeMutablePointer<Float>      // (R, K·D)
    package let att: UnsafeMutablePointer<Float>    // (R, H·D) attention output, o_proj's input
    package let x1: UnsafeMutablePointer<Float>     // (R, C) residual after attention
    package let gate: UnsafeMutablePointer<Float>   // (R, F) gate_proj output, before SiLU
    package let up: UnsafeMutablePointer<Float>     // (R, F) up_proj output
    private let base: UnsafeMutablePointer<Float>

    package static func floatsPerRow(_ c: LlamaConfig) -> Int {
        2 * c.hidden + 2 * c.heads * c.headDim + 2 * c.kvHeads * c.headDim + 2 * c.intermediate
    }

    package init(config c: LlamaConfig, rows r: Int) {
        let hd = c.heads * c.headDim, kd = c.kvHeads * c.headDim
        let sizes = [c.hidden, hd, kd, kd, hd, c.hidden, c.intermediate, c.intermediate].map { $0 * r }
        base = .allocate(capacity: sizes.reduce(0, +))
        base.initialize(repeating: 0, count: sizes.reduce(0, +))
        var views: [UnsafeMutablePointer<Float>] = []
        var offset = 0
        for s in sizes { views.append(base + offset); offset += s }
        x0 = views[0]; q = views[1]; k = views[2]; v = views[3]; att = views[4]; x1 = views[5]
        gate = views[6]; up = views[7]
    }

    deinit { base.deallocate() }
}

/// Scratch of the forward and backward for R rows, plus the output head's saved inputs.
package final class BackwardWorkspace {
    package let x: UnsafeMutablePointer<Float>        // (R, C) residual stream in the forward
    package let dx: UnsafeMutablePointer<Float>       // (R, C) ∂L/∂residual in the backward
    package let xn: UnsafeMutablePointer<Float>       // (R, C) a normed input (forward, and recomputed in the backward)
    package let dxn: UnsafeMutablePointer<Float>      // (R, C) ∂L/∂xn
    package let dq: UnsafeMutablePointer<Float>       // (R, H·D)
    package let dk: UnsafeMutablePointer<Float>       // (R, K·D)
    package let dv: UnsafeMutablePointer<Float>       // (R, K·D)
    package let datt: UnsafeMutablePointer<Float>     // (R, H·D)
    package let h: UnsafeMutablePointer<Float>        // (R, F) silu(gate)·up
    package let dh: UnsafeMutablePointer<Float>       // (R, F)
    package let dgate: UnsafeMutablePointer<Float>    // (R, F)
    package let dup: UnsafeMutablePointer<Float>      // (R, F)
    package let xL: UnsafeMutablePointer<Float>       // (R, C) the last block's output: the final norm's input (saved)
    package let xf: UnsafeMutablePointer<Float>       // (R, C) the final norm's output, lm_head's input (saved)
    package let dxf: UnsafeMutablePointer<Float>      // (R, C)
    package let rowLoss: UnsafeMutablePointer<Float>  // (R) per-row NLL
    package let logits: UnsafeMutablePointer<Float>   // (logitRows, V) one chunk of logits, then of ∂L/∂logits
    package let logitRows: Int
    package let attention: UnsafeMutablePointer<Float>   // (attentionBuffers, 2, Tq, T): P and dP per worker
    package let attentionBuffers: Int
    private var all: [UnsafeMutablePointer<Float>] = []

    package init(config c: LlamaConfig, rows r: Int, seqlen t: Int, logitsBytes: Int) {
        func make(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n))
            p.initialize(repeating: 0, count: max(1, n))
            return p
        }
        let hd = c.heads * c.headDim, kd = c.kvHeads * c.headDim, f = c.intermediate
        x = make(r * c.hidden); dx = make(r * c.hidden); xn = make(r * c.hidden); dxn = make(r * c.hidden)
        dq = make(r * hd); dk = make(r * kd); dv = make(r * kd); datt = make(r * hd)
        h = make(r * f); dh = make(r * f); dgate = make(r * f); dup = make(r * f)
        xL = make(r * c.hidden); xf = make(r * c.hidden); dxf = make(r * c.hidden); rowLoss = make(r)
        logitRows = max(min(t, BLAS.rowBlock), min(r, logitsBytes / (4 * c.vocab)))   // ≥ one row block
        logits = make(logitRows * c.vocab)
        attentionBuffers = Parallel.workers
        attention = make(attentionBuffers * Attention.backwardScratchFloats(seqlen: t, headDim: c.headDim))
        all = [x, dx, xn, dxn, dq, dk, dv, datt, h, dh, dgate, dup, xL, xf, dxf, rowLoss, logits, attention]
    }

    deinit { for p in all { p.deallocate() } }
}
