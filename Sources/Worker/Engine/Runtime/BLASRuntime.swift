import COpenBLAS
import Foundation
import Synchronization

/// Start-up kernel selection for OpenBLAS: picks the fastest kernel family this CPU supports when OpenBLAS's own
/// detection falls short, by re-executing the worker with `OPENBLAS_CORETYPE` set (OpenBLAS reads it only while
/// loading), checks the chosen kernel, and logs one line on stderr saying what runs and who chose it.
///
/// Off switch: `PRUNERZERO_BLAS_SELECT=0` in the environment (a root-level flag would have to be parsed before
/// ArgumentParser runs). An `OPENBLAS_CORETYPE` already in the environment is never changed.
/// `PRUNERZERO_BLAS_PRETEND_CORENAME=Prescott` makes the decision believe OpenBLAS picked that family, so the
/// re-exec path can be exercised (and tested) on machines where OpenBLAS already picks the best kernel.
package enum BLASRuntime {
    /// How the running kernel came to be; recorded for `blas-info`.
    package struct Outcome: Sendable {
        package let corename: String
        package let threads: Int
        /// "prunerzero", "environment" or "openblas".
        package let chosenBy: String
        package let detail: String
        package let selfCheck: BLASSelfCheck.Result?

        package var logLine: String {
            "prunerzero-worker: OpenBLAS kernel \(corename), \(threads) threads, chosen by \(chosenBy) (\(detail))"
        }
    }

    /// Set by `selectFastestKernel()`; nil when the worker's code runs without it (tests).
    package static var outcome: Outcome? { recorded.withLock { $0 } }
    private static let recorded = Mutex<Outcome?>(nil)

    /// Call first thing in `main`. Either returns (the kernel is settled and logged) or replaces the process.
    package static func selectFastestKernel() {
        let environment = ProcessInfo.processInfo.environment
        let flags = CPUFlags.current()
        let corename = String(cString: openblas_get_corename())
        let seen = environment[BLASKernelChoice.Env.pretendCorename] ?? corename
        switch BLASKernelChoice.decide(flags: flags, corename: seen, environment: environment) {
        case .reexec(let coretype, let defaultCorename):
            setenv(BLASKernelChoice.Env.coretype, coretype, 1)
            setenv(BLASKernelChoice.Env.marker, "selected", 1)
            setenv(BLASKernelChoice.Env.defaultCorename, defaultCorename, 1)
            reexec()  // returns only if exec failed
            unsetenv(BLASKernelChoice.Env.coretype)
            unsetenv(BLASKernelChoice.Env.marker)
            record(corename, "openblas", "re-exec with OPENBLAS_CORETYPE=\(coretype) failed: errno \(errno)", nil)
        case .verify(let coretype):
            let check = BLASSelfCheck.run()
            let defaultCorename = environment[BLASKernelChoice.Env.defaultCorename] ?? "?"
            if check.passed {
                let why = "CPU supports \(coretype), OpenBLAS's default was \(defaultCorename); self-check passed"
                record(corename, "prunerzero", why, check)
                return
            }
            logLine("prunerzero-worker: OpenBLAS kernel \(coretype) failed its sgemm self-check (worst case "
                    + "\(check.worstCase): error \(check.worstRatio)× the tolerance); restarting with "
                    + "OpenBLAS's default \(defaultCorename)")
            unsetenv(BLASKernelChoice.Env.coretype)
            setenv(BLASKernelChoice.Env.marker, "fallback:\(coretype)", 1)
            reexec()
            record(corename, "prunerzero", "self-check failed and re-exec failed: errno \(errno); results suspect", check)
        case .keep(let reason):
            let (by, why) = describe(reason)
            record(corename, by, why, nil)
        }
    }

    private static func describe(_ reason: BLASKernelChoice.KeepReason) -> (String, String) {
        switch reason {
        case .disabled: return ("openblas", "selection off: PRUNERZERO_BLAS_SELECT=0")
        case .environment(let value): return ("environment", "OPENBLAS_CORETYPE=\(value)")
        case .fallback(let rejected): return ("openblas", "\(rejected) failed the sgemm self-check")
        case .alreadyBest: return ("openblas", "best family this CPU supports")
        case .unknownCorename(let name): return ("openblas", "corename \(name) not ranked; left as is")
        }
    }

    private static func record(_ corename: String, _ by: String, _ detail: String, _ check: BLASSelfCheck.Result?) {
        let result = Outcome(corename: corename, threads: Int(openblas_get_num_threads()), chosenBy: by,
                             detail: detail, selfCheck: check)
        recorded.withLock { $0 = result }
        logLine(result.logLine)
    }

    private static func logLine(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Replaces this process with a fresh copy of itself, same arguments, current environment.
    private static func reexec() {
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
