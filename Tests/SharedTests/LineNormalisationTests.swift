import Foundation
import Testing
@testable import Shared

/// `rown` and `coln` (per-row and per-column L1 normalisation): exact semantics, degenerate lines, the Float32
/// kernel against the Float64 twin, their place in the compiled program, and the group-aware rank rules.
///
/// Tolerance of the twin comparison: each Float32 output is x / s with s the line's Σ|x| accumulated in Float64
/// (error ≤ n·2⁻⁵³·s, negligible for n ≤ 10⁶) and rounded once to Float (≤ 2⁻²⁴ relative), then one Float
/// division (≤ 2⁻²⁴): 2·2⁻²⁴ ≈ 1.2e-7 relative per element against the exact quotient. An operand that is itself
/// an exact Float input adds nothing; `mul(W, X)` below adds one Float rounding to x and to every term of s
/// (≤ 2⁻²⁴ each), so 4·2⁻²⁴ ≈ 2.4e-7 bounds both; the test allows 3e-7.
@Suite struct LineNormalisationTests {
    let layer = RandomLayer(rows: 9, cols: 37, seed: 11)

    private func parse(_ text: String) -> MetricExpression { try! MetricExpression(parsing: text) }

    @Test func rownDividesEachRowByItsAbsoluteSum() {
        let result = layer.evaluate(parse("rown(W)"))
        for r in 0..<layer.rows {
            let row = layer.W[r * layer.cols..<(r + 1) * layer.cols].map(Double.init)
            let sum = row.reduce(0) { $0 + Swift.abs($1) }
            for c in 0..<layer.cols {
                let expected = row[c] / sum
                #expect(Swift.abs(Double(result[r * layer.cols + c]) - expected) <= 1.2e-7 * expected)
            }
        }
    }

    @Test func colnDividesEachColumnByItsAbsoluteSum() {
        let result = layer.evaluate(parse("coln(G)"))
        for c in 0..<layer.cols {
            let sum = (0..<layer.rows).reduce(0.0) { $0 + Double(layer.G[$1 * layer.cols + c]) }
            for r in 0..<layer.rows {
                let expected = Double(layer.G[r * layer.cols + c]) / sum
                #expect(Swift.abs(Double(result[r * layer.cols + c]) - expected) <= 1.2e-7 * expected)
            }
        }
    }

    /// A (1, in) row value is its own one-row tensor: rown(X) = X / Σ|X| on every row; coln(X) = X / |X| = 1 for
    /// X > 0 (each column of a row has one element), 0 where X is 0.
    @Test func aRowOperandIsItsOwnOneRowTensor() {
        let sum = layer.X.reduce(0.0) { $0 + Double($1) }
        let rown = layer.evaluate(parse("rown(X)"))
        for (i, v) in rown.enumerated() {
            let expected = Double(layer.X[i % layer.cols]) / sum
            #expect(Swift.abs(Double(v) - expected) <= 1.2e-7 * expected)
        }
        #expect(layer.evaluate(parse("coln(X)")).allSatisfy { $0 == 1 })
        #expect(layer.evaluate(parse("coln(sub(X, X))")).allSatisfy { $0 == 0 })
        #expect(parse("rown(X)").shape == .row && parse("coln(sqrt(X))").shape == .row)
    }

    /// An all-zero line gives 0 (not torch's 0/0 = NaN), in the kernel and the twin; only that line.
    @Test func zeroLinesGiveZero() {
        let evaluator = MetricEvaluator()
        var w = layer.W
        for c in 0..<layer.cols { w[2 * layer.cols + c] = 0 }      // row 2
        for r in 0..<layer.rows { w[r * layer.cols + 5] = 0 }      // column 5
        let twin = Float64Evaluator(rows: layer.rows, cols: layer.cols, W: w.map(Double.init), G: [], X: [])
        for op in ["rown", "coln"] {
            let e = parse("\(op)(W)")
            let fast = evaluator.evaluate(CompiledMetric(e), rows: layer.rows, cols: layer.cols, W: w, G: w, X: layer.X)!
            let slow = twin.evaluate(e)
            #expect(fast.allSatisfy(\.isFinite) && slow.allSatisfy(\.isFinite), "\(op)")
            for c in 0..<layer.cols { #expect(fast[2 * layer.cols + c] == 0 && slow[2 * layer.cols + c] == 0) }
            for r in 0..<layer.rows { #expect(fast[r * layer.cols + 5] == 0 && slow[r * layer.cols + 5] == 0) }
            #expect(fast.filter { $0 > 0 }.count == (layer.rows - 1) * (layer.cols - 1))
        }
    }

    /// IEEE otherwise: NaN makes its line NaN; ±∞ makes its line's finite entries 0 and itself NaN (∞/∞).
    @Test func nonFiniteValuesFollowIEEEWithinTheirLine() {
        let evaluator = MetricEvaluator()
        for (poison, name) in [(Float.nan, "NaN"), (Float.infinity, "inf")] {
            var w = layer.W
            let at = 3 * layer.cols + 7                             // row 3, column 7
            w[at] = poison
            let twin = Float64Evaluator(rows: layer.rows, cols: layer.cols, W: w.map(Double.init), G: [], X: [])
            for (op, inLine) in [("rown", { (i: Int) in i / layer.cols == 3 }), ("coln", { (i: Int) in i % layer.cols == 7 })] {
                let e = parse("\(op)(W)")
                let fast = evaluator.evaluate(CompiledMetric(e), rows: layer.rows, cols: layer.cols, W: w, G: w, X: layer.X)!
                let slow = twin.evaluate(e)
                for i in fast.indices {
                    let (f, s) = (fast[i], slow[i])
                    if !inLine(i) { #expect(f.isFinite && s.isFinite && f > 0, "\(op) \(name) \(i)"); continue }
                    if poison.isNaN || i == at { #expect(f.isNaN && s.isNaN, "\(op) \(name) \(i)") }
                    else { #expect(f == 0 && s == 0, "\(op) \(name) \(i)") }
                }
            }
        }
    }

    /// Float32 kernel against the Float64 twin at odd sizes, tall enough for several tiles (16 K elements each).
    @Test(arguments: ["rown(W)", "coln(W)", "rown(mul(W, X))", "coln(mul(W, X))", "rown(X)",
                      "mul(add(coln(W), rown(W)), sqrt(sqrt(X)))", "coln(rown(G))", "rown(coln(G))"])
    func kernelMatchesTwin(formula: String) {
        let e = parse(formula)
        var worst = 0.0
        for (rows, cols) in [(1, 1), (3, 5), (7, 13), (300, 131), (61, 1_021)] {
            let layer = RandomLayer(rows: rows, cols: cols, seed: UInt64(rows * cols))
            let fast = layer.evaluate(e), slow = layer.evaluate64(e)
            for (f, s) in zip(fast, slow) {
                let error = Swift.abs(Double(f) - s) / Swift.max(Swift.abs(s), 1e-30)
                worst = Swift.max(worst, error)
            }
        }
        // Two nested line normalisations and RIA's sum of two quotients compound: ≤ 2 × 3e-7 (header).
        #expect(worst <= 6e-7, "\(formula): worst relative error \(worst)")
        print("\(formula): worst relative error \(worst)")
    }

    @Test func rownNeedsNoPhaseBreakAndColnOfAPhaseValueDoes() {
        #expect(CompiledMetric(parse("rown(mul(W, X))")).phases.count == 1)
        #expect(CompiledMetric(parse("coln(mul(W, X))")).phases.count == 2)
        // RIA reads W twice and X once, all in one pass over the tiles.
        let ria = CompiledMetric(parse("mul(add(coln(W), rown(W)), sqrt(sqrt(X)))"))
        #expect(ria.phases.count == 1 && ria.fullRegisterCount == 0)
    }

    @Test func textAndJSONFormsCarryTheNewOperators() throws {
        let e = parse("mul(add(coln(W), rown(W)), sqrt(sqrt(X)))")
        #expect(try MetricExpression(parsing: e.description) == e)
        #expect(try MetricExpression(referenceJSON: e.referenceJSON()) == e)
        #expect(throws: MetricError.wrongArity(symbol: "rown", expected: 1, found: 2)) { try MetricExpression(parsing: "rown(W, G)") }
    }

    @Test func signsAndRewrites() throws {
        #expect(parse("rown(W)").isNonNegative && parse("coln(neg(W))").sign == .nonPositive)
        let rules: [(String, String)] = [
            ("rown(rown(W))", "rown(W)"), ("coln(coln(G))", "coln(G)"), ("rown(neg(W))", "neg(rown(W))"),
            ("coln(div(W, G))", "coln(W)"), ("abs(rown(W))", "rown(W)"), ("rown(coln(W))", "rown(coln(W))"),
        ]
        for (input, expected) in rules { #expect(parse(input).canonical.description == expected, "\(input)") }
    }

    /// A per-row factor at the root is invisible to per-row masks only; a per-column one to neither.
    @Test func rankCanonicalRespectsTheGroup() {
        let e = parse("rown(mul(W, sqrt(X)))")
        #expect(e.rankCanonical(for: .row).description == "mul(W, sqrt(X))")
        #expect(e.rankCanonical(for: .layer).description == "rown(mul(W, sqrt(X)))")
        #expect(parse("coln(W)").rankCanonical(for: .row).description == "coln(W)")
        #expect(parse("sqrt(rown(W))").rankCanonical(for: .row).description == "W")
        #expect(parse("sqrt(rown(W))").rankCanonical(for: .layer).description == "rown(W)")
    }

    /// Rank-canonical forms per layer give the same per-layer masks as the originals (random layers, no near-ties).
    @Test func layerRankCanonicalPreservesLayerMasks() {
        let layers = (0..<3).map { RandomLayer(rows: 6, cols: 20, seed: 300 + UInt64($0)) }
        var stripped = 0
        for tree in randomTrees(count: 600, seed: 19, maxDepth: 6) {
            let rank = tree.rankCanonical(for: .layer)
            guard rank != tree.canonical else { continue }
            stripped += 1
            for layer in layers {
                let (a, b) = (layer.evaluate(tree), layer.evaluate(rank))
                guard a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite), !Self.hasNearTies(a) else { continue }
                #expect(Self.layerMask(a) == Self.layerMask(b), "\(tree) vs \(rank)")
            }
        }
        #expect(stripped > 100)
    }

    @Test func thePaperOperatorSetNeverDrawsTheNewOperators() {
        var rng = SeededRandom(seed: 5)
        var settings = EvolutionSettings()
        settings.operators = .paper
        let trees = TreeGenerator.rampedHalfAndHalf(count: 400, settings: settings, using: &rng)
        #expect(trees.allSatisfy { !$0.description.contains("rown") && !$0.description.contains("coln") })
        var all = SeededRandom(seed: 5)
        let extended = TreeGenerator.rampedHalfAndHalf(count: 400, settings: EvolutionSettings(), using: &all)
        #expect(extended.contains { $0.description.contains("rown") } && extended.contains { $0.description.contains("coln") })
        // A configuration from before the set existed drew the paper's operators.
        settings.operators = nil
        #expect(settings.operatorSet == .paper)
    }

    /// The per-layer rule: prune every value ≤ the ⌊numel/2⌋-th smallest.
    static func layerMask(_ metric: [Float]) -> [Bool] {
        let threshold = metric.sorted()[metric.count / 2]
        return metric.map { $0 <= threshold }
    }

    static func hasNearTies(_ metric: [Float]) -> Bool {
        let sorted = metric.sorted()
        return zip(sorted, sorted.dropFirst()).contains { a, b in b - a <= 1e-5 * Swift.max(Swift.abs(a), Swift.abs(b)) }
    }
}
