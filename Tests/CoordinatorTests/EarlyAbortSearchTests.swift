import TestSupport
import Foundation
import Testing
@testable import Search

/// Early termination by depth end to end, with the built binaries and two spawned worker processes on the fixture
/// bundle: the same generational search (seed, population, generations) with and without `--early-abort on` finds
/// the same best metric and the same top five, only the run with it measures divergences (the first generation's
/// too), and a search killed with -9 after its first abort and resumed replays exactly: the same births and the same children stopped at the same depths as the uninterrupted run.
@Suite(.enabled(if: Fixtures.hfLlamaAvailable, "../shared/fixtures/hf-llama is absent"), .serialized)
struct EarlyAbortSearchTests {
    /// The fixture model has 3 blocks; a warm-up of 4 and a margin of 2 stop a few children on it (seed 11).
    static let arguments = ["--budget", "1000", "--seed", "11", "--population", "8", "--mode", "generational",
                            "--generations", "4", "--spawn-workers", "2"]
    static let abort = ["--early-abort", "on", "--abort-warmup", "4", "--abort-margin", "2"]

    static func listen() -> [String] { ["--listen", LoopbackPort.address()] }

    static func search(_ bundle: URL, _ run: URL, _ extra: [String]) throws {
        let outcome = try BuiltBinary.run("prunerzero-coordinator", ["search", "--bundle", bundle.path, "--run-dir", run.path]
                                          + arguments + extra + listen())
        #expect(outcome.status == 0, "\(outcome.stderrTail)")
    }

    static func state(_ run: URL) throws -> SearchState {
        var state = SearchState()
        for event in SpawnedResumeTests.events(run) { try state.apply(event) }
        return state
    }

    static func top5(_ state: SearchState) -> [String] {
        state.rankedPopulation().prefix(5).map { state.individuals[$0].formula }
    }

    @Test func earlyAbortKeepsTheBestAndTopFiveAndResumesExactly() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pz-early-abort-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let bundle = root.appendingPathComponent("bundle")
        try SearchIntegrationTests.calibrate(into: bundle)
        let off = root.appendingPathComponent("off"), on = root.appendingPathComponent("on")
        try Self.search(bundle, off, [])
        try Self.search(bundle, on, Self.abort)
        let a = try Self.state(off), b = try Self.state(on)
        #expect(a.phase == .finished && b.phase == .finished)
        #expect(a.depthAborts == 0)
        #expect(b.depthAborts > 0, "no child was stopped: the comparison shows nothing")
        #expect(a.individuals.map(\.formula) == b.individuals.map(\.formula), "the two runs bred different children")
        #expect(Self.top5(a) == Self.top5(b))
        #expect(a.best.map { a.individuals[$0].formula } == b.best.map { b.individuals[$0].formula })
        for child in b.individuals where child.depthAbort != nil {
            #expect(a.individuals[child.id].full == nil, "\(child.formula) was stopped but is promoted without aborts")
            // The off run measures no divergence to compare with; that a stopped screen's divergences are its
            // whole screen's first ones is `DepthProbeTests`' (the same worker code, one process).
            #expect(child.depthAbort!.divergence.count == child.depthAbort!.blocks)
        }
        // Off, no job asked for the depth probe: no result has a divergence, no worker built the dense states.
        let probeStages: Set = ["dense states (once per worker)", "depth divergence"]
        let offResults = SpawnedResumeTests.results(SpawnedResumeTests.events(off))
        #expect(!offResults.isEmpty && offResults.allSatisfy { $0.divergence == nil })
        #expect(offResults.allSatisfy { Set(($0.stages ?? [:]).keys).isDisjoint(with: probeStages) })
        #expect(a.individuals.allSatisfy { $0.cheapDivergence == nil })
        // On, every screen measured, the initial generation's (the rule's warm-up, before any threshold) included.
        let onResults = SpawnedResumeTests.results(SpawnedResumeTests.events(on))
        #expect(onResults.contains { $0.stages?["dense states (once per worker)"] != nil })
        let initialScreens = b.individuals.filter { $0.generation == 0 && $0.cheap?.value != nil }
        #expect(!initialScreens.isEmpty && initialScreens.allSatisfy { $0.cheapDivergence?.count == 3 },
                "an initial screen was not measured")
        // The report and the log say what happened.
        let report = try String(contentsOf: on.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("cheap screens stopped early by depth: \(b.depthAborts)"))
        let log = try String(contentsOf: on.appendingPathComponent("search.log"), encoding: .utf8)
        #expect(log.contains("aborted by depth after"))

        // Kill -9 right after the first abort is journaled, resume, finish: the same run as uninterrupted.
        let killed = root.appendingPathComponent("killed"), coordinatorLog = root.appendingPathComponent("coordinator.log")
        let first = try SpawnedResumeTests.coordinator(["--bundle", bundle.path, "--run-dir", killed.path]
                                                       + Self.arguments + Self.abort + Self.listen(), log: coordinatorLog)
        let deadline = Date().addingTimeInterval(600)
        while !SpawnedResumeTests.results(SpawnedResumeTests.events(killed)).contains(where: { $0.abortedAfter != nil }) {
            try #require(first.isRunning, "the coordinator finished before its first abort")
            try #require(Date() < deadline, "no abort within 10 minutes")
            Thread.sleep(forTimeInterval: 0.05)
        }
        Foundation.kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        Thread.sleep(forTimeInterval: 1.5)  // spawned workers notice their parent is gone
        let resumedAt = try Self.state(killed)
        #expect(resumedAt.depthAborts >= 1 && resumedAt.phase == .evolving)
        let resumed = try BuiltBinary.run("prunerzero-coordinator", ["search", "--resume", "--run-dir", killed.path])
        #expect(resumed.status == 0, "\(resumed.stderrTail)")
        let c = try Self.state(killed)
        #expect(c.phase == .finished)
        #expect(c.individuals.map(\.formula) == b.individuals.map(\.formula))
        #expect(c.individuals.map { $0.depthAbort?.blocks } == b.individuals.map { $0.depthAbort?.blocks })
        #expect(c.individuals.map(\.depthAbort) == b.individuals.map(\.depthAbort))
        #expect(Self.top5(c) == Self.top5(b))
        let perJob = Dictionary(grouping: SpawnedResumeTests.results(SpawnedResumeTests.events(killed)), by: \.job)
        #expect(perJob.values.allSatisfy { $0.count == 1 }, "a job has two result events")
    }
}
