import Foundation
import TestSupport
import Testing
@testable import Fitness

/// `prune --metric ria` and `--group` through the built binary: the formula in the report, RIA's per-layer default,
/// the per-row override, and the refusal of a per-layer group under N:M.
@Suite(.enabled(if: SparseGPTOWLReference.available, "../shared/fixtures is absent"), .serialized)
struct RIACommandTests {
    @Test(arguments: [([String](), "ria-layer-0.5", "layer"), (["--group", "row"], "ria-row-0.5", "row")])
    func riaPrintsItsFormulaAndItsGroup(extra: [String], run: String, group: String) throws {
        let url = BundleTests.scratch()
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try BundleTests.writeBundle(to: url)
        let result = try BuiltBinary.run("prunerzero-worker", [
            "prune", "--bundle", url.path, "--metric", "ria", "--sparsity", "0.5", "--json"] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect(object["method"] as? String == "ria = mul(add(coln(W), rown(W)), sqrt(sqrt(X)))")
        #expect(object["group"] as? String == group)
        let lines = try String(contentsOf: RIAReferenceTests.file, encoding: .utf8).split(separator: "\n")
        let reference = try lines.map { try JSONDecoder().decode(SparseGPTOWLReference.Run.self, from: Data($0.utf8)) }
            .first { $0.run == run }!
        let ppl = object["perplexity"] as! Double
        #expect(Swift.abs(ppl / reference.ppl - 1) < 1e-4, "\(ppl) vs \(reference.ppl)")
    }

    @Test(arguments: [
        (["--group", "layer", "--type", "2:4"], "the comparison group 'layer' needs unstructured sparsity"),
        (["--group", "column"], "--group must be row or layer, not 'column'"),
    ])
    func badGroupsSayWhy(arguments: [String], message: String) throws {
        let url = BundleTests.scratch()
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try BundleTests.writeBundle(to: url)
        let run = try BuiltBinary.run("prunerzero-worker", ["prune", "--bundle", url.path, "--metric", "ria"] + arguments)
        #expect(run.status != 0)
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }
}
