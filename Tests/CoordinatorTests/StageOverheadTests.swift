import Foundation
import Testing
@testable import Search
import Shared

/// The per-job overhead: a worker reports the wall time its stages do not cover, the journal keeps each result's
/// stages, and the report sums them over the run (so a resumed run reports the same) and states the overhead's share.
@Suite struct StageOverheadTests {
    @Test func theOverheadIsTheUncoveredWallTimeAndNeverNegative() {
        let stages = [StageTime(name: "evaluation", seconds: 2), StageTime(name: "masks", seconds: 0.5)]
        let with = StageTime.withOverhead(stages, wall: 2.6)
        #expect(with.count == 3 && with.last?.name == StageTime.overheadName)
        #expect(abs(with.last!.seconds - 0.1) < 1e-12)
        // Stage clocks round on their own: a wall time a hair under their sum gives 0, not a negative overhead.
        #expect(StageTime.withOverhead(stages, wall: 2.4999).last?.seconds == 0)
    }

    @Test func theReportSumsStagesAndSurvivesResume() throws {
        var sim = SearchSimulation(config: SearchSimulation.config(budget: 12, population: 4))
        _ = sim.hello("w1")
        var results = 0
        var steps = 0
        while sim.machine.state.phase != .finished, steps < 5_000 {
            steps += 1
            guard case .job(let job) = sim.send(.jobRequest(JobRequest(workerID: "w1"))) else { continue }
            var result = SearchSimulation.result(for: job, worker: "w1")
            result.stageTimes = StageTime.withOverhead([StageTime(name: "evaluation", seconds: 3)], wall: 3.25)
            _ = sim.send(.result(result))
            results += 1
        }
        #expect(sim.machine.state.phase == .finished)
        let report = SearchReport(state: sim.machine.state, now: sim.now)
        #expect(abs((report.stageSeconds["evaluation"] ?? 0) - 3 * Double(results)) < 1e-9)
        #expect(abs((report.stageSeconds[StageTime.overheadName] ?? 0) - 0.25 * Double(results)) < 1e-9)
        // 0.25 s of every 3.25 s.
        #expect(report.markdown.contains("Per-job overhead (outside every stage): "))
        #expect(report.markdown.contains("7.69%"))

        let resumed = try SearchSimulation(resuming: sim.journal, at: sim.now)
        #expect(SearchReport(state: resumed.machine.state, now: sim.now).stageSeconds == report.stageSeconds)
    }
}
