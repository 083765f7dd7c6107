import Foundation
import Testing
@testable import Search
import Shared

/// The depth-abort rule (`DepthAbortRule.swift`) in memory, with simulated workers whose divergence profile grows
/// with depth and with the (synthetic) cheap perplexity, plus a per-metric wobble, as real profiles do: warm-up and
/// margin as documented, no child that would pass the screen ever stopped on the recorded history, the same search
/// with and without aborts, and resume replaying the same aborts.
@Suite struct DepthAbortRuleTests {
    static let blocks = 6

    /// Divergence after each block: ∝ depth and to the cheap perplexity's excess over 10, times a wobble in
    /// [1, 1.5) fixed per metric (so the ranking by divergence is not exactly the ranking by perplexity).
    static func profile(_ job: Job) -> [Double]? {
        var cheap = job
        cheap.request = job.request.on(.cheap)
        guard let p = SearchSimulation.syntheticPerplexity(cheap) else { return nil }
        let wobble = 1 + Double(SearchSimulation.fingerprint(job) % 1000) / 2000
        return (0..<blocks).map { k in Double(k + 1) / Double(blocks) * (p - 9) / 10 * wobble }
    }

    /// A worker's answer, as `Job.abortThresholds` defines it: cheap jobs with thresholds measure their profile
    /// and stop at the first block over its threshold (a missing entry is +inf); jobs without measure nothing.
    static func result(for job: Job, worker: String, honourAborts: Bool) -> JobResult {
        var result = SearchSimulation.result(for: job, worker: worker)
        guard job.request.windows == .cheap, !job.abortThresholds.isEmpty, result.status == .ok,
              let profile = profile(job) else { return result }
        result.divergence = profile
        if honourAborts, let k = profile.indices.first(where: { $0 < job.abortThresholds.count && profile[$0] > job.abortThresholds[$0] }) {
            result.status = .aborted(blocks: k + 1)
            result.perplexity = .nan
            result.maskFingerprint = 0
            result.divergence = Array(profile[...k])
        }
        return result
    }

    static func config(abort: DepthAbortSettings?, population: Int = 10, generations: Int = 6) -> SearchConfig {
        var config = SearchSimulation.config(mode: .generational, budget: 10_000, population: population, seed: 21)
        config.budgetGenerations = generations
        config.depthAbort = abort
        return config
    }

    /// Two workers in a seeded order; every job seen (with the thresholds it carried) is returned.
    @discardableResult
    static func run(_ sim: inout SearchSimulation, honourAborts: Bool = true,
                    stopWhen: (SearchState) -> Bool = { _ in false }, seed: UInt64 = 5,
                    worker answer: ((Job, String) -> JobResult)? = nil) -> [Job] {
        var order = SeededRandom(seed: seed)
        var holding: [String: Job] = [:]
        var seen: [Job] = []
        let workers = ["w1", "w2"]
        for w in workers { _ = sim.hello(w) }
        var steps = 0
        while sim.machine.state.phase != .finished, steps < 100_000 {
            if stopWhen(sim.machine.state) { break }
            steps += 1
            let worker = order.pick(workers)
            let reply: WireMessage?
            if let job = holding.removeValue(forKey: worker) {
                reply = sim.send(.result(answer?(job, worker) ?? result(for: job, worker: worker, honourAborts: honourAborts)))
            } else {
                reply = sim.send(.jobRequest(JobRequest(workerID: worker)))
            }
            if case .job(let job) = reply { holding[worker] = job; seen.append(job) }
        }
        return seen
    }

    static func top(_ state: SearchState, _ k: Int = 5) -> [String] {
        state.rankedPopulation().prefix(k).map { state.individuals[$0].formula }
    }

    @Test func noThresholdsBeforeTheWarmUpThenMarginTimesTheKeepSetsMaximum() throws {
        let settings = DepthAbortSettings(margin: 3, warmup: 12)
        var sim = SearchSimulation(config: Self.config(abort: settings))
        let jobs = Self.run(&sim)
        let state = sim.machine.state
        // Replay the journal and check each cheap dispatch's thresholds against the rule computed here by hand.
        var replay = SearchState()
        var checked = 0, withThresholds = 0
        for event in sim.journal {
            if case .dispatch(let d) = event, let record = replay.jobs[d.job], record.windows == .cheap,
               let sent = jobs.last(where: { $0.jobID == d.job }) {
                let child = replay.individuals[record.individual]
                let history = replay.individuals.filter {
                    $0.cheap?.value != nil && $0.cheapDivergence != nil && $0.generation < child.generation
                }
                var expected = SearchState.measureOnly
                if child.generation > 0, history.count >= settings.warmup, let tau = replay.promotionThreshold() {
                    let keep = history.filter { replay.equivalence.notWorse($0.cheap!.value!, than: tau) }
                    if !keep.isEmpty {
                        expected = (0..<Self.blocks).map { k in settings.margin * keep.map { $0.cheapDivergence![k] }.max()! }
                    }
                }
                // During the warm-up the job measures and stops nowhere: those screens are the rule's history.
                if history.count < settings.warmup {
                    #expect(sent.abortThresholds == [.infinity], "warm-up not respected")
                }
                #expect(sent.abortThresholds == expected, "job \(d.job)")
                checked += 1
                if expected != SearchState.measureOnly { withThresholds += 1 }
            }
            try replay.apply(event)
        }
        print("depth-abort rule: \(checked) cheap dispatches, \(withThresholds) with thresholds, \(state.depthAborts) stopped")
        #expect(checked > 20 && withThresholds > 5, "\(checked) cheap dispatches, \(withThresholds) with thresholds")
        #expect(state.depthAborts > 0, "the simulated search never stopped a child: the test shows nothing")
    }

    /// On a run that measured divergences but stopped nothing, the thresholds each cheap job carried would not have
    /// stopped any child that then passed the screen (was promoted to the full windows).
    @Test func neverStopsAChildThatPassedTheScreenOnTheRecordedHistory() {
        for margin in [1.0, 1.5, 4.0] {
            var sim = SearchSimulation(config: Self.config(abort: DepthAbortSettings(margin: margin, warmup: 8)))
            let jobs = Self.run(&sim, honourAborts: false)
            let state = sim.machine.state
            var wouldStop = 0
            for job in jobs where job.request.windows == .cheap && !job.abortThresholds.isEmpty {
                guard let record = state.jobs[job.jobID], let profile = Self.profile(job) else { continue }
                let stopped = profile.indices.contains {
                    $0 < job.abortThresholds.count && profile[$0] > job.abortThresholds[$0]
                }
                if stopped { wouldStop += 1 }
                let promoted = state.individuals[record.individual].full != nil
                #expect(!(stopped && promoted), "margin \(margin): job \(job.jobID) would be stopped but was promoted")
            }
            if margin == 1 { #expect(wouldStop > 0, "margin 1 would stop nothing: the test shows nothing") }
        }
    }

    /// Off: no job carries thresholds, so no result carries divergences. On: every cheap screen of a metric asks
    /// for the probe, the warm-up's all-+inf included, and the rule learns from those screens' profiles.
    @Test func onlyAnEarlyAbortRunAsksForTheProbe() {
        var off = SearchSimulation(config: Self.config(abort: nil))
        let offJobs = Self.run(&off)
        #expect(offJobs.allSatisfy { $0.abortThresholds.isEmpty })
        #expect(off.machine.state.individuals.allSatisfy { $0.cheapDivergence == nil })
        let settings = DepthAbortSettings(margin: 1.5, warmup: 8)
        var on = SearchSimulation(config: Self.config(abort: settings))
        let onJobs = Self.run(&on)
        for job in onJobs {
            let screen = job.request.windows == .cheap && job.request.method == .metric
            #expect(job.abortThresholds.isEmpty != screen, "job \(job.jobID) (\(job.request.windows))")
        }
        let measured = on.machine.state.individuals.filter { ($0.cheapDivergence?.count ?? 0) == Self.blocks }
        #expect(measured.contains { $0.generation == 0 }, "the initial screens were not measured")
        #expect(onJobs.contains { !$0.abortThresholds.isEmpty && $0.abortThresholds != SearchState.measureOnly },
                "the rule never applied after its warm-up")
        #expect(measured.count >= settings.warmup)
    }

    @Test func theSameSearchWithAndWithoutAborts() {
        var off = SearchSimulation(config: Self.config(abort: nil))
        Self.run(&off)
        var on = SearchSimulation(config: Self.config(abort: DepthAbortSettings(margin: 1.5, warmup: 8)))
        Self.run(&on)
        let a = off.machine.state, b = on.machine.state
        #expect(b.depthAborts > 0)
        #expect(a.individuals.map(\.formula) == b.individuals.map(\.formula), "births differ")
        #expect(Self.top(a) == Self.top(b))
        #expect(a.best.map { a.individuals[$0].formula } == b.best.map { b.individuals[$0].formula })
        #expect(a.evaluations == b.evaluations, "an aborted screen counts as one evaluation, as a finished one")
        // Every stopped child was screened out in the run without aborts.
        for individual in b.individuals where individual.depthAbort != nil {
            #expect(a.individuals[individual.id].full == nil, "\(individual.formula) was promoted without aborts")
            #expect(individual.cheap == nil && individual.depthAbort!.estimate != nil)
        }
        // An estimate never becomes a measured value: the best and the population are rated individuals.
        #expect(b.population.allSatisfy { b.individuals[$0].depthAbort == nil })
    }

    @Test func resumeReplaysTheSameAborts() throws {
        let config = Self.config(abort: DepthAbortSettings(margin: 1.5, warmup: 8))
        var whole = SearchSimulation(config: config)
        Self.run(&whole)
        var first = SearchSimulation(config: config)
        // Killed right after its second abort, with jobs in flight.
        Self.run(&first, stopWhen: { $0.depthAborts >= 2 })
        let before = first.machine.state
        #expect(before.depthAborts > 0 && before.phase == .evolving, "stop later: no abort yet")
        var resumed = try SearchSimulation(resuming: try SearchResumeTests.throughJSON(first.journal), at: first.now + 10)
        let after = resumed.machine.state
        #expect(after.depthAborts == before.depthAborts && after.depthAbortBlocks == before.depthAbortBlocks)
        #expect(after.individuals.map(\.depthAbort) == before.individuals.map(\.depthAbort))
        #expect(after.individuals.map(\.cheapDivergence) == before.individuals.map(\.cheapDivergence))
        Self.run(&resumed, seed: 6)
        let end = resumed.machine.state, reference = whole.machine.state
        #expect(end.individuals.map(\.formula) == reference.individuals.map(\.formula))
        #expect(end.individuals.map { $0.depthAbort?.blocks } == reference.individuals.map { $0.depthAbort?.blocks })
        #expect(Self.top(end) == Self.top(reference))
    }
}
