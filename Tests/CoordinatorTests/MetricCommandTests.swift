import TestSupport
import Foundation
import Testing

@Suite struct MetricCommandTests {
    let coordinator = "prunerzero-coordinator"

    @Test func showPrintsEveryForm() throws {
        let outcome = try BuiltBinary.run(coordinator, ["metric", "show", "mul(abs(mul(W, W)), mms(G))"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("simplified      mul(mul(W, W), mms(G))"))
        #expect(outcome.stdout.contains("rank-canonical  mul(mms(G), mul(W, W))"))
        #expect(outcome.stdout.contains("hash            cfad673a371f9d2c"))
    }

    @Test func showJSONIsOneObjectWithTheReferenceTree() throws {
        let outcome = try BuiltBinary.run(coordinator, ["metric", "show", "--json", "div(W, X)"])
        let object = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as! [String: Any]
        #expect(object["formula"] as? String == "div(W, X)")
        #expect(object["rank_canonical"] as? String == "W")
        #expect((object["tree"] as? [String: Any])?["data"] as? String == "div")
    }

    @Test func showReadsTreeFiles() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tree-\(UUID()).json")
        try Data(#"{"data": "sqrt", "left": {"data": "X"}}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let outcome = try BuiltBinary.run(coordinator, ["metric", "show", "--json", file.path])
        #expect(outcome.status == 0 && outcome.stdout.contains(#""formula":"sqrt(X)""#))
    }

    @Test(arguments: [
        (["metric", "show", "mul(W, Q)"], "column 8: unknown symbol 'Q'"),
        (["metric", "show", "missing-tree.json"], "missing-tree.json: cannot read the file"),
        (["metric", "show", String(repeating: "neg(", count: 50) + "W" + String(repeating: ")", count: 50)],
         "depth 17 exceeds the limit 16"),
    ])
    func invalidInputIsOneClearLine(arguments: [String], message: String) throws {
        let outcome = try BuiltBinary.run(coordinator, arguments)
        #expect(outcome.status != 0)
        #expect(outcome.stdout.isEmpty)
        let lines = outcome.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains(message), "\(outcome.stderr)")
    }

    @Test func randomIsReproducible() throws {
        let arguments = ["metric", "random", "--seed", "17", "--count", "25", "--max-depth", "5"]
        let first = try BuiltBinary.run(coordinator, arguments), second = try BuiltBinary.run(coordinator, arguments)
        #expect(first.status == 0 && first.stdout == second.stdout)
        #expect(first.stdout.split(separator: "\n").count == 25)
        let other = try BuiltBinary.run(coordinator, ["metric", "random", "--seed", "18", "--count", "25"])
        #expect(other.stdout != first.stdout)
    }

    @Test func helpDescribesTheCommands() throws {
        let outcome = try BuiltBinary.run(coordinator, ["metric", "--help"])
        #expect(outcome.status == 0 && outcome.stdout.contains("show") && outcome.stdout.contains("random"))
    }
}
