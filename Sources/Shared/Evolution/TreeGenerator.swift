/// Random metric trees, drawn as the reference's `GPTree.random_tree` draws them: below `minDepth` always an
/// operator; at `maxDepth` always a terminal; in between, "full" trees take an operator and "grow" trees toss a coin
/// between terminal and operator. Operators are drawn uniformly from the set (the paper's 15: 11 unary, 4 binary;
/// all 17 with rown and coln), terminals from 3.
package enum TreeGenerator {
    package static func randomTree(grow: Bool, minDepth: Int, maxDepth: Int, depth: Int = 0,
                                  operators: OperatorSet = .all, using rng: inout SeededRandom) -> MetricExpression {
        let takeOperator: Bool
        if depth < minDepth { takeOperator = true }
        else if depth >= maxDepth { takeOperator = false }
        else { takeOperator = grow ? rng.unit() >= 0.5 : true }

        guard takeOperator else { return .terminal(rng.pick(Terminal.allCases)) }
        let unary = operators.unary, binary = operators.binary
        let choice = rng.below(unary.count + binary.count)
        func child(_ rng: inout SeededRandom) -> MetricExpression {
            randomTree(grow: grow, minDepth: minDepth, maxDepth: maxDepth, depth: depth + 1, operators: operators,
                       using: &rng)
        }
        if choice < unary.count {
            return .unary(unary[choice], child(&rng))
        }
        let op = binary[choice - unary.count]
        let left = child(&rng)
        return .binary(op, left, child(&rng))
    }

    /// `count` trees by ramped half-and-half: maximum depths cycle over minInitialDepth…maxInitialDepth and
    /// alternate between grow and full, so the population starts with varied shapes and sizes.
    package static func rampedHalfAndHalf(count: Int, settings: EvolutionSettings,
                                         using rng: inout SeededRandom) -> [MetricExpression] {
        let depths = Array(settings.minInitialDepth...max(settings.minInitialDepth, settings.maxInitialDepth))
        return (0..<count).map { i in
            let maxDepth = depths[(i / 2) % depths.count]
            return randomTree(grow: i % 2 == 0, minDepth: min(settings.minInitialDepth, maxDepth),
                              maxDepth: maxDepth, operators: settings.operatorSet, using: &rng)
        }
    }
}
