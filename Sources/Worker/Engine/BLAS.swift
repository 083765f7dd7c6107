// BLAS: the one place that calls cblas_sgemm.
//
// Every matrix in the engine is row-major, stated here once (CblasRowMajor). Linear layers follow nn.Linear:
// the weight is (out, in) and y = x · Wᵀ, so the weight is passed transposed and never copied.
import COpenBLAS

/// Row-major single-precision matrix products through OpenBLAS.
enum BLAS {
    /// Sets OpenBLAS's thread count for everything after (`--threads`).
    static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }

    /// Runs `body` with OpenBLAS limited to one thread, then restores the count: for callers that spread many
    /// small products over the cores themselves (OpenBLAS's single-threaded path runs in the calling thread and
    /// is safe to enter concurrently).
    static func singleThreaded(_ body: () -> Void) {
        let threads = openblas_get_num_threads()
        if threads == 1 { body(); return }
        openblas_set_num_threads(1)
        body()
        openblas_set_num_threads(threads)
    }

    /// y (M, N) = x (M, K) · wᵀ with w (N, K); with `accumulate`, y += x · wᵀ (the residual add, fused).
    static func linear(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
        rows m: Int, outputs n: Int, inputs k: Int, accumulate: Bool = false
    ) {
        gemm(m: m, n: n, k: k, a: x, lda: k, b: w, ldb: k, transB: true, c: y, ldc: n, beta: accumulate ? 1 : 0)
    }

    /// The backward of `linear`, same argument order: given dy (M, N) = ∂L/∂y,
    /// dw (N, K) += dyᵀ · x (always accumulated: the caller zeroes it), then dx (M, K) = dy · w, or += with
    /// `accumulate` (several linears reading the same input). A nil `dx` or `dw` skips that gradient.
    static func linearBackward(
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
    static func gemm(
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
