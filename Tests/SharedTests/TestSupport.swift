@testable import Shared

/// Random layer tensors shaped like a real linear layer's metric inputs (all non-negative).
struct RandomLayer {
    let rows: Int
    let cols: Int
    let W: [Float]
    let G: [Float]
    let X: [Float]

    init(rows: Int, cols: Int, seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        self.rows = rows
        self.cols = cols
        // Spread over several orders of magnitude, as weights, gradients and activation statistics are.
        func draw(_ n: Int, scale: Double) -> [Float] {
            (0..<n).map { _ in Float(scale * (0.05 + rng.unit()) * (rng.chance(0.1) ? 8 : 1)) }
        }
        W = draw(rows * cols, scale: 0.05)
        G = draw(rows * cols, scale: 0.3)
        X = draw(cols, scale: 2)
    }

    func evaluate(_ e: MetricExpression, with evaluator: MetricEvaluator = MetricEvaluator()) -> [Float] {
        evaluator.evaluate(CompiledMetric(e), rows: rows, cols: cols, W: W, G: G, X: X)!
    }

    func evaluate64(_ e: MetricExpression) -> [Double] {
        Float64Evaluator(rows: rows, cols: cols, W: W.map(Double.init), G: G.map(Double.init),
                         X: X.map(Double.init)).evaluate(e)
    }

    /// Whether a normalisation in `e` (mms, zsn) sees an operand whose spread is below 1e-5 of its magnitude here.
    /// Such an operand is constant but for rounding: Float32 rounds it at ≈ 6e-8 relative, the normalisation divides
    /// by the spread, so its output is rounding noise amplified by magnitude/spread (> 1e5 × 6e-8 ≈ 6e-3), and the
    /// Float32 program and the Float64 twin legitimately disagree (e.g. zsn(coln(div(X, W))), whose coln is 1/rows
    /// everywhere in exact arithmetic). Twin comparisons skip those trees.
    func isIllConditioned(_ e: MetricExpression) -> Bool {
        switch e {
        case .terminal: return false
        case .binary(_, let a, let b): return isIllConditioned(a) || isIllConditioned(b)
        case .unary(let op, let x):
            if isIllConditioned(x) { return true }
            guard op == .mms || op == .zsn else { return false }
            let values = evaluate64(x).filter(\.isFinite)
            guard let low = values.min(), let high = values.max() else { return false }
            let magnitude = Swift.max(Swift.abs(low), Swift.abs(high))
            return magnitude > 0 && high - low <= 1e-5 * magnitude
        }
    }

    /// The unstructured 50% mask by the reference's rule: per row, stable ascending order, NaN last.
    func mask(_ metric: [Float], sparsity: Double = 0.5) -> [Bool] {
        var mask = [Bool](repeating: false, count: rows * cols)
        let prune = Int(Double(cols) * sparsity)
        for r in 0..<rows {
            let row = Array(metric[r * cols..<(r + 1) * cols])
            let order = row.indices.sorted { i, j in
                let (a, b) = (row[i], row[j])
                if a.isNaN || b.isNaN { return !a.isNaN && b.isNaN || (a.isNaN == b.isNaN && i < j) }
                return a < b || (a == b && i < j)
            }
            for i in order.prefix(prune) { mask[r * cols + i] = true }
        }
        return mask
    }
}

func randomTrees(count: Int, seed: UInt64, maxDepth: Int = 5) -> [MetricExpression] {
    var rng = SeededRandom(seed: seed)
    return (0..<count).map { i in
        TreeGenerator.randomTree(grow: i % 2 == 0, minDepth: 1, maxDepth: 1 + i % maxDepth, using: &rng)
    }
}

let paperMetric = MetricExpression.binary(
    .mul, .unary(.abs, .binary(.mul, .terminal(.W), .terminal(.W))), .unary(.mms, .terminal(.G)))
