import Shared

/// What the machine, the report and the tests read of a `SearchState`, by part.
extension SearchState {
    // MARK: population

    package var individuals: [Individual] { lineage.individuals }
    /// The first individual of each rank-canonical form.
    package var representative: [String: Int] { lineage.representative }
    /// Individual ids; steady-state: kept to `config.population` best; generational: the survivors of the last
    /// barrier.
    package var population: [Int] { lineage.members }
    package var generation: Int { lineage.generation }
    /// The full fitness of an individual (through its original, for a duplicate).
    package func fullFitness(_ id: Int) -> Double? { lineage.fullFitness(id) }
    package func original(_ id: Int) -> Int { lineage.original(id) }
    /// Population ids ordered best first, fitnesses within the bound tied and ordered by canonical formula
    /// (`FitnessEquivalence.ranked`), failures last.
    package func rankedPopulation() -> [Int] { lineage.ranked(equivalence) }
    /// Whether every individual of the running generation has its final scores.
    package func generationSettled() -> Bool { lineage.generationSettled() }
    func isSettled(_ id: Int) -> Bool { lineage.isSettled(id) }
    /// The best rated individual.
    package var best: Int? { rankedPopulation().first.flatMap { fullFitness($0) != nil ? $0 : nil } }

    // MARK: jobs

    package var jobs: [UInt64: JobRecord] { book.jobs }
    package var nextJobID: UInt64 { book.nextJobID }
    /// Queued job ids in dispatch order.
    package var queue: [UInt64] { book.queue }
    /// Jobs currently leased.
    package var leasedJobs: Set<UInt64> { book.leasedJobs }
    package var testJobs: [UInt64] { book.testJobs }
    /// Jobs currently leased, excluding test jobs when `evolutionOnly`.
    func leasedCount(evolutionOnly: Bool) -> Int { book.leasedCount(evolutionOnly: evolutionOnly) }
    var testJobsDone: Bool { book.testJobsDone }

    // MARK: workers

    package var workers: [String: WorkerRecord] { registry.workers }

    // MARK: counters

    package var evaluations: Int { counters.evaluations }
    package var cheapEvaluations: Int { counters.cheapEvaluations }
    package var fullEvaluations: Int { counters.fullEvaluations }
    package var testEvaluations: Int { counters.testEvaluations }
    package var validationEvaluations: Int { counters.validationEvaluations }
    /// Children screened out on the cheap windows: full evaluations saved by multi-fidelity.
    package var savedFullEvaluations: Int { counters.savedFullEvaluations }
    package var cacheHits: [CacheHit: Int] { counters.cacheHits }
    package var leaseExpiries: Int { counters.leaseExpiries }
    /// Cheap screens stopped by depth, and the blocks they ran in total.
    package var depthAborts: Int { counters.depthAborts }
    package var depthAbortBlocks: Int { counters.depthAbortBlocks }
    /// Full evaluations stopped by their race, and the full windows they saw in total.
    package var races: Int { counters.races }
    package var raceWindows: Int { counters.raceWindows }
    /// Children's full evaluations, and those no worse than the population's rank-th member on arrival.
    package var childFullEvaluations: Int { counters.childFullEvaluations }
    package var childFullWithinRank: Int { counters.childFullWithinRank }
    /// Workers' seconds per stage over every result.
    package var stageSeconds: [String: Double] { counters.stageSeconds }
}
