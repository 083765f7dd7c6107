import Foundation
import Testing
@testable import Coordinator
@testable import Search
import Shared

/// The search's layer sparsity and its SparseGPT reference line, in memory (`SearchMachine` with simulated
/// workers): every job's request carries the allocation, the reference runs with its own method tag, is reported
/// with its time, and never enters the population, the budget or the mask cache, however good it is.
@Suite struct SearchReferenceTests {
    static let owl = LayerSparsity.owl(m: 5, lambda: 0.08)
    /// A reference far better than any synthetic metric (those are ≥ 10): were it ever ranked, it would be best.
    static let referencePerplexity = 1.5
    /// Two blocks of seven linears, as a result reports them (model order).
    static let linears = [Double](repeating: 0.42, count: 7) + [Double](repeating: 0.58, count: 7)

    static func config() -> SearchConfig {
        var config = SearchSimulation.config(budget: 30, population: 6)
        config.layerSparsity = owl
        config.sparsegptReference = true
        return config
    }

    /// Runs two simulated workers to the end; a reference job answers `referencePerplexity` with the masks'
    /// fingerprint of wanda (its masks could coincide with a metric's: the cache must not mix them up).
    static func run(_ sim: inout SearchSimulation, requests: inout [FitnessRequest]) {
        let workers = ["w1", "w2"]
        for w in workers { _ = sim.hello(w) }
        var holding: [String: Job] = [:]
        var order = SeededRandom(seed: 11, stream: 0)
        let wanda = Job(jobID: 0, metricText: "mul(W, sqrt(X))", request: sim.machine.state.config.request(.full),
                        leaseSeconds: 1)
        var steps = 0
        while sim.machine.state.phase != .finished, steps < 20_000 {
            steps += 1
            let worker = order.pick(workers)
            let reply: WireMessage?
            if let job = holding.removeValue(forKey: worker) {
                var result = SearchSimulation.result(for: job, worker: worker)
                if job.request.method == .sparsegpt {
                    result = JobResult(jobID: job.jobID, workerID: worker, status: .ok,
                                       perplexity: referencePerplexity * (job.request.windows == .test ? 1.1 : 1),
                                       maskFingerprint: SearchSimulation.fingerprint(wanda),
                                       stageTimes: [StageTime(name: "sparsegpt", seconds: 4)])
                }
                result.layerSparsity = linears
                reply = sim.send(.result(result))
            } else {
                reply = sim.send(.jobRequest(JobRequest(workerID: worker)))
            }
            if case .job(let job) = reply { holding[worker] = job; requests.append(job.request) }
        }
    }

    @Test func theReferenceIsMeasuredReportedAndNeverBred() throws {
        var sim = SearchSimulation(config: Self.config())
        var requests: [FitnessRequest] = []
        Self.run(&sim, requests: &requests)
        let state = sim.machine.state
        #expect(state.phase == .finished)

        // Every job carries the allocation; the reference's its own method, with sequential X.
        #expect(requests.allSatisfy { $0.layerSparsity == Self.owl })
        let references = requests.filter { $0.method == .sparsegpt }
        #expect(references.map(\.windows) == [.full, .test])
        #expect(references.allSatisfy { $0.xMode == .sequential })

        // Measured and reported, with its time…
        let line = try #require(state.references.first)
        #expect(line.full?.value == Self.referencePerplexity && line.seconds[.full] == 4)
        let report = SearchReport(state: state, now: sim.now)
        #expect(report.references.first?.testPerplexity == Self.referencePerplexity * 1.1)
        #expect(report.markdown.contains("| sparsegpt | 1.500 | 1.650 | 4.0 s | 4.0 s |"))
        #expect(report.markdown.contains("- layer sparsity: owl:5,0.08; per block as pruned: 0.4200, 0.5800"))

        // …but not an individual, not a parent, not the best, not in the budget, not in the mask cache.
        #expect(!state.individuals.contains { $0.formula == "sparsegpt" })
        #expect(state.individuals.allSatisfy { $0.parents.allSatisfy { $0 >= 0 } })
        let best = try #require(state.best)
        #expect(try #require(state.fullFitness(best)) >= 10)
        #expect(state.evaluations == 30)
        #expect(state.individuals.allSatisfy { ($0.full?.value ?? 10) >= 10 && ($0.cheap?.value ?? 10) >= 10 })
        #expect(!state.fingerprints.values.contains { $0.values.contains(Self.referencePerplexity) })

        // The journal alone rebuilds all of it, and the history has no reference rows.
        let resumed = try SearchSimulation(resuming: sim.journal, at: sim.now + 1)
        #expect(resumed.machine.state.config.layerSparsity == Self.owl)
        #expect(resumed.machine.state.references == state.references)
        #expect(resumed.machine.state.allocation == Self.linears)
        let history = try SearchHistory(events: sim.journal)
        #expect(history.rows.count == state.evaluations + state.testEvaluations)
    }

    @Test func aSearchWithoutTheSettingsIsAsBefore() throws {
        var sim = SearchSimulation(config: SearchSimulation.config(budget: 20, population: 6))
        var requests: [FitnessRequest] = []
        Self.run(&sim, requests: &requests)
        #expect(requests.allSatisfy { $0.layerSparsity == .uniform && $0.method == .metric })
        #expect(sim.machine.state.references.isEmpty && sim.machine.state.allocation == nil)
        let markdown = SearchReport(state: sim.machine.state, now: sim.now).markdown
        #expect(!markdown.contains("layer sparsity") && !markdown.contains("Reference lines"))
        // A journal written before the settings existed decodes to uniform with no references.
        var data = try JSONEncoder().encode(SearchConfig())
        var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        object["layerSparsity"] = nil; object["sparsegptReference"] = nil
        data = try JSONSerialization.data(withJSONObject: object)
        let old = try JSONDecoder().decode(SearchConfig.self, from: data)
        #expect(old.layerSparsity == nil && old.references.isEmpty && old.request(.full).layerSparsity == .uniform)
    }

    @Test func theSettingIsJournaledAsText() throws {
        var config = Self.config()
        config.layerSparsity = .owl(m: 7, lambda: 0.1)
        let json = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        #expect(json.contains(#""layerSparsity":"owl:7,0.1""#))
        #expect(try JSONDecoder().decode(SearchConfig.self, from: Data(json.utf8)).layerSparsity == .owl(m: 7, lambda: 0.1))
    }

    @Test func owlWithNOfMIsAConfigurationProblem() {
        var config = Self.config()
        config.bundleIdentity = "b"
        config.sparsity = .nOfM(n: 2, m: 4)
        #expect(config.problems().contains { $0.contains("OWL allocates unstructured sparsity per block") })
        config.layerSparsity = .uniform
        #expect(config.problems().isEmpty)
    }
}
