// BLASInfo: what `blas-info` reports (the OpenBLAS kernel and how it was chosen, CPU flags, the self-check, sgemm
// GFLOP/s), and the sgemm timing behind it.
import COpenBLAS
import Foundation

package enum BLASInfo {
    struct Report: Codable {
        var corename: String
        var threads: Int
        var config: String
        var chosenBy: String
        var detail: String
        var cpuFlags: [String: Bool]
        /// The CKernels variant in use: "avx512", "avx2" or "baseline".
        var kernels: String
        var selfCheckPassed: Bool
        var selfCheckWorstRatio: Double
        var sgemmSize: Int
        /// Threads → GFLOP/s.
        var sgemmGFLOPS: [String: Double]
    }
}

/// Times row-major n×n×n sgemm: one warm-up call, then the best of as many calls as fit in half a second (at least
/// three). The best, not the mean, because the machines are shared and a neighbour's burst should not read as a slow
/// kernel.
enum SgemmBenchmark {
    static func gflops(size n: Int) -> Double {
        let a = [Float](repeating: 0.5, count: n * n)   // (n, n)
        let b = [Float](repeating: 0.25, count: n * n)  // (n, n)
        var c = [Float](repeating: 0, count: n * n)     // (n, n)
        func multiply() {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                        1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
        }
        multiply()
        var best = Double.infinity, total = 0.0, calls = 0
        while calls < 3 || total < 0.5 {
            let start = DispatchTime.now().uptimeNanoseconds
            multiply()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            best = min(best, seconds)
            total += seconds
            calls += 1
        }
        return 2 * Double(n) * Double(n) * Double(n) / best / 1e9
    }
}
