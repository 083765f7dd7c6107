/// What can be proved about the sign of every element of a metric value, from the tree alone.
///
/// W, G and X are non-negative by construction (|weight|, a norm, a sum of squares), which makes many rewrites
/// sound: `abs(mul(W, G))` is `mul(W, G)`, and `sqr` is strictly increasing on a non-negative operand.
/// NaN has no sign; the analysis ignores it, and every rewrite that uses the analysis maps NaN to NaN anyway.
enum Sign: Sendable, Hashable {
    case nonNegative
    case nonPositive
    case unknown

    var negated: Sign {
        switch self {
        case .nonNegative: .nonPositive
        case .nonPositive: .nonNegative
        case .unknown: .unknown
        }
    }
}

extension MetricExpression {
    /// The sign every element is proved to have.
    var sign: Sign {
        switch self {
        case .terminal: return .nonNegative
        case .unary(let op, let x): return op.row.sign(x.sign)
        case .binary(let op, let a, let b): return op.row.sign(a.sign, b.sign)
        }
    }

    /// Every element is provably ≥ 0 (or NaN).
    var isNonNegative: Bool { sign == .nonNegative }
}
