import Foundation
import TestSupport
import Testing
@testable import Shared
@testable import Model
@testable import Tokenizer
@testable import Dataset
@testable import Engine
@testable import Fitness
@testable import Serve
@testable import Training

/// `prune --metric sparsegpt` and `--layer-sparsity` through the built binary: the JSON report, the saved updated
/// weights, and the errors for bad arguments.
@Suite(.enabled(if: SparseGPTOWLReference.available, "../shared/fixtures is absent"), .serialized)
struct SparseGPTOWLCommandTests {
    @Test func sparseGPTReportsItsTimeAndSavesTheUpdatedWeights() throws {
        let url = BundleTests.scratch(), saved = BundleTests.scratch()
        defer { try? FileManager.default.removeItem(at: url); try? FileManager.default.removeItem(at: saved) }
        _ = try BundleTests.writeBundle(to: url)
        let run = try BuiltBinary.run("prunerzero-worker", [
            "prune", "--bundle", url.path, "--metric", "sparsegpt", "--sparsity", "0.5", "--json", "--save", saved.path])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let reference = try SparseGPTOWLReference.run("sparsegpt-unstructured-0.5")
        let ppl = object["perplexity"] as! Double
        #expect(Swift.abs(ppl / reference.ppl - 1) < 1e-3, "\(ppl) vs \(reference.ppl)")
        #expect(object["method"] as? String == "sparsegpt")
        #expect((object["stage_seconds"] as! [String: Double])["sparsegpt"] != nil)
        // The saved checkpoint holds the updated weights: the same perplexity when evaluated on its own.
        let pruned = try ModelWeights(directory: saved)
        let eval = try EngineFixtures.tokens(EngineFixtures.directory("sharded").appendingPathComponent("eval.bin"))
        let again = try Perplexity.evaluate(pruned, tokens: eval, seqlen: 64).perplexity
        #expect(Swift.abs(again / ppl - 1) < 1e-6, "\(again) vs \(ppl)")
    }

    @Test func owlPrintsItsBlocks() throws {
        let url = BundleTests.scratch()
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try BundleTests.writeBundle(to: url)
        let run = try BuiltBinary.run("prunerzero-worker", [
            "prune", "--bundle", url.path, "--metric", "wanda", "--sparsity", "0.7", "--layer-sparsity", "owl", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let reference = try SparseGPTOWLReference.run("wanda-owl-0.7-5-0.08")
        // Foundation's JSONSerialization prints 15 significant digits on Linux: equal to that precision here (the
        // in-process test compares the values bit for bit).
        func close(_ a: [Double]?, _ b: [Double]?) -> Bool {
            guard let a, let b, a.count == b.count else { return false }
            return zip(a, b).allSatisfy { Swift.abs($0 - $1) <= 1e-14 * Swift.max(1, Swift.abs($1)) }
        }
        #expect(close(object["block_sparsity"] as? [Double], reference.block_sparsity))
        #expect(close(object["block_outlier_ratio"] as? [Double], reference.outlier_ratios))
        #expect(object["layer_sparsity_mode"] as? String == "owl:5,0.08")
        let text = try BuiltBinary.run("prunerzero-worker", [
            "prune", "--bundle", url.path, "--metric", "wanda", "--sparsity", "0.7", "--layer-sparsity", "owl"])
        #expect(text.stdout.contains("block 1: outlier ratio"), "\(text.stdout)")
    }

    @Test(arguments: [
        (["--layer-sparsity", "owl:0,0.08"], "OWL's M must be a positive number"),
        (["--layer-sparsity", "owl:5,0.7"], "OWL's λ must be in [0, 0.5]"),
        (["--layer-sparsity", "owl5"], "--layer-sparsity must be uniform, owl or owl:M,LAMBDA"),
        (["--layer-sparsity", "owl", "--type", "2:4"], "OWL allocates unstructured sparsity per block"),
        (["--metric", "sparsegpt", "--x-mode", "static"], "it needs --x-mode sequential"),
        (["--metric", "sparsegpt", "--type", "3:7"], "128 inputs are not a multiple of M = 7"),
    ])
    func badArgumentsSayWhy(arguments: [String], message: String) throws {
        let url = BundleTests.scratch()
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try BundleTests.writeBundle(to: url)
        var args = ["prune", "--bundle", url.path]
        if !arguments.contains("--metric") { args += ["--metric", "wanda"] }
        let run = try BuiltBinary.run("prunerzero-worker", args + arguments)
        #expect(run.status != 0)
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }
}
