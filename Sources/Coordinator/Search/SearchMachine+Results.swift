import Shared

/// Results, heartbeats, phase changes and the journal/log plumbing of `SearchMachine`.
extension SearchMachine {
    /// Accepts the first result of a job (whoever sends it, whether its lease lapsed or the coordinator restarted
    /// in between); every later copy is counted and ignored.
    mutating func accept(_ result: JobResult, now: Double, received: Double? = nil) {
        guard let job = state.jobs[result.jobID], job.state == .queued || isLeased(job) else {
            ignoredResults += 1
            pending.log.append("ignored a duplicate or late result for job \(result.jobID) from \(result.workerID)")
            return
        }
        let perplexity: Double?, failure: String?
        var abortedAfter: Int?, estimate: Double?, racedAfter: Int?
        switch result.status {
        case .ok: (perplexity, failure) = (result.perplexity, nil)
        case .failed(let reason): (perplexity, failure) = (nil, reason)
        case .aborted(let blocks) where job.windows == .cheap:
            (perplexity, failure, abortedAfter) = (nil, nil, blocks)
            estimate = state.promotionThreshold()
        case .raced(let windows) where job.windows == .full && job.method == .metric:
            (perplexity, failure, racedAfter, estimate) = (nil, nil, windows, result.perplexity)
        case .raced(let windows):
            (perplexity, failure) = (nil, "raced out after \(windows) windows on a \(job.windows)-window job, "
                                     + "which never carries a race")
        case .aborted(let blocks):
            (perplexity, failure) = (nil, "aborted by depth after \(blocks) blocks on \(job.windows) windows, "
                                     + "which are never sent with thresholds")
        }
        let seconds = result.stageTimes.isEmpty ? nil : result.stageTimes.reduce(0) { $0 + $1.seconds }
        // A reference baseline's masks are no metric's (SparseGPT changes the kept weights): never compared.
        let recorded = result.maskFingerprint == 0 || job.method != .metric ? nil
            : state.fingerprints[result.maskFingerprint]?[job.windows]
        if let note = state.equivalence.disagreement(job: job.id, worker: result.workerID, measured: perplexity,
                                                     recorded: recorded) { pending.log.append(note) }
        record(.result(.init(time: now, job: result.jobID, worker: result.workerID, windows: job.windows.description,
                             perplexity: perplexity, failure: failure, fingerprint: result.maskFingerprint,
                             seconds: seconds, divergence: result.divergence.isEmpty ? nil : result.divergence,
                             abortedAfter: abortedAfter, estimate: estimate, racedAfter: racedAfter,
                             windowLoss: result.windowLoss.isEmpty ? nil : result.windowLoss,
                             layerSparsity: allocationToJournal(result, job: job),
                             stages: result.stageTimes.isEmpty ? nil : Dictionary(
                                result.stageTimes.map { ($0.name, $0.seconds) }, uniquingKeysWith: +),
                             received: received)))
        pending.log.append(SearchLog.resultLine(state: state, job: job, result: result, seconds: seconds, now: now))
    }

    /// The per-linear sparsities of the first successful metric result under a non-uniform layer sparsity (the
    /// allocation, shown once in the report); nil for every other result. Not a reference's: SparseGPT prunes
    /// ⌊n·ratio⌋ + 1 and ties per 128-column block, a little more than the allocation.
    private func allocationToJournal(_ result: JobResult, job: JobRecord) -> [Double]? {
        guard let layers = state.config.layerSparsity, layers != .uniform, state.allocation == nil,
              job.method == .metric, result.status == .ok, !result.layerSparsity.isEmpty else { return nil }
        return result.layerSparsity
    }

    private func isLeased(_ job: JobRecord) -> Bool {
        if case .leased = job.state { return true }
        return false
    }

    /// Extends the lease of a job the worker holds. A job that was re-queued meanwhile (lapsed lease, coordinator
    /// restart) is given back to the worker still computing it rather than started again elsewhere.
    mutating func beat(_ heartbeat: Heartbeat, now: Double) -> HeartbeatAck {
        guard let job = state.jobs[heartbeat.jobID] else { return HeartbeatAck(leaseValid: false) }
        let until = now + Double(state.config.leaseSeconds)
        switch job.state {
        case .leased(heartbeat.workerID, _):
            state.extendLease(job.id, until: until)
        case .queued where state.phase == .testing || !job.windows.isHeldOut:
            record(.dispatch(.init(time: now, job: job.id, worker: heartbeat.workerID, attempt: job.attempts + 1,
                                   leaseUntil: until)))
            pending.log.append("job \(job.id) reclaimed by \(heartbeat.workerID), which is still computing it")
        default:
            return HeartbeatAck(leaseValid: false)
        }
        let known = heartbeat.maskFingerprint.flatMap { state.fingerprints[$0]?[job.windows] }
        return HeartbeatAck(leaseValid: true, knownPerplexity: known)
    }

    // MARK: phases

    /// Ends evolution when the budget is spent, ends generations at their barrier, ends the search when the test
    /// evaluations are in. Runs after every input, until nothing changes.
    mutating func advance(now: Double) {
        while true {
            switch state.phase {
            case .finished:
                return
            case .testing:
                guard state.testJobsDone else { return }
                record(.finished(.init(time: now, reason: "\(state.evaluations) evaluations, "
                                       + "\(state.validationEvaluations) validation and \(state.testEvaluations) test evaluations")))
                pending.finished = true
                pending.log.append(SearchLog.finishLine(state: state))
            case .evolving where state.config.mode == .steadyState:
                let spent = state.evaluations >= state.config.budgetEvaluations || wallTimeOver(now: now)
                guard spent, state.leasedCount(evolutionOnly: true) == 0 else { return }
                enterTestPhase(now: now)
            case .evolving:
                guard state.generationSettled() else { return }
                let finishedGeneration = state.generation
                record(.generation(.init(time: now, generation: finishedGeneration)))
                pending.log.append(SearchLog.generationLine(state: state, finished: finishedGeneration))
                let config = state.config
                // `finishedGeneration` counts the generations bred after the initial one.
                if (config.budgetGenerations.map { finishedGeneration >= $0 } ?? false)
                    || state.evaluations >= config.budgetEvaluations || wallTimeOver(now: now) {
                    enterTestPhase(now: now)
                } else {
                    breedGeneration(now: now)
                }
            }
        }
    }

    private mutating func enterTestPhase(now: Double) {
        record(.testPhase(.init(time: now, reason: "budget reached after \(state.evaluations) evaluations")))
        let draws = state.config.validationDraws ?? []
        let on = state.config.finalRanking != .validation ? "test windows"
            : draws.isEmpty ? "validation windows"
            : "validation windows, pruned with calibration draws " + draws.map(String.init).joined(separator: ",")
        pending.log.append("evolution over after \(state.evaluations) evaluations; ranking \(state.finalists.count) "
                           + "finalists on the \(on)")
    }

    /// Generational mode: `population` children of the survivors, all bred before any is evaluated.
    private mutating func breedGeneration(now: Double) {
        let pool = state.population.sorted().map {
            (id: $0, expression: state.individuals[$0].expression, fitness: state.fullFitness($0))
        }
        guard !pool.isEmpty else { enterTestPhase(now: now); return }
        for _ in 0..<state.config.population {
            let index = state.individuals.count
            let (child, op, parents) = Breeding.child(index: index, pool: pool, config: state.config,
                                                      equivalence: state.equivalence)
            record(.birth(.init(time: now, individual: index, formula: child.description, parents: parents,
                                operator: op, stream: UInt64(index), generation: state.generation)))
        }
    }

    // MARK: plumbing

    /// Applies an event and queues it for the journal. `apply` fails only on an inconsistent journal; a live
    /// event that fails is a bug, reported in the log rather than trapped on.
    mutating func record(_ event: SearchEvent) {
        do {
            try state.apply(event)
            pending.events.append(event)
        } catch {
            pending.log.append("internal error, event not recorded: \(error)")
        }
    }

    mutating func drain(now: Double) -> SearchOutput {
        advance(now: now)
        defer { pending = SearchOutput() }
        return pending
    }

    package func status(now: Double) -> StatusAnswer {
        let busy = state.workers.values.count { $0.job != nil }
        return StatusAnswer(
            searchID: state.config.searchID, phase: state.phase.rawValue, evaluationsDone: UInt64(state.evaluations),
            budget: UInt64(state.config.budgetEvaluations), bestPerplexity: state.best.flatMap(state.fullFitness),
            bestFormula: state.best.map { state.individuals[$0].formula } ?? "",
            workersBusy: UInt32(busy), workersIdle: UInt32(state.workers.count - busy),
            jobsQueued: UInt32(state.queue.count))
    }
}
