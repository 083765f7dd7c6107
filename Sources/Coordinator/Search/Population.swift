import Shared

/// Every individual born, the first of each rank-canonical form, and the population: steady-state, kept to the
/// configured size by full fitness; generational, the survivors of the last barrier.
struct Population: Sendable {
    /// Written by `SearchState`'s fold, which decides each individual's stage and scores.
    var individuals: [Individual] = []
    /// The first individual of each rank-canonical form.
    private(set) var representative: [String: Int] = [:]
    /// Individual ids in the population.
    private(set) var members: [Int] = []
    private(set) var generation = 0
    /// Index of the running generation's first individual (generations are born contiguously at the barrier).
    private var generationStart = 0

    /// Records `id` as the first of `rankKey`'s form.
    mutating func represent(_ rankKey: String, by id: Int) { representative[rankKey] = id }

    /// The full fitness of an individual (through its original, for a duplicate).
    func fullFitness(_ id: Int) -> Double? {
        individuals[original(id)].full?.value
    }

    func original(_ id: Int) -> Int {
        if case .duplicate(let of) = individuals[id].stage { return of }
        return id
    }

    /// Members ordered best first, fitnesses within `equivalence`'s bound tied and ordered by canonical formula
    /// (`FitnessEquivalence.ranked`), failures last.
    func ranked(_ equivalence: FitnessEquivalence) -> [Int] {
        equivalence.ranked(members, fitness: fullFitness, key: { individuals[$0].formula })
    }

    /// Steady state: inserts a rated individual if it beats the worst (or there is room among `size`); the ranking
    /// is `equivalence`'s, which the fold widens as workers join.
    mutating func consider(_ id: Int, size: Int, equivalence: FitnessEquivalence) {
        guard fullFitness(id) != nil, !members.contains(id) else { return }
        members.append(id)
        if members.count > size { members = Array(ranked(equivalence).prefix(size)) }
    }

    /// Generational barrier: the best `size` of the previous survivors and this generation's rated individuals
    /// (a duplicate contributes its original), ties broken by age; then the next generation starts.
    mutating func closeGeneration(size: Int, equivalence: FitnessEquivalence) {
        var candidates = Set(members)
        for individual in individuals[generationStart...] {
            let id = original(individual.id)
            if fullFitness(id) != nil { candidates.insert(id) }
        }
        members = Array(candidates)
        members = Array(ranked(equivalence).prefix(size))
        generation += 1
        generationStart = individuals.count
    }

    /// Whether every individual of the running generation has its final scores.
    func generationSettled() -> Bool {
        individuals[generationStart...].allSatisfy { isSettled(original($0.id)) }
    }

    func isSettled(_ id: Int) -> Bool {
        switch individuals[id].stage {
        case .screening, .rating: false
        case .screenedOut, .rated, .duplicate: true
        }
    }
}
