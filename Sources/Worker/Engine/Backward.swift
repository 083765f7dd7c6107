import Model
// Backward: a training-style forward of the whole LLaMA that saves its activations (Tape), and its backward to the
// gradient of every parameter.
//
// Loss = mean next-token cross-entropy over the B·(T−1) predictions of the B windows of one call (labels = inputs,
// as transformers' LlamaForCausalLM with labels; one window gives the reference's per-window loss, rule 6).
// The forward repeats Forward's block (same kernels, same order: transformers' LlamaDecoderLayer) but keeps what
// the backward needs; each stage's backward sits right after its forward, in the same argument order, and
// `blockBackward` runs the forward's steps in exact reverse. Every matrix product is sgemm (BLAS.tokenLinear,
// tokenLinearInputGradient and weightGradient, Attention), in fixed per-window blocks, single-threaded, so G does
// not depend on the batch, the recompute plan or the core count (README, "Determinism"). Weight gradients sum over all rows of the call, or, for G, come per window
// (`backwardBlocks(perWindow: true)`: data gradients batched over all windows, each weight gradient a product over
// one window's rows). It does not update parameters (an optimizer's job) nor compute G (GradientNorms).
//
// Memory: by default every block's activations are saved (Tape: L·R·(2C + 2HD + 2KD + 2F) floats). With
// `recomputeBlocks` only each block's input is kept (L·R·C floats) plus one block's tape, and each block's forward
// is run again just before its backward (activation checkpointing: one more forward, ≈ +1/3 of the work) — the
// setting for 7B-sized models and long windows.
//
// Legend: B windows, T tokens per window, R = B·T rows, C hidden, H heads, K kv heads, D head dim, F intermediate,
// V vocab, L blocks.

/// Forward and backward of a LLaMA over up to B windows of T tokens, with buffers allocated once.
package final class Backward {
    package let config: LlamaConfig
    package let seqlen: Int       // T
    package let maxWindows: Int   // B
    package let rope: RopeTable
    package let recomputeBlocks: Bool
    private let tapes: [BlockTape]              // (L), or (1) when recomputing
    private let blockInputs: UnsafeMutablePointer<Float>?   // (L, R, C) when recomputing
    private let ws: BackwardWorkspace
    private var ids: [Int] = []                 // (R) the last forward's tokens
    private var windows = 0                     // its B
    // Gradient scratch, refilled by each backward; the non-block ones allocated by the first backward(into:).
    private var gradBlocks: [BlockWeights]      // (1), or (B) for per-window gradients
    private var gradEmbedding: [Float] = []     // (V, C)
    private var gradFinalNorm: [Float] = []     // (C)
    private var gradHead: [Float] = []          // (V, C) the output projection's, tied or not

    /// Buffers for calls of up to `windows` windows of `seqlen` tokens; logits go in chunks of `logitsBytes`.
    /// With `recomputeBlocks`, keeps only block inputs and reruns each block's forward in the backward.
    package init(config c: LlamaConfig, seqlen: Int, windows: Int = 1, recomputeBlocks: Bool = false, logitsBytes: Int = 64 << 20) {
        precondition(seqlen >= 2, "seqlen \(seqlen) leaves no next-token prediction")
        config = c
        self.seqlen = seqlen
        maxWindows = windows
        rope = RopeTable(seqlen: seqlen, headDim: c.headDim, theta: c.ropeTheta)
        self.recomputeBlocks = recomputeBlocks
        tapes = (0..<(recomputeBlocks ? 1 : c.layers)).map { _ in BlockTape(config: c, rows: windows * seqlen) }
        blockInputs = recomputeBlocks ? .allocate(capacity: c.layers * windows * seqlen * c.hidden) : nil
        ws = BackwardWorkspace(config: c, rows: windows * seqlen, seqlen: seqlen, logitsBytes: logitsBytes)
        gradBlocks = [BlockWeights(zeros: c)]
    }

    deinit { blockInputs?.deallocate() }

    /// Bytes of saved activations (the tapes, and block inputs when recomputing), for reporting memory.
    package var tapeBytes: Int {
        let rows = maxWindows * seqlen
        return 4 * rows * (tapes.count * BlockTape.floatsPerRow(config) + (recomputeBlocks ? config.layers * config.hidden : 0))
    }

    /// The tape block `layer` saves into.
    private func tape(_ layer: Int) -> BlockTape { tapes[recomputeBlocks ? 0 : layer] }

    /// Where block `layer`'s input is kept when recomputing: (R, C).
    private func blockInput(_ layer: Int) -> UnsafeMutablePointer<Float> { blockInputs! + layer * maxWindows * seqlen * config.hidden }

    // MARK: Whole model

    /// Runs B = tokens.count / T windows through the model, saving activations; returns the mean loss.
    package func forward(_ p: WeightSource, tokens: ArraySlice<TokenID>) throws -> Float {
        precondition(tokens.count % seqlen == 0 && tokens.count / seqlen <= maxWindows,
                     "\(tokens.count) tokens are not ≤ \(maxWindows) windows of \(seqlen)")
        windows = tokens.count / seqlen
        ids = []
        for (position, token) in zip(tokens.indices, tokens) {
            guard Int(token) < config.vocab else {
                throw WeightsError.tokenOutOfRange(position: position, token: token, vocab: config.vocab)
            }
            ids.append(Int(token))
        }
        try embedForward(p)
        for layer in 0..<config.layers {
            if recomputeBlocks { blockInput(layer).update(from: ws.x, count: windows * seqlen * config.hidden) }
            try p.withBlock(layer) { w in Self.timed(\.blockForward) { blockForward(w, tape(layer)) } }
        }
        return Self.timed(\.headForward) { headForward(p) }
    }

    /// Gradients of the last forward's loss with respect to every parameter, added to `g` (which must have `p`'s
    /// shapes; when tied, the embedding's gradient includes the output projection's).
    package func backward(_ p: WeightSource, into g: inout LlamaParameters) throws {
        let c = config
        if gradEmbedding.isEmpty {
            gradEmbedding = [Float](repeating: 0, count: c.vocab * c.hidden)
            gradFinalNorm = [Float](repeating: 0, count: c.hidden)
            gradHead = gradEmbedding
        } else {
            for i in gradEmbedding.indices { gradEmbedding[i] = 0; gradHead[i] = 0 }
            for i in gradFinalNorm.indices { gradFinalNorm[i] = 0 }
        }
        try run(p, all: true, perWindow: false) { layer, _, gw in
            for t in BlockTensor.allCases { g.blocks[layer].withMutableBuffer(t) { add($0, gw[t]) } }
        }
        g.embedding.withUnsafeMutableBufferPointer { add($0, gradEmbedding) }
        g.finalNorm.withUnsafeMutableBufferPointer { add($0, gradFinalNorm) }
        if config.tiedEmbeddings {
            g.embedding.withUnsafeMutableBufferPointer { add($0, gradHead) }
        } else {
            g.lmHead.withUnsafeMutableBufferPointer { add($0, gradHead) }
        }
    }

    /// Gradients of the last forward's loss for the blocks only, handed to `onBlock(layer, window, gradients)`
    /// from the last block to the first; the gradients are valid during the call. Without `perWindow` they are of
    /// the loss (window nil); with it, once per window b, of window b's own mean loss L_b (over its T−1
    /// predictions: what one window alone would give). Skips the embedding, final-norm and lm_head weight gradients
    /// (what G needs, and one V×C product less).
    package func backwardBlocks(
        _ p: WeightSource, perWindow: Bool = false, _ onBlock: (Int, Int?, BlockWeights) -> Void
    ) throws {
        try run(p, all: false, perWindow: perWindow, onBlock)
    }

    /// The backward in reverse order of `forward`: head, blocks L−1 … 0, embedding.
    private func run(_ p: WeightSource, all: Bool, perWindow: Bool, _ onBlock: (Int, Int?, BlockWeights) -> Void) throws {
        precondition(windows > 0, "backward before forward")
        let targets = perWindow ? windows : 1
        while gradBlocks.count < targets { gradBlocks.append(BlockWeights(zeros: config)) }
        Self.timed(\.headBackward) { headBackward(p, all: all, perWindow: perWindow) }
        for layer in (0..<config.layers).reversed() {
            // The linears' gradients are written, not added, by their one product each (linearBackward); the norms'
            // are sums, so only they are zeroed (8 windows' linears would be 113 MB of stores per block on SmolLM2).
            for j in 0..<targets {
                for t in [BlockTensor.inputNorm, .postNorm] { gradBlocks[j].withMutableBuffer(t) { $0.update(repeating: 0) } }
            }
            try p.withBlock(layer) { w in
                if recomputeBlocks {
                    // Rerun the block from its kept input to refill the tape (ws.x is free during the backward).
                    ws.x.update(from: blockInput(layer), count: windows * seqlen * config.hidden)
                    Self.timed(\.blockForward) { blockForward(w, tape(layer)) }
                }
                Self.timed(\.elementwise) { blockBackward(w, tape(layer), targets: targets) }
            }
            for j in 0..<targets { onBlock(layer, perWindow ? j : nil, gradBlocks[j]) }
        }
        if all { embedBackward() }
    }

    // MARK: Embedding

    /// x (R, C) = the embedding rows of the tokens.
    private func embedForward(_ p: WeightSource) throws {
        try p.embed(ids, into: ws.x)
    }

    /// dE[token] += dx row, for every row (a token repeated in the window sums its rows).
    private func embedBackward() {
        let c = config.hidden
        gradEmbedding.withUnsafeMutableBufferPointer { ge in
            for (r, id) in ids.enumerated() {
                let dst = ge.baseAddress! + id * c, src = ws.dx + r * c
                for i in 0..<c { dst[i] += src[i] }
            }
        }
    }

    // MARK: Decoder block

    /// One block on the residual stream ws.x (R, C), in place, saving into `tp` what the backward reads: x0, q, k
    /// (after RoPE), v, att, x1, gate (before SiLU) and up; xn and h are recomputed there.
    private func blockForward(_ w: BlockWeights, _ tp: BlockTape) {
        let buffers = DecoderBlockBuffers(xn: ws.xn, q: tp.q, k: tp.k, v: tp.v, att: tp.att, gate: tp.gate, up: tp.up,
                                          h: ws.h, scores: ws.attention, scoreBuffers: ws.attentionBuffers,
                                          x0: tp.x0, x1: tp.x1)
        DecoderBlock.forward(ws.x, w, buffers, config: config, rope: rope, windows: windows, seqlen: seqlen)
    }

    /// The backward of `blockForward`, steps in reverse: ws.dx (R, C) holds ∂L/∂x2 and becomes ∂L/∂x0. Weight
    /// gradients go to gradBlocks[0] over all rows (`targets` 1), or to gradBlocks[b] over window b's rows
    /// (`targets` B), the linears' written, the norms' added; input gradients always run over all rows at once.
    private func blockBackward(_ w: BlockWeights, _ tp: BlockTape, targets: Int) {
        let c = config, r = windows * seqlen, hd = c.heads * c.headDim, kd = c.kvHeads * c.headDim, f = c.intermediate
        let dx = ws.dx
        // h = silu(gate)·up, recomputed.
        ws.h.update(from: tp.gate, count: r * f)
        LayerKernels.siluMul(ws.h, tp.up, count: r * f)
        // x2 = x1 + h·Wdᵀ: dWd += dxᵀ·h, dh = dx·Wd; the residual passes dx on to x1 unchanged.
        linearBackward(.down, ws.dh, dx, ws.h, w, outputs: c.hidden, inputs: f, targets: targets)
        // h = silu(gate)·up: dgate, dup.
        LayerKernels.siluMulBackward(ws.dgate, ws.dup, ws.dh, tp.gate, tp.up, count: r * f)
        // gate, up = xn·Wgᵀ, xn·Wuᵀ with xn = RMSNorm(x1)·w_post recomputed: dWg, dWu, dxn = dgate·Wg + dup·Wu.
        w.postNorm.withUnsafeBufferPointer { LayerKernels.rmsNorm(ws.xn, tp.x1, $0.baseAddress!, rows: r, width: c.hidden, eps: c.epsilon) }
        linearBackward(.gate, ws.dxn, ws.dgate, ws.xn, w, outputs: f, inputs: c.hidden, targets: targets)
        linearBackward(.up, ws.dxn, ws.dup, ws.xn, w, outputs: f, inputs: c.hidden, targets: targets, accumulate: true)
        // xn = RMSNorm(x1)·w_post: dx += ∂xn/∂x1ᵀ·dxn, dw_post.
        rmsNormBackward(.postNorm, dx, ws.dxn, tp.x1, w, targets: targets)
        // x1 = x0 + att·Woᵀ: dWo += dxᵀ·att, datt = dx·Wo; the residual passes dx on to x0.
        linearBackward(.o, ws.datt, dx, tp.att, w, outputs: c.hidden, inputs: hd, targets: targets)
        // att = attention(q, k, v): dq, dk, dv.
        Self.timedWithin(\.elementwise, \.attention) {
            Attention.backward(ws.dq, ws.dk, ws.dv, dout: ws.datt, q: tp.q, k: tp.k, v: tp.v,
                               scratch: ws.attention, scratchBuffers: ws.attentionBuffers,
                               windows: windows, seqlen: seqlen, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim)
        }
        // RoPE on q and k: rotate the gradients back.
        rope.applyBackward(ws.dq, rows: r, heads: c.heads)
        rope.applyBackward(ws.dk, rows: r, heads: c.kvHeads)
        // q, k, v = xn·W{q,k,v}ᵀ with xn = RMSNorm(x0)·w_in recomputed: dW{q,k,v}, dxn = dq·Wq + dk·Wk + dv·Wv.
        w.inputNorm.withUnsafeBufferPointer { LayerKernels.rmsNorm(ws.xn, tp.x0, $0.baseAddress!, rows: r, width: c.hidden, eps: c.epsilon) }
        linearBackward(.q, ws.dxn, ws.dq, ws.xn, w, outputs: hd, inputs: c.hidden, targets: targets)
        linearBackward(.k, ws.dxn, ws.dk, ws.xn, w, outputs: kd, inputs: c.hidden, targets: targets, accumulate: true)
        linearBackward(.v, ws.dxn, ws.dv, ws.xn, w, outputs: kd, inputs: c.hidden, targets: targets, accumulate: true)
        // xn = RMSNorm(x0)·w_in: dx += ∂xn/∂x0ᵀ·dxn, dw_in.
        rmsNormBackward(.inputNorm, dx, ws.dxn, tp.x0, w, targets: targets)
    }

    /// BLAS.linearBackward for linear `t` of a block: dx (R, inputs) over all rows, then dW written into each
    /// target (all R rows, or window b's T rows each).
    private func linearBackward(
        _ t: BlockTensor, _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
        _ w: BlockWeights, outputs: Int, inputs: Int, targets: Int, accumulate: Bool = false
    ) {
        let r = windows * seqlen, rows = r / targets
        w[t].withUnsafeBufferPointer { wb in
            Self.timedWithin(\.elementwise, \.inputGradients) {
                BLAS.tokenLinearInputGradient(dx, dy, wb.baseAddress!, rows: r, seqlen: seqlen, outputs: outputs, inputs: inputs,
                                              accumulate: accumulate)
            }
            Self.timedWithin(\.elementwise, \.weightGradients) {
                for j in 0..<targets {
                    gradBlocks[j].withMutableBuffer(t) { g in
                        BLAS.weightGradient(g.baseAddress!, dy + j * rows * outputs, x + j * rows * inputs,
                                            rows: rows, outputs: outputs, inputs: inputs, accumulate: false)
                    }
                }
            }
        }
    }

    /// LayerKernels.rmsNormBackward for norm `t` of a block, its weight gradient into each target's rows.
    private func rmsNormBackward(
        _ t: BlockTensor, _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
        _ w: BlockWeights, targets: Int
    ) {
        let c = config.hidden, rows = windows * seqlen / targets
        w[t].withUnsafeBufferPointer { wb in
            for j in 0..<targets {
                gradBlocks[j].withMutableBuffer(t) { g in
                    LayerKernels.rmsNormBackward(dx + j * rows * c, g.baseAddress!, dy + j * rows * c, x + j * rows * c, wb.baseAddress!,
                                            rows: rows, width: c, eps: config.epsilon)
                }
            }
        }
    }

    // MARK: Output head

    /// Final norm, lm_head and the mean NLL over the B·(T−1) predictions; logits a chunk of rows at a time.
    private func headForward(_ p: WeightSource) -> Float {
        let c = config, r = windows * seqlen
        // xL ← x: the final norm's input; xf = RMSNorm(xL)·w_final.
        ws.xL.update(from: ws.x, count: r * c.hidden)
        p.withFinalNorm { LayerKernels.rmsNorm(ws.xf, ws.xL, $0, rows: r, width: c.hidden, eps: c.epsilon) }
        // logits = xf·W_headᵀ; row loss = logsumexp(logits) − logits[target].
        forEachLogitChunk(p) { r0, n in
            let lp = ws.logits, loss = ws.rowLoss
            Parallel.chunked(n, grain: max(1, 32768 / c.vocab)) { range in
                for i in range {
                    let row = r0 + i
                    guard let target = self.target(row) else { loss[row] = 0; continue }
                    let lr = lp + i * c.vocab
                    loss[row] = LayerKernels.logSumExp(lr, count: c.vocab) - lr[target]
                }
            }
        }
        var sum = 0.0
        for row in 0..<r { sum += Double(ws.rowLoss[row]) }
        return Float(sum / Double(windows * (seqlen - 1)))
    }

    /// The backward of `headForward`: ws.dx (R, C) = ∂L/∂xL; with `all`, gradHead += dlogitsᵀ·xf and
    /// gradFinalNorm += its part. With `perWindow`, each window's rows carry the gradient of its own mean loss
    /// (the windows do not interact, so everything downstream is per window too).
    private func headBackward(_ p: WeightSource, all: Bool, perWindow: Bool) {
        let c = config, r = windows * seqlen
        let scale = 1 / Float((perWindow ? 1 : windows) * (seqlen - 1))
        // logits (recomputed) → dlogits = (softmax − onehot(target)) / (B·(T−1)); 0 on each window's last row.
        // logits = xf·W_headᵀ: dW_head += dlogitsᵀ·xf, dxf = dlogits·W_head.
        forEachLogitChunk(p) { r0, n in
            let lp = ws.logits
            Parallel.chunked(n, grain: max(1, 32768 / c.vocab)) { range in
                for i in range {
                    let lr = lp + i * c.vocab
                    guard let target = self.target(r0 + i) else { lr.update(repeating: 0, count: c.vocab); continue }
                    LayerKernels.softmax(lr, count: c.vocab)
                    lr[target] -= 1
                    for j in 0..<c.vocab { lr[j] *= scale }
                }
            }
            p.withOutputProjection { w in
                BLAS.tokenGemm(rows: r0..<r0 + n, seqlen: seqlen, n: c.hidden, k: c.vocab, a: lp, lda: c.vocab, b: w,
                               ldb: c.hidden, transB: false, c: ws.dxf + r0 * c.hidden, ldc: c.hidden)
                if all {
                    gradHead.withUnsafeMutableBufferPointer { gh in
                        BLAS.weightGradient(gh.baseAddress!, lp, ws.xf + r0 * c.hidden, rows: n, outputs: c.vocab, inputs: c.hidden)
                    }
                }
            }
        }
        // xf = RMSNorm(xL)·w_final: dx = ∂xf/∂xLᵀ·dxf, dw_final.
        ws.dx.update(repeating: 0, count: r * c.hidden)
        gradFinalNorm.withUnsafeMutableBufferPointer { gn in
            p.withFinalNorm {
                LayerKernels.rmsNormBackward(ws.dx, all ? gn.baseAddress! : nil, ws.dxf, ws.xL, $0, rows: r,
                                        width: c.hidden, eps: c.epsilon)
            }
        }
    }

    /// Fills ws.logits with rows r0..<r0+n of xf·W_headᵀ, chunk by chunk of whole row blocks (BLAS.tokenGemm),
    /// calling `body(r0, n)` after each.
    private func forEachLogitChunk(_ p: WeightSource, _ body: (Int, Int) -> Void) {
        let c = config
        BLAS.blockAlignedChunks(rows: windows * seqlen, seqlen: seqlen, maxRows: ws.logitRows) { rows in
            p.withOutputProjection {
                BLAS.tokenGemm(rows: rows, seqlen: seqlen, n: c.vocab, k: c.hidden, a: ws.xf + rows.lowerBound * c.hidden,
                               lda: c.hidden, b: $0, ldb: c.hidden, transB: true, c: ws.logits, ldc: c.vocab)
            }
            body(rows.lowerBound, rows.count)
        }
    }

    /// The next token row `row` predicts, or nil for a window's last row.
    private func target(_ row: Int) -> Int? { row % seqlen == seqlen - 1 ? nil : ids[row + 1] }
}

/// dst += src, element-wise.
private func add(_ dst: UnsafeMutableBufferPointer<Float>, _ src: [Float]) {
    precondition(dst.count == src.count)
    src.withUnsafeBufferPointer { s in for i in 0..<s.count { dst[i] += s[i] } }
}
