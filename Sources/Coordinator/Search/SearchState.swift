import Shared

/// The search's state as a fold of journal events: `apply` is the only code that changes it (heartbeat lease
/// extensions excepted: they are not journaled, since every lease is re-issued on resume anyway). Replaying a
/// journal through `apply` therefore rebuilds exactly the state the crashed coordinator had.
///
/// Everything derived — jobs, queue order, promotions, the population — is computed here deterministically from
/// the events, never from clocks or randomness (those enter only through event fields). The parts have one concern
/// each — `Population` (individuals and who survives), `JobBook` (jobs and their queue), `WorkerRegistry`,
/// `SearchCounters` — and this fold, with the multi-fidelity promotion policy, is what ties them together.
package struct SearchState: Sendable {
    package private(set) var config = SearchConfig()
    package private(set) var startedAt: Double = 0
    /// Where the bundle was and how many workers were spawned, as last recorded (start or resume).
    package private(set) var launch = SearchEvent.Launch()
    private(set) var lineage = Population()
    private(set) var book = JobBook()
    private(set) var registry = WorkerRegistry()
    private(set) var counters = SearchCounters()
    package private(set) var phase = SearchPhase.evolving
    /// Perplexities measured per mask fingerprint and window set.
    package private(set) var fingerprints: [UInt64: [WindowSet: Double]] = [:]
    /// Which perplexities are one result: widened by each joining worker's bound (see `FitnessEquivalence`).
    package private(set) var equivalence = FitnessEquivalence()
    package private(set) var finishReason: String?
    /// After evolution: the individuals ranked on held-out windows (the best searched metrics, then the baselines).
    package private(set) var finalists: [Int] = []
    /// The search's answer: the searched finalist ranked best on validation (on test for a bundle without
    /// validation windows; by fitness in journals from before either); nil until known.
    package private(set) var chosen: Int?
    /// Reference baselines' results, in `config.references` order.
    package private(set) var references: [ReferenceLine] = []
    /// With a non-uniform layer sparsity: the fraction pruned per linear (model order), from the first metric result.
    package private(set) var allocation: [Double]?
    package private(set) var eventCount = 0

    package init() {}

    // MARK: applying events

    package mutating func apply(_ event: SearchEvent) throws(JournalError) {
        eventCount += 1
        switch event {
        case .started(let e):
            config = e.config
            equivalence = FitnessEquivalence(fixedWidth: e.config.tieWidth)
            startedAt = e.time
            launch = e.launch
            // Reference jobs first in the queue: their result is there whenever the report is written.
            references = e.config.references.map(ReferenceLine.init)
            for method in e.config.references { book.makeReference(method, windows: .full) }
        case .resumed(let e):
            launch = launch.updated(by: e.launch)
            for id in book.leasedJobs.sorted().reversed() { requeue(id) }
        case .birth(let e):
            try applyBirth(e)
        case .dispatch(let e):
            guard book[e.job] != nil else { throw fault("dispatch of unknown job \(e.job)") }
            if let previous = book.lease(e.job, to: e.worker, until: e.leaseUntil, attempt: e.attempt) {
                registry.release(e.job, from: previous)
            }
            registry.assign(e.job, to: e.worker)
        case .result(let e):
            try applyResult(e)
        case .leaseExpired(let e):
            counters.leaseExpiries += 1
            requeue(e.job)
        case .workerJoined(let e):
            equivalence = equivalence.widened(to: e.fitnessBound ?? 0)
            registry.join(e.worker, host: e.host, cores: e.cores, speed: e.speed)
        case .workerLeft(let e):
            if let job = registry[e.worker]?.job { requeue(job) }
            registry.remove(e.worker)
        case .generation(let e):
            guard e.generation == lineage.generation else {
                throw fault("generation \(e.generation) ended while generation \(lineage.generation) was running")
            }
            lineage.closeGeneration(size: config.population, equivalence: equivalence)
        case .testPhase:
            startTestPhase()
        case .finished(let e):
            phase = .finished
            finishReason = e.reason
        }
    }

    private func fault(_ problem: String) -> JournalError { JournalError(line: eventCount, problem: problem) }

    private mutating func applyBirth(_ e: SearchEvent.Birth) throws(JournalError) {
        guard e.individual == lineage.individuals.count else {
            throw fault("birth of individual \(e.individual), expected \(lineage.individuals.count)")
        }
        let expression: MetricExpression
        do { expression = try MetricExpression(parsing: e.formula) } catch {
            throw fault("birth formula '\(e.formula)': \(error)")
        }
        // Masks compare within the run's group: a per-row factor merges two metrics per row, not per layer.
        let rankKey = expression.rankCanonical(for: config.comparisonGroup).description
        var individual = Individual(
            id: e.individual, expression: expression, formula: e.formula, rankKey: rankKey, parents: e.parents,
            operatorName: e.operator, stream: e.stream, generation: e.generation, stage: .rated)
        if let original = lineage.representative[rankKey] {
            individual.stage = .duplicate(of: original)
            let hit: CacheHit
            switch lineage.individuals[original].stage {
            case .screening, .rating: hit = .inFlight
            default: hit = lineage.individuals[original].formula == e.formula ? .canonical : .rankCanonical
            }
            counters.cacheHits[hit, default: 0] += 1
            lineage.individuals.append(individual)
            // A rediscovered metric may re-enter a steady-state population it had dropped out of.
            if config.mode == .steadyState {
                lineage.consider(original, size: config.population, equivalence: equivalence)
            }
            return
        }
        lineage.represent(rankKey, by: e.individual)
        let windows: WindowSet = config.multiFidelity ? .cheap : .full
        let job = book.make(individual: e.individual, windows: windows, metricText: e.formula)
        individual.stage = windows == .cheap ? .screening(job: job) : .rating(job: job)
        lineage.individuals.append(individual)
    }

    private mutating func applyResult(_ e: SearchEvent.ResultRecord) throws(JournalError) {
        guard let job = book[e.job] else { throw fault("result for unknown job \(e.job)") }
        guard job.state != .done, job.state != .cancelled else { throw fault("second result for job \(e.job)") }
        if let holder = book.complete(e.job) { registry.release(e.job, from: holder) }
        registry.release(e.job, from: e.worker)
        registry.countResult(of: e.worker)
        for (stage, seconds) in e.stages ?? [:] { counters.stageSeconds[stage, default: 0] += seconds }
        if allocation == nil, let layers = e.layerSparsity { allocation = layers }
        if job.method != .metric {
            // A reference line: no individual, no budget, no mask record.
            let score: Score = e.perplexity.map { .perplexity($0) } ?? .failed(e.failure ?? "failed")
            if let index = references.firstIndex(where: { $0.method == job.method }) {
                references[index].record(score, on: job.windows, seconds: e.seconds)
            }
            return
        }

        if let blocks = e.abortedAfter {
            guard job.windows == .cheap else { throw fault("job \(e.job) on \(job.windows) windows aborted by depth") }
            counters.evaluations += 1
            counters.depthAborts += 1
            counters.depthAbortBlocks += blocks
            lineage.individuals[job.individual].depthAbort = DepthAbortRecord(
                blocks: blocks, divergence: e.divergence ?? [], estimate: e.estimate)
            lineage.individuals[job.individual].stage = .screenedOut
            return
        }
        if let windows = e.racedAfter {
            guard job.windows == .full, let estimate = e.estimate, estimate >= 1, estimate.isFinite else {
                throw fault("job \(e.job) on \(job.windows) windows raced out without an estimate")
            }
            counters.evaluations += 1
            counters.fullEvaluations += 1
            counters.races += 1
            counters.raceWindows += windows
            if individuals[job.individual].generation > 0 { counters.childFullEvaluations += 1 }
            lineage.individuals[job.individual].race = RaceRecord(windows: windows, estimate: estimate)
            rate(job.individual, .perplexity(estimate))
            return
        }
        let measured: Score = e.perplexity.map { .perplexity($0) } ?? .failed(e.failure ?? "failed")
        // Masks already measured on these windows: one record, the first (a re-measurement within the bound).
        let recorded = e.fingerprint != 0 ? fingerprints[e.fingerprint]?[job.windows] : nil
        let score = equivalence.resolve(measured, recorded: recorded).score
        if recorded == nil, let value = score.value, e.fingerprint != 0 {
            fingerprints[e.fingerprint, default: [:]][job.windows] = value
        }
        let id = job.individual
        switch job.windows {
        case .test:
            counters.testEvaluations += 1
            lineage.individuals[id].test = score
            if config.finalRanking == .test, book.heldOutDone(.test) { chosen = choose(on: .test) }
        case .validation:
            counters.validationEvaluations += 1
            lineage.individuals[id].validation = score
            if book.heldOutDone(.validation) { testChosenAndBaselines() }
        case .cheap:
            counters.evaluations += 1
            counters.cheapEvaluations += 1
            lineage.individuals[id].cheap = score
            lineage.individuals[id].cheapDivergence = e.divergence
            lineage.individuals[id].cheapLoss = e.windowLoss
            if isPromising(id) {
                promote(id, fingerprint: e.fingerprint)
            } else {
                lineage.individuals[id].stage = .screenedOut
                counters.savedFullEvaluations += 1
            }
        case .full:
            counters.evaluations += 1
            counters.fullEvaluations += 1
            // With screen reuse the job ran only the windows after the screen's (the same rule `wireJob` used).
            if let loss = e.windowLoss, score.value != nil {
                let screen = screenPerplexity(for: id) != nil ? individuals[id].cheapLoss : []
                lineage.individuals[id].fullLoss = screen.map { $0 + loss }
            }
            if individuals[id].generation > 0 {
                counters.childFullEvaluations += 1
                if isWithinTheRank(score) { counters.childFullWithinRank += 1 }
            }
            rate(id, score)
        }
    }

    /// Puts a leased job back at the front of the queue and frees its worker.
    private mutating func requeue(_ id: UInt64) {
        if let worker = book.requeue(id) { registry.release(id, from: worker) }
    }

    // MARK: multi-fidelity

    /// Initial individuals are always promoted (they define what "promising" means); a child is promoted when
    /// its cheap score is no worse than the worst cheap score among the population's top part by full fitness.
    func isPromising(_ id: Int) -> Bool {
        guard let cheap = individuals[id].cheap?.value else { return false }
        if individuals[id].generation == 0 { return true }
        guard let threshold = promotionThreshold() else { return true }
        return equivalence.notWorse(cheap, than: threshold)
    }

    /// What a promoted child's full job carries (`SearchConfig.screenReuse`): its cheap perplexity, which is
    /// these masks' value on the first of the full windows (none without multi-fidelity: no screen ran). Only
    /// values a worker accepts (finite, ≥ 1) are sent.
    func screenPerplexity(for id: Int) -> Double? {
        guard config.screenReuse == true, individuals.indices.contains(id),
              let cheap = individuals[id].cheap?.value, cheap.isFinite, cheap >= 1 else { return nil }
        return cheap
    }

    private mutating func promote(_ id: Int, fingerprint: UInt64) {
        if fingerprint != 0, let known = fingerprints[fingerprint]?[.full] {
            counters.cacheHits[.mask, default: 0] += 1
            rate(id, .perplexity(known))
            return
        }
        let job = book.make(individual: id, windows: .full, metricText: individuals[id].formula, front: true)
        lineage.individuals[id].stage = .rating(job: job)
    }

    private mutating func rate(_ id: Int, _ score: Score) {
        lineage.individuals[id].full = score
        lineage.individuals[id].stage = .rated
        if config.mode == .steadyState {
            lineage.consider(id, size: config.population, equivalence: equivalence)
        }
    }

    private mutating func startTestPhase() {
        phase = .testing
        book.cancelQueued()
        // Reference methods (SparseGPT) are reference lines: measured on test whatever ranks the finalists.
        if config.testTopK > 0 {
            for method in config.references { book.makeReference(method, windows: .test) }
        }
        guard let ranking = config.finalRanking else {
            // Journals from before validation windows: the best by fitness, and the top few tested.
            for id in rankedPopulation().prefix(config.testTopK) where fullFitness(id) != nil {
                _ = book.make(individual: id, windows: .test, metricText: individuals[id].formula)
            }
            chosen = best
            return
        }
        let searched = rankedPopulation().filter { fullFitness($0) != nil && !isBaseline($0) }.prefix(config.testTopK)
        finalists = Array(searched) + baselineIndividuals
        for id in finalists {
            _ = book.make(individual: id, windows: ranking == .validation ? .validation : .test,
                          metricText: individuals[id].formula)
        }
    }

    /// Validation done: the chosen metric and the baselines (only they) go to the test windows.
    private mutating func testChosenAndBaselines() {
        chosen = choose(on: .validation)
        let tested = (chosen.map { [$0] } ?? []) + baselineIndividuals
        for id in tested {
            _ = book.make(individual: id, windows: .test, metricText: individuals[id].formula)
        }
    }

    /// The searched finalist best on `windows` (ties within the bound by canonical formula, as every ranking);
    /// the best by fitness when none has a value there (every held-out evaluation failed).
    private func choose(on windows: WindowSet) -> Int? {
        let searched = finalists.filter { !isBaseline($0) }
        let value: (Int) -> Double? = { windows == .validation ? self.individuals[$0].validation?.value
                                                               : self.individuals[$0].test?.value }
        let ranked = equivalence.ranked(searched, fitness: value, key: { individuals[$0].formula })
        if let first = ranked.first, value(first) != nil { return first }
        return searched.first
    }

    /// Seeded baselines that were measured (their originals; a failed baseline has nothing to compare).
    package var baselineIndividuals: [Int] {
        individuals.filter { config.baselineName(individual: $0.id) != nil && fullFitness($0.id) != nil }
            .map { original($0.id) }
    }

    package func isBaseline(_ id: Int) -> Bool { baselineIndividuals.contains(original(id)) }

    /// Lease extension by a heartbeat (not journaled: see the type's comment).
    mutating func extendLease(_ id: UInt64, until: Double) { book.extendLease(id, until: until) }
}
