import Foundation
@testable import Search
import Shared

/// Drives a `SearchMachine` with simulated workers and a fake clock: no ports, no sleeps. Fitness is synthetic
/// (a hash of the rank-canonical form), so identical masks get identical perplexities, as in reality.
struct SearchSimulation {
    var machine: SearchMachine
    var journal: [SearchEvent] = []
    var log: [String] = []
    var now: Double = 1_000_000
    var finishedSignals = 0

    init(config: SearchConfig) {
        let (machine, output) = SearchMachine.start(config: config, version: "test", now: now)
        self.machine = machine
        absorb(output)
    }

    init(resuming journal: [SearchEvent], at now: Double) throws {
        let (machine, output) = try SearchMachine.resume(journal: journal, now: now)
        self.machine = machine
        self.journal = journal
        self.now = now
        absorb(output)
    }

    static func config(mode: SearchConfig.Mode = .steadyState, budget: Int = 60, population: Int = 8,
                       seed: UInt64 = 7) -> SearchConfig {
        var config = SearchConfig()
        config.mode = mode
        config.budgetEvaluations = budget
        config.population = population
        config.seed = seed
        config.bundleIdentity = "bundle-A"
        config.testTopK = 3
        config.leaseSeconds = 60
        config.heartbeatSeconds = 5
        return config
    }

    mutating func absorb(_ output: SearchOutput) {
        journal += output.events
        log += output.log
        if output.finished { finishedSignals += 1 }
    }

    @discardableResult
    mutating func send(_ message: WireMessage) -> WireMessage? {
        now += 0.01
        let output = machine.handle(message, now: now)
        absorb(output)
        return output.reply
    }

    mutating func tick(advance seconds: Double) {
        now += seconds
        absorb(machine.tick(now: now))
    }

    mutating func hello(_ worker: String, bundle: String = "bundle-A") -> WireMessage? {
        send(.hello(WorkerHello(workerID: worker, host: "sim", cores: 4, memoryBytes: 1 << 30,
                                bundleIdentity: bundle, speed: 1)))
    }

    static func syntheticPerplexity(_ job: Job) -> Double? {
        guard let metric = try? job.metric() else { return nil }
        let key = metric.rankCanonical.description
        if key.contains("exp(exp") { return nil }  // some metrics fail, as NaN-producing ones do
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let base = 10 + Double(hash % 10_000) / 500
        switch job.request.windows {
        case .cheap: return base * 1.1 + Double(hash % 7) / 100
        case .full: return base
        case .test: return base * 1.05
        // Reorders the finalists against their fitness (a held-out set is not the fitness set).
        case .validation: return base * 1.03 + Double(hash % 13) / 10
        }
    }

    static func fingerprint(_ job: Job) -> UInt64 {
        guard let metric = try? job.metric() else { return 0 }
        var hash: UInt64 = 1469598103934665603
        for byte in metric.rankCanonical.description.utf8 { hash = (hash ^ UInt64(byte)) &* 1099511628211 }
        return hash | 1
    }

    static func result(for job: Job, worker: String, wantsMore: Bool = true) -> JobResult {
        if let p = syntheticPerplexity(job) {
            return JobResult(jobID: job.jobID, workerID: worker, status: .ok, perplexity: p,
                             maskFingerprint: fingerprint(job), stageTimes: [StageTime(name: "eval", seconds: 1)],
                             wantsAnotherJob: wantsMore)
        }
        return JobResult(jobID: job.jobID, workerID: worker, status: .failed(reason: "NaN everywhere"),
                         perplexity: .nan, maskFingerprint: 0, wantsAnotherJob: wantsMore)
    }

    /// Runs `workers` workers until the search finishes (or `maxSteps`): each step one worker (chosen by `order`)
    /// delivers its job's result or asks for work. Returns the number of steps taken.
    @discardableResult
    mutating func run(workers: [String], maxSteps: Int = 100_000, stopAfter: Int? = nil,
                      order: inout SeededRandom) -> Int {
        var holding: [String: Job] = [:]
        for w in workers { _ = hello(w) }
        var steps = 0
        while machine.state.phase != .finished, steps < maxSteps {
            if let stop = stopAfter, steps >= stop { break }
            steps += 1
            let worker = order.pick(workers)
            let reply: WireMessage?
            if let job = holding.removeValue(forKey: worker) {
                reply = send(.result(Self.result(for: job, worker: worker)))
            } else {
                reply = send(.jobRequest(JobRequest(workerID: worker)))
            }
            if case .job(let job) = reply { holding[worker] = job }
            if steps % 50 == 0 { tick(advance: 1) }
        }
        return steps
    }

    /// Result events per job id.
    var resultsPerJob: [UInt64: Int] {
        journal.reduce(into: [:]) { counts, event in
            if case .result(let r) = event { counts[r.job, default: 0] += 1 }
        }
    }
}
