// `prunerzero-worker determinism-check`: the determinism contract (README, "Determinism") on a small random model,
// under whatever OpenBLAS core type (OPENBLAS_CORETYPE) and kernel variant (PRUNERZERO_KERNELS) this process runs.
//
// Checks, bit for bit, the properties that must hold on every core type: a window's hidden state and the X
// statistics do not depend on the lane count or chunk size; a window's NLL does not depend on which windows share
// its pass; G does not depend on how many windows go through the engine together or on recomputing blocks. Prints
// one JSON object (the failures, and the values tests compare across core types within the stated bound); exit
// status 1 when a property fails. A subprocess per environment because OpenBLAS reads OPENBLAS_CORETYPE only while
// loading. It does not load a checkpoint or touch the network.
import ArgumentParser
import Engine
import Fitness
import Foundation

/// The `determinism-check` subcommand (hidden: for tests and for checking a new machine).
struct DeterminismCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "determinism-check", abstract: "Check the determinism contract on a small random model.",
        shouldDisplay: false)

    @Flag(help: "Run each token product as one sgemm over its chunk, the engine before issue 11 (to see the check fail).")
    var chunkWideSgemm = false

    func run() throws {
        BLAS.tokenBlocks = !chunkWideSgemm
        let report = DeterminismCheck.check()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
        if !report.failures.isEmpty { throw ExitCode(1) }
    }
}
