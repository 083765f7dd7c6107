import Foundation
import TestSupport
import Testing
@testable import Search
import Shared

/// What `--resume` starts locally: the recorded bundle path and worker count, and `--bundle` checked by identity.
@Suite struct ResumeLaunchTests {
    struct NotABundle: Error, CustomStringConvertible { var description: String { "manifest.json missing" } }

    /// Bundle directories by path → identity; any other path is not a bundle.
    static func identities(_ table: [String: String]) -> (String) throws -> String {
        { path in guard let id = table[path] else { throw NotABundle() }; return id }
    }

    static let recorded = SearchEvent.Launch(bundlePath: "/b/one", spawnWorkers: 2)

    @Test func withoutFlagsTheRecordedBundleAndWorkerCountAreUsed() throws {
        let launch = try ResumeLaunch.choose(identity: "A", recorded: Self.recorded, bundle: nil, spawnWorkers: nil,
                                             identityOf: Self.identities(["/b/one": "A"]))
        #expect(launch == ResumeLaunch(bundlePath: "/b/one", spawnWorkers: 2))
        // --spawn-workers overrides the count, 0 included (workers that dial in; nothing is read then).
        let more = try ResumeLaunch.choose(identity: "A", recorded: Self.recorded, bundle: nil, spawnWorkers: 3,
                                           identityOf: Self.identities(["/b/one": "A"]))
        #expect(more.spawnWorkers == 3 && more.bundlePath == "/b/one")
        let none = try ResumeLaunch.choose(identity: "A", recorded: Self.recorded, bundle: nil, spawnWorkers: 0,
                                           identityOf: Self.identities([:]))
        #expect(none.spawnWorkers == 0)
    }

    @Test func aBundleWithTheJournalsIdentityIsAccepted() throws {
        let launch = try ResumeLaunch.choose(identity: "A", recorded: Self.recorded, bundle: "/moved/here",
                                             spawnWorkers: nil, identityOf: Self.identities(["/moved/here": "A"]))
        #expect(launch == ResumeLaunch(bundlePath: "/moved/here", spawnWorkers: 2))
    }

    @Test func aBundleWithAnotherIdentityIsRefusedNamingBoth() {
        #expect {
            try ResumeLaunch.choose(identity: "aaaa", recorded: Self.recorded, bundle: "/other", spawnWorkers: 1,
                                    identityOf: Self.identities(["/other": "bbbb"]))
        } throws: { error in
            let text = "\(error)"
            return text.contains("--bundle /other has identity bbbb") && text.contains("bundle identity aaaa")
        }
        // Also without spawning: a wrong bundle is a mistake worth saying.
        #expect(throws: ResumeLaunch.Refusal.self) {
            try ResumeLaunch.choose(identity: "aaaa", recorded: Self.recorded, bundle: "/other", spawnWorkers: 0,
                                    identityOf: Self.identities(["/other": "bbbb"]))
        }
        #expect {
            try ResumeLaunch.choose(identity: "aaaa", recorded: Self.recorded, bundle: "/nowhere", spawnWorkers: nil,
                                    identityOf: Self.identities([:]))
        } throws: { "\($0)".contains("--bundle /nowhere is not a readable bundle: manifest.json missing") }
    }

    @Test func anOldJournalWithoutAPathNeedsBundleOnlyToSpawn() throws {
        let old = SearchEvent.Launch()
        let external = try ResumeLaunch.choose(identity: "A", recorded: old, bundle: nil, spawnWorkers: nil,
                                               identityOf: Self.identities([:]))
        #expect(external == ResumeLaunch(bundlePath: nil, spawnWorkers: 0))
        #expect {
            try ResumeLaunch.choose(identity: "A", recorded: old, bundle: nil, spawnWorkers: 2,
                                    identityOf: Self.identities([:]))
        } throws: { "\($0)".contains("--spawn-workers needs --bundle DIR") && "\($0)".contains("bundle A") }
        let given = try ResumeLaunch.choose(identity: "A", recorded: old, bundle: "/b", spawnWorkers: 2,
                                            identityOf: Self.identities(["/b": "A"]))
        #expect(given == ResumeLaunch(bundlePath: "/b", spawnWorkers: 2))
    }

    @Test func aRecordedBundleRecalibratedInPlaceIsRefusedNamingBoth() {
        #expect {
            try ResumeLaunch.choose(identity: "aaaa", recorded: Self.recorded, bundle: nil, spawnWorkers: nil,
                                    identityOf: Self.identities(["/b/one": "cccc"]))
        } throws: { "\($0)".contains("/b/one now has identity cccc") && "\($0)".contains("bundle identity aaaa") }
        #expect {
            try ResumeLaunch.choose(identity: "aaaa", recorded: Self.recorded, bundle: nil, spawnWorkers: nil,
                                    identityOf: Self.identities([:]))
        } throws: { "\($0)".contains("/b/one cannot be read") && "\($0)".contains("--bundle DIR with identity aaaa") }
    }

    // MARK: the journal

    @Test func theJournalRecordsTheLaunchAndARestartUpdatesIt() throws {
        var config = SearchSimulation.config(budget: 10)
        config.bundleIdentity = "A"
        let (machine, output) = SearchMachine.start(config: config, version: "test", now: 1,
                                                    launch: .init(bundlePath: "/b/one", spawnWorkers: 2))
        #expect(machine.state.launch == Self.recorded)
        let journal = try SearchResumeTests.throughJSON(output.events)
        let line = String(decoding: try JSONEncoder().encode(journal[0]), as: UTF8.self)
        #expect(line.contains("\"bundlePath\":\"\\/b\\/one\"") && line.contains("\"spawnWorkers\":2"))

        // A restart that changes only the count keeps the path; one that moves the bundle records the new path.
        let (first, out1) = try SearchMachine.resume(journal: journal, now: 2, launch: .init(spawnWorkers: 1))
        #expect(first.state.launch == .init(bundlePath: "/b/one", spawnWorkers: 1))
        let afterFirst = try SearchResumeTests.throughJSON(journal + out1.events)
        let (second, _) = try SearchMachine.resume(journal: afterFirst, now: 3, launch: .init(bundlePath: "/b/two"))
        #expect(second.state.launch == .init(bundlePath: "/b/two", spawnWorkers: 1))
    }

    @Test func aJournalFromBeforeBundlePathsStillLoads() throws {
        var config = SearchSimulation.config(budget: 10)
        config.bundleIdentity = "A"
        let (_, output) = SearchMachine.start(config: config, version: "test", now: 1)
        // What older coordinators wrote: no bundlePath or spawnWorkers fields, and a bare resumed stamp.
        var lines = try output.events.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        #expect(!lines[0].contains("bundlePath") && !lines[0].contains("spawnWorkers"))
        lines.append("{\"type\":\"resumed\",\"time\":2}")
        let events = try lines.map { try JSONDecoder().decode(SearchEvent.self, from: Data($0.utf8)) }
        let (machine, _) = try SearchMachine.resume(journal: events, now: 3)
        #expect(machine.state.launch == SearchEvent.Launch())
        #expect(machine.state.config.bundleIdentity == "A")
    }

    // MARK: the built coordinator

    /// A journal of a search on placeholder bundle `first`, resumed with `--bundle second` of another identity.
    @Test func theCoordinatorRefusesAResumeWithAnotherBundleNamingBothIdentities() throws {
        let s = try ClusterFlagsTests.scratch(secretMode: 0o600)
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let other = s.dir.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try Data("{\"other\": true}".utf8).write(to: other.appendingPathComponent("manifest.json"))
        let run = s.dir.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        var config = SearchSimulation.config(budget: 10)
        let ours = try BundleIdentity.of(directory: URL(fileURLWithPath: s.bundle))
        let theirs = try BundleIdentity.of(directory: other)
        config.bundleIdentity = ours
        let (_, output) = SearchMachine.start(config: config, version: "test", now: 1,
                                              launch: .init(bundlePath: s.bundle, spawnWorkers: 0))
        let journal = run.appendingPathComponent("events.jsonl")
        try JournalWriter(url: journal).append(output.events)
        let before = try Data(contentsOf: journal)

        let out = try BuiltBinary.run("prunerzero-coordinator", [
            "search", "--resume", "--run-dir", run.path, "--bundle", other.path, "--spawn-workers", "1"])
        #expect(out.status != 0)
        #expect(out.stderr.contains("has identity \(theirs)") && out.stderr.contains("bundle identity \(ours)"),
                "\(out.stderr)")
        #expect(try Data(contentsOf: journal) == before, "a refused resume must not write to the journal")

        // --budget, --seed and --config still belong to the journal.
        let budget = try BuiltBinary.run("prunerzero-coordinator", [
            "search", "--resume", "--run-dir", run.path, "--budget", "5"])
        #expect(budget.status != 0 && budget.stderr.contains("--resume takes its configuration from the journal"))
    }
}
