import ArgumentParser
import CKernels
import COpenBLAS
import Engine
import Foundation

/// `prunerzero-worker blas-info [--json]`: which OpenBLAS kernel runs and why, the CPU flags behind the choice,
/// the sgemm self-check, and sgemm GFLOP/s at 1024³ on 1 and 2 threads, to compare machines and kernels.
struct BLASInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blas-info",
        abstract: "Show the OpenBLAS kernel in use, how it was chosen, and a quick sgemm benchmark.")

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: "Matrix size n of the n×n×n sgemm benchmark (0 skips it).")
    var size = 1024

    func run() throws {
        let report = makeReport()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("corename:   \(report.corename)")
            print("threads:    \(report.threads)")
            print("config:     \(report.config)")
            print("chosen by:  \(report.chosenBy) (\(report.detail))")
            print("kernels:    \(report.kernels) (element-wise and attention; PRUNERZERO_KERNELS=baseline|avx2|avx512 chooses)")
            print("cpu flags:  " + CPUFlags.relevant.map { "\($0)=\(report.cpuFlags[$0]! ? 1 : 0)" }.joined(separator: " "))
            print("self-check: \(report.selfCheckPassed ? "passed" : "FAILED"), worst error "
                  + String(format: "%.3g", report.selfCheckWorstRatio) + "× tolerance")
            for (threads, gflops) in report.sgemmGFLOPS.sorted(by: { $0.key < $1.key }) {
                print("sgemm \(size)³, \(threads) thread(s): " + String(format: "%.1f", gflops) + " GFLOP/s")
            }
        }
    }

    private func makeReport() -> BLASInfo.Report {
        let flags = CPUFlags.current()
        let check = BLASSelfCheck.run()
        let outcome = BLASRuntime.outcome
        var gflops: [String: Double] = [:]
        if size > 0 {
            let saved = openblas_get_num_threads()
            for threads in [1, 2] {
                openblas_set_num_threads(Int32(threads))
                gflops[String(threads)] = SgemmBenchmark.gflops(size: size)
            }
            openblas_set_num_threads(saved)
        }
        return BLASInfo.Report(
            corename: String(cString: openblas_get_corename()),
            threads: Int(openblas_get_num_threads()),
            config: String(cString: openblas_get_config()),
            chosenBy: outcome?.chosenBy ?? "openblas",
            detail: outcome?.detail ?? "start-up selection did not run",
            cpuFlags: Dictionary(uniqueKeysWithValues: CPUFlags.relevant.map { ($0, flags.contains($0)) }),
            kernels: String(cString: pz_kernels_name(pz_kernels_active())),
            selfCheckPassed: check.passed,
            selfCheckWorstRatio: check.worstRatio,
            sgemmSize: size,
            sgemmGFLOPS: gflops)
    }
}
