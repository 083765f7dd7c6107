// DecoderBlock: one LLaMA decoder block's forward, the one copy that inference (Forward) and the backward's
// recomputation (Backward) both run.
//
// Follows transformers' LlamaDecoderLayer in float32: x1 = x0 + o_proj(attention(RoPE(q), RoPE(k), v)) of
// RMSNorm(x0); x2 = x1 + down_proj(silu(gate_proj(xn)) · up_proj(xn)) of xn = RMSNorm(x1). What a caller needs
// beyond the output is chosen by the buffers it passes: the backward saves x0 and x1 and keeps gate intact (h its
// own buffer); inference lets h alias gate (silu·up in place) and may stop after the last linear's input was
// observed (`observeOnly`), leaving x untouched. It does not allocate: every buffer is the caller's.
//
// Legend: R = windows·T rows, C hidden, H heads, K kv heads, D head dim, F intermediate.
import Model

/// The buffers one block pass over R rows writes, with their shapes.
package struct DecoderBlockBuffers {
    package var xn: UnsafeMutablePointer<Float>                  // (R, C) normed input of q/k/v, then of gate/up
    package var q: UnsafeMutablePointer<Float>                   // (R, H·D)
    package var k: UnsafeMutablePointer<Float>                   // (R, K·D)
    package var v: UnsafeMutablePointer<Float>                   // (R, K·D)
    package var att: UnsafeMutablePointer<Float>                 // (R, H·D) attention output, o_proj's input
    package var gate: UnsafeMutablePointer<Float>                // (R, F)
    package var up: UnsafeMutablePointer<Float>                  // (R, F)
    /// (R, F) silu(gate)·up, down_proj's input; equal to `gate` to compute it in place.
    package var h: UnsafeMutablePointer<Float>
    package var scores: UnsafeMutablePointer<Float>              // Attention.forward's score scratch
    package var scoreBuffers: Int
    /// (R, C) copies of the block input and of x1 (after the attention sub-layer), when the caller saves them.
    package var x0: UnsafeMutablePointer<Float>? = nil
    package var x1: UnsafeMutablePointer<Float>? = nil
    /// (R, C) where x1 is formed when the pass must leave x as it found it (`observeOnly`).
    package var residual: UnsafeMutablePointer<Float>? = nil

    package init(xn: UnsafeMutablePointer<Float>, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
                 v: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>, gate: UnsafeMutablePointer<Float>,
                 up: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
                 scoreBuffers: Int, x0: UnsafeMutablePointer<Float>? = nil, x1: UnsafeMutablePointer<Float>? = nil,
                 residual: UnsafeMutablePointer<Float>? = nil) {
        self.xn = xn; self.q = q; self.k = k; self.v = v; self.att = att; self.gate = gate; self.up = up; self.h = h
        self.scores = scores; self.scoreBuffers = scoreBuffers; self.x0 = x0; self.x1 = x1; self.residual = residual
    }
}

package enum DecoderBlock {
    /// Block `layer` on x (R, C) = `windows` whole windows of `seqlen` rows, in place (x0 → x2). The observer, if
    /// any, sees each linear's input (rows of window `firstWindow` on). With `observeOnly`, stops once down_proj's
    /// input was observed and leaves x as it was (`b.residual` receives x1).
    package static func forward(
        _ x: UnsafeMutablePointer<Float>, _ w: BlockWeights, _ b: DecoderBlockBuffers, config c: LlamaConfig,
        rope: RopeTable, windows: Int, seqlen: Int,
        observer: BlockObserver? = nil, layer: Int = 0, firstWindow: Int = 0, observeOnly: Bool = false
    ) {
        let r = windows * seqlen, hd = c.heads * c.headDim, kd = c.kvHeads * c.headDim, f = c.intermediate
        // x0 ← x: the block input, input_layernorm's x.
        b.x0?.update(from: x, count: r * c.hidden)
        // Attention sub-layer. xn = RMSNorm(x0)·w_in; q, k, v = xn·Wqᵀ, xn·Wkᵀ, xn·Wvᵀ.
        w.inputNorm.withUnsafeBufferPointer { LayerKernels.rmsNorm(b.xn, x, $0.baseAddress!, rows: r, width: c.hidden, eps: c.epsilon) }
        observer?.observe(layer: layer, input: .attention, rows: b.xn, count: r, width: c.hidden, firstWindow: firstWindow)
        w.q.withUnsafeBufferPointer { BLAS.tokenLinear(b.q, b.xn, $0.baseAddress!, rows: r, seqlen: seqlen, outputs: hd, inputs: c.hidden) }
        w.k.withUnsafeBufferPointer { BLAS.tokenLinear(b.k, b.xn, $0.baseAddress!, rows: r, seqlen: seqlen, outputs: kd, inputs: c.hidden) }
        w.v.withUnsafeBufferPointer { BLAS.tokenLinear(b.v, b.xn, $0.baseAddress!, rows: r, seqlen: seqlen, outputs: kd, inputs: c.hidden) }
        // RoPE on q and k; att = causal GQA attention(q, k, v).
        rope.apply(b.q, rows: r, heads: c.heads)
        rope.apply(b.k, rows: r, heads: c.kvHeads)
        Attention.forward(b.att, q: b.q, k: b.k, v: b.v, scores: b.scores, scoreBuffers: b.scoreBuffers,
                          windows: windows, seqlen: seqlen, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim)
        observer?.observe(layer: layer, input: .output, rows: b.att, count: r, width: hd, firstWindow: firstWindow)
        // x1 = x0 + att·Woᵀ (o_proj's residual add): into x, or into a copy when the pass must leave x as it was.
        let residual = observeOnly ? b.residual! : x
        if observeOnly { residual.update(from: x, count: r * c.hidden) }
        w.o.withUnsafeBufferPointer { BLAS.tokenLinear(residual, b.att, $0.baseAddress!, rows: r, seqlen: seqlen, outputs: c.hidden, inputs: hd, accumulate: true) }
        b.x1?.update(from: residual, count: r * c.hidden)
        // MLP sub-layer. xn = RMSNorm(x1)·w_post; gate, up = xn·Wgᵀ, xn·Wuᵀ.
        w.postNorm.withUnsafeBufferPointer { LayerKernels.rmsNorm(b.xn, residual, $0.baseAddress!, rows: r, width: c.hidden, eps: c.epsilon) }
        observer?.observe(layer: layer, input: .mlp, rows: b.xn, count: r, width: c.hidden, firstWindow: firstWindow)
        w.gate.withUnsafeBufferPointer { BLAS.tokenLinear(b.gate, b.xn, $0.baseAddress!, rows: r, seqlen: seqlen, outputs: f, inputs: c.hidden) }
        w.up.withUnsafeBufferPointer { BLAS.tokenLinear(b.up, b.xn, $0.baseAddress!, rows: r, seqlen: seqlen, outputs: f, inputs: c.hidden) }
        // h = silu(gate)·up.
        if b.h != b.gate { b.h.update(from: b.gate, count: r * f) }
        LayerKernels.siluMul(b.h, b.up, count: r * f)
        observer?.observe(layer: layer, input: .down, rows: b.h, count: r, width: f, firstWindow: firstWindow)
        if observeOnly { return }
        // x2 = x1 + h·Wdᵀ.
        w.down.withUnsafeBufferPointer { BLAS.tokenLinear(x, b.h, $0.baseAddress!, rows: r, seqlen: seqlen, outputs: c.hidden, inputs: f, accumulate: true) }
    }
}
