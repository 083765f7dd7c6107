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
