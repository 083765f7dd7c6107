/// Addressing nodes of a metric tree by pre-order index (root = 0), as subtree crossover and mutation need.
extension MetricExpression {
    /// The subtree rooted at pre-order index `index` (0 ..< nodeCount).
    package func subtree(at index: Int) -> MetricExpression {
        var remaining = index
        return locate(&remaining)!
    }

    private func locate(_ remaining: inout Int) -> MetricExpression? {
        if remaining == 0 { return self }
        remaining -= 1
        switch self {
        case .terminal: return nil
        case .unary(_, let x): return x.locate(&remaining)
        case .binary(_, let a, let b): return a.locate(&remaining) ?? b.locate(&remaining)
        }
    }

    /// A copy with the subtree at pre-order index `index` replaced by `replacement`.
    package func replacing(at index: Int, with replacement: MetricExpression) -> MetricExpression {
        var remaining = index
        return replace(&remaining, replacement)
    }

    private func replace(_ remaining: inout Int, _ replacement: MetricExpression) -> MetricExpression {
        if remaining == 0 { remaining = -1; return replacement }
        if remaining < 0 { return self }
        remaining -= 1
        switch self {
        case .terminal: return self
        case .unary(let op, let x): return .unary(op, x.replace(&remaining, replacement))
        case .binary(let op, let a, let b):
            let newA = a.replace(&remaining, replacement)
            return .binary(op, newA, b.replace(&remaining, replacement))
        }
    }

    /// Depth (distance from the root) of the node at pre-order index `index`.
    package func nodeDepth(at index: Int) -> Int {
        var remaining = index
        return depthOf(&remaining, level: 0)!
    }

    private func depthOf(_ remaining: inout Int, level: Int) -> Int? {
        if remaining == 0 { return level }
        remaining -= 1
        switch self {
        case .terminal: return nil
        case .unary(_, let x): return x.depthOf(&remaining, level: level + 1)
        case .binary(_, let a, let b):
            return a.depthOf(&remaining, level: level + 1) ?? b.depthOf(&remaining, level: level + 1)
        }
    }
}
