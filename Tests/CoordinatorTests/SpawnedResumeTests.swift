import TestSupport
import Foundation
import Testing
@testable import Search

/// `--resume` of a search that spawned its own workers, with the built binaries: started with `--bundle` and
/// `--spawn-workers 2`, killed with -9, resumed with `--resume --run-dir` alone (the journal's path and worker
/// count), killed again, resumed with `--resume --spawn-workers 1` (no `--bundle`), and run to the end: every
/// evaluation counted once, the budget exactly spent.
@Suite(.enabled(if: Fixtures.hfLlamaAvailable, "../shared/fixtures/hf-llama is absent"), .serialized)
struct SpawnedResumeTests {
    static let budget = 12

    /// The journal's events so far (a torn last line is skipped, as `--resume` does).
    static func events(_ run: URL) -> [SearchEvent] {
        (try? JournalReader.read(url: run.appendingPathComponent("events.jsonl")).events) ?? []
    }

    static func results(_ events: [SearchEvent]) -> [SearchEvent.ResultRecord] {
        events.compactMap { if case .result(let r) = $0 { r } else { nil } }
    }

    /// Starts the coordinator in the background, its output appended to `log`.
    static func coordinator(_ arguments: [String], log: URL) throws -> Process {
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let sink = try FileHandle(forWritingTo: log)
        try sink.seekToEnd()
        let process = Process()
        process.executableURL = BuiltBinary.directory.appendingPathComponent("prunerzero-coordinator")
        process.arguments = ["search"] + arguments
        process.standardOutput = sink
        process.standardError = sink
        try process.run()
        return process
    }

    /// Results in the journal other than test ones.
    static func evolutionResults(_ run: URL) -> Int { results(events(run)).filter { $0.windows != "test" }.count }

    /// Waits until the journal holds `count` non-test results, then kills the coordinator with -9.
    static func kill(_ process: Process, after count: Int, run: URL) throws {
        let deadline = Date().addingTimeInterval(600)
        while evolutionResults(run) < count {
            try #require(process.isRunning, "the coordinator exited before \(count) results")
            try #require(Date() < deadline, "no \(count) results within 10 minutes")
            Thread.sleep(forTimeInterval: 0.2)
        }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        Thread.sleep(forTimeInterval: 1.5)  // spawned workers notice their parent is gone within a second
    }

    @Test func aSpawnedWorkerSearchResumesWithoutBundleAndLosesNothing() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pz-spawn-resume-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let bundle = root.appendingPathComponent("bundle"), run = root.appendingPathComponent("run")
        let log = root.appendingPathComponent("coordinator.log")
        try SearchIntegrationTests.calibrate(into: bundle)
        let listen = LoopbackPort.address()

        let first = try Self.coordinator([
            "--bundle", bundle.path, "--run-dir", run.path, "--budget", "\(Self.budget)", "--seed", "5",
            "--population", "6", "--spawn-workers", "2", "--listen", listen], log: log)
        try Self.kill(first, after: 3, run: run)
        guard case .started(let started)? = Self.events(run).first else { Issue.record("no started event"); return }
        #expect(started.bundlePath == bundle.standardizedFileURL.path && started.spawnWorkers == 2)
        let beforeFirstResume = Self.events(run).count

        // The README's line: the journal says where the bundle is and how many workers to start.
        // Counted from what the first run left (a few results may land between the poll and the kill), so the
        // second is never killed before it has resumed and its workers joined.
        let second = try Self.coordinator(["--resume", "--run-dir", run.path], log: log)
        let left = Self.evolutionResults(run)
        try Self.kill(second, after: min(left + 3, Self.budget - 1), run: run)
        let afterSecond = Self.events(run)
        let rejoined = afterSecond[beforeFirstResume...].compactMap { if case .workerJoined(let w) = $0 { w } else { nil } }
        #expect(rejoined.count == 2, "the plain --resume did not spawn the recorded 2 workers")

        let third = try BuiltBinary.run("prunerzero-coordinator", [
            "search", "--resume", "--run-dir", run.path, "--spawn-workers", "1"])
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(third.status == 0, "\(third.stderrTail)\n\(output.suffix(2000))")

        let events = Self.events(run)
        let resumes = events.compactMap { if case .resumed(let r) = $0 { r } else { nil } }
        #expect(resumes.count == 2)
        #expect(resumes.last?.spawnWorkers == 1 && resumes.last?.bundlePath == nil)
        #expect(events.contains { if case .finished = $0 { true } else { false } })
        let results = Self.results(events)
        let perJob = Dictionary(grouping: results, by: \.job)
        #expect(perJob.values.allSatisfy { $0.count == 1 }, "a job has two result events")
        #expect(results.filter { $0.windows != "test" }.count == Self.budget, "evaluations lost or over budget")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("report.json")))
            as? [String: Any]
        #expect(report?["evaluations"] as? Int == Self.budget)
    }
}
