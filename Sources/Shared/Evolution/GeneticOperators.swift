/// Subtree crossover, subtree and point mutation, and tournament selection, over immutable trees.
///
/// Every operator returns a tree within `settings.limits`: it retries up to `settings.attempts` times and then
/// falls back to (a copy of) its first parent, so a limit can never be broken and the operators always terminate.
package enum GeneticOperators {
    /// Which operator produced a child (for the search journal).
    package enum Kind: String, Sendable, Codable {
        case crossover, subtreeMutation, pointMutation, reproduction
    }

    /// Replaces a random subtree of `first` with a random subtree of `second`.
    package static func crossover(_ first: MetricExpression, _ second: MetricExpression,
                                 settings: EvolutionSettings, using rng: inout SeededRandom) -> MetricExpression {
        for _ in 0..<settings.attempts {
            let donor = second.subtree(at: rng.below(second.nodeCount))
            let child = first.replacing(at: rng.below(first.nodeCount), with: donor)
            if fits(child, settings) { return child }
        }
        return first
    }

    /// Replaces a random subtree with a fresh random tree of depth ≤ `settings.mutationSubtreeDepth`.
    package static func subtreeMutation(_ parent: MetricExpression, settings: EvolutionSettings,
                                       using rng: inout SeededRandom) -> MetricExpression {
        for _ in 0..<settings.attempts {
            let graft = TreeGenerator.randomTree(grow: true, minDepth: 0, maxDepth: settings.mutationSubtreeDepth,
                                                 operators: settings.operatorSet, using: &rng)
            let child = parent.replacing(at: rng.below(parent.nodeCount), with: graft)
            if fits(child, settings) { return child }
        }
        return parent
    }

    /// Changes one node's symbol to another of the same arity (shape and size stay the same).
    package static func pointMutation(_ parent: MetricExpression, settings: EvolutionSettings,
                                     using rng: inout SeededRandom) -> MetricExpression {
        let index = rng.below(parent.nodeCount)
        let replaced: MetricExpression
        switch parent.subtree(at: index) {
        case .terminal(let t):
            replaced = .terminal(rng.pick(Terminal.allCases.filter { $0 != t }))
        case .unary(let op, let x):
            replaced = .unary(rng.pick(settings.operatorSet.unary.filter { $0 != op }), x)
        case .binary(let op, let a, let b):
            replaced = .binary(rng.pick(settings.operatorSet.binary.filter { $0 != op }), a, b)
        }
        return parent.replacing(at: index, with: replaced)
    }

    /// One birth: picks an operator by `settings`' probabilities and applies it to parents drawn by `select`.
    package static func breed(settings: EvolutionSettings, using rng: inout SeededRandom,
                             select: (inout SeededRandom) -> MetricExpression)
        -> (child: MetricExpression, kind: Kind, parents: [MetricExpression])
    {
        let roll = rng.unit()
        if roll < settings.crossoverProbability {
            let a = select(&rng), b = select(&rng)
            return (crossover(a, b, settings: settings, using: &rng), .crossover, [a, b])
        }
        let parent = select(&rng)
        if roll < settings.crossoverProbability + settings.subtreeMutationProbability {
            return (subtreeMutation(parent, settings: settings, using: &rng), .subtreeMutation, [parent])
        }
        return (pointMutation(parent, settings: settings, using: &rng), .pointMutation, [parent])
    }

    /// Tournament selection: the index of the fittest of `size` uniformly drawn entries (with replacement).
    /// Lower fitness is better (fitness is perplexity); NaN and nil (failed evaluations) lose to any number.
    package static func tournament(fitness: [Double?], size: Int, using rng: inout SeededRandom) -> Int {
        precondition(!fitness.isEmpty, "tournament over an empty population")
        var best = rng.below(fitness.count)
        for _ in 1..<max(1, size) {
            let contender = rng.below(fitness.count)
            if isBetter(fitness[contender], than: fitness[best]) { best = contender }
        }
        return best
    }

    /// Strict order on fitness values: finite lower is better; NaN/nil are worst and tie with each other.
    package static func isBetter(_ a: Double?, than b: Double?) -> Bool {
        guard let a, !a.isNaN else { return false }
        guard let b, !b.isNaN else { return true }
        return a < b
    }

    static func fits(_ e: MetricExpression, _ settings: EvolutionSettings) -> Bool {
        (try? settings.limits.check(e)) != nil
    }
}
