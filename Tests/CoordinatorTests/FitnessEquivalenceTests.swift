import Foundation
import Testing
@testable import Search
import Shared

/// `FitnessEquivalence` alone, and in the search machine: fitnesses within the workers' bound are one result.
@Suite struct FitnessEquivalenceTests {
    let e = FitnessEquivalence(bound: 0.004)

    @Test func sameIsWithinTheBoundInLogSpace() {
        #expect(e.same(100, 100 * exp(0.0039)))
        #expect(!e.same(100, 100 * exp(0.0041)))
        #expect(e.same(.infinity, .infinity) && !e.same(.infinity, 100) && !e.same(.nan, .nan) && !e.same(0, 1e-300))
        #expect(!FitnessEquivalence().same(100, 100.000001) && FitnessEquivalence().same(7, 7))
        #expect(FitnessEquivalence(bound: -1).bound == 0 && FitnessEquivalence(bound: .nan).bound == 0)
        #expect(e.widened(to: 0.001).bound == 0.004 && e.widened(to: 0.01).bound == 0.01)
    }

    /// `--tie-width` fixes the width: workers' bounds no longer widen it, and 0 means exact comparison.
    @Test func aFixedWidthIsNotWidenedByWorkers() {
        let fixed = FitnessEquivalence(bound: 0.01, fixedWidth: 0.001)
        #expect(fixed.bound == 0.001 && fixed.widened(to: 0.05).bound == 0.001)
        #expect(!FitnessEquivalence(fixedWidth: 0).widened(to: 0.05).same(100, 100.0001))
        var config = SearchConfig()
        config.tieWidth = -1
        #expect(config.problems().contains { $0.contains("tie width") })
    }

    /// Tiers open at the best remaining value and never span more than the bound: 100 and 100.3 tie, 100.6 opens
    /// the next tier with 100.9 (chained grouping would make all four one tier). Inside a tier, canonical formula.
    @Test func tiersAreAnchoredAndOrderedByFormula() {
        let fitness: [Int: Double?] = [0: 100.3, 1: 100, 2: 100.9, 3: 100.6, 4: nil, 5: .nan]
        let key: [Int: String] = [0: "a", 1: "b", 2: "c", 3: "d", 4: "e", 5: "f"]
        let order = e.ranked([0, 1, 2, 3, 4, 5], fitness: { fitness[$0]! }, key: { key[$0]! })
        #expect(order == [0, 1, 2, 3, 4, 5])
        // Exact comparisons keep value order.
        #expect(FitnessEquivalence().ranked([0, 1, 2, 3, 4, 5], fitness: { fitness[$0]! }, key: { key[$0]! })
                == [1, 0, 3, 2, 4, 5])
    }

    /// The point of it: rounding-level differences between workers (1e-7 here, ~1e-7 measured across core types)
    /// do not change a ranking, where exact comparison flips two near-equal metrics.
    @Test func workerRoundingDoesNotReorder() throws {
        let base: [Double] = [58.4195, 58.41950001, 60.537, 58.8056, 137.5456, 61.0]
        let keys = ["mul(W, sqrt(X))", "mul(sqrt(X), W)", "W", "mul(abs(mul(W, W)), mms(G))", "X", "G"]
        let nudged = base.enumerated().map { $0.element * (1 + ($0.offset.isMultiple(of: 2) ? 1e-7 : -1e-7)) }
        let ids = Array(base.indices)
        let rank = { (q: FitnessEquivalence, values: [Double]) in
            q.ranked(ids, fitness: { values[$0] }, key: { keys[$0] })
        }
        #expect(rank(e, base) == rank(e, nudged))
        #expect(rank(FitnessEquivalence(), base) != rank(FitnessEquivalence(), nudged))
        // Tournaments see positions in that order.
        let pool = try ids.map {
            (id: $0, expression: try MetricExpression(parsing: keys[$0]), fitness: Optional(base[$0]))
        }
        let positions = e.tournamentFitness(pool)
        let order = rank(e, base)
        for (position, id) in order.enumerated() { #expect(positions[id] == Double(position)) }
    }

    @Test func aRemeasurementWithinTheBoundIsTheRecordedOne() {
        #expect(e.resolve(.perplexity(58.4195 * (1 + 1e-7)), recorded: 58.4195) == (Score.perplexity(58.4195), false))
        #expect(e.resolve(.perplexity(70), recorded: 58.4195) == (Score.perplexity(70), true))
        #expect(e.resolve(.failed("NaN"), recorded: 58.4195) == (Score.failed("NaN"), false))
        #expect(e.resolve(.perplexity(70), recorded: nil) == (Score.perplexity(70), false))
        let note = e.disagreement(job: 3, worker: "w", measured: 70, recorded: 58.4)
        #expect(note?.contains("beyond the workers' bound") == true)
        #expect(e.disagreement(job: 3, worker: "w", measured: 58.40001, recorded: 58.4) == nil)
    }

    /// In the machine: two workers report a bound (journaled, so a resume has it); mask twins measured on two
    /// workers within it become one record; a third measurement beyond it is logged and kept as measured.
    @Test func maskTwinsOnTwoWorkersAreOneRecord() throws {
        var config = SearchSimulation.config(budget: 40, population: 4)
        config.multiFidelity = false
        var sim = SearchSimulation(config: config)
        for w in ["w1", "w2"] {
            _ = sim.send(.hello(WorkerHello(workerID: w, host: "sim", cores: 2, memoryBytes: 1,
                                            bundleIdentity: "bundle-A", speed: 1, fitnessBound: 0.004)))
        }
        #expect(sim.machine.state.equivalence.bound == 0.004)
        var jobs: [String: Job] = [:]
        for w in ["w1", "w2"] {
            guard case .job(let job)? = sim.send(.jobRequest(JobRequest(workerID: w))) else {
                Issue.record("no job for \(w)"); return
            }
            jobs[w] = job
        }
        let twin: UInt64 = 42
        func deliver(_ w: String, _ job: Job, _ p: Double) {
            _ = sim.send(.result(JobResult(jobID: job.jobID, workerID: w, status: .ok, perplexity: p,
                                           maskFingerprint: twin, wantsAnotherJob: false)))
        }
        deliver("w1", jobs["w1"]!, 58.4195)
        deliver("w2", jobs["w2"]!, 58.4195 * (1 + 3e-7))
        let state = sim.machine.state
        let (a, b) = (state.jobs[jobs["w1"]!.jobID]!.individual, state.jobs[jobs["w2"]!.jobID]!.individual)
        #expect(state.fullFitness(a) == 58.4195 && state.fullFitness(b) == 58.4195)
        #expect(state.fingerprints[twin]?[.full] == 58.4195)

        guard case .job(let third)? = sim.send(.jobRequest(JobRequest(workerID: "w1"))) else {
            Issue.record("no third job"); return
        }
        deliver("w1", third, 70)
        let c = sim.machine.state.jobs[third.jobID]!.individual
        #expect(sim.machine.state.fullFitness(c) == 70 && sim.machine.state.fingerprints[twin]?[.full] == 58.4195)
        #expect(sim.log.contains { $0.contains("beyond the workers' bound 0.004") })

        // The journal alone rebuilds the bound and the single record.
        let resumed = try SearchSimulation(resuming: sim.journal, at: sim.now + 1)
        #expect(resumed.machine.state.equivalence.bound == 0.004)
        #expect(resumed.machine.state.fullFitness(b) == 58.4195)
    }
}

extension FitnessEquivalenceTests {
    /// A worker whose bound differs from the others' (another build) is named in the log; the wider bound is used.
    @Test func aDifferentBoundIsLoggedAndTheWiderUsed() {
        var sim = SearchSimulation(config: SearchSimulation.config(budget: 10, population: 4))
        for (w, b) in [("w1", 0.004), ("w2", 0.004), ("w3", 0.01)] {
            _ = sim.send(.hello(WorkerHello(workerID: w, host: "sim", cores: 2, memoryBytes: 1,
                                            bundleIdentity: "bundle-A", speed: 1, fitnessBound: b)))
        }
        #expect(sim.machine.state.equivalence.bound == 0.01)
        #expect(sim.log.filter { $0.contains("reports fitness bound") }.count == 1)
        #expect(sim.log.contains { $0.contains("worker w3 reports fitness bound 0.01, other workers 0.004") })
    }
}
