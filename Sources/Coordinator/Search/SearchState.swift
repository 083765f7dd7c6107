import Shared

/// The search's state as a fold of journal events: `apply` is the only code that changes it (heartbeat lease
/// extensions excepted: they are not journaled, since every lease is re-issued on resume anyway). Replaying a
/// journal through `apply` therefore rebuilds exactly the state the crashed coordinator had.
///
/// Everything derived — jobs, queue order, promotions, the population — is computed here deterministically from
/// the events, never from clocks or randomness (those enter only through event fields).
public struct SearchState: Sendable {
    public private(set) var config = SearchConfig()
    public private(set) var startedAt: Double = 0
    /// Where the bundle was and how many workers were spawned, as last recorded (start or resume).
    public private(set) var launch = SearchEvent.Launch()
    public private(set) var individuals: [Individual] = []
    /// The first individual of each rank-canonical form.
    public private(set) var representative: [String: Int] = [:]
    public private(set) var jobs: [UInt64: JobRecord] = [:]
    public private(set) var nextJobID: UInt64 = 1
    /// Queued job ids in dispatch order.
    public private(set) var queue: [UInt64] = []
    /// Jobs currently leased (kept alongside `jobs` so that per-message questions stay O(1)).
    public private(set) var leasedJobs: Set<UInt64> = []
    public private(set) var testJobs: [UInt64] = []
    /// Individual ids; steady-state: kept to `config.population` best; generational: the survivors of the last
    /// barrier.
    public private(set) var population: [Int] = []
    public private(set) var generation = 0
    /// Index of the running generation's first individual (generations are born contiguously at the barrier).
    private var generationStart = 0
    public private(set) var phase = SearchPhase.evolving
    public private(set) var workers: [String: WorkerRecord] = [:]
    public private(set) var evaluations = 0, cheapEvaluations = 0, fullEvaluations = 0, testEvaluations = 0
    /// Children screened out on the cheap windows: full evaluations saved by multi-fidelity.
    public private(set) var savedFullEvaluations = 0
    public private(set) var cacheHits: [CacheHit: Int] = [:]
    public private(set) var leaseExpiries = 0
    /// Perplexities measured per mask fingerprint and window set.
    public private(set) var fingerprints: [UInt64: [WindowSet: Double]] = [:]
    /// Which perplexities are one result: widened by each joining worker's bound (see `FitnessEquivalence`).
    public private(set) var equivalence = FitnessEquivalence()
    public private(set) var finishReason: String?
    public private(set) var eventCount = 0

    public init() {}

    // MARK: applying events

    public mutating func apply(_ event: SearchEvent) throws(JournalError) {
        eventCount += 1
        switch event {
        case .started(let e):
            config = e.config
            startedAt = e.time
            launch = e.launch
        case .resumed(let e):
            launch = launch.updated(by: e.launch)
            requeueAllLeased()
        case .birth(let e):
            try applyBirth(e)
        case .dispatch(let e):
            guard var job = jobs[e.job] else { throw fault("dispatch of unknown job \(e.job)") }
            queue.removeAll { $0 == e.job }
            if case .leased(let previous, _) = job.state, previous != e.worker, workers[previous]?.job == e.job {
                workers[previous]?.job = nil
            }
            job.state = .leased(worker: e.worker, until: e.leaseUntil)
            job.attempts = e.attempt
            jobs[e.job] = job
            leasedJobs.insert(e.job)
            workers[e.worker]?.job = e.job
        case .result(let e):
            try applyResult(e)
        case .leaseExpired(let e):
            leaseExpiries += 1
            requeue(e.job)
        case .workerJoined(let e):
            equivalence = equivalence.widened(to: e.fitnessBound ?? 0)
            workers[e.worker] = WorkerRecord(id: e.worker, host: e.host, cores: e.cores, speed: e.speed, job: nil,
                                             results: workers[e.worker]?.results ?? 0)
        case .workerLeft(let e):
            if let job = workers[e.worker]?.job { requeue(job) }
            workers[e.worker] = nil
        case .generation(let e):
            guard e.generation == generation else {
                throw fault("generation \(e.generation) ended while generation \(generation) was running")
            }
            selectSurvivors()
            generation += 1
            generationStart = individuals.count
        case .testPhase:
            startTestPhase()
        case .finished(let e):
            phase = .finished
            finishReason = e.reason
        }
    }

    private func fault(_ problem: String) -> JournalError { JournalError(line: eventCount, problem: problem) }

    private mutating func applyBirth(_ e: SearchEvent.Birth) throws(JournalError) {
        guard e.individual == individuals.count else {
            throw fault("birth of individual \(e.individual), expected \(individuals.count)")
        }
        let expression: MetricExpression
        do { expression = try MetricExpression(parsing: e.formula) } catch {
            throw fault("birth formula '\(e.formula)': \(error)")
        }
        let rankKey = expression.rankCanonical.description
        var individual = Individual(
            id: e.individual, expression: expression, formula: e.formula, rankKey: rankKey, parents: e.parents,
            operatorName: e.operator, stream: e.stream, generation: e.generation, stage: .rated)
        if let original = representative[rankKey] {
            individual.stage = .duplicate(of: original)
            let hit: CacheHit
            switch individuals[original].stage {
            case .screening, .rating: hit = .inFlight
            default: hit = individuals[original].formula == e.formula ? .canonical : .rankCanonical
            }
            cacheHits[hit, default: 0] += 1
            individuals.append(individual)
            // A rediscovered metric may re-enter a steady-state population it had dropped out of.
            if config.mode == .steadyState { consider(original) }
            return
        }
        representative[rankKey] = e.individual
        let windows: WindowSet = config.multiFidelity ? .cheap : .full
        let job = makeJob(individual: e.individual, windows: windows, metricText: e.formula)
        individual.stage = windows == .cheap ? .screening(job: job) : .rating(job: job)
        individuals.append(individual)
    }

    private mutating func applyResult(_ e: SearchEvent.ResultRecord) throws(JournalError) {
        guard var job = jobs[e.job] else { throw fault("result for unknown job \(e.job)") }
        guard job.state != .done, job.state != .cancelled else { throw fault("second result for job \(e.job)") }
        if case .leased(let holder, _) = job.state, workers[holder]?.job == e.job { workers[holder]?.job = nil }
        if workers[e.worker]?.job == e.job { workers[e.worker]?.job = nil }
        workers[e.worker]?.results += 1
        queue.removeAll { $0 == e.job }
        leasedJobs.remove(e.job)
        job.state = .done
        jobs[e.job] = job

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
            testEvaluations += 1
            individuals[id].test = score
        case .cheap:
            evaluations += 1
            cheapEvaluations += 1
            individuals[id].cheap = score
            if isPromising(id) {
                promote(id, fingerprint: e.fingerprint)
            } else {
                individuals[id].stage = .screenedOut
                savedFullEvaluations += 1
            }
        case .full:
            evaluations += 1
            fullEvaluations += 1
            rate(id, score)
        }
    }

    // MARK: multi-fidelity

    /// Initial individuals are always promoted (they define what "promising" means); a child is promoted when
    /// its cheap score is no worse than the worst cheap score among the population's top part by full fitness.
    func isPromising(_ id: Int) -> Bool {
        guard let cheap = individuals[id].cheap?.value else { return false }
        if individuals[id].generation == 0 { return true }
        let k = max(1, Int((Double(config.population) * config.promoteTopFraction).rounded(.up)))
        let top = rankedPopulation().prefix(k)
        guard top.count == k else { return true }
        let threshold = top.compactMap { individuals[$0].cheap?.value }.max() ?? .infinity
        return equivalence.notWorse(cheap, than: threshold)
    }

    private mutating func promote(_ id: Int, fingerprint: UInt64) {
        if fingerprint != 0, let known = fingerprints[fingerprint]?[.full] {
            cacheHits[.mask, default: 0] += 1
            rate(id, .perplexity(known))
            return
        }
        let job = makeJob(individual: id, windows: .full, metricText: individuals[id].formula, front: true)
        individuals[id].stage = .rating(job: job)
    }

    private mutating func rate(_ id: Int, _ score: Score) {
        individuals[id].full = score
        individuals[id].stage = .rated
        if config.mode == .steadyState { consider(id) }
    }

    // MARK: population

    /// The full fitness of an individual (through its original, for a duplicate).
    public func fullFitness(_ id: Int) -> Double? {
        individuals[original(id)].full?.value
    }

    public func original(_ id: Int) -> Int {
        if case .duplicate(let of) = individuals[id].stage { return of }
        return id
    }

    /// Population ids ordered best first, fitnesses within the bound tied and ordered by canonical formula
    /// (`FitnessEquivalence.ranked`), failures last.
    public func rankedPopulation() -> [Int] {
        equivalence.ranked(population, fitness: fullFitness, key: { individuals[$0].formula })
    }

    /// Steady state: inserts a rated individual if it beats the worst (or there is room).
    private mutating func consider(_ id: Int) {
        guard fullFitness(id) != nil, !population.contains(id) else { return }
        population.append(id)
        if population.count > config.population { population = Array(rankedPopulation().prefix(config.population)) }
    }

    /// Generational barrier: the best `population` of the previous survivors and this generation's rated
    /// individuals (a duplicate contributes its original), ties broken by age.
    private mutating func selectSurvivors() {
        var candidates = Set(population)
        for individual in individuals[generationStart...] {
            let id = original(individual.id)
            if fullFitness(id) != nil { candidates.insert(id) }
        }
        population = Array(candidates)
        population = Array(rankedPopulation().prefix(config.population))
    }

    /// Whether every individual of the running generation has its final scores.
    public func generationSettled() -> Bool {
        individuals[generationStart...].allSatisfy { isSettled(original($0.id)) }
    }

    func isSettled(_ id: Int) -> Bool {
        switch individuals[id].stage {
        case .screening, .rating: false
        case .screenedOut, .rated, .duplicate: true
        }
    }

    // MARK: jobs

    private mutating func makeJob(individual: Int, windows: WindowSet, metricText: String, front: Bool = false)
        -> UInt64
    {
        let id = nextJobID
        nextJobID += 1
        jobs[id] = JobRecord(id: id, individual: individual, windows: windows, metricText: metricText,
                             state: .queued, attempts: 0)
        // Promotions and re-queued jobs go first: they finish individuals already half paid for.
        if front { queue.insert(id, at: 0) } else { queue.append(id) }
        return id
    }

    private mutating func requeue(_ id: UInt64) {
        guard var job = jobs[id], case .leased(let worker, _) = job.state else { return }
        if workers[worker]?.job == id { workers[worker]?.job = nil }
        job.state = .queued
        jobs[id] = job
        leasedJobs.remove(id)
        queue.insert(id, at: 0)
    }

    private mutating func requeueAllLeased() {
        for id in leasedJobs.sorted().reversed() { requeue(id) }
    }

    /// Lease extension by a heartbeat (not journaled: see the type's comment).
    mutating func extendLease(_ id: UInt64, until: Double) {
        guard var job = jobs[id], case .leased(let worker, let old) = job.state, until > old else { return }
        job.state = .leased(worker: worker, until: until)
        jobs[id] = job
    }

    private mutating func startTestPhase() {
        phase = .testing
        for id in queue { jobs[id]?.state = .cancelled }
        queue.removeAll()
        for id in rankedPopulation().prefix(config.testTopK) where fullFitness(id) != nil {
            testJobs.append(makeJob(individual: id, windows: .test, metricText: individuals[id].formula))
        }
    }

    // MARK: questions the machine asks

    /// Jobs currently leased, excluding test jobs when `evolutionOnly`.
    func leasedCount(evolutionOnly: Bool) -> Int {
        evolutionOnly ? leasedJobs.count { jobs[$0]?.windows != .test } : leasedJobs.count
    }

    var testJobsDone: Bool {
        testJobs.allSatisfy { jobs[$0]?.state == .done }
    }

    /// The best rated individual.
    public var best: Int? { rankedPopulation().first.flatMap { fullFitness($0) != nil ? $0 : nil } }
}
