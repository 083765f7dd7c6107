import CKernels
import Foundation
import Testing
import TestSupport
@testable import Engine

/// `prunerzero-worker blas-info` run as a child process of the built binary, with controlled environments.
@Suite struct BLASInfoCommandTests {
    /// The worker binary next to the test bundle, if `swift test` built it.
    static let worker: URL? = {
        let binary = BuiltBinary.directory.appendingPathComponent("prunerzero-worker")
        return FileManager.default.isExecutableFile(atPath: binary.path) ? binary : nil
    }()

    struct Run {
        let status: Int32
        let report: BLASInfo.Report?
        let stderr: String
    }

    /// Runs `blas-info --json --size 0` with this process's environment minus the BLAS and kernel variables,
    /// plus `extra`.
    static func run(_ extra: [String: String]) throws -> Run {
        var environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("OPENBLAS_") && !$0.key.hasPrefix("PRUNERZERO_BLAS") && $0.key != "PRUNERZERO_KERNELS"
        }
        environment.merge(extra) { $1 }
        let outcome = try BuiltBinary.run("prunerzero-worker", ["blas-info", "--json", "--size", "0"],
                                          environment: environment)
        return Run(status: outcome.status,
                   report: try? JSONDecoder().decode(BLASInfo.Report.self, from: Data(outcome.stdout.utf8)),
                   stderr: outcome.stderr)
    }

    @Test(.enabled(if: worker != nil, "prunerzero-worker is not built next to the test bundle"))
    func userCoretypeIsKept() throws {
        let run = try Self.run(["OPENBLAS_CORETYPE": "Haswell"])
        #expect(run.status == 0)
        let report = try #require(run.report, "stderr: \(run.stderr)")
        #expect(report.corename == "Haswell" && report.chosenBy == "environment")
        #expect(report.selfCheckPassed)
        #expect(run.stderr == "prunerzero-worker: OpenBLAS kernel Haswell, \(report.threads) threads, "
                + "chosen by environment (OPENBLAS_CORETYPE=Haswell)\n")
    }

    @Test(.enabled(if: worker != nil, "prunerzero-worker is not built next to the test bundle"))
    func switchedOffKeepsOpenBLASDefault() throws {
        let run = try Self.run(["PRUNERZERO_BLAS_SELECT": "0"])
        let report = try #require(run.report, "stderr: \(run.stderr)")
        #expect(report.chosenBy == "openblas" && report.detail.contains("PRUNERZERO_BLAS_SELECT=0"))
    }

    /// The re-exec path, made to run on any AVX2 machine by pretending OpenBLAS picked Prescott.
    @Test(.enabled(if: worker != nil && BLASKernelChoice.bestCoretype(flags: CPUFlags.current()) != nil,
                   "needs the built worker and an AVX2 CPU"))
    func reexecSelectsTheBestKernel() throws {
        let run = try Self.run(["PRUNERZERO_BLAS_PRETEND_CORENAME": "Prescott"])
        let report = try #require(run.report, "stderr: \(run.stderr)")
        let best = try #require(BLASKernelChoice.bestCoretype(flags: CPUFlags.current()))
        #expect(report.chosenBy == "prunerzero")
        // OpenBLAS itself downgrades a family the CPU lacks (Cooperlake without BF16 runs SkylakeX).
        #expect(BLASKernelChoice.rank(of: report.corename) == BLASKernelChoice.rank(of: best))
        #expect(run.stderr.split(separator: "\n").count == 1)  // one log line, from the re-executed process
        #expect(run.stderr.contains("OpenBLAS's default was Prescott; self-check passed"))
    }

    /// The CKernels variant: the widest this CPU runs, unless PRUNERZERO_KERNELS names a supported one.
    @Test(.enabled(if: worker != nil, "prunerzero-worker is not built next to the test bundle"))
    func kernelVariantFollowsTheCPUOrTheEnvironment() throws {
        let widest = String(cString: pz_kernels_name(pz_kernels_active()))
        let chosen = try #require(Self.run([:]).report)
        #expect(chosen.kernels == widest)
        let baseline = try #require(Self.run(["PRUNERZERO_KERNELS": "baseline"]).report)
        #expect(baseline.kernels == "baseline")
        let unknown = try #require(Self.run(["PRUNERZERO_KERNELS": "sse9"]).report)
        #expect(unknown.kernels == widest)
    }
}
