// Attention: causal scaled-dot-product attention with grouped-query heads, per window.
//
// For window b and query head h (kv head g = h / (H/K), as transformers' repeat_kv):
//   S (T, T) = Q_bh · K_bgᵀ · D^−0.5,   P = softmax over j ≤ i of S[i, j] (j > i masked),   O_bh = P · V_bg.
// Query rows go in blocks of Tq, each against only the keys it can see. Both products go through sgemm with leading dimensions that address one head inside the (N, H·D) buffers, so
// nothing is transposed or copied. Softmax rows of several heads run in parallel. Windows never see each other.
// The scale is multiplied, as transformers 5 does (reference rule 10).

/// Causal grouped-query attention over B windows of T tokens.
enum Attention {
    /// Query rows per causal block (Tq): small enough to skip most of the masked triangle, large enough for sgemm.
    static let queryBlock = 64

    /// How many heads' score matrices to hold at once: enough rows to parallelise softmax, bounded to ~64 MB.
    static func headsPerPass(heads: Int, seqlen t: Int) -> Int {
        max(1, min(heads, (16 << 20) / max(1, t * t)))
    }

    /// out (B·T, H·D) = attention(q (B·T, H·D), k (B·T, K·D), v (B·T, K·D)); `scores` holds
    /// (headsPerPass, T, T) floats of scratch.
    static func forward(
        _ out: UnsafeMutablePointer<Float>,
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        scores: UnsafeMutablePointer<Float>,
        windows: Int, seqlen t: Int, heads: Int, kvHeads: Int, headDim d: Int
    ) {
        let qWidth = heads * d, kvWidth = kvHeads * d, group = heads / kvHeads
        let scale = Float(1 / Double(d).squareRoot())
        let pass = headsPerPass(heads: heads, seqlen: t)
        for b in 0..<windows {
            let qb = q + b * t * qWidth, kb = k + b * t * kvWidth, vb = v + b * t * kvWidth
            let ob = out + b * t * qWidth
            var h0 = 0
            while h0 < heads {
                let hn = min(pass, heads - h0)
                // Query rows in blocks of Tq: block [i0, i1) sees keys [0, i1) only, so the masked upper
                // triangle is mostly never computed (T = 512, Tq = 64: 56% of the full products).
                var i0 = 0
                while i0 < t {
                    let i1 = min(t, i0 + queryBlock), m = i1 - i0
                    // S_h[i0..<i1, 0..<i1] = scale · Q_h[i0..<i1] (m, D) · K_g[0..<i1]ᵀ
                    for j in 0..<hn {
                        let h = h0 + j, g = h / group
                        BLAS.gemm(m: m, n: i1, k: d, alpha: scale, a: qb + i0 * qWidth + h * d, lda: qWidth,
                                  b: kb + g * d, ldb: kvWidth, transB: true, c: scores + j * t * t + i0 * t, ldc: t)
                    }
                    // Row i keeps columns 0...i; columns i+1..<i1 become exact zeros for the next product.
                    Parallel.chunked(hn * m, grain: max(1, 16384 / i1)) { range in
                        for row in range {
                            let i = i0 + row % m, r = scores + (row / m) * t * t + i * t
                            Kernels.softmax(r, count: i + 1)
                            (r + i + 1).update(repeating: 0, count: i1 - i - 1)
                        }
                    }
                    // O_h[i0..<i1] (m, D) = P_h[i0..<i1, 0..<i1] · V_g[0..<i1] (i1, D)
                    for j in 0..<hn {
                        let h = h0 + j, g = h / group
                        BLAS.gemm(m: m, n: d, k: i1, a: scores + j * t * t + i0 * t, lda: t, b: vb + g * d, ldb: kvWidth,
                                  transB: false, c: ob + i0 * qWidth + h * d, ldc: qWidth)
                    }
                    i0 = i1
                }
                h0 += hn
            }
        }
    }
}
