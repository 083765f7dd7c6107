import TestSupport
import Foundation
import Testing
@testable import Search

/// `deploy/slurm/prunerzero.sbatch` on a real Slurm, driven by `Tests/Integration/slurm.sh`: munged, slurmctld and
/// three slurmd (Debian's 22.05), each slurmd its own node in its own network namespace. One job runs a search to
/// completion; a second is scancel'ed mid-search and submitted again, and resumes from its journal. The script
/// also runs `systemd-analyze verify` on the systemd units. This test checks the journals the script leaves.
///
/// Needs root, `ip netns` and `../shared` (the small model); the script installs Slurm and munge when missing.
/// Skips saying which is missing, or cancels when Slurm cannot be installed.
/// By hand: `sudo Tests/Integration/slurm.sh .build/debug ../shared/fixtures/hf-llama/sharded /tmp/pz-slurm`.
@Suite struct SlurmTests {
    static let script = MultiHostTests.packageRoot.appendingPathComponent("Tests/Integration/slurm.sh")

    /// Why the test cannot run here (root, `ip netns`, the model: as the multi-host test), or nil; Slurm itself is
    /// checked, and installed, when the test runs.
    static var skipReason: String? { MultiHostTests.skipReason }

    @Test(.enabled(if: skipReason == nil, Comment(rawValue: skipReason ?? "")), .timeLimit(.minutes(10)))
    func aSearchAsASlurmJobFinishesAndResumesAfterScancel() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("pz-slurm-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let checkLog = work.appendingPathComponent("check.log")
        // Installs slurmctld, slurmd, slurm-client and munge when missing; 77 and a reason when it cannot.
        if MultiHostTests.run("/bin/bash", [Self.script.path, "--check"], log: checkLog) != 0 {
            let why = ((try? String(contentsOf: checkLog, encoding: .utf8)) ?? "")
                .split(separator: "\n").last { $0.hasPrefix("SKIP: ") }.map { String($0.dropFirst(6)) }
            try Test.cancel(Comment(rawValue: why ?? "slurm.sh --check failed"))
        }
        let log = work.appendingPathComponent("slurm.log")
        let status = MultiHostTests.run("/bin/bash", [Self.script.path, BuiltBinary.directory.path,
                                                      MultiHostTests.model.path, work.path], log: log)
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        print(output)
        try #require(status == 0, "slurm.sh failed (\(status)):\n\(output)")
        #expect(output.contains("systemd-analyze verify: both units clean") || output.contains("systemd-analyze is missing"))

        // Run 1: finished, evaluations = budget, each job answered at most once, a worker on every node.
        let first = try JournalReader.read(url: work.appendingPathComponent("run1/run/events.jsonl")).events
        try MultiHostTests.checkCounts(first)
        let joined = Set(first.compactMap { if case .workerJoined(let w) = $0 { w.worker.prefix(4) } else { nil } })
        #expect(joined == ["pzn1", "pzn2", "pzn3"])

        // Run 2: one start, one resume, the results before scancel kept, the budget met once over both jobs.
        let second = try JournalReader.read(url: work.appendingPathComponent("run2/run/events.jsonl")).events
        try MultiHostTests.checkCounts(second)
        #expect(second.filter { if case .started = $0 { true } else { false } }.count == 1)
        #expect(second.filter { if case .resumed = $0 { true } else { false } }.count == 1)
        let cancel = try String(contentsOf: work.appendingPathComponent("run2/cancel.txt"), encoding: .utf8)
            .split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        try #require(cancel.count == 3)
        let before = Int(cancel[0]) ?? -1, firstJob = cancel[1], secondJob = cancel[2]
        let results = MultiHostTests.results(second).filter { $0.windows != "test" }
        #expect(results.filter { $0.worker.hasSuffix("-\(firstJob)") }.count == before)
        #expect(results.filter { $0.worker.hasSuffix("-\(secondJob)") }.count == results.count - before,
                "every evaluation after the resume comes from the second job's workers")
    }
}
