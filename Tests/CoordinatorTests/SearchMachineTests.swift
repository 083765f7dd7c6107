import Foundation
import Testing
@testable import Search
import Shared

@Suite struct SearchMachineTests {
    @Test func steadyStateRunsToTheEndWithTestEvaluations() throws {
        var sim = SearchSimulation(config: SearchSimulation.config(budget: 60))
        var order = SeededRandom(seed: 1)
        sim.run(workers: ["w1", "w2", "w3"], order: &order)
        let state = sim.machine.state
        #expect(state.phase == .finished)
        #expect(sim.finishedSignals == 1)
        #expect(state.evaluations == 60)
        #expect(state.cheapEvaluations + state.fullEvaluations == 60)
        #expect(state.testEvaluations == 3)
        // One result event per accepted result, never two for a job.
        #expect(sim.resultsPerJob.values.allSatisfy { $0 == 1 })
        #expect(sim.resultsPerJob.count == 63)
        // The log has one line per accepted result.
        #expect(sim.log.filter { $0.hasPrefix("[") }.count == 63)
        // Best is at least as good as the best seeded baseline.
        let baselines = state.individuals.filter { $0.operatorName == "seed" }.compactMap { state.fullFitness($0.id) }
        let best = try #require(state.best.flatMap(state.fullFitness))
        #expect(best <= baselines.min()!)
        #expect(state.individuals[state.best!].test != nil)
    }

    @Test func noRankCanonicalFormIsEvaluatedTwiceOnAWindowSet() {
        var sim = SearchSimulation(config: SearchSimulation.config(budget: 120, population: 6))
        var order = SeededRandom(seed: 2)
        sim.run(workers: ["a", "b"], order: &order)
        let state = sim.machine.state
        var seen = Set<String>()
        for job in state.jobs.values where job.state == .done {
            let key = state.individuals[job.individual].rankKey + "/\(job.windows)"
            #expect(seen.insert(key).inserted, "\(key) evaluated twice")
        }
        #expect(state.cacheHits.values.reduce(0, +) > 0)
        #expect(state.savedFullEvaluations > 0)
        #expect(state.fullEvaluations + state.savedFullEvaluations + state.cacheHits[.mask, default: 0]
                >= state.cheapEvaluations)
    }

    @Test func generationalModeIsReproducibleWhateverTheWorkersAndTiming() {
        func run(workers: [String], orderSeed: UInt64) -> (formulas: [String], population: [Int]) {
            var config = SearchSimulation.config(mode: .generational, budget: 10_000, population: 8)
            config.budgetGenerations = 4
            var sim = SearchSimulation(config: config)
            var order = SeededRandom(seed: orderSeed)
            sim.run(workers: workers, order: &order)
            #expect(sim.machine.state.phase == .finished)
            return (sim.machine.state.individuals.map(\.formula), sim.machine.state.population)
        }
        let one = run(workers: ["solo"], orderSeed: 1)
        let many = run(workers: ["a", "b", "c", "d", "e"], orderSeed: 99)
        #expect(one.formulas.count == 8 * 5)
        #expect(one.formulas == many.formulas)
        #expect(one.population == many.population)
    }

    /// A lone worker in generational mode is never told to wait: the result that settles a generation breeds the
    /// next one before the reply is chosen, so the reply is already the next generation's first job.
    @Test func theResultThatEndsAGenerationIsAnsweredWithTheNextGenerationsJob() {
        var config = SearchSimulation.config(mode: .generational, budget: 10_000, population: 6)
        config.budgetGenerations = 3
        var sim = SearchSimulation(config: config)
        _ = sim.hello("solo")
        var reply = sim.send(.jobRequest(JobRequest(workerID: "solo")))
        var barriers = 0
        while case .job(let job) = reply {
            let generation = sim.machine.state.generation
            reply = sim.send(.result(SearchSimulation.result(for: job, worker: "solo")))
            if sim.machine.state.generation > generation { barriers += 1 }
        }
        guard case .finished = reply else { Issue.record("a lone worker was answered \(String(describing: reply))"); return }
        #expect(barriers == 4, "the initial generation and three bred: every barrier passed inside a result's reply")
        #expect(sim.machine.state.phase == .finished)
    }

    @Test func bundleMismatchIsRefusedClearly() {
        var sim = SearchSimulation(config: SearchSimulation.config())
        guard case .refusal(let refusal) = sim.hello("w9", bundle: "bundle-B") else { Issue.record("no refusal"); return }
        #expect(refusal.reason == .bundleMismatch)
        #expect(refusal.detail.contains("bundle-B") && refusal.detail.contains("bundle-A"))
        #expect(sim.log.last?.contains("refused worker w9") == true)
        #expect(sim.machine.state.workers.isEmpty)
    }

    @Test func unknownWorkersAreAskedToSayHello() {
        var sim = SearchSimulation(config: SearchSimulation.config())
        guard case .refusal(let refusal) = sim.send(.jobRequest(JobRequest(workerID: "ghost"))) else {
            Issue.record("no refusal"); return
        }
        #expect(refusal.reason == .unknownWorker)
    }

    @Test func duplicateAndLateResultsAreCountedOnce() throws {
        var sim = SearchSimulation(config: SearchSimulation.config())
        _ = sim.hello("w1")
        guard case .job(let job) = sim.send(.jobRequest(JobRequest(workerID: "w1"))) else { Issue.record("no job"); return }
        let result = SearchSimulation.result(for: job, worker: "w1")
        sim.send(.result(result))
        sim.send(.result(result))
        #expect(sim.machine.state.evaluations == 1)
        #expect(sim.machine.ignoredResults == 1)
        #expect(sim.resultsPerJob[job.jobID] == 1)
    }

    @Test func aLapsedLeaseIsRequeuedAndTheFirstResultWins() throws {
        var sim = SearchSimulation(config: SearchSimulation.config())
        _ = sim.hello("slow"); _ = sim.hello("fast")
        guard case .job(let job) = sim.send(.jobRequest(JobRequest(workerID: "slow"))) else { Issue.record("no job"); return }
        // Heartbeats keep the lease alive past its original end.
        sim.tick(advance: 40)
        guard case .heartbeatAck(let ack) = sim.send(.heartbeat(Heartbeat(workerID: "slow", jobID: job.jobID))) else {
            Issue.record("no ack"); return
        }
        #expect(ack.leaseValid)
        sim.tick(advance: 40)
        #expect(sim.machine.state.leaseExpiries == 0)
        // Silence: the lease lapses and the same job goes to the next worker that asks.
        sim.tick(advance: 61)
        #expect(sim.machine.state.leaseExpiries == 1)
        #expect(sim.log.contains { $0.contains("lease of job \(job.jobID)") })
        _ = sim.hello("fast")
        guard case .job(let again) = sim.send(.jobRequest(JobRequest(workerID: "fast"))) else { Issue.record("no job"); return }
        #expect(again.jobID == job.jobID)
        // The slow worker, silent for longer than a lease, was forgotten: its result is refused until it says
        // hello again, then accepted (first); the fast one's copy is ignored.
        guard case .refusal(let refusal) = sim.send(.result(SearchSimulation.result(for: job, worker: "slow"))) else {
            Issue.record("no refusal"); return
        }
        #expect(refusal.reason == .unknownWorker)
        _ = sim.hello("slow")
        sim.send(.result(SearchSimulation.result(for: job, worker: "slow")))
        sim.send(.result(SearchSimulation.result(for: again, worker: "fast")))
        #expect(sim.machine.state.evaluations == 1)
        #expect(sim.machine.ignoredResults == 1)
        // The slow worker's heartbeat on a job now done tells it to stop.
        guard case .heartbeatAck(let stale) = sim.send(.heartbeat(Heartbeat(workerID: "fast", jobID: job.jobID))) else {
            Issue.record("no ack"); return
        }
        #expect(!stale.leaseValid)
    }

    @Test func aGoodbyeRequeuesTheAbandonedJobAtOnce() {
        var sim = SearchSimulation(config: SearchSimulation.config())
        _ = sim.hello("w1")
        guard case .job(let job) = sim.send(.jobRequest(JobRequest(workerID: "w1"))) else { Issue.record("no job"); return }
        #expect(sim.send(.goodbye(Goodbye(workerID: "w1", reason: "SIGTERM", abandonedJob: job.jobID))) == .ack)
        #expect(sim.machine.state.queue.first == job.jobID)
        #expect(sim.machine.state.workers["w1"] == nil)
        #expect(sim.journal.contains { $0.type == "worker_left" })
    }

    @Test func aLostReplyIsAnsweredWithTheSameJob() {
        var sim = SearchSimulation(config: SearchSimulation.config())
        _ = sim.hello("w1")
        let first = sim.send(.jobRequest(JobRequest(workerID: "w1")))
        let second = sim.send(.jobRequest(JobRequest(workerID: "w1")))
        #expect(first == second)
        #expect(sim.journal.count { $0.type == "dispatch" } == 1)
    }

    @Test func heartbeatWithAKnownMaskFingerprintGetsItsPerplexity() {
        var config = SearchSimulation.config()
        config.multiFidelity = false  // every job on the full windows, where the fingerprint was measured
        var sim = SearchSimulation(config: config)
        _ = sim.hello("w1")
        guard case .job(let job) = sim.send(.jobRequest(JobRequest(workerID: "w1"))) else { return }
        sim.send(.result(JobResult(jobID: job.jobID, workerID: "w1", status: .ok, perplexity: 12.5,
                                   maskFingerprint: 77, wantsAnotherJob: false)))
        guard case .job(let next) = sim.send(.jobRequest(JobRequest(workerID: "w1"))) else { return }
        guard case .heartbeatAck(let ack) = sim.send(.heartbeat(Heartbeat(workerID: "w1", jobID: next.jobID,
                                                                          maskFingerprint: 77))) else { return }
        #expect(ack.leaseValid && ack.knownPerplexity == 12.5)
    }

    @Test func statusAnswersDescribeTheSearch() {
        var sim = SearchSimulation(config: SearchSimulation.config(budget: 60))
        var order = SeededRandom(seed: 5)
        sim.run(workers: ["w1"], stopAfter: 30, order: &order)
        guard case .status(let status) = sim.send(.statusQuery) else { Issue.record("no status"); return }
        #expect(status.phase == "evolving" && status.budget == 60 && status.evaluationsDone > 0)
        #expect(status.workersBusy + status.workersIdle == 1)
    }

    @Test func messagesOnlyCoordinatorsSendAreRefused() {
        var sim = SearchSimulation(config: SearchSimulation.config())
        guard case .refusal(let refusal) = sim.send(.ack) else { Issue.record("no refusal"); return }
        #expect(refusal.reason == .malformed)
    }

    @Test func wallTimeBudgetStopsDispatching() {
        var config = SearchSimulation.config(budget: 10_000)
        config.budgetWallSeconds = 30
        var sim = SearchSimulation(config: config)
        var order = SeededRandom(seed: 3)
        sim.run(workers: ["w1"], stopAfter: 20, order: &order)
        sim.tick(advance: 31)
        sim.run(workers: ["w1"], order: &order)
        #expect(sim.machine.state.phase == .finished)
        #expect(sim.machine.state.evaluations < 30)
    }
}
