// BLAS: the one place that calls cblas_sgemm.
//
// Every matrix in the engine is row-major, stated here once (CblasRowMajor). Linear layers follow nn.Linear:
// the weight is (out, in) and y = x · Wᵀ, so the weight is passed transposed and never copied.
import COpenBLAS
import Foundation
import Model
import Synchronization

/// Row-major single-precision matrix products through OpenBLAS.
package enum BLAS {
    /// Sets the compute threads for everything after (`--threads`): the engine's lanes and blocks (its products
    /// are single-threaded sgemm spread by the engine), and OpenBLAS's own threads for any other caller.
    package static func setThreads(_ count: Int) {
        Parallel.workers = max(1, count)
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// Runs `body` with OpenBLAS limited to one thread, then restores the count: for callers that spread many
    /// small products over the cores themselves (OpenBLAS's single-threaded path runs in the calling thread and
    /// is safe to enter concurrently). Callers may overlap (tests, nested lanes): the count is restored when the
    /// last one leaves, so no product of an overlapping caller runs on OpenBLAS's threads.
    package static func singleThreaded(_ body: () -> Void) {
        singleThreadedCallers.withLock { state in
            if state.callers == 0 {
                state.threadsBefore = openblas_get_num_threads()
                if state.threadsBefore != 1 { openblas_set_num_threads(1) }
            }
            state.callers += 1
        }
        defer {
            singleThreadedCallers.withLock { state in
                state.callers -= 1
                if state.callers == 0, state.threadsBefore != 1 { openblas_set_num_threads(state.threadsBefore) }
            }
        }
        body()
    }

    /// The callers inside `singleThreaded`, and OpenBLAS's thread count before the first of them entered.
    private static let singleThreadedCallers = Mutex<(callers: Int, threadsBefore: Int32)>((0, 1))

    /// y (M, N) = x (M, K) · wᵀ with w (N, K); with `accumulate`, y += x · wᵀ (the residual add, fused).
    package static func linear(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
        rows m: Int, outputs n: Int, inputs k: Int, accumulate: Bool = false
    ) {
        gemm(m: m, n: n, k: k, a: x, lda: k, b: w, ldb: k, transB: true, c: y, ldc: n, beta: accumulate ? 1 : 0)
    }

    /// The backward of `linear`, same argument order: given dy (M, N) = ∂L/∂y,
    /// dw (N, K) += dyᵀ · x (always accumulated: the caller zeroes it), then dx (M, K) = dy · w, or += with
    /// `accumulate` (several linears reading the same input). A nil `dx` or `dw` skips that gradient.
    package static func linearBackward(
        _ dx: UnsafeMutablePointer<Float>?, _ dw: UnsafeMutablePointer<Float>?,
        _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
        rows m: Int, outputs n: Int, inputs k: Int, accumulate: Bool = false
    ) {
        // dw (N, K) += dy (M, N)ᵀ · x (M, K)
        if let dw {
            gemm(m: n, n: k, k: m, a: dy, lda: n, transA: true, b: x, ldb: k, transB: false, c: dw, ldc: k, beta: 1)
        }
        // dx (M, K) = dy (M, N) · w (N, K)
        if let dx {
            gemm(m: m, n: k, k: n, a: dy, lda: n, b: w, ldb: k, transB: false, c: dx, ldc: k, beta: accumulate ? 1 : 0)
        }
    }

    /// c (M, N) = alpha · op(a) · op(b) + beta · c, with op(a) = aᵀ (a stored (K, M)) when `transA`, else a
    /// stored (M, K); op(b) = bᵀ (b stored (N, K)) when `transB`, else b stored (K, N). Leading dimensions let
    /// callers address one head inside a (T, H·D) buffer.
    package static func gemm(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, transA: Bool = false, b: UnsafePointer<Float>, ldb: Int, transB: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// Token products: every product whose rows are tokens (the linear layers, forward and backward, and the output
/// head) runs as fixed blocks of single-threaded sgemm — each window's T rows cut at multiples of `rowBlock`, the
/// outputs cut at multiples of `columnBlock` — whatever the chunk, lane count or core count.
///
/// Why: OpenBLAS's Haswell and Zen sgemm kernels round the rows of a partial register tile (the last M mod 12 rows
/// of a row-major product) differently from rows of full tiles, and its own threads split the rows at places that
/// depend on the thread count. So a row's bits depend on how many rows share its product and on how many threads
/// ran it. With every product one of these blocks, a token's result depends only on its window's data and its
/// position in the window (issue 11; `README, "Determinism"`). Blocks go over the cores when called outside a lane.
extension BLAS {
    /// Rows per block (a window of T ≤ 512 tokens is one block): large enough for sgemm's rate.
    package static let rowBlock = 512
    /// Output columns per block: lets one window's product fill many cores (the 7B-sized case with one lane).
    package static let columnBlock = 1024
    /// false: each token product is one sgemm over all its rows, on OpenBLAS's threads outside a lane (the engine
    /// before issue 11, whose bits depend on the chunk and core count). Only for bench-forward's comparison.
    package static var tokenBlocks: Bool {
        get { tokenBlocksSetting.load(ordering: .relaxed) }
        set { tokenBlocksSetting.store(newValue, ordering: .relaxed) }
    }
    private static let tokenBlocksSetting = Atomic<Bool>(true)

    /// The row block holding `row` of a pass over windows of `seqlen` rows: blocks are numbered window by window.
    package static func rowBlockIndex(_ row: Int, seqlen t: Int) -> Int {
        let perWindow = (t + rowBlock - 1) / rowBlock
        return row / t * perWindow + row % t / rowBlock
    }

    /// Rows of row block `index` (see `rowBlockIndex`).
    package static func rowBlockRows(_ index: Int, seqlen t: Int) -> Range<Int> {
        let perWindow = (t + rowBlock - 1) / rowBlock
        let start = index / perWindow * t + index % perWindow * rowBlock
        return start..<min(start + rowBlock, index / perWindow * t + t)
    }

    /// c (rows, N) = op(a) (rows, K) · op(b) + beta · c over token rows `rows` of a pass with windows of `seqlen`
    /// rows; `a` and `c` point at row `rows.lowerBound`. op(b) = bᵀ (b stored (N, K)) when `transB`, else b stored
    /// (K, N). `rows` should start and end on block boundaries (whole windows always do); a range that cuts a block
    /// computes that part as a smaller product, with other rounding.
    package static func tokenGemm(
        rows: Range<Int>, seqlen t: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0
    ) {
        guard !rows.isEmpty, n > 0 else { return }
        if !tokenBlocks {
            return gemm(m: rows.count, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, transB: transB, c: c, ldc: ldc, beta: beta)
        }
        let firstBlock = rowBlockIndex(rows.lowerBound, seqlen: t), blocks = rowBlockIndex(rows.upperBound - 1, seqlen: t) + 1 - firstBlock
        let columnBlocks = (n + columnBlock - 1) / columnBlock, units = blocks * columnBlocks
        let unit = { (u: Int) in
            let block = rowBlockRows(firstBlock + u / columnBlocks, seqlen: t).clamped(to: rows)
            let j0 = u % columnBlocks * columnBlock, nj = min(columnBlock, n - j0), i0 = block.lowerBound - rows.lowerBound
            gemm(m: block.count, n: nj, k: k, a: a + i0 * lda, lda: lda, b: b + (transB ? j0 * ldb : j0), ldb: ldb,
                 transB: transB, c: c + i0 * ldc + j0, ldc: ldc, beta: beta)
        }
        let workers = min(units, Parallel.available)
        singleThreaded {
            if workers <= 1 { for u in 0..<units { unit(u) }; return }
            Parallel.perform(workers) { w in
                for u in stride(from: w, to: units, by: workers) { unit(u) }
            }
        }
    }

    /// `linear` over token rows 0..<rows (whole windows of `seqlen`) in the fixed blocks.
    package static func tokenLinear(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
        rows m: Int, seqlen t: Int, outputs n: Int, inputs k: Int, accumulate: Bool = false
    ) {
        tokenGemm(rows: 0..<m, seqlen: t, n: n, k: k, a: x, lda: k, b: w, ldb: k, transB: true, c: y, ldc: n,
                  beta: accumulate ? 1 : 0)
    }

    /// The input gradient of `tokenLinear`, as `linearBackward`'s: dx (M, K) = dy (M, N) · w (N, K), or += with
    /// `accumulate`, in the fixed blocks.
    package static func tokenLinearInputGradient(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
        rows m: Int, seqlen t: Int, outputs n: Int, inputs k: Int, accumulate: Bool = false
    ) {
        tokenGemm(rows: 0..<m, seqlen: t, n: k, k: n, a: dy, lda: n, b: w, ldb: k, transB: false, c: dx, ldc: k,
                  beta: accumulate ? 1 : 0)
    }
}

extension BLAS {
    /// A weight gradient as `linearBackward`'s: dw (N, K) += dy (M, N)ᵀ · x (M, K), single-threaded, in fixed
    /// (`columnBlock`, `columnBlock`) blocks of dw spread over the cores outside a lane. Each entry sums its M rows
    /// in one product whose shape depends only on M, N and K, so it does not depend on the core count. Without
    /// `accumulate`, dw = the product (no zeroing pass first; the same bits as adding it to zeros).
    package static func weightGradient(
        _ dw: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
        rows m: Int, outputs n: Int, inputs k: Int, accumulate: Bool = true
    ) {
        guard m > 0, n > 0, k > 0 else { return }
        let rowBlocks = (n + columnBlock - 1) / columnBlock, columnBlocks = (k + columnBlock - 1) / columnBlock
        let units = rowBlocks * columnBlocks
        let unit = { (u: Int) in
            let o0 = u / columnBlocks * columnBlock, i0 = u % columnBlocks * columnBlock
            gemm(m: min(columnBlock, n - o0), n: min(columnBlock, k - i0), k: m, a: dy + o0, lda: n, transA: true,
                 b: x + i0, ldb: k, transB: false, c: dw + o0 * k + i0, ldc: k, beta: accumulate ? 1 : 0)
        }
        let workers = min(units, Parallel.available)
        singleThreaded {
            if workers <= 1 { for u in 0..<units { unit(u) }; return }
            Parallel.perform(workers) { w in
                for u in stride(from: w, to: units, by: workers) { unit(u) }
            }
        }
    }

    /// Calls `body(rows)` for consecutive ranges covering 0..<rows (whole windows of `seqlen`), each made of whole
    /// row blocks and at most `maxRows` rows (at least one block): for buffers that take token rows a chunk at a
    /// time (logits) without cutting a block.
    package static func blockAlignedChunks(rows: Int, seqlen t: Int, maxRows: Int, _ body: (Range<Int>) -> Void) {
        var start = 0, end = 0, block = 0
        while end < rows {
            let next = rowBlockRows(block, seqlen: t)
            if next.upperBound - start > maxRows, end > start { body(start..<end); start = end }
            end = next.upperBound
            block += 1
        }
        if end > start { body(start..<end) }
    }
}
