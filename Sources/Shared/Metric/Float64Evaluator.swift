import Foundation

/// The plain twin of `MetricEvaluator`: a recursive tree walk in Float64 over arrays, written for clarity, with the
/// same operator semantics (including the NaN rules for degenerate `mms`/`zsn`). Tests compare the compiled Float32
/// program against it; nothing on a hot path uses it.
struct Float64Evaluator {
    let rows: Int
    let cols: Int
    let W: [Double]
    let G: [Double]
    let X: [Double]

    /// A value and whether it is a (1, cols) row.
    struct Value {
        var data: [Double]
        var isRow: Bool
    }

    /// The metric broadcast to (rows, cols).
    func evaluate(_ e: MetricExpression) -> [Double] {
        let v = value(e)
        return v.isRow ? (0..<rows).flatMap { _ in v.data } : v.data
    }

    func value(_ e: MetricExpression) -> Value {
        switch e {
        case .terminal(.W): return Value(data: W, isRow: false)
        case .terminal(.G): return Value(data: G, isRow: false)
        case .terminal(.X): return Value(data: X, isRow: true)
        case .unary(let op, let x):
            var v = value(x)
            v.data = unary(op, v.data)
            return v
        case .binary(let op, let a, let b):
            var x = value(a), y = value(b)
            if x.isRow != y.isRow {
                if x.isRow { x = broadcast(x) } else { y = broadcast(y) }
            }
            let data: [Double]
            switch op {
            case .add: data = zip(x.data, y.data).map { $0 + $1 }
            case .sub: data = zip(x.data, y.data).map { $0 - $1 }
            case .mul: data = zip(x.data, y.data).map { $0 * $1 }
            case .div:
                let norm = y.data.reduce(0) { $0 + $1 * $1 }.squareRoot()
                data = x.data.map { $0 / norm }
            }
            return Value(data: data, isRow: x.isRow)
        }
    }

    func broadcast(_ v: Value) -> Value {
        Value(data: (0..<rows).flatMap { _ in v.data }, isRow: false)
    }

    func unary(_ op: UnaryOperator, _ x: [Double]) -> [Double] {
        switch op {
        case .sqr, .pow: return x.map { $0 * $0 }
        case .neg: return x.map { -$0 }
        case .abs: return x.map { Swift.abs($0) }
        case .log: return x.map { Foundation.log(Swift.abs($0) + 0.001) }
        case .exp: return x.map { Foundation.exp($0 > 100 ? 100 : $0) }
        case .sqrt: return x.map { Swift.abs($0).squareRoot() }
        case .tanh: return x.map { Foundation.tanh($0) }
        case .skp: return x
        case .mms:
            guard !x.contains(where: \.isNaN), let low = x.min(), let high = x.max(), high != low else {
                return x.map { _ in .nan }
            }
            return x.map { ($0 - low) / (high - low) }
        case .zsn:
            let n = Double(x.count)
            let mean = x.reduce(0, +) / n
            let std = (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
            guard x.count > 1, !std.isNaN, std != 0 else { return x.map { _ in .nan } }
            return x.map { ($0 - mean) / std }
        }
    }
}
