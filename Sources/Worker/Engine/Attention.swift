// Attention: causal scaled-dot-product attention with grouped-query heads, per window.
//
// Where the CPU has FMA and the head dimension is a multiple of 16 up to 128, one (window, head) is a single C call
// (CKernels' pz_attention_head: tiled over queries and keys with an online softmax, as flash attention, so neither
// a (T, T) score matrix nor a cache-sized K is ever needed and 2048-token windows run at the rate of 256-token
// ones); otherwise it is the sgemm path described next.
//
// For window b and query head h (kv head g = h / (H/K), as transformers' repeat_kv):
//   S (T, T) = Q_bh · K_bgᵀ · D^−0.5,   P = softmax over j ≤ i of S[i, j] (j > i masked),   O_bh = P · V_bg.
// Query rows go in blocks of Tq, each against only the keys it can see, into a (Tq, ≤ T) score block. Both products
// go through sgemm with leading dimensions that address one head inside the (N, H·D) buffers, so nothing is
// transposed or copied.
// The (window, head) pairs are independent: they are spread over the cores, each core running single-threaded
// sgemm on its own score buffer, because these products are too small for OpenBLAS's own threading to pay off.
// Windows never see each other. The scale is multiplied, as transformers 5 does (reference rule 10).
import CKernels
import Dispatch
import Model

/// Causal grouped-query attention over B windows of T tokens.
enum Attention {
    /// Query rows per causal block (Tq): small enough to skip most of the masked triangle, large enough for sgemm.
    static let queryBlock = 64

    /// Tile sizes of the fused kernel other than its own (tests: tiles small enough that short windows span several).
    struct Tiles: Sendable { var queries: Int, keys: Int }

    /// Floats of one score buffer: a (Tq, T) block for the sgemm path, or the fused kernel's scratch (O(T·D)).
    static func scoreFloats(seqlen t: Int, headDim d: Int, tiles: Tiles? = nil) -> Int {
        let fused = tiles.map { pz_attention_scratch_tiled(t, d, $0.queries, $0.keys) } ?? pz_attention_scratch(t, d)
        return max(queryBlock * t, fused)
    }

    /// out (B·T, H·D) = attention(q (B·T, H·D), k (B·T, K·D), v (B·T, K·D)); `scores` holds `scoreBuffers`
    /// buffers of `scoreFloats` each, which bounds how many pairs run at once.
    static func forward(
        _ out: UnsafeMutablePointer<Float>,
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        scores: UnsafeMutablePointer<Float>, scoreBuffers: Int,
        windows: Int, seqlen t: Int, heads: Int, kvHeads: Int, headDim d: Int, tiles: Tiles? = nil
    ) {
        precondition(tiles.map { pz_attention_tiles_valid($0.queries, $0.keys) != 0 } ?? true, "invalid attention tiles")
        let pairs = windows * heads
        let workers = max(1, min(Parallel.available, pairs, scoreBuffers))
        let stride = scoreFloats(seqlen: t, headDim: d, tiles: tiles)
        let run = { (worker: Int) in
            var p = worker
            while p < pairs {
                head(out, q: q, k: k, v: v, scores: scores + worker * stride, window: p / heads, head: p % heads,
                     seqlen: t, heads: heads, kvHeads: kvHeads, headDim: d, tiles: tiles)
                p += workers
            }
        }
        // Single-threaded sgemm even for one worker: OpenBLAS's threads would change the rounding (BLAS.tokenGemm).
        BLAS.singleThreaded { if workers == 1 { run(0) } else { Parallel.perform(workers, run) } }
    }

    /// One (window b, head h): O_bh (T, D) from Q_bh, K_bg, V_bg, with `s` scratch of `scoreFloats`.
    static func head(
        _ out: UnsafeMutablePointer<Float>,
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, scores s: UnsafeMutablePointer<Float>,
        window b: Int, head h: Int, seqlen t: Int, heads: Int, kvHeads: Int, headDim d: Int, tiles: Tiles? = nil
    ) {
        let qWidth = heads * d, kvWidth = kvHeads * d, g = h / (heads / kvHeads)
        let scale = Float(1 / Double(d).squareRoot())
        let qh = q + b * t * qWidth + h * d, kh = k + b * t * kvWidth + g * d, vh = v + b * t * kvWidth + g * d
        let oh = out + b * t * qWidth + h * d
        if pz_attention_supported(d) != 0 {
            if let tiles {
                pz_attention_head_tiled(oh, qh, kh, vh, t, d, qWidth, kvWidth, scale, s, tiles.queries, tiles.keys)
            } else {
                pz_attention_head(oh, qh, kh, vh, t, d, qWidth, kvWidth, scale, s)
            }
            return
        }
        var i0 = 0
        while i0 < t {
            let i1 = min(t, i0 + queryBlock), m = i1 - i0
            // S (m, i1) = scale · Q[i0..<i1] (m, D) · K[0..<i1]ᵀ
            BLAS.gemm(m: m, n: i1, k: d, alpha: scale, a: qh + i0 * qWidth, lda: qWidth, b: kh, ldb: kvWidth,
                      transB: true, c: s, ldc: i1)
            // Row i keeps columns 0...i; columns i+1..<i1 become exact zeros for the next product.
            for i in i0..<i1 { LayerKernels.softmax(s + (i - i0) * i1, count: i + 1, zeroingTo: i1) }
            // O[i0..<i1] (m, D) = P (m, i1) · V[0..<i1] (i1, D)
            BLAS.gemm(m: m, n: d, k: i1, a: s, lda: i1, b: vh, ldb: kvWidth, transB: false,
                      c: oh + i0 * qWidth, ldc: qWidth)
            i0 = i1
        }
    }
}

extension Attention {
    /// The backward of `forward`, same argument order: given dout (B·T, H·D) = ∂L/∂out, writes dq (B·T, H·D),
    /// dk and dv (B·T, K·D) (overwritten). P is recomputed rather than saved (a (T, T) matrix per window and head
    /// would dominate the memory of a long window). Per (window b, head h) with kv head g:
    ///   dV_g += Pᵀ·dO,  dP = dO·V_gᵀ,  dS = P ⊙ (dP − rowsum(P ⊙ dP)),  dQ_h = s·dS·K_g,  dK_g += s·dSᵀ·Q_h.
    /// Query rows go in the forward's blocks of Tq, each against only the keys it sees. Heads sharing a kv head
    /// accumulate into the same dK_g, dV_g, so work is spread over (window, kv head) pairs, each running its H/K
    /// query heads in turn. `scratch` holds `scratchBuffers` buffers of `backwardScratchFloats` each.
    static func backward(
        _ dq: UnsafeMutablePointer<Float>, _ dk: UnsafeMutablePointer<Float>, _ dv: UnsafeMutablePointer<Float>,
        dout: UnsafePointer<Float>,
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, scratchBuffers: Int,
        windows: Int, seqlen t: Int, heads: Int, kvHeads: Int, headDim d: Int
    ) {
        let pairs = windows * kvHeads
        let workers = max(1, min(Parallel.available, pairs, scratchBuffers))
        let run = { (worker: Int) in
            var p = worker
            while p < pairs {
                groupBackward(dq, dk, dv, dout: dout, q: q, k: k, v: v, scratch: scratch + worker * backwardScratchFloats(seqlen: t, headDim: d),
                              window: p / kvHeads, kvHead: p % kvHeads, seqlen: t, heads: heads, kvHeads: kvHeads, headDim: d)
                p += workers
            }
        }
        // Single-threaded sgemm even for one worker: OpenBLAS's threads would change the rounding (BLAS.tokenGemm).
        BLAS.singleThreaded { if workers == 1 { run(0) } else { Parallel.perform(workers, run) } }
    }

    /// Floats of one backward scratch buffer: P and dP → dS of one query block, (Tq, ≤ T) each; at least a forward
    /// score buffer, as the training forward runs in the same scratch.
    static func backwardScratchFloats(seqlen t: Int, headDim d: Int) -> Int {
        max(2 * queryBlock * t, scoreFloats(seqlen: t, headDim: d))
    }

    /// One (window b, kv head g) and its query heads; `scratch` holds P and dP → dS of one query block.
    static func groupBackward(
        _ dq: UnsafeMutablePointer<Float>, _ dk: UnsafeMutablePointer<Float>, _ dv: UnsafeMutablePointer<Float>,
        dout: UnsafePointer<Float>,
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        window b: Int, kvHead g: Int, seqlen t: Int, heads: Int, kvHeads: Int, headDim d: Int
    ) {
        let qWidth = heads * d, kvWidth = kvHeads * d, group = heads / kvHeads
        let scale = Float(1 / Double(d).squareRoot())
        let p = scratch, dp = scratch + queryBlock * t
        let kg = k + b * t * kvWidth + g * d, vg = v + b * t * kvWidth + g * d
        let dkg = dk + b * t * kvWidth + g * d, dvg = dv + b * t * kvWidth + g * d
        for i in 0..<t { (dkg + i * kvWidth).update(repeating: 0, count: d); (dvg + i * kvWidth).update(repeating: 0, count: d) }
        for h in g * group..<(g + 1) * group {
            let qh = q + b * t * qWidth + h * d, doh = dout + b * t * qWidth + h * d, dqh = dq + b * t * qWidth + h * d
            // Query rows in blocks of Tq, as the forward: rows i0..<i1 see keys 0..<i1 only.
            var i0 = 0
            while i0 < t {
                let i1 = min(t, i0 + queryBlock), m = i1 - i0
                // P (m, i1) = softmax over j ≤ i of s · Q_h[i0..<i1] · K_g[0..<i1]ᵀ, as the forward computed it.
                BLAS.gemm(m: m, n: i1, k: d, alpha: scale, a: qh + i0 * qWidth, lda: qWidth, b: kg, ldb: kvWidth,
                          transB: true, c: p, ldc: i1)
                for i in i0..<i1 { LayerKernels.softmax(p + (i - i0) * i1, count: i + 1, zeroingTo: i1) }
                // O = P · V_g:  dV_g[0..<i1] (i1, D) += Pᵀ · dO_h[i0..<i1],  dP (m, i1) = dO_h[i0..<i1] · V_g[0..<i1]ᵀ.
                BLAS.gemm(m: i1, n: d, k: m, a: p, lda: i1, transA: true, b: doh + i0 * qWidth, ldb: qWidth, transB: false,
                          c: dvg, ldc: kvWidth, beta: 1)
                BLAS.gemm(m: m, n: i1, k: d, a: doh + i0 * qWidth, lda: qWidth, b: vg, ldb: kvWidth, transB: true,
                          c: dp, ldc: i1)
                // P = softmax(S) row by row: dS = P ⊙ (dP − ⟨P, dP⟩); masked entries (P = 0) get 0.
                for i in i0..<i1 {
                    let row = dp + (i - i0) * i1
                    LayerKernels.softmaxBackward(row, p + (i - i0) * i1, count: i + 1)
                    (row + i + 1).update(repeating: 0, count: i1 - i - 1)
                }
                // S = s · Q_h · K_gᵀ:  dQ_h[i0..<i1] (m, D) = s · dS · K_g[0..<i1],  dK_g[0..<i1] (i1, D) += s · dSᵀ · Q_h[i0..<i1].
                BLAS.gemm(m: m, n: d, k: i1, alpha: scale, a: dp, lda: i1, b: kg, ldb: kvWidth, transB: false,
                          c: dqh + i0 * qWidth, ldc: qWidth)
                BLAS.gemm(m: i1, n: d, k: m, alpha: scale, a: dp, lda: i1, transA: true, b: qh + i0 * qWidth, ldb: qWidth,
                          transB: false, c: dkg, ldc: kvWidth, beta: 1)
                i0 = i1
            }
        }
    }
}
