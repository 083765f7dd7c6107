import Foundation
import Testing
@testable import Shared

@Suite struct MetricJSONTests {
    @Test(.enabled(if: Fixtures.available, Comment(rawValue: Fixtures.skipReason)))
    func referenceBestTreeLoadsUnchanged() throws {
        let data = try Data(contentsOf: Fixtures.url("fixtures/prune-reference/best_tree.json"))
        #expect(try MetricExpression(referenceJSON: data) == paperMetric)
    }

    @Test func jsonRoundTripOnRandomTrees() throws {
        for tree in randomTrees(count: 300, seed: 11, maxDepth: 6) {
            #expect(try MetricExpression(referenceJSON: tree.referenceJSON()) == tree)
            #expect(try MetricExpression(referenceJSON: tree.referenceJSON(pretty: false)) == tree)
        }
    }

    /// The reference's loader reads `data`, and `left`/`right` only when present: unary nodes carry `left` alone.
    @Test func writesTheReferenceLayout() throws {
        let object = try JSONSerialization.jsonObject(with: paperMetric.referenceJSON()) as! [String: Any]
        #expect(object["data"] as? String == "mul")
        let right = object["right"] as! [String: Any]
        #expect(right["data"] as? String == "mms" && right["right"] == nil)
        #expect((right["left"] as! [String: Any])["data"] as? String == "G")
    }

    @Test(arguments: [
        (#"{"data": "mul", "left": {"data": "W"}}"#, "'mul' takes 2 child(ren)"),
        (#"{"data": "abs", "right": {"data": "W"}}"#, "'abs' takes 1 child(ren)"),
        (#"{"data": "W", "left": {"data": "G"}}"#, "'W' takes 0 child(ren)"),
        (#"{"data": "frob", "left": {"data": "W"}}"#, "unknown symbol 'frob'"),
        (#"{"data": 3}"#, "missing or non-string \"data\""),
        (#"{"data": "W", "colour": 1}"#, "unexpected field \"colour\""),
        (#"[1, 2]"#, "expected an object"),
        (#"{"data": "mul", "left": {"data": "W"}, "right": "#, "not valid JSON"),
        (#"{"data": "abs", "left": {"data": "neg", "left": {"data": "Q"}}}"#, "unknown symbol 'Q'"),
    ])
    func malformedTreesGiveClearErrors(json: String, fragment: String) {
        do {
            _ = try MetricExpression(referenceJSON: Data(json.utf8))
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.description.contains(fragment), "\(error.description)")
        }
    }

    @Test func errorsLocateTheNode() {
        let json = #"{"data": "mul", "left": {"data": "W"}, "right": {"data": "abs"}}"#
        #expect(throws: MetricError.json(path: "root.right", problem: "'abs' takes 1 child(ren) (\"left\"), found 0")) {
            try MetricExpression(referenceJSON: Data(json.utf8))
        }
    }

    @Test func deepJSONIsRejected() {
        var json = #"{"data": "W"}"#
        for _ in 0..<40 { json = #"{"data": "neg", "left": "# + json + "}" }
        #expect(throws: MetricError.tooDeep(depth: 17, limit: 16)) {
            try MetricExpression(referenceJSON: Data(json.utf8))
        }
    }
}
