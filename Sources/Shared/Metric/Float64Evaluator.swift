import Foundation

/// The plain twin of `MetricEvaluator`: a recursive tree walk in Float64 over arrays, written for clarity, with the
/// same operator semantics (including the NaN rules for degenerate `mms`/`zsn`; each operator's is its row's `twin`). Tests compare the compiled Float32
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
            v.data = op.row.twin(v.data, cols)
            return v
        case .binary(let op, let a, let b):
            var x = value(a), y = value(b)
            if x.isRow != y.isRow {
                if x.isRow { x = broadcast(x) } else { y = broadcast(y) }
            }
            let data = op.row.twin(x.data, y.data)
            return Value(data: data, isRow: x.isRow)
        }
    }

    func broadcast(_ v: Value) -> Value {
        Value(data: (0..<rows).flatMap { _ in v.data }, isRow: false)
    }
}
