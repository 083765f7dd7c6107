import Foundation
import Testing
@testable import Search
import Shared

/// Racing promoted children (`RaceSettings`, `SearchState.race(for:)`): which full jobs carry a race and against
/// whom, what a raced-out child records, and that a resumed search replays the same races.
///
/// The simulated worker gives every window a loss: the metric's ln perplexity plus a difficulty shared by all
/// metrics (so the mean over the full windows is the synthetic full fitness, and pairing cancels the difficulty).
/// It honours a race by the worker's rule in its simplest form: a child whose fitness is more than 3% above the
/// rival's stops at the first checkpoint with the paired estimate.
@Suite struct RaceRuleTests {
    static let cheapWindows = 2, fullWindows = 8

    static func difficulty(_ window: Int) -> Double { [0.3, -0.2, 0.1, -0.4, 0.25, 0.05, -0.15, 0.05][window] }

    static func losses(_ perplexity: Double, windows: Range<Int>) -> [Double] {
        windows.map { log(perplexity) + difficulty($0) }
    }

    static func result(for job: Job, worker: String) -> JobResult {
        var result = SearchSimulation.result(for: job, worker: worker)
        guard result.status == .ok, job.request.method == .metric else { return result }
        var asFull = job
        asFull.request = job.request.on(.full)
        let full = SearchSimulation.syntheticPerplexity(asFull)!
        switch job.request.windows {
        case .cheap: result.windowLoss = losses(full, windows: 0..<cheapWindows)
        case .full:
            let first = job.screenPerplexity == nil ? 0 : cheapWindows
            result.windowLoss = losses(full, windows: first..<fullWindows)
            if let race = job.race {
                let rival = exp(race.rivalLoss.reduce(0, +) / Double(race.rivalLoss.count))
                if full > rival * 1.03 {
                    let seen = race.checkpoints[0]
                    result.status = .raced(windows: seen)
                    result.windowLoss = losses(full, windows: cheapWindows..<seen)
                    let child = race.screenLoss + result.windowLoss
                    let d = zip(child, race.rivalLoss).map { $0 - $1 }.reduce(0, +) / Double(seen)
                    result.perplexity = rival * exp(d)
                }
            }
        default: break
        }
        return result
    }

    static func config(race: RaceSettings?, xMode: XMode = .static) -> SearchConfig {
        var config = DepthAbortRuleTests.config(abort: nil, population: 10, generations: 6)
        config.xMode = xMode
        config.race = race
        config.screenWindows = cheapWindows
        return config
    }

    @discardableResult
    static func run(_ sim: inout SearchSimulation, stopWhen: (SearchState) -> Bool = { _ in false },
                    seed: UInt64 = 5) -> [Job] {
        DepthAbortRuleTests.run(&sim, stopWhen: stopWhen, seed: seed, worker: result)
    }

    /// Only a promoted child's full job races (a metric's, with its screen reused); against the last of the top
    /// `rank` with per-window losses, all of the full windows; with the child's own screen losses, the usable
    /// checkpoints, and the tie width plus the setting's margin.
    @Test func onlyPromotedChildrenRaceAndAgainstTheTopRank() throws {
        let settings = RaceSettings(z: 2, checkpoints: [1, 2, 4, 6, 8, 9], rank: 1, margin: 0.01)
        var sim = SearchSimulation(config: Self.config(race: settings))
        let jobs = Self.run(&sim)
        let state = sim.machine.state
        let raced = jobs.filter { $0.race != nil }
        #expect(raced.count >= 3, "only \(raced.count) races: the test shows little")
        for job in jobs {
            let record = try #require(state.jobs[job.jobID])
            guard let race = job.race else { continue }
            #expect(record.windows == .full && record.method == .metric && job.screenPerplexity != nil)
            #expect(race.rivalLoss.count == Self.fullWindows)
            #expect(race.screenLoss == state.individuals[record.individual].cheapLoss)
            #expect(race.checkpoints == [4, 6], "\(race.checkpoints)")
            #expect(race.margin == state.equivalence.bound + 0.01 && race.z == 2)
            // The rival is one of the population's members with a full per-window record.
            #expect(state.individuals.contains { $0.fullLoss == race.rivalLoss })
        }
        #expect(state.races > 0, "no child was raced out: the test shows less")
        #expect(state.raceWindows == state.races * 4)
        for individual in state.individuals where individual.race != nil {
            #expect(individual.full?.value == individual.race?.estimate && individual.fullLoss == nil)
        }
        // A raced-out child's estimate is above its rival's fitness beyond the margin: never among the top rank.
        let top = state.rankedPopulation().prefix(settings.rank)
        #expect(top.allSatisfy { state.individuals[$0].race == nil })
        // A raced child is never one that placed within the rank on arrival; every child's full job is counted.
        #expect(state.childFullEvaluations >= state.childFullWithinRank + state.races && state.childFullWithinRank > 0)
        let children = state.individuals.filter { $0.generation > 0 && ($0.race != nil || $0.fullLoss != nil) }
        #expect(state.childFullEvaluations >= children.count)
    }

    @Test func noRaceWithoutTheSettingOrWithSequentialX() throws {
        var off = SearchSimulation(config: Self.config(race: nil))
        #expect(Self.run(&off).allSatisfy { $0.race == nil })
        #expect(off.machine.state.races == 0)
        // Without racing the report still says how many children's full jobs no race could have stopped.
        #expect(off.machine.state.childFullEvaluations > 0)
        #expect(off.machine.state.childFullWithinRank <= off.machine.state.childFullEvaluations)
        #expect(off.machine.state.individuals.contains { ($0.fullLoss?.count ?? 0) == Self.fullWindows },
                "per-window losses are recorded whether or not races are run")
        // The configuration refuses it; a journal that has it anyway sends none.
        var config = Self.config(race: RaceSettings(), xMode: .sequential)
        #expect(config.problems().contains { $0.contains("static X") })
        var sequential = SearchSimulation(config: config)
        #expect(Self.run(&sequential).allSatisfy { $0.race == nil })
        config.xMode = .static
        config.screenReuse = false
        #expect(config.problems().contains { $0.contains("screenReuse") })
        for bad in [RaceSettings(z: -1), RaceSettings(checkpoints: []), RaceSettings(checkpoints: [8, 4]),
                    RaceSettings(rank: 0), RaceSettings(margin: .nan)] {
            var c = Self.config(race: bad)
            c.bundleIdentity = "b"
            #expect(!c.problems().isEmpty, "\(bad)")
        }
    }

    @Test func resumeReplaysTheSameRaces() throws {
        var config = Self.config(race: RaceSettings(z: 2, checkpoints: [4], rank: 1))
        config.budgetGenerations = 12
        var whole = SearchSimulation(config: config)
        Self.run(&whole)
        #expect(whole.machine.state.races >= 2, "too few races to show a replay")
        var first = SearchSimulation(config: config)
        Self.run(&first, stopWhen: { $0.races >= 2 })
        let before = first.machine.state
        var resumed = try SearchSimulation(resuming: try SearchResumeTests.throughJSON(first.journal), at: first.now + 10)
        let after = resumed.machine.state
        #expect(after.races == before.races && after.raceWindows == before.raceWindows)
        #expect(after.individuals.map(\.race) == before.individuals.map(\.race))
        #expect(after.individuals.map(\.fullLoss) == before.individuals.map(\.fullLoss))
        #expect(after.individuals.map(\.cheapLoss) == before.individuals.map(\.cheapLoss))
        Self.run(&resumed, seed: 6)
        let end = resumed.machine.state, reference = whole.machine.state
        #expect(end.individuals.map(\.formula) == reference.individuals.map(\.formula))
        #expect(end.individuals.map(\.race) == reference.individuals.map(\.race))
        #expect(DepthAbortRuleTests.top(end) == DepthAbortRuleTests.top(reference))
    }
}
