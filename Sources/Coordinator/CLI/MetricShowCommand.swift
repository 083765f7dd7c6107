import ArgumentParser
import Foundation
import Shared

/// `metric show EXPR|FILE.json`: every form of one metric.
struct MetricShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a metric's formula, simplified and rank-canonical forms, hash and reference JSON tree.",
        discussion: """
            EXPR is a formula such as 'mul(abs(mul(W, W)), mms(G))'; a FILE holds a formula or a tree in the \
            reference's JSON format (e.g. Pruner-Zero's data/best_tree.json).
            """)

    @Argument(help: "A formula, or a file with a formula or a reference JSON tree.")
    var metric: String

    @Option(help: "Simplification level: 'exact' (value-preserving rules) or 'paper' (also exp∘log, log∘exp).")
    var oos: Simplifier.Level = .exact

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let expression = try MetricExpression.load(argument: metric)
        let report = MetricReport(expression, level: oos)
        if json {
            FileHandle.standardOutput.write(report.json())
            print()
        } else {
            print(report.text)
        }
    }
}

extension Simplifier.Level: ExpressibleByArgument {}

/// What `metric show` reports, in one place for the text and JSON outputs.
struct MetricReport {
    let expression: MetricExpression
    let simplified: MetricExpression
    let rules: [Simplifier.Rule]
    let rankCanonical: MetricExpression
    /// The same when the whole layer is thresholded at once (a per-row factor is visible there).
    let layerRankCanonical: MetricExpression

    init(_ expression: MetricExpression, level: Simplifier.Level) {
        var rules: [Simplifier.Rule] = []
        self.expression = expression
        simplified = Simplifier(level: level).simplify(expression, trace: &rules)
        self.rules = rules
        rankCanonical = expression.rankCanonical
        layerRankCanonical = expression.rankCanonical(for: .layer)
    }

    var text: String {
        let fired = rules.isEmpty ? "" : "   (" + rules.map(\.rawValue).joined(separator: ", ") + ")"
        let tree = String(decoding: expression.referenceJSON(pretty: true), as: UTF8.self)
        return """
            formula         \(expression)
            simplified      \(simplified)\(fired)
            rank-canonical  \(rankCanonical)   (per row; per layer: \(layerRankCanonical))
            hash            \(expression.structuralHash)
            depth / nodes   \(expression.depth) / \(expression.nodeCount)
            shape           \(expression.shape == .row ? "row (1, in), broadcast to (out, in)" : "matrix (out, in)")
            json            \(tree.replacingOccurrences(of: "\n", with: "\n                "))
            """
    }

    func json() -> Data {
        let object: [String: Any] = [
            "formula": expression.description,
            "simplified": simplified.description,
            "rules": rules.map(\.rawValue),
            "rank_canonical": rankCanonical.description,
            "rank_canonical_layer": layerRankCanonical.description,
            "hash": expression.structuralHash,
            "depth": expression.depth,
            "nodes": expression.nodeCount,
            "tree": expression.referenceJSONObject,
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}
