import Foundation
import Testing
import TestSupport

/// Finalists ranked over other calibration draws (`calibrate --validation-seeds`), end to end through the built
/// binaries on the sharded Hugging Face fixture: the draws are in the bundle (checked as its other files), a
/// search's validation values are the geometric means of what `rescore --on validation` measures for the same
/// seeds, and a damaged or hostile draw is a clear error.
@Suite(.enabled(if: Fixtures.hfLlamaAvailable, "../shared/fixtures/hf-llama is absent"), .serialized)
struct ValidationDrawsIntegrationTests {
    static let sharded = RescoreIntegrationTests.sharded

    static func calibrate(into bundle: URL, extra: [String]) throws -> BuiltBinary.Outcome {
        try BuiltBinary.run("prunerzero-worker", [
            "calibrate", "--model", sharded.path, "--data", sharded.appendingPathComponent("calib.bin").path,
            "--nsamples", "8", "--seqlen", "64", "--seed", "0",
            "--eval-data", sharded.appendingPathComponent("eval.bin").path,
            "--test-data", sharded.appendingPathComponent("eval.bin").path, "--test-windows", "8",
            "--validation-windows", "8", "--out", bundle.path] + extra)
    }

    static func perplexities(_ rescore: BuiltBinary.Outcome) throws -> [String: [Double]] {
        let output = try #require(try JSONSerialization.jsonObject(with: Data(rescore.stdout.utf8)) as? [String: Any])
        let methods = try #require((output["summary"] as? [String: Any])?["methods"] as? [[String: Any]])
        var values: [String: [Double]] = [:]
        for method in methods { values[method["formula"] as! String] = method["perplexities"] as? [Double] }
        return values
    }

    @Test func aSearchRanksItsFinalistsOverTheDrawsAsRescoreMeasuresThem() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("draws-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let bundle = root.appendingPathComponent("bundle"), plain = root.appendingPathComponent("plain")
        let run = root.appendingPathComponent("run")
        let made = try Self.calibrate(into: bundle, extra: ["--validation-seeds", "1,2"])
        #expect(made.status == 0, "\(made.stderrTail)")
        #expect(made.stderr.contains("draw seed 2 (2/2)"), "progress per draw")
        let manifest = try RescoreIntegrationTests.json(bundle.appendingPathComponent("manifest.json"))
        let draws = try #require(manifest["validationDraws"] as? [[String: Any]])
        #expect(draws.map { ($0["calibration"] as? [String: Any])?["seed"] as? Int } == [1, 2])
        let files = try #require(manifest["files"] as? [String: Any])
        #expect(files["draws/seed-1/gradients.safetensors"] != nil && files["draws/seed-2/calibration.bin"] != nil)
        // Without the flag nothing changes: no key, so older bundles keep their identities.
        #expect(try Self.calibrate(into: plain, extra: []).status == 0)
        let plainText = try String(contentsOf: plain.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(!plainText.contains("validationDraws"))

        let search = try BuiltBinary.run("prunerzero-coordinator", [
            "search", "--bundle", bundle.path, "--run-dir", run.path, "--budget", "10", "--seed", "3",
            "--population", "4", "--spawn-workers", "1", "--x-mode", "sequential",
            "--listen", "tcp://127.0.0.1:\(LoopbackPort.free())"])
        #expect(search.status == 0, "\(search.stderrTail)")
        let report = try RescoreIntegrationTests.json(run.appendingPathComponent("report.json"))
        #expect(report["validationDraws"] as? [Int] == [1, 2])
        let markdown = try String(contentsOf: run.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("each finalist was pruned there with 2 other calibration draws (seeds 1, 2"))
        let chosen = try #require(report["chosen"] as? [String: Any])
        let formula = try #require(chosen["formula"] as? String)
        let validation = try #require(chosen["validationPerplexity"] as? Double)
        let wandaEntry = try #require((report["baselines"] as? [[String: Any]])?.first { $0["baseline"] as? String == "wanda" })
        let wandaValidation = try #require(wandaEntry["validationPerplexity"] as? Double)

        // The same draws, re-made in process by rescore (seeds 1 and 2 give the same windows, G and X).
        let rescore = try BuiltBinary.run("prunerzero-worker", [
            "rescore", "--bundle", bundle.path, "--seeds", "2", "--first-seed", "1", "--on", "validation",
            "--baselines", "wanda", "--metric", formula, "--json"])
        #expect(rescore.status == 0, "\(rescore.stderrTail)")
        let measured = try Self.perplexities(rescore)
        // Tolerance: the worker and rescore run the same float32 code on the same windows and statistics; the only
        // difference allowed is BLAS summation order (thread split), ~1e-6 relative per NLL at these sizes, far
        // below the 1e-4 used here; a draw mixed up (the bundle's own G and X) moves the fixture's values by percents.
        for (name, value, formulaKey) in [("chosen", validation, formula), ("wanda", wandaValidation, wandaEntry["formula"] as! String)] {
            let perDraw = try #require(measured[formulaKey], "rescore lacks \(formulaKey)")
            let geometric = exp(perDraw.map { log($0) }.reduce(0, +) / Double(perDraw.count))
            #expect(abs(value / geometric - 1) < 1e-4, "\(name): search \(value) vs draws \(perDraw)")
        }
        // On test, rescore skips the draws' seeds too: the answer was chosen on them.
        let onTest = try BuiltBinary.run("prunerzero-worker", [
            "rescore", "--bundle", bundle.path, "--seeds", "2", "--first-seed", "1", "--baselines", "magnitude", "--json"])
        #expect(onTest.status == 0, "\(onTest.stderrTail)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(onTest.stdout.utf8)) as? [String: Any])["summary"]
        #expect((summary as? [String: Any])?["seeds"] as? [Int] == [3, 4])
    }

    @Test func aDamagedOrHostileDrawIsAClearError() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("baddraw-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let bundle = root.appendingPathComponent("bundle")
        #expect(try Self.calibrate(into: bundle, extra: ["--validation-seeds", "5"]).status == 0)
        let refusedSeed = try Self.calibrate(into: root.appendingPathComponent("other"), extra: ["--validation-seeds", "0"])
        #expect(refusedSeed.status != 0 && refusedSeed.stderr.contains("is the bundle's own --seed"), "\(refusedSeed.stderr)")
        let prune = ["prune", "--bundle", bundle.path, "--metric", "wanda", "--sparsity", "0.5"]
        #expect(try BuiltBinary.run("prunerzero-worker", prune).status == 0)

        // A truncated draw file: its size no longer matches the manifest.
        let gradients = bundle.appendingPathComponent("draws/seed-5/gradients.safetensors")
        let bytes = try Data(contentsOf: gradients)
        try bytes.prefix(bytes.count / 2).write(to: gradients)
        let truncated = try BuiltBinary.run("prunerzero-worker", prune)
        #expect(truncated.status != 0 && truncated.stderr.contains("draws/seed-5/gradients.safetensors")
                && truncated.stderr.contains("truncated or replaced"), "\(truncated.stderr)")
        try bytes.write(to: gradients)

        // A manifest pointing a draw outside the bundle's checked files.
        let manifestURL = bundle.appendingPathComponent("manifest.json")
        let text = try String(contentsOf: manifestURL, encoding: .utf8)
        try text.replacingOccurrences(of: "\"draws/seed-5/activations.safetensors\",", with: "\"../../etc/passwd\",")
            .write(to: manifestURL, atomically: true, encoding: .utf8)
        let hostile = try BuiltBinary.run("prunerzero-worker", prune)
        #expect(hostile.status != 0 && hostile.stderr.contains("is not one of the bundle's files"), "\(hostile.stderr)")
    }
}
