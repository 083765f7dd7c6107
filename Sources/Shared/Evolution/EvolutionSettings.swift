/// Knobs of the genetic operators. Defaults follow the reference where it has one (initial depths 2…4, uniform
/// choice over its 15 operators and 3 terminals) and the GP literature where it does not.
package struct EvolutionSettings: Sendable, Hashable, Codable {
    /// Depth bounds of random trees (ramped half-and-half ramps over this range).
    package var minInitialDepth = 2
    package var maxInitialDepth = 4
    /// Bounds every offspring must respect; an operator whose result breaks them retries, then returns a parent.
    package var limits = MetricLimits(maxDepth: 8, maxNodes: 48)
    /// Individuals drawn per tournament.
    package var tournamentSize = 4
    /// Operator mix for one birth: crossover, else subtree mutation, else point mutation.
    package var crossoverProbability = 0.7
    package var subtreeMutationProbability = 0.15
    /// Maximum depth of the random subtree grafted by subtree mutation.
    package var mutationSubtreeDepth = 2
    /// Attempts an operator makes to produce a child within `limits` before giving up.
    package var attempts = 8
    /// The operators drawn; nil in a configuration written before the set existed, which drew the paper's.
    package var operators: OperatorSet? = .all

    package var operatorSet: OperatorSet { operators ?? .paper }

    package init() {}
}
