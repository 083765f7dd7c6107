// Attention: causal scaled-dot-product attention with grouped-query heads, per window.
//
// For window b and query head h (kv head g = h / (H/K), as transformers' repeat_kv):
//   S (T, T) = Q_bh · K_bgᵀ · D^−0.5,   P = softmax over j ≤ i of S[i, j] (j > i masked),   O_bh = P · V_bg.
// Query rows go in blocks of Tq, each against only the keys it can see. Both products go through sgemm with
// leading dimensions that address one head inside the (N, H·D) buffers, so nothing is transposed or copied.
// The (window, head) pairs are independent: they are spread over the cores, each core running single-threaded
// sgemm on its own score buffer, because these products are too small for OpenBLAS's own threading to pay off.
// Windows never see each other. The scale is multiplied, as transformers 5 does (reference rule 10).
import Dispatch

/// Causal grouped-query attention over B windows of T tokens.
enum Attention {
    /// Query rows per causal block (Tq): small enough to skip most of the masked triangle, large enough for sgemm.
    static let queryBlock = 64

    /// out (B·T, H·D) = attention(q (B·T, H·D), k (B·T, K·D), v (B·T, K·D)); `scores` holds `scoreBuffers`
    /// (T, T) buffers, which bounds how many pairs run at once.
    static func forward(
        _ out: UnsafeMutablePointer<Float>,
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        scores: UnsafeMutablePointer<Float>, scoreBuffers: Int,
        windows: Int, seqlen t: Int, heads: Int, kvHeads: Int, headDim d: Int
    ) {
        let pairs = windows * heads
        let workers = max(1, min(Parallel.workers, pairs, scoreBuffers))
        let run = { (worker: Int) in
            var p = worker
            while p < pairs {
                head(out, q: q, k: k, v: v, scores: scores + worker * t * t, window: p / heads, head: p % heads,
                     seqlen: t, heads: heads, kvHeads: kvHeads, headDim: d)
                p += workers
            }
        }
        if workers == 1 { run(0); return }
        BLAS.singleThreaded { DispatchQueue.concurrentPerform(iterations: workers, execute: run) }
    }

    /// One (window b, head h): O_bh (T, D) from Q_bh, K_bg, V_bg, with `s` (T, T) scratch.
    static func head(
        _ out: UnsafeMutablePointer<Float>,
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, scores s: UnsafeMutablePointer<Float>,
        window b: Int, head h: Int, seqlen t: Int, heads: Int, kvHeads: Int, headDim d: Int
    ) {
        let qWidth = heads * d, kvWidth = kvHeads * d, g = h / (heads / kvHeads)
        let scale = Float(1 / Double(d).squareRoot())
        let qh = q + b * t * qWidth + h * d, kh = k + b * t * kvWidth + g * d, vh = v + b * t * kvWidth + g * d
        let oh = out + b * t * qWidth + h * d
        var i0 = 0
        while i0 < t {
            let i1 = min(t, i0 + queryBlock), m = i1 - i0
            // S[i0..<i1, 0..<i1] = scale · Q[i0..<i1] (m, D) · K[0..<i1]ᵀ
            BLAS.gemm(m: m, n: i1, k: d, alpha: scale, a: qh + i0 * qWidth, lda: qWidth, b: kh, ldb: kvWidth,
                      transB: true, c: s + i0 * t, ldc: t)
            // Row i keeps columns 0...i; columns i+1..<i1 become exact zeros for the next product.
            for i in i0..<i1 {
                let r = s + i * t
                Kernels.softmax(r, count: i + 1)
                (r + i + 1).update(repeating: 0, count: i1 - i - 1)
            }
            // O[i0..<i1] (m, D) = P[i0..<i1, 0..<i1] · V[0..<i1] (i1, D)
            BLAS.gemm(m: m, n: d, k: i1, a: s + i0 * t, lda: t, b: vh, ldb: kvWidth, transB: false,
                      c: oh + i0 * qWidth, ldc: qWidth)
            i0 = i1
        }
    }
}
