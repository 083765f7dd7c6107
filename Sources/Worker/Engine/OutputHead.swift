// OutputHead: final RMSNorm and lm_head, producing logits or next-token NLL in chunks of rows.
//
// logits (R, V) = RMSNorm(x)·w_norm · W_headᵀ. The full (B·T, V) logits are never materialised: rows are taken a
// chunk of whole row blocks at a time (bounded by a memory budget; BLAS.tokenGemm's blocks, so a row's logits do
// not depend on the chunk), and for NLL each row is reduced at once to
// −log softmax(logits)[target] = logsumexp(logits) − logits[target], shifted by the row maximum.
import Foundation
import Model

/// The model's last norm and output projection, widened to Float32.
package final class OutputHead {
    package let config: LlamaConfig
    package let norm: [Float]          // (C)
    package let projection: [Float]    // (V, C)
    package let chunkRows: Int
    private let xn: UnsafeMutablePointer<Float>       // (chunkRows, C)
    private let logits: UnsafeMutablePointer<Float>   // (chunkRows, V)

    package convenience init(_ model: ModelWeights, logitsBytes: Int = 256 << 20) throws {
        try self.init(config: model.config, norm: model.finalNorm(), projection: model.outputProjection(), logitsBytes: logitsBytes)
    }

    /// From Float32 weights: norm (C), projection (V, C).
    package init(config: LlamaConfig, norm: [Float], projection: [Float], logitsBytes: Int = 256 << 20) {
        precondition(norm.count == config.hidden && projection.count == config.vocab * config.hidden)
        self.config = config
        self.norm = norm
        self.projection = projection
        chunkRows = max(BLAS.rowBlock, logitsBytes / (4 * config.vocab))   // ≥ one row block
        xn = .allocate(capacity: chunkRows * config.hidden)
        logits = .allocate(capacity: chunkRows * config.vocab)
    }

    deinit { xn.deallocate(); logits.deallocate() }

    /// Logits of rows `rows` of x (N, C) into out (rows.count, V): for tests and inspection. Rows are computed in
    /// BLAS.tokenGemm's blocks; a range that cuts a block computes that part as a smaller product.
    package func logits(_ hidden: Activations, rows: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        hidden.x.withUnsafeBufferPointer { xb in
            var r0 = rows.lowerBound
            while r0 < rows.upperBound {
                let n = min(BLAS.rowBlockRows(BLAS.rowBlockIndex(r0, seqlen: hidden.seqlen), seqlen: hidden.seqlen).upperBound,
                            rows.upperBound) - r0
                project(xb.baseAddress! + r0 * config.hidden, rows: r0..<r0 + n, seqlen: hidden.seqlen)
                (out + (r0 - rows.lowerBound) * config.vocab).update(from: logits, count: n * config.vocab)
                r0 += n
            }
        }
    }

    /// Mean next-token NLL of each window: over positions 0..T−2, target = the window's next token.
    /// `tokens` are the B·T ids `hidden` was computed from.
    package func windowNLL(_ hidden: Activations, tokens: ArraySlice<TokenID>) -> [Double] {
        let t = hidden.seqlen, v = config.vocab, n = hidden.tokens
        precondition(tokens.count == n && t >= 2)
        let ids = Array(tokens)
        var nll = [Float](repeating: 0, count: n)   // (B·T); the last position of each window stays 0
        hidden.x.withUnsafeBufferPointer { xb in
            nll.withUnsafeMutableBufferPointer { nb in
                BLAS.blockAlignedChunks(rows: n, seqlen: t, maxRows: chunkRows) { chunk in
                    let r0 = chunk.lowerBound
                    project(xb.baseAddress! + r0 * config.hidden, rows: chunk, seqlen: t)
                    let lp = logits, out = nb.baseAddress!
                    Parallel.chunked(chunk.count, grain: max(1, 32768 / v)) { range in
                        for i in range {
                            let row = r0 + i
                            guard row % t != t - 1 else { continue }
                            let target = Int(ids[row + 1])
                            let lr = lp + i * v
                            out[row] = LayerKernels.logSumExp(lr, count: v) - lr[target]
                        }
                    }
                }
            }
        }
        return (0..<hidden.windows).map { b in
            nll[b * t..<b * t + t - 1].reduce(0.0) { $0 + Double($1) } / Double(t - 1)
        }
    }

    /// logits (rows, V) = RMSNorm(x (rows, C)) · W_headᵀ, into the chunk buffer; `rows` are the token rows x
    /// starts at, in a pass of windows of `seqlen`.
    private func project(_ x: UnsafePointer<Float>, rows: Range<Int>, seqlen: Int) {
        norm.withUnsafeBufferPointer { LayerKernels.rmsNorm(xn, x, $0.baseAddress!, rows: rows.count, width: config.hidden, eps: config.epsilon) }
        projection.withUnsafeBufferPointer {
            BLAS.tokenGemm(rows: rows, seqlen: seqlen, n: config.vocab, k: config.hidden, a: xn, lda: config.hidden,
                           b: $0.baseAddress!, ldb: config.hidden, transB: true, c: logits, ldc: config.vocab)
        }
    }
}
