import Foundation
import Testing
import TestSupport

/// `rescore` end to end through the built binaries on the sharded Hugging Face fixture: a bundle with validation
/// windows, a short search ranked on them, then the run rescored over two calibration seeds; and an old-style
/// bundle without validation windows, whose search falls back to ranking on test and says so.
@Suite(.enabled(if: Fixtures.hfLlamaAvailable, "../shared/fixtures/hf-llama is absent"), .serialized)
struct RescoreIntegrationTests {
    static let sharded = Fixtures.url("fixtures/hf-llama/sharded")

    /// eval.bin holds 16 windows of 64: fitness on all of them, test on the first 8, validation on the next 8.
    static func calibrate(into bundle: URL, validation: Bool) throws {
        var arguments = [
            "calibrate", "--model", sharded.path, "--data", sharded.appendingPathComponent("calib.bin").path,
            "--nsamples", "8", "--seqlen", "64", "--seed", "0",
            "--eval-data", sharded.appendingPathComponent("eval.bin").path,
            "--test-data", sharded.appendingPathComponent("eval.bin").path, "--test-windows", "8", "--out", bundle.path]
        if validation { arguments += ["--validation-windows", "8"] }
        let outcome = try BuiltBinary.run("prunerzero-worker", arguments)
        #expect(outcome.status == 0, "\(outcome.stderr)")
    }

    static func search(bundle: URL, run: URL) throws {
        let port = LoopbackPort.free()
        let search = try BuiltBinary.run("prunerzero-coordinator", [
            "search", "--bundle", bundle.path, "--run-dir", run.path, "--budget", "10", "--seed", "3",
            "--population", "4", "--spawn-workers", "1", "--listen", "tcp://127.0.0.1:\(port)"])
        #expect(search.status == 0, "\(search.stderrTail)")
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    @Test func rescoreOverTwoSeedsOfASearchRankedOnValidation() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rescore-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let bundle = root.appendingPathComponent("bundle"), run = root.appendingPathComponent("run")
        try Self.calibrate(into: bundle, validation: true)
        let manifest = try Self.json(bundle.appendingPathComponent("manifest.json"))
        let test = try #require(manifest["test"] as? [String: Any]), validation = try #require(manifest["validation"] as? [String: Any])
        #expect(test["offsets"] as? [Int] == (0..<8).map { $0 * 64 })
        #expect(validation["offsets"] as? [Int] == (8..<16).map { $0 * 64 }, "validation follows the test windows, disjoint")

        try Self.search(bundle: bundle, run: run)
        let report = try Self.json(run.appendingPathComponent("report.json"))
        #expect(report["finalRanking"] as? String == "validation")
        #expect((report["validationEvaluations"] as? Int ?? 0) > 0)
        let chosen = try #require(report["chosen"] as? [String: Any])
        #expect(chosen["validationPerplexity"] is Double && chosen["testPerplexity"] is Double)
        let markdown = try String(contentsOf: run.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("Chosen on the validation windows"))
        let svg = try String(contentsOf: run.appendingPathComponent("progress.svg"), encoding: .utf8)
        let baselines = try #require(report["baselines"] as? [[String: Any]])
        #expect(baselines.count >= 2, "paper and wanda (and ria) seeded")
        #expect(svg.components(separatedBy: "class=\"reference\"").count - 1 == baselines.count, "each baseline a reference line")
        #expect(svg.contains(">wanda ") && svg.contains(">paper "))

        let rescore = try BuiltBinary.run("prunerzero-coordinator", [
            "rescore", run.path, "--seeds", "2", "--top", "1", "--baselines", "magnitude,wanda,paper", "--json"])
        #expect(rescore.status == 0, "\(rescore.stderrTail)")
        #expect(rescore.stderr.contains("seed 2 (2/2)"), "progress on stderr")
        let output = try #require(try JSONSerialization.jsonObject(with: Data(rescore.stdout.utf8)) as? [String: Any])
        let summary = try #require(output["summary"] as? [String: Any])
        #expect(summary["seeds"] as? [Int] == [1, 2])
        let methods = try #require(summary["methods"] as? [[String: Any]])
        #expect(methods.map { $0["name"] as? String } .prefix(3) == ["magnitude", "wanda", "paper"])
        #expect(methods.count == 4, "three baselines and the chosen metric")
        #expect(methods.last?["formula"] as? String == chosen["formula"] as? String)
        for method in methods {
            let values = try #require(method["perplexities"] as? [Double])
            #expect(values.count == 2)
            let mean = values.reduce(0, +) / 2, sd = abs(values[0] - values[1]) / 2.0.squareRoot()
            #expect(abs((method["mean"] as! Double) - mean) <= 1e-12 * mean)
            #expect(abs((method["sd"] as! Double) - sd) <= 1e-9 * mean + 1e-12)
        }
        // Magnitude reads neither G nor X: new calibration seeds cannot move it. X-based wanda moves.
        let magnitude = try #require(methods.first?["perplexities"] as? [Double])
        #expect(magnitude[0] == magnitude[1])
        let wanda = try #require(methods[1]["perplexities"] as? [Double])
        #expect(wanda[0] != wanda[1], "a new calibration seed changes X")
        let comparisons = try #require(summary["comparisons"] as? [[String: Any]])
        #expect(comparisons.count == 4 * 3 - 3)
        #expect(comparisons.allSatisfy { ["beats", "loses", "within noise"].contains($0["verdict"] as? String ?? "") })
        #expect((output["table"] as? String ?? "").contains("| magnitude | "))
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("rescore.md").path))
        let drawn = (try? String(contentsOf: run.appendingPathComponent("rescore.svg"), encoding: .utf8)) ?? ""
        #expect(drawn.hasPrefix("<svg") && drawn.contains("class=\"seed\""), "rescore.svg missing or empty")
    }

    @Test func validationWindowsThatCannotBeCutAreClearErrors() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("novalidation-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let base = ["calibrate", "--model", Self.sharded.path, "--data", Self.sharded.appendingPathComponent("calib.bin").path,
                    "--nsamples", "8", "--seqlen", "64", "--seed", "0", "--eval-data", Self.sharded.appendingPathComponent("eval.bin").path,
                    "--test-data", Self.sharded.appendingPathComponent("eval.bin").path, "--validation-windows", "8", "--out", out]
        let unbounded = try BuiltBinary.run("prunerzero-worker", base)
        #expect(unbounded.status != 0 && unbounded.stderr.contains("needs --test-windows"), "\(unbounded.stderr)")
        let full = try BuiltBinary.run("prunerzero-worker", base + ["--test-windows", "16"])
        #expect(full.status != 0 && full.stderr.contains("none is left after the first 16"), "\(full.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func aBundleWithoutValidationWindowsLoadsAndTheReportSaysItFellBack() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fallback-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let bundle = root.appendingPathComponent("bundle"), run = root.appendingPathComponent("run")
        try Self.calibrate(into: bundle, validation: false)
        // As bundles made before validation windows existed: no such key in the manifest (so the same identity).
        let manifest = try String(contentsOf: bundle.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(!manifest.contains("validation"))
        try Self.search(bundle: bundle, run: run)
        let report = try Self.json(run.appendingPathComponent("report.json"))
        #expect(report["finalRanking"] as? String == "test")
        #expect(report["validationEvaluations"] as? Int == 0)
        #expect(report["testEvaluations"] as? Int == report["finalists"] as? Int)
        let markdown = try String(contentsOf: run.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("This bundle has no validation windows, so the finalists were ranked on the test windows"))
        // A validation job on it fails clearly (a worker asked anyway): prune cannot, so check the CLI's refusal.
        let refused = try BuiltBinary.run("prunerzero-worker", ["rescore", "--bundle", bundle.path, "--seeds", "2",
                                                                "--baselines", "magnitude", "--on", "validation"])
        #expect(refused.status != 0 && refused.stderr.contains("no validation windows"), "\(refused.stderr)")
    }

    /// Several settings in one call share each seed's calibration: every setting's numbers are those of its own
    /// single-setting call (the same seeds give the same windows, G and X), in the order asked, N:M uniform only.
    @Test func severalSettingsInOneCallEqualTheirSingleCalls() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let bundle = root.appendingPathComponent("bundle")
        try Self.calibrate(into: bundle, validation: false)
        let base = ["rescore", "--bundle", bundle.path, "--seeds", "2", "--baselines", "magnitude,wanda", "--json"]
        let many = try BuiltBinary.run("prunerzero-worker", base + [
            "--sparsity", "0.5,0.6", "--type", "unstructured,2:4", "--layer-sparsity", "uniform", "--layer-sparsity", "owl"])
        #expect(many.status == 0, "\(many.stderrTail)")
        let output = try #require(try JSONSerialization.jsonObject(with: Data(many.stdout.utf8)) as? [String: Any])
        let summaries = try #require(output["summaries"] as? [[String: Any]])
        #expect(summaries.map { $0["pattern"] as? String } == [
            "unstructured 0.5", "unstructured 0.5, owl:5,0.08", "unstructured 0.6", "unstructured 0.6, owl:5,0.08", "2:4"])
        #expect((output["tables"] as? [String])?.count == 5)
        func perplexities(_ summary: [String: Any]) -> [[Double]] {
            (summary["methods"] as? [[String: Any]] ?? []).map { $0["perplexities"] as? [Double] ?? [] }
        }
        let single = try BuiltBinary.run("prunerzero-worker", base + ["--sparsity", "0.6", "--layer-sparsity", "owl"])
        #expect(single.status == 0, "\(single.stderrTail)")
        let alone = try #require(try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as? [String: Any])
        let summary = try #require(alone["summary"] as? [String: Any])
        #expect(perplexities(summary) == perplexities(summaries[3]))
        #expect(perplexities(summaries[0]) != perplexities(summaries[2]), "another sparsity, other numbers")

        // Drawn again from the JSON, measuring nothing: the same tables, and a plot with a panel per setting, a
        // row per method, a dot per seed and round ticks.
        let json = root.appendingPathComponent("many.json"), svg = root.appendingPathComponent("many.svg")
        try Data(many.stdout.utf8).write(to: json)
        let redrawn = try BuiltBinary.run("prunerzero-worker", ["rescore", "--from", json.path, "--plot", svg.path])
        #expect(redrawn.status == 0, "\(redrawn.stderr)")
        let tables = (output["tables"] as? [String]) ?? []
        #expect(redrawn.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == tables.joined(separator: "\n\n").trimmingCharacters(in: .whitespacesAndNewlines))
        let plot = try String(contentsOf: svg, encoding: .utf8)
        for pattern in ["unstructured 0.5, owl:5,0.08", "unstructured 0.6", "2:4"] { #expect(plot.contains(pattern), "\(pattern)") }
        let seedDots = plot.components(separatedBy: "class=\"seed\"").count - 1
        let beyond = plot.components(separatedBy: "class=\"beyond\"").count - 1
        #expect(seedDots + 2 * beyond == 5 * 2 * 2, "\(seedDots) seed dots and \(beyond) methods beyond the axis for 5 settings × 2 methods × 2 seeds")
        let ticks = plot.components(separatedBy: "class=\"xtick\"").dropFirst().compactMap { part in
            part.split(separator: ">").dropFirst().first.flatMap { Double($0.split(separator: "<")[0]) }
        }
        #expect(ticks.count >= 10 && ticks.allSatisfy { t in
            let m = t / pow(10, floor(log10(t)))
            return [1, 2, 5].contains { abs(m - $0) < 1e-9 } || abs(m * 10 - (m * 10).rounded()) < 1e-9
        }, "\(ticks)")
        let unreadable = try BuiltBinary.run("prunerzero-worker", ["rescore", "--from", svg.path])
        #expect(unreadable.status != 0 && unreadable.stderr.contains("not a `rescore --json` output"), "\(unreadable.stderr)")

        let refused = try BuiltBinary.run("prunerzero-worker", base + ["--type", "2:4", "--layer-sparsity", "owl"])
        #expect(refused.status != 0 && refused.stderr.contains("unstructured"), "\(refused.stderr)")
        let bad = try BuiltBinary.run("prunerzero-worker", base + ["--sparsity", "0.5,half"])
        #expect(bad.status != 0 && bad.stderr.contains("'half' is not a number"), "\(bad.stderr)")
    }
}
