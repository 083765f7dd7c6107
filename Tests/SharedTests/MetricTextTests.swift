import Testing
@testable import Shared

@Suite struct MetricTextTests {
    @Test func printsThePaperMetric() {
        #expect(paperMetric.description == "mul(abs(mul(W, W)), mms(G))")
    }

    @Test func parsesWithAndWithoutSpaces() throws {
        #expect(try MetricExpression(parsing: "mul(abs(mul(W,W)),mms(G))") == paperMetric)
        #expect(try MetricExpression(parsing: "  mul ( abs( mul(W , W) ) ,\n mms(G) ) ") == paperMetric)
    }

    @Test func printParseRoundTripOnRandomTrees() throws {
        for tree in randomTrees(count: 500, seed: 7, maxDepth: 6) {
            #expect(try MetricExpression(parsing: tree.description) == tree)
        }
    }

    @Test(arguments: [
        ("mul(W)", MetricError.wrongArity(symbol: "mul", expected: 2, found: 1)),
        ("abs(W, G)", MetricError.wrongArity(symbol: "abs", expected: 1, found: 2)),
        ("mul(W, G", MetricError.syntax(column: 9, found: "end of input", expected: "',' or ')'")),
        ("W)", MetricError.syntax(column: 2, found: "')'", expected: "end of expression")),
        ("", MetricError.syntax(column: 1, found: "end of input", expected: "a terminal (W, G, X) or an operator name")),
        ("mul(W, Y)", MetricError.unknownSymbol("Y", column: 8)),
        ("W(G)", MetricError.syntax(column: 2, found: "'('", expected: "',' or ')' after terminal W")),
        ("abs W", MetricError.syntax(column: 5, found: "'W'", expected: "'(' after abs")),
        ("mul(W, G) extra", MetricError.syntax(column: 11, found: "'e'", expected: "end of expression")),
        ("abs(3)", MetricError.unknownSymbol("3", column: 5)),  // the language has no constants
    ])
    func errorsNameThePosition(text: String, error: MetricError) {
        #expect(throws: error) { try MetricExpression(parsing: text) }
    }

    @Test func unknownOperatorMessageListsTheAlphabet() {
        let message = MetricError.unknownSymbol("foo", column: 1).description
        #expect(message.contains("unknown symbol 'foo'") && message.contains("mms") && message.contains("W, G, X"))
    }

    @Test func hostileNestingIsRejectedQuickly() {
        let deep = String(repeating: "neg(", count: 200_000) + "W" + String(repeating: ")", count: 200_000)
        #expect(throws: MetricError.tooDeep(depth: 17, limit: 16)) { try MetricExpression(parsing: deep) }
    }

    @Test func nodeLimitIsEnforced() {
        // A balanced tree of depth 7 has 255 nodes: within the depth limit, over the node limit.
        var e = MetricExpression.terminal(.W)
        for _ in 0..<7 { e = .binary(.add, e, e) }
        #expect(throws: MetricError.tooManyNodes(nodes: 129, limit: 128)) {
            try MetricExpression(parsing: e.description)
        }
        #expect(throws: MetricError.tooManyNodes(nodes: 255, limit: 128)) { try MetricLimits.standard.check(e) }
    }
}
