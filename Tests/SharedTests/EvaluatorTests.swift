import Foundation
import Testing
@testable import Shared

@Suite struct EvaluatorTests {
    let layer = RandomLayer(rows: 7, cols: 13, seed: 3)

    /// Compiled Float32 programs agree with the plain Float64 tree walk on random trees and random layers.
    @Test func compiledProgramMatchesFloat64Reference() {
        var worst = 0.0
        var compared = 0
        let evaluator = MetricEvaluator()
        for (i, tree) in randomTrees(count: 400, seed: 21, maxDepth: 5).enumerated() {
            let layer = RandomLayer(rows: 5 + i % 4, cols: 9 + i % 7, seed: UInt64(i))
            if layer.isIllConditioned(tree) { continue }
            let fast = layer.evaluate(tree, with: evaluator)
            let slow = layer.evaluate64(tree)
            // Relative to the largest magnitude in the result: catastrophic cancellation in `sub` makes per-element
            // relative error meaningless, while errors stay small against the result's scale.
            let scale = slow.filter(\.isFinite).map(Swift.abs).max() ?? 1
            for (f, s) in zip(fast, slow) {
                if s.isNaN || f.isNaN {
                    // Float32 may overflow where Float64 does not (exp near its clamp); NaN must agree otherwise.
                    if !(s.isNaN && f.isNaN) && Swift.abs(s) < 1e30 { Issue.record("\(tree): NaN mismatch \(f) vs \(s)") }
                    continue
                }
                if s.isInfinite || Swift.abs(s) > Double(Float.greatestFiniteMagnitude) { continue }
                let error = Swift.abs(Double(f) - s) / Swift.max(scale, 1e-30)
                worst = Swift.max(worst, error)
                compared += 1
                if error > 1e-4 { Issue.record("\(tree): \(f) vs \(s) (scale \(scale))"); break }
            }
        }
        #expect(compared > 20_000)
        print("compiled vs Float64: \(compared) values, worst error \(worst) of the result's scale")
    }

    @Test func thePaperMetricRunsInOnePhaseWithTwoTileRegisters() {
        let compiled = CompiledMetric(paperMetric)
        #expect(compiled.phases.count == 1 && compiled.instructionCount == 4)
        #expect(compiled.tileRegisterCount == 2 && compiled.fullRegisterCount == 0)
        #expect(compiled.phases[0].last?.destination == .output)
    }

    @Test func aStatisticOfAValueFromTheSamePhaseStartsANewPhase() throws {
        // mms needs the whole of mul(W, G) before any element of its result exists.
        let compiled = CompiledMetric(try MetricExpression(parsing: "add(mms(mul(W, G)), div(G, sqr(W)))"))
        #expect(compiled.phases.count == 2 && compiled.fullRegisterCount == 2)
        let rowOnly = CompiledMetric(try MetricExpression(parsing: "mul(W, mms(sqrt(X)))"))
        #expect(rowOnly.rowInstructions.count == 2 && rowOnly.phases.count == 1)
    }

    /// Tiles of one row, of a few rows and of the whole matrix give the same values.
    @Test func tilingDoesNotChangeValues() {
        for (i, tree) in randomTrees(count: 200, seed: 31, maxDepth: 5).enumerated() {
            let tall = RandomLayer(rows: 3 + 20 * (i % 3), cols: 300 + i, seed: UInt64(i))
            if tall.isIllConditioned(tree) { continue }
            let fast = tall.evaluate(tree)
            let slow = tall.evaluate64(tree)
            let scale = slow.filter(\.isFinite).map(Swift.abs).max() ?? 1
            let ok = zip(fast, slow).allSatisfy { f, s in
                (f.isNaN && s.isNaN) || !s.isFinite || Swift.abs(Double(f) - s) <= 1e-4 * scale
                    || Swift.abs(s) > Double(Float.greatestFiniteMagnitude)
            }
            #expect(ok, "\(tree)")
        }
    }

    @Test func divisionUsesTheNormOfTheBroadcastDivisor() {
        // div(W, X) = W / (√rows · ‖X‖)
        let e = try! MetricExpression(parsing: "div(W, X)")
        let result = layer.evaluate(e)
        let norm = (Double(layer.rows) * layer.X.reduce(0) { $0 + Double($1) * Double($1) }).squareRoot()
        for (r, w) in zip(result, layer.W) { #expect(Swift.abs(Double(r) - Double(w) / norm) <= 1e-6 * Double(w) / norm) }
    }

    @Test func rowResultsAreBroadcastToEveryRow() {
        let result = layer.evaluate(.unary(.sqrt, .terminal(.X)))
        for r in 0..<layer.rows {
            #expect(Array(result[r * layer.cols..<(r + 1) * layer.cols]) == layer.X.map { $0.squareRoot() })
        }
    }

    @Test func terminalMetricCopiesItsInput() {
        #expect(layer.evaluate(.terminal(.G)) == layer.G)
    }

    @Test func degenerateNormalisationsAreNaN() {
        let constant = MetricExpression.binary(.sub, .terminal(.W), .terminal(.W))
        #expect(layer.evaluate(.unary(.mms, constant)).allSatisfy { $0.isNaN })
        #expect(layer.evaluate(.unary(.zsn, constant)).allSatisfy { $0.isNaN })
        // NaN in the operand spreads to every element (log(0)… is finite, so make a NaN by 0/0).
        let nan = MetricExpression.binary(.div, constant, constant)
        #expect(layer.evaluate(nan).allSatisfy { $0.isNaN })
        #expect(layer.evaluate(.unary(.mms, .binary(.add, .terminal(.W), nan))).allSatisfy { $0.isNaN })
    }

    @Test func expIsClampedAtOneHundredAndLogIsSafe() {
        // In Float32 exp overflows above 88.7, below the clamp, so five nested exps of G are +inf, never NaN.
        var big = MetricExpression.terminal(.G)
        for _ in 0..<5 { big = .unary(.exp, big) }
        #expect(layer.evaluate(big).allSatisfy { $0 == .infinity })
        let zero = MetricExpression.binary(.sub, .terminal(.W), .terminal(.W))
        #expect(layer.evaluate(.unary(.log, zero)).allSatisfy { $0 == logf(0.001) })
    }

    @Test func zScoreUsesTheUnbiasedStandardDeviation() {
        let z = layer.evaluate(.unary(.zsn, .terminal(.X)))
        let row = Array(z[0..<layer.cols]).map(Double.init)
        let mean = row.reduce(0, +) / Double(row.count)
        let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(row.count - 1)
        #expect(Swift.abs(mean) < 1e-6)
        #expect(Swift.abs(variance - 1) < 1e-5)
    }

    @Test func mismatchedBuffersAreRefused() {
        #expect(MetricEvaluator().evaluate(CompiledMetric(paperMetric), rows: 2, cols: 3,
                                           W: [1, 2, 3], G: [1, 2, 3, 4, 5, 6], X: [1, 2, 3]) == nil)
    }
}
