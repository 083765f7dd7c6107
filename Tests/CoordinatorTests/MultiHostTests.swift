import TestSupport
import Foundation
import Testing
@testable import Search

/// A search across three network namespaces joined by veth pairs (coordinator in one, a worker in each of two
/// others, tcp:// with the cluster secret), driven by `Tests/Integration/multihost.sh`; then one worker's link is
/// cut mid-job and restored. This test checks the journals the script leaves: the searches finish, every
/// evaluation is counted once, the cut job was re-leased, and the cut worker came back.
///
/// Needs root, iproute2 with `ip netns`, and `../shared` (the small model); skips saying which is missing.
/// By hand: `sudo Tests/Integration/multihost.sh .build/debug ../shared/fixtures/hf-llama/sharded /tmp/pz-multihost`.
@Suite struct MultiHostTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let model = packageRoot.appendingPathComponent("../shared/fixtures/hf-llama/sharded").standardizedFileURL
    static let script = packageRoot.appendingPathComponent("Tests/Integration/multihost.sh")

    /// Why the test cannot run here, or nil.
    static let skipReason: String? = {
        if getuid() != 0 { return "network namespaces need root (CI runs as root)" }
        if !FileManager.default.fileExists(atPath: model.path) { return "../shared/fixtures/hf-llama/sharded is absent" }
        let probe = "pzprobe-\(getpid())"
        guard run("/usr/bin/env", ["ip", "netns", "add", probe]) == 0 else {
            return "`ip netns` is unavailable (install iproute2; a container needs CAP_SYS_ADMIN)"
        }
        _ = run("/usr/bin/env", ["ip", "netns", "del", probe])
        return nil
    }()

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], log: URL? = nil) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let sink = log.flatMap { url -> FileHandle? in
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
            return try? FileHandle(forWritingTo: url)
        }
        process.standardOutput = sink ?? FileHandle.nullDevice
        process.standardError = sink ?? FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test(.enabled(if: skipReason == nil, Comment(rawValue: skipReason ?? "")))
    func aSearchAcrossNamespacesSurvivesALinkCut() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("pz-multihost-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let log = work.appendingPathComponent("multihost.log")
        let status = Self.run("/bin/bash", [Self.script.path, BuiltBinary.directory.path, Self.model.path, work.path],
                              log: log)
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        print(output)
        try #require(status == 0, "multihost.sh failed (\(status)):\n\(output)")

        // Scenario 1: finished, each job answered at most once, evaluations = budget, both hosts took part.
        let first = try JournalReader.read(url: work.appendingPathComponent("scenario1/run/events.jsonl")).events
        try Self.checkCounts(first)
        #expect(Set(Self.results(first).map(\.worker)).isSuperset(of: ["w1", "w2"]))

        // Scenario 2: the cut job's lease lapsed, it was dispatched again, answered once; w1 delivered afterwards.
        let second = try JournalReader.read(url: work.appendingPathComponent("scenario2/run/events.jsonl")).events
        try Self.checkCounts(second)
        let cut = try String(contentsOf: work.appendingPathComponent("scenario2/cut.txt"), encoding: .utf8)
            .split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(cut.count == 3)
        let job = UInt64(cut[0]), restored = cut[2]
        let lapsed = second.contains { if case .leaseExpired(let e) = $0 { e.job == job && e.worker == "w1" } else { false } }
        #expect(lapsed, "job \(job)'s lease did not lapse while w1 was cut off")
        let attempts = second.compactMap { if case .dispatch(let d) = $0, d.job == job { d } else { nil } }
        #expect(attempts.count >= 2 && attempts.last?.attempt ?? 0 >= 2, "job \(job) was not re-leased")
        #expect(Self.results(second).filter { $0.job == job }.count == 1)
        #expect(Self.results(second).contains { $0.worker == "w1" && $0.time > restored },
                "w1 delivered nothing after its link came back")
    }

    static func results(_ events: [SearchEvent]) -> [SearchEvent.ResultRecord] {
        events.compactMap { if case .result(let r) = $0 { r } else { nil } }
    }

    static func checkCounts(_ events: [SearchEvent]) throws {
        guard case .started(let started)? = events.first else { Issue.record("no started event"); return }
        #expect(events.contains { if case .finished = $0 { true } else { false } })
        let results = Self.results(events)
        let perJob = Dictionary(grouping: results, by: \.job)
        #expect(perJob.values.allSatisfy { $0.count == 1 }, "a job has two result events")
        #expect(results.filter { $0.windows != "test" }.count == started.config.budgetEvaluations)
    }
}
