import Shared

/// Births: the initial population and children. Each individual draws from its own RNG stream (its id), so any
/// birth can be re-drawn from the seed and the individuals it selected from.
enum Breeding {
    /// Individual `index` of the initial population: a baseline while any are left, else a ramped
    /// half-and-half tree (depths ramp with the index, grow and full alternate), canonicalised.
    static func initial(index: Int, config: SearchConfig) -> (MetricExpression, operator: String) {
        let baselines = config.seededBaselines
        if index < baselines.count, let tree = try? MetricExpression(parsing: baselines[index]) {
            return (tree.canonical, "seed")
        }
        let settings = config.evolution
        var rng = SeededRandom(seed: config.seed, stream: UInt64(index))
        let depths = Array(settings.minInitialDepth...max(settings.minInitialDepth, settings.maxInitialDepth))
        let maxDepth = depths[(index / 2) % depths.count]
        let tree = TreeGenerator.randomTree(grow: index % 2 == 0, minDepth: min(settings.minInitialDepth, maxDepth),
                                            maxDepth: maxDepth, operators: settings.operatorSet, using: &rng)
        return (tree.canonical, "initial")
    }

    /// A child of `pool` (individual ids with their full fitness) by tournament and one genetic operator, then
    /// OOS and canonicalisation. Returns the ids of the parents it used. Tournaments compare through
    /// `equivalence`, so fitnesses within the workers' bound are decided by canonical formula, not by rounding.
    static func child(index: Int, pool: [(id: Int, expression: MetricExpression, fitness: Double?)],
                      config: SearchConfig, equivalence: FitnessEquivalence)
        -> (MetricExpression, operator: String, parents: [Int])
    {
        var rng = SeededRandom(seed: config.seed, stream: UInt64(index))
        let fitness = equivalence.tournamentFitness(pool)
        var chosen: [Int] = []
        let (child, kind, _) = GeneticOperators.breed(settings: config.evolution, using: &rng) { rng in
            let pick = GeneticOperators.tournament(fitness: fitness, size: config.evolution.tournamentSize, using: &rng)
            chosen.append(pool[pick].id)
            return pool[pick].expression
        }
        return (child.canonical, kind.rawValue, chosen)
    }
}
