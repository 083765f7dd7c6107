// OutputHead: final RMSNorm and lm_head, producing logits or next-token NLL in chunks of rows.
//
// logits (R, V) = RMSNorm(x)·w_norm · W_headᵀ. The full (B·T, V) logits are never materialised: rows are taken a
// chunk at a time (bounded by a memory budget), and for NLL each row is reduced at once to
// −log softmax(logits)[target] = logsumexp(logits) − logits[target], shifted by the row maximum.
import Foundation

/// The model's last norm and output projection, widened to Float32.
final class OutputHead {
    let config: LlamaConfig
    let norm: [Float]          // (C)
    let projection: [Float]    // (V, C)
    let chunkRows: Int
    private let xn: UnsafeMutablePointer<Float>       // (chunkRows, C)
    private let logits: UnsafeMutablePointer<Float>   // (chunkRows, V)

    convenience init(_ model: ModelWeights, logitsBytes: Int = 256 << 20) throws {
        try self.init(config: model.config, norm: model.finalNorm(), projection: model.outputProjection(), logitsBytes: logitsBytes)
    }

    /// From Float32 weights: norm (C), projection (V, C).
    init(config: LlamaConfig, norm: [Float], projection: [Float], logitsBytes: Int = 256 << 20) {
        precondition(norm.count == config.hidden && projection.count == config.vocab * config.hidden)
        self.config = config
        self.norm = norm
        self.projection = projection
        chunkRows = max(1, logitsBytes / (4 * config.vocab))
        xn = .allocate(capacity: chunkRows * config.hidden)
        logits = .allocate(capacity: chunkRows * config.vocab)
    }

    deinit { xn.deallocate(); logits.deallocate() }

    /// Logits of rows `rows` of x (N, C) into out (rows.count, V): for tests and inspection.
    func logits(_ hidden: Activations, rows: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        hidden.x.withUnsafeBufferPointer { xb in
            var r0 = rows.lowerBound
            while r0 < rows.upperBound {
                let n = min(chunkRows, rows.upperBound - r0)
                project(xb.baseAddress! + r0 * config.hidden, rows: n)
                (out + (r0 - rows.lowerBound) * config.vocab).update(from: logits, count: n * config.vocab)
                r0 += n
            }
        }
    }

    /// Mean next-token NLL of each window: over positions 0..T−2, target = the window's next token.
    /// `tokens` are the B·T ids `hidden` was computed from.
    func windowNLL(_ hidden: Activations, tokens: ArraySlice<TokenID>) -> [Double] {
        let t = hidden.seqlen, v = config.vocab, n = hidden.tokens
        precondition(tokens.count == n && t >= 2)
        let ids = Array(tokens)
        var nll = [Float](repeating: 0, count: n)   // (B·T); the last position of each window stays 0
        hidden.x.withUnsafeBufferPointer { xb in
            nll.withUnsafeMutableBufferPointer { nb in
                var r0 = 0
                while r0 < n {
                    let rows = min(chunkRows, n - r0)
                    project(xb.baseAddress! + r0 * config.hidden, rows: rows)
                    let lp = logits, out = nb.baseAddress!
                    Parallel.chunked(rows, grain: max(1, 32768 / v)) { range in
                        for i in range {
                            let row = r0 + i
                            guard row % t != t - 1 else { continue }
                            let target = Int(ids[row + 1])
                            let lr = lp + i * v
                            out[row] = Kernels.logSumExp(lr, count: v) - lr[target]
                        }
                    }
                    r0 += rows
                }
            }
        }
        return (0..<hidden.windows).map { b in
            nll[b * t..<b * t + t - 1].reduce(0.0) { $0 + Double($1) } / Double(t - 1)
        }
    }

    /// logits (rows, V) = RMSNorm(x (rows, C)) · W_headᵀ, into the chunk buffer.
    private func project(_ x: UnsafePointer<Float>, rows: Int) {
        norm.withUnsafeBufferPointer { Kernels.rmsNorm(xn, x, $0.baseAddress!, rows: rows, width: config.hidden, eps: config.epsilon) }
        projection.withUnsafeBufferPointer {
            BLAS.linear(logits, xn, $0.baseAddress!, rows: rows, outputs: config.vocab, inputs: config.hidden)
        }
    }
}
