import Shared

/// What one step of the search asks its edge to do, in this order: append `events` to the journal (flushed),
/// print `log`, then send `reply` (REQ/REP: exactly one reply per request).
package struct SearchOutput: Sendable {
    package var reply: WireMessage?
    package var events: [SearchEvent] = []
    package var log: [String] = []
    /// The search reached `.finished` during this step: write the report.
    package var finished = false
}

/// The coordinator's search as a pure state machine: messages and clock ticks in, replies, journal events and
/// log lines out. No sockets, threads, files or clocks: the edge (`SearchServer`) owns those, and tests drive
/// this type directly with a fake clock.
///
/// Decisions (what to dispatch, when to breed, when a lease lapsed, when evolution ends) are made here and
/// recorded as events; `SearchState.apply` carries them out, so the journal alone rebuilds the state.
package struct SearchMachine: Sendable {
    package internal(set) var state = SearchState()
    /// Results ignored because their job was already done (duplicates, late copies). Not journaled.
    package internal(set) var ignoredResults = 0
    private var lastSeen: [String: Double] = [:]
    var pending = SearchOutput()
    /// Retry delay a worker is told when there is nothing to do.
    package var waitMilliseconds: UInt32 = 200
    /// Attempts to breed a child that needs an evaluation before telling the worker to wait.
    static let breedAttempts = 64

    private init() {}

    /// A new search: the `started` event (with how it was launched) and the initial population.
    package static func start(config: SearchConfig, version: String, now: Double,
                             launch: SearchEvent.Launch = .init()) -> (SearchMachine, SearchOutput) {
        var machine = SearchMachine()
        machine.record(.started(.init(time: now, version: version, config: config, launch: launch)))
        for index in 0..<config.population {
            let (tree, op) = Breeding.initial(index: index, config: config)
            machine.record(.birth(.init(time: now, individual: index, formula: tree.description, parents: [],
                                        operator: op, stream: UInt64(index), generation: 0)))
        }
        machine.pending.log.append("search \(config.searchID): \(config.mode.rawValue), population \(config.population), "
            + "budget \(config.budgetEvaluations) evaluations, \(config.sparsity), seed \(config.seed)"
            + (config.layerSparsity.map { ", layer sparsity \($0)" } ?? "")
            + (config.references.isEmpty ? "" : ", references \(config.references.map(\.description).joined(separator: ", "))"))
        let output = machine.drain(now: now)
        return (machine, output)
    }

    /// Rebuilds the state from a journal and re-queues every job that was in flight; `launch` is what this restart
    /// uses where it differs from the journal's (recorded in the `resumed` event).
    package static func resume(journal: [SearchEvent], now: Double, launch: SearchEvent.Launch = .init())
        throws(JournalError) -> (SearchMachine, SearchOutput)
    {
        var machine = SearchMachine()
        guard case .started = journal.first else { throw JournalError(line: 1, problem: "the first event is not 'started'") }
        for event in journal { try machine.state.apply(event) }
        for worker in machine.state.workers.keys { machine.lastSeen[worker] = now }
        let inFlight = machine.state.leasedJobs.count
        if machine.state.phase != .finished { machine.record(.resumed(.init(time: now, launch: launch))) }
        machine.pending.log.append("resumed \(machine.state.config.searchID) from \(journal.count) events: "
            + "\(machine.state.evaluations) evaluations done, \(inFlight) in-flight jobs re-queued, "
            + "\(machine.state.workers.count) workers known"
            + (machine.state.config.layerSparsity.map { "; layer sparsity \($0) (as journaled)" } ?? ""))
        let output = machine.drain(now: now)
        return (machine, output)
    }

    // MARK: inputs

    /// `received`: when the message reached the edge's socket (journaled with a result; nil when unknown).
    package mutating func handle(_ message: WireMessage, now: Double, received: Double? = nil) -> SearchOutput {
        pending.reply = respond(to: message, now: now, received: received)
        return drain(now: now)
    }

    /// Lapses leases, forgets silent workers, ends phases. Call about once a second.
    package mutating func tick(now: Double) -> SearchOutput {
        for id in state.leasedJobs.sorted() {
            guard let job = state.jobs[id], case .leased(let worker, let until) = job.state, until < now else { continue }
            record(.leaseExpired(.init(time: now, job: id, worker: worker)))
            pending.log.append("lease of job \(id) (\(worker)) lapsed: re-queued")
        }
        let silence = Double(state.config.leaseSeconds)
        for (worker, seen) in lastSeen.sorted(by: { $0.key < $1.key }) where now - seen > silence {
            lastSeen[worker] = nil
            guard state.workers[worker] != nil else { continue }
            record(.workerLeft(.init(time: now, worker: worker, reason: "silent for \(Int(now - seen)) s")))
            pending.log.append("worker \(worker) silent for \(Int(now - seen)) s: forgotten")
        }
        return drain(now: now)
    }

    private mutating func respond(to message: WireMessage, now: Double, received: Double?) -> WireMessage {
        switch message {
        case .hello(let hello): return welcome(hello, now: now)
        case .jobRequest(let request):
            guard known(request.workerID, now) else { return unknownWorker(request.workerID) }
            return nextJob(for: request.workerID, now: now)
        case .result(let result):
            guard known(result.workerID, now) else { return unknownWorker(result.workerID) }
            accept(result, now: now, received: received)
            // The result may settle a generation: breed the next one (or enter testing) before looking for this
            // worker's next job, or the worker that finished a generation would be told to wait a poll interval.
            advance(now: now)
            return result.wantsAnotherJob ? nextJob(for: result.workerID, now: now) : .ack
        case .heartbeat(let heartbeat):
            guard known(heartbeat.workerID, now) else { return unknownWorker(heartbeat.workerID) }
            return .heartbeatAck(beat(heartbeat, now: now))
        case .goodbye(let goodbye):
            if state.workers[goodbye.workerID] != nil {
                record(.workerLeft(.init(time: now, worker: goodbye.workerID, reason: goodbye.reason)))
                pending.log.append("worker \(goodbye.workerID) left: \(goodbye.reason)")
            }
            lastSeen[goodbye.workerID] = nil
            return .ack
        case .statusQuery:
            return .status(status(now: now))
        case .welcome, .job, .wait, .heartbeatAck, .status, .refusal, .ack, .finished:
            return .refusal(Refusal(reason: .malformed, detail: "'\(message.name)' is sent by coordinators, not to them"))
        }
    }

    private mutating func known(_ worker: String, _ now: Double) -> Bool {
        guard state.workers[worker] != nil else { return false }
        lastSeen[worker] = now
        return true
    }

    private func unknownWorker(_ worker: String) -> WireMessage {
        .refusal(Refusal(reason: .unknownWorker, detail: "worker '\(worker)' is not registered here: send hello"))
    }

    private mutating func welcome(_ hello: WorkerHello, now: Double) -> WireMessage {
        let config = state.config
        guard hello.bundleIdentity == config.bundleIdentity else {
            let detail = "worker \(hello.workerID) on \(hello.host) has bundle '\(hello.bundleIdentity)' but search "
                + "\(config.searchID) uses '\(config.bundleIdentity)': its perplexities would not be comparable"
            pending.log.append("refused " + detail)
            return .refusal(Refusal(reason: .bundleMismatch, detail: detail))
        }
        let bound = state.equivalence.bound
        if bound > 0, hello.fitnessBound != bound {
            // Workers on one bundle compute the same bound, bit for bit: another value means another build.
            pending.log.append("worker \(hello.workerID) reports fitness bound \(hello.fitnessBound), other workers "
                + "\(bound) (another build?): ties use the larger")
        }
        if state.workers[hello.workerID] != nil {
            // The same id again: that process restarted, so whatever it held is lost.
            record(.workerLeft(.init(time: now, worker: hello.workerID, reason: "said hello again (restarted)")))
        }
        record(.workerJoined(.init(time: now, worker: hello.workerID, host: hello.host, cores: hello.cores,
                                   memoryBytes: hello.memoryBytes, speed: hello.speed,
                                   fitnessBound: hello.fitnessBound)))
        lastSeen[hello.workerID] = now
        pending.log.append("worker \(hello.workerID) joined from \(hello.host) (\(hello.cores) cores, speed "
            + "\(hello.speed), fitness bound \(hello.fitnessBound))")
        return .welcome(Welcome(searchID: config.searchID, heartbeatSeconds: UInt32(config.heartbeatSeconds)))
    }

    // MARK: dispatch

    private mutating func nextJob(for worker: String, now: Double) -> WireMessage {
        if state.phase == .finished { return .finished(Finished(summary: state.finishReason ?? "search finished")) }
        // The worker asks again while holding a lease: our previous reply was lost, so send the same job.
        if let held = state.workers[worker]?.job, let job = state.jobs[held], case .leased(worker, _) = job.state {
            state.extendLease(held, until: now + Double(state.config.leaseSeconds))
            return .job(wireJob(job))
        }
        if let id = state.queue.first, state.phase == .testing || canDispatchEvolution(now: now) {
            return dispatch(id, to: worker, now: now)
        }
        if state.config.mode == .steadyState, state.phase == .evolving, state.queue.isEmpty,
           canDispatchEvolution(now: now), var pool = breedingPool() {
            for _ in 0..<Self.breedAttempts {
                let index = state.individuals.count
                let (child, op, parents) = Breeding.child(index: index, pool: pool, config: state.config,
                                                          equivalence: state.equivalence)
                record(.birth(.init(time: now, individual: index, formula: child.description, parents: parents,
                                    operator: op, stream: UInt64(index), generation: 1)))
                if let id = state.queue.first { return dispatch(id, to: worker, now: now) }
                // Births that reuse a known fitness may change the population: breed from the new one.
                if let refreshed = breedingPool() { pool = refreshed }
            }
        }
        return .wait(Wait(retryMilliseconds: waitMilliseconds, reason: waitReason(now: now)))
    }

    private mutating func dispatch(_ id: UInt64, to worker: String, now: Double) -> WireMessage {
        let attempt = (state.jobs[id]?.attempts ?? 0) + 1
        record(.dispatch(.init(time: now, job: id, worker: worker, attempt: attempt,
                               leaseUntil: now + Double(state.config.leaseSeconds))))
        guard let job = state.jobs[id] else { return .wait(Wait(retryMilliseconds: waitMilliseconds, reason: "")) }
        return .job(wireJob(job))
    }

    private func wireJob(_ job: JobRecord) -> Job {
        let request = job.method == .metric ? state.config.request(job.windows)
            : state.config.referenceRequest(job.method, job.windows)
        let metricFull = job.windows == .full && job.method == .metric
        return Job(jobID: job.id, metricText: job.metricText, request: request,
                   leaseSeconds: UInt32(state.config.leaseSeconds),
                   abortThresholds: job.windows == .cheap && job.method == .metric
                       ? state.abortThresholds(for: job.individual) : [],
                   screenPerplexity: metricFull ? state.screenPerplexity(for: job.individual) : nil,
                   race: metricFull ? state.race(for: job.individual) : nil)
    }

    func canDispatchEvolution(now: Double) -> Bool {
        guard state.phase == .evolving, !wallTimeOver(now: now) else { return false }
        if state.config.mode == .generational { return true }  // a generation always completes (reproducibility)
        return state.evaluations + state.leasedCount(evolutionOnly: true) < state.config.budgetEvaluations
    }

    func wallTimeOver(now: Double) -> Bool {
        state.config.budgetWallSeconds.map { now - state.startedAt >= $0 } ?? false
    }

    /// The individuals to select parents from, in id order: the population once it has two members; before that
    /// (or if every evaluation failed) anything settled, so a search can never stall for lack of parents.
    private func breedingPool() -> [(id: Int, expression: MetricExpression, fitness: Double?)]? {
        var ids = state.population.sorted()
        if ids.count < 2 {
            guard state.leasedJobs.isEmpty else { return nil }
            ids = state.individuals.filter { $0.id == state.original($0.id) && state.isSettled($0.id) }.map(\.id)
        }
        guard !ids.isEmpty else { return nil }
        return ids.map { (id: $0, expression: state.individuals[$0].expression, fitness: state.fullFitness($0)) }
    }

    private func waitReason(now: Double) -> String {
        switch state.phase {
        case .finished: "finished"
        case .testing: "waiting for the last test evaluations"
        case .evolving:
            wallTimeOver(now: now) || !canDispatchEvolution(now: now) ? "budget reached; waiting for jobs in flight"
                : state.config.mode == .generational ? "generation \(state.generation) still being evaluated"
                : "population still being evaluated"
        }
    }
}
