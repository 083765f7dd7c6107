import Foundation
import Testing
@testable import Search
import Shared

/// Kill and resume, in memory: the journal written so far (through JSON, as on disk) rebuilds the state.
@Suite struct SearchResumeTests {
    static func throughJSON(_ events: [SearchEvent]) throws -> [SearchEvent] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try events.map { try JSONDecoder().decode(SearchEvent.self, from: try encoder.encode($0)) }
    }

    @Test func everyEventRoundTripsThroughJSONWithItsType() throws {
        var sim = SearchSimulation(config: SearchSimulation.config(budget: 40))
        var order = SeededRandom(seed: 4)
        sim.run(workers: ["w1", "w2"], order: &order)
        #expect(try Self.throughJSON(sim.journal) == sim.journal)
        let types = Set(sim.journal.map(\.type))
        #expect(types.isSuperset(of: ["started", "birth", "dispatch", "result", "worker_joined", "test_phase", "finished"]))
        let line = String(decoding: try JSONEncoder().encode(sim.journal[0]), as: UTF8.self)
        #expect(line.contains("\"type\":\"started\""))
    }

    @Test func killAndResumeLosesAndRedoesNothing() throws {
        var sim = SearchSimulation(config: SearchSimulation.config(budget: 80))
        var order = SeededRandom(seed: 11)
        sim.run(workers: ["w1", "w2", "w3"], stopAfter: 60, order: &order)
        let before = sim.machine.state
        #expect(before.phase == .evolving)
        let inFlight = before.leasedJobs
        #expect(!inFlight.isEmpty)

        // kill -9: only the journal survives.
        var resumed = try SearchSimulation(resuming: try Self.throughJSON(sim.journal), at: sim.now + 30)
        let after = resumed.machine.state
        #expect(after.evaluations == before.evaluations)
        #expect(after.individuals.map(\.formula) == before.individuals.map(\.formula))
        #expect(after.population == before.population)
        #expect(after.best == before.best)
        #expect(after.nextJobID == before.nextJobID)
        // In-flight jobs are re-issued first.
        #expect(Set(after.queue.prefix(inFlight.count)) == inFlight)
        #expect(after.leasedJobs.isEmpty)

        // A worker delivers a result for a job it had before the crash: reconciled (accepted once).
        let oldJob = try #require(inFlight.min())
        let record = try #require(after.jobs[oldJob])
        let job = Job(jobID: oldJob, metricText: record.metricText, request: after.config.request(record.windows),
                      leaseSeconds: 60)
        let holder = try #require(before.workers.first { $0.value.job == oldJob }?.key)
        resumed.send(.result(SearchSimulation.result(for: job, worker: holder, wantsMore: false)))
        #expect(resumed.machine.state.evaluations == before.evaluations + 1)
        #expect(!resumed.machine.state.queue.contains(oldJob))

        var order2 = SeededRandom(seed: 12)
        resumed.run(workers: ["w1", "w2", "w3"], order: &order2)
        #expect(resumed.machine.state.phase == .finished)
        #expect(resumed.machine.state.evaluations == 80)
        #expect(resumed.resultsPerJob.values.allSatisfy { $0 == 1 })
    }

    @Test func resumingAFinishedSearchChangesNothing() throws {
        var sim = SearchSimulation(config: SearchSimulation.config(budget: 30))
        var order = SeededRandom(seed: 6)
        sim.run(workers: ["w1"], order: &order)
        let resumed = try SearchSimulation(resuming: sim.journal, at: sim.now + 1)
        #expect(resumed.machine.state.phase == .finished)
        #expect(resumed.journal.count == sim.journal.count)
    }

    @Test func journalFilesSurviveATornLastLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pz-journal-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("events.jsonl")
        var sim = SearchSimulation(config: SearchSimulation.config(budget: 20))
        var order = SeededRandom(seed: 8)
        sim.run(workers: ["w1"], stopAfter: 15, order: &order)
        try JournalWriter(url: url).append(sim.journal)
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"type\":\"resu".utf8))
        try handle.close()
        let (events, warning) = try JournalReader.read(url: url)
        #expect(events == sim.journal)
        #expect(warning?.contains("incomplete") == true)

        try Data("{\"type\":\"nonsense\"}\n".utf8 + (try Data(contentsOf: url))).write(to: url)
        #expect(throws: JournalError.self) { try JournalReader.read(url: url) }
    }

    @Test func theReportNamesTheBestMetricInTheReferenceFormat() throws {
        var sim = SearchSimulation(config: SearchSimulation.config(budget: 40))
        var order = SeededRandom(seed: 9)
        sim.run(workers: ["w1", "w2"], order: &order)
        let report = SearchReport(state: sim.machine.state, now: sim.now)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pz-report-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try report.write(to: directory)
        let best = try MetricExpression(referenceJSON: Data(contentsOf: directory.appendingPathComponent("best_metric.json")))
        #expect(best.description == report.top[0].formula)
        #expect(report.top[0].testPerplexity != nil)
        #expect(try String(contentsOf: directory.appendingPathComponent("report.md"), encoding: .utf8)
            .contains("| 1 | `\(best)`"))
    }
}
