import TestSupport
import Foundation
import Testing

/// A real search: the built coordinator spawns two real worker processes that serve a bundle calibrated by the
/// built worker from the sharded Hugging Face fixture; everything crosses NNG over tcp loopback.
@Suite(.enabled(if: Fixtures.hfLlamaAvailable, "../shared/fixtures/hf-llama is absent"), .serialized)
struct SearchIntegrationTests {
    static func calibrate(into bundle: URL) throws {
        let sharded = Fixtures.url("fixtures/hf-llama/sharded")
        let outcome = try BuiltBinary.run("prunerzero-worker", [
            "calibrate", "--model", sharded.path, "--data", sharded.appendingPathComponent("calib.bin").path,
            "--nsamples", "8", "--seqlen", "64", "--seed", "0",
            "--eval-data", sharded.appendingPathComponent("eval.bin").path,
            "--test-data", sharded.appendingPathComponent("eval.bin").path, "--out", bundle.path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
    }

    @Test func searchWithTwoWorkerProcessesFinishes() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("search-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let bundle = root.appendingPathComponent("bundle"), run = root.appendingPathComponent("run")
        try Self.calibrate(into: bundle)
        let port = LoopbackPort.free()
        let search = try BuiltBinary.run("prunerzero-coordinator", [
            "search", "--bundle", bundle.path, "--run-dir", run.path, "--budget", "16", "--seed", "3",
            "--population", "6", "--spawn-workers", "2", "--listen", "tcp://127.0.0.1:\(port)"])
        #expect(search.status == 0, "\(search.stderrTail)")

        // The journal: every accepted result once, two workers joined, the search finished.
        let events = try String(contentsOf: run.appendingPathComponent("events.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let results = events.filter { $0["type"] as? String == "result" }
        let jobs = results.compactMap { $0["job"] as? Int }
        #expect(Set(jobs).count == jobs.count, "a job's result was counted twice")
        #expect(Set(events.filter { $0["type"] as? String == "worker_joined" }.compactMap { $0["worker"] as? String }).count == 2)
        #expect(events.contains { $0["type"] as? String == "finished" })
        // No validation windows in this bundle: the finalists (top 5 searched and the 2 baselines, fewer if the
        // population is smaller) are ranked on test.
        let tests = events.filter { $0["type"] as? String == "result" && $0["windows"] as? String == "test" }.count
        #expect((5...7).contains(tests))

        // The log a person tails: one line per result, with the budget.
        let log = try String(contentsOf: run.appendingPathComponent("search.log"), encoding: .utf8)
        #expect(log.contains("/16]") && log.contains("best "))

        // The report, and the best metric at least as good as the seeded baselines (individuals 0 and 1: the
        // paper's metric and wanda, which every search starts from), up to the workers' fitness bound: fitnesses
        // within it are one tier, ordered by formula (README, "Determinism").
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("report.json")))
            as! [String: Any]
        let top = try #require(report["top"] as? [[String: Any]])
        let bestFull = try #require(top.first?["fullPerplexity"] as? Double)
        let baselines = top.filter { [0, 1].contains($0["individual"] as? Int ?? -1) }
        #expect(!baselines.isEmpty)
        let bound = events.compactMap { $0["fitnessBound"] as? Double }.max() ?? 0
        #expect(bound > 0, "no worker reported its fitness bound")
        for baseline in baselines {
            let full = baseline["fullPerplexity"] as? Double ?? .infinity
            #expect(Foundation.log(bestFull) <= Foundation.log(full) + bound)
        }
        #expect(report["evaluations"] as? Int == 16)
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("best_metric.json").path))
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("progress.svg").path))

        // `report` rebuilds it all from the journal: one CSV row per accepted result, a plot, the same best metric.
        try FileManager.default.removeItem(at: run.appendingPathComponent("history.csv"))
        let rebuilt = try BuiltBinary.run("prunerzero-coordinator", ["report", run.path])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        let csv = try String(contentsOf: run.appendingPathComponent("history.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == results.count + 1)
        let svg = try String(contentsOf: run.appendingPathComponent("progress.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("polyline"))
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("report.md").path))
    }
}
