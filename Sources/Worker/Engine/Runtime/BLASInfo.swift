// BLASInfo: what `blas-info` reports (the OpenBLAS kernel and how it was chosen, CPU flags, the self-check, sgemm
// GFLOP/s), and the sgemm timing behind it.
import COpenBLAS
import Foundation

package enum BLASInfo {
    package struct Report: Codable {
        package var corename: String
        package var threads: Int
        package var config: String
        package var chosenBy: String
        package var detail: String
        package var cpuFlags: [String: Bool]
        /// The CKernels variant in use: "avx512", "avx2" or "baseline".
        package var kernels: String
        package var selfCheckPassed: Bool
        package var selfCheckWorstRatio: Double
        package var sgemmSize: Int
        /// Threads → GFLOP/s.
        package var sgemmGFLOPS: [String: Double]

        /// Memberwise, for the other worker modules (Swift's implicit one is internal).
        package init(corename: String, threads: Int, config: String, chosenBy: String, detail: String, cpuFlags: [String: Bool], kernels: String, selfCheckPassed: Bool, selfCheckWorstRatio: Double, sgemmSize: Int, sgemmGFLOPS: [String: Double]) {
            self.corename = corename
            self.threads = threads
            self.config = config
            self.chosenBy = chosenBy
            self.detail = detail
            self.cpuFlags = cpuFlags
            self.kernels = kernels
            self.selfCheckPassed = selfCheckPassed
            self.selfCheckWorstRatio = selfCheckWorstRatio
            self.sgemmSize = sgemmSize
            self.sgemmGFLOPS = sgemmGFLOPS
        }
    }
}

/// Times row-major n×n×n sgemm: one warm-up call, then the best of as many calls as fit in half a second (at least
/// three). The best, not the mean, because the machines are shared and a neighbour's burst should not read as a slow
/// kernel.
package enum SgemmBenchmark {
    package static func gflops(size n: Int) -> Double {
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
