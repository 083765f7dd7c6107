import Testing
@testable import Shared

@Suite struct SimplificationTests {
    let layers = (0..<3).map { RandomLayer(rows: 6, cols: 17, seed: 100 + UInt64($0)) }

    @Test(arguments: [
        ("skp(W)", "W"),
        ("pow(G)", "sqr(G)"),
        ("neg(neg(W))", "W"),
        ("abs(abs(zsn(W)))", "abs(zsn(W))"),
        ("abs(neg(zsn(W)))", "abs(zsn(W))"),
        ("abs(mul(W, G))", "mul(W, G)"),
        ("abs(sub(W, G))", "abs(sub(W, G))"),
        ("sqr(neg(zsn(G)))", "sqr(zsn(G))"),
        ("log(abs(zsn(G)))", "log(zsn(G))"),
        ("sqrt(sqr(zsn(W)))", "abs(zsn(W))"),
        ("sqr(sqrt(W))", "W"),
        ("add(W, neg(G))", "sub(W, G)"),
        ("add(neg(W), G)", "sub(G, W)"),
        ("sub(W, neg(G))", "add(W, G)"),
        ("neg(sub(W, G))", "sub(G, W)"),
        ("mul(neg(W), neg(G))", "mul(W, G)"),
        ("tanh(neg(W))", "neg(tanh(W))"),
        ("div(W, neg(abs(G)))", "div(W, G)"),
        ("mms(zsn(mms(W)))", "mms(W)"),
        ("mms(mul(div(W, G), X))", "mms(mul(W, X))"),
        ("zsn(div(X, W))", "zsn(div(X, W))"),  // dropping the div would change the shape and zsn's N − 1
        ("exp(log(W))", "exp(log(W))"),        // approximate: only at .paper level
        ("mul(abs(mul(W, W)), mms(G))", "mul(mul(W, W), mms(G))"),
    ])
    func exactRulesRewriteAsDocumented(input: String, expected: String) throws {
        #expect(Simplifier().simplify(try MetricExpression(parsing: input)).description == expected)
    }

    @Test func paperLevelRemovesOpposingLogExpPairs() throws {
        let paper = Simplifier(level: .paper)
        #expect(paper.simplify(try MetricExpression(parsing: "exp(log(W))")).description == "W")
        #expect(paper.simplify(try MetricExpression(parsing: "log(exp(neg(G)))")).description == "neg(G)")
    }

    /// Every exact-level simplification of a random tree gives the same values: bit for bit when only bit-exact
    /// rules fired, else within Float32 rounding of the result's scale.
    @Test func simplificationPreservesValues() {
        var bitExactTrees = 0, realExactTrees = 0
        for tree in randomTrees(count: 600, seed: 5, maxDepth: 6) {
            var trace: [Simplifier.Rule] = []
            let simple = Simplifier().simplify(tree, trace: &trace)
            guard !trace.isEmpty else { continue }
            #expect(simple.nodeCount <= tree.nodeCount)
            let bitExact = trace.allSatisfy { $0.preservation == .bitExact }
            if bitExact { bitExactTrees += 1 } else { realExactTrees += 1 }
            for layer in layers {
                let (a, b) = (layer.evaluate(tree), layer.evaluate(simple))
                if bitExact {
                    #expect(zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(tree) → \(simple)")
                } else {
                    let scale = a.filter(\.isFinite).map(Swift.abs).max() ?? 1
                    let close = zip(a, b).allSatisfy { x, y in
                        (x.isNaN && y.isNaN) || x == y || Swift.abs(x - y) <= 1e-4 * scale
                    }
                    #expect(close, "\(tree) → \(simple) (\(trace))")
                }
            }
        }
        #expect(bitExactTrees > 50 && realExactTrees > 5)
    }

    @Test func simplificationIsIdempotent() {
        for tree in randomTrees(count: 400, seed: 9, maxDepth: 6) {
            let once = Simplifier(level: .paper).simplify(tree)
            #expect(Simplifier(level: .paper).simplify(once) == once)
        }
    }

    @Test func signAnalysisIsSound() {
        for tree in randomTrees(count: 400, seed: 13, maxDepth: 5) {
            let sign = tree.sign
            guard sign != .unknown else { continue }
            for layer in layers {
                for v in layer.evaluate(tree) where !v.isNaN {
                    #expect(sign == .nonNegative ? v >= 0 : v <= 0, "\(tree) has \(v)")
                }
            }
        }
    }
}

@Suite struct CanonicalFormTests {
    @Test func commutativeOperandsAreOrdered() throws {
        let a = try MetricExpression(parsing: "mul(mms(G), abs(mul(W, W)))")
        #expect(a.canonical == paperMetric.canonical)
        #expect(a.structuralHash == paperMetric.structuralHash)
        #expect(try MetricExpression(parsing: "sub(G, W)").canonical != MetricExpression(parsing: "sub(W, G)").canonical)
    }

    @Test func structuralHashIsStable() {
        // Frozen: the hash must not change across machines, builds or releases (it names metrics in journals).
        #expect(paperMetric.structuralHash == "cfad673a371f9d2c")
        #expect(paperMetric.structuralHash.count == 16)
    }

    @Test(arguments: [
        ("mul(abs(mul(W, W)), mms(G))", "mul(mms(G), mul(W, W))"),  // mms inside a product shifts: kept
        ("mms(sqrt(mul(W, X)))", "mul(W, X)"),
        ("zsn(log(sub(W, G)))", "abs(sub(W, G))"),
        ("div(sqr(mul(div(W, G), X)), X)", "mul(W, X)"),
        ("add(mul(W, G), mul(G, W))", "mul(G, W)"),
        ("mul(zsn(G), zsn(G))", "abs(zsn(G))"),
        ("exp(W)", "exp(W)"),
        ("tanh(W)", "tanh(W)"),
        ("neg(W)", "neg(W)"),
    ])
    func rankCanonicalStripsOrderPreservingTransforms(input: String, expected: String) throws {
        #expect(try MetricExpression(parsing: input).rankCanonical.description == expected)
    }

    /// Metrics with the same rank-canonical form prune the same weights (random layers have no near-ties).
    @Test func rankCanonicalPreservesMasks() {
        let layers = (0..<3).map { RandomLayer(rows: 6, cols: 20, seed: 200 + UInt64($0)) }
        var stripped = 0
        for tree in randomTrees(count: 600, seed: 17, maxDepth: 6) {
            let rank = tree.rankCanonical
            guard rank != tree.canonical else { continue }
            stripped += 1
            for layer in layers {
                let (a, b) = (layer.evaluate(tree), layer.evaluate(rank))
                // A metric that is NaN or infinite somewhere is rejected before pruning; ranks are moot there.
                guard a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else { continue }
                // Skip layers where the metric has near-ties that Float32 rounding may order either way.
                guard !hasNearTies(a, layer.cols) else { continue }
                #expect(layer.mask(a) == layer.mask(b), "\(tree) vs \(rank)")
            }
        }
        #expect(stripped > 100)
    }

    private func hasNearTies(_ metric: [Float], _ cols: Int) -> Bool {
        stride(from: 0, to: metric.count, by: cols).contains { start in
            let row = metric[start..<start + cols].sorted()
            return zip(row, row.dropFirst()).contains { a, b in b - a <= 1e-5 * Swift.max(Swift.abs(a), Swift.abs(b)) }
        }
    }
}
