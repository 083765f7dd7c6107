import TestSupport
import Foundation
import Testing
@testable import Search
import Shared

/// `search --layer-sparsity owl` with a SparseGPT reference line, through the built coordinator and a real
/// worker process on the calibrated fixture bundle: the journal carries the setting, a run killed (-9) after its
/// first result and resumed with `--resume --run-dir` alone goes on under OWL (the seeded wanda's fitness, on the
/// full windows and on the test windows measured after the resume, differs from a uniform run's beyond the
/// workers' bound), and the report shows the allocation and the
/// reference with its time. A resume that names another layer sparsity is refused.
@Suite(.enabled(if: Fixtures.hfLlamaAvailable, "../shared/fixtures/hf-llama is absent"), .serialized)
struct SearchLayerSparsityIntegrationTests {
    /// A generational search of the initial population only (the seeded paper metric and wanda, two random ones).
    static func arguments(bundle: URL, run: URL) -> [String] {
        ["--bundle", bundle.path, "--run-dir", run.path, "--budget", "100", "--seed", "3", "--population", "4",
         "--mode", "generational", "--generations", "0", "--spawn-workers", "1",
         "--listen", LoopbackPort.address()]
    }

    /// The seeded wanda's full and test fitness in a finished run (individual 1: `SearchConfig.baselines`).
    static func wanda(_ events: [SearchEvent]) throws -> (full: Double, test: Double) {
        var state = SearchState()
        for event in events { try state.apply(event) }
        #expect(state.phase == .finished)
        #expect(state.individuals[1].formula == "mul(W, sqrt(X))")
        return (try #require(state.fullFitness(1)), try #require(state.individuals[1].test?.value))
    }

    @Test func owlTravelsThroughTheJournalAndResume() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pz-owl-search-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let bundle = root.appendingPathComponent("bundle")
        try SearchIntegrationTests.calibrate(into: bundle)

        let uniformRun = root.appendingPathComponent("uniform")
        let uniform = try BuiltBinary.run("prunerzero-coordinator", ["search"] + Self.arguments(bundle: bundle, run: uniformRun))
        #expect(uniform.status == 0, "\(uniform.stderrTail)")
        let uniformEvents = SpawnedResumeTests.events(uniformRun)

        let owlRun = root.appendingPathComponent("owl"), log = root.appendingPathComponent("owl.log")
        let config = root.appendingPathComponent("config.json")
        try Data(#"{"sparsegptReference": true}"#.utf8).write(to: config)
        let first = try SpawnedResumeTests.coordinator(
            Self.arguments(bundle: bundle, run: owlRun) + ["--layer-sparsity", "owl", "--config", config.path], log: log)
        // One worker takes the queue in order: the reference's full job first, so every metric runs after resume.
        try SpawnedResumeTests.kill(first, after: 1, run: owlRun)
        let beforeResume = SpawnedResumeTests.events(owlRun)
        guard case .started(let started)? = beforeResume.first else { Issue.record("no started event"); return }
        #expect(started.config.layerSparsity == .owlDefault && started.config.sparsegptReference == true)
        #expect(SpawnedResumeTests.results(beforeResume).first?.job == 1)

        let refused = try BuiltBinary.run("prunerzero-coordinator", [
            "search", "--resume", "--run-dir", owlRun.path, "--layer-sparsity", "uniform"])
        #expect(refused.status != 0 && refused.stderr.contains("--resume takes its configuration from the journal"))

        let resumed = try BuiltBinary.run("prunerzero-coordinator", ["search", "--resume", "--run-dir", owlRun.path])
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(resumed.status == 0, "\(resumed.stderrTail)\n\(output.suffix(2000))")
        let owlEvents = SpawnedResumeTests.events(owlRun)
        #expect(owlEvents.contains { if case .resumed = $0 { true } else { false } })

        // Under OWL the same seeded metric prunes other weights: a different fitness, beyond the workers' bound.
        let bound = owlEvents.compactMap { if case .workerJoined(let w) = $0 { w.fitnessBound } else { nil } }.max() ?? 0
        #expect(bound > 0)
        let (owlWanda, uniformWanda) = (try Self.wanda(owlEvents), try Self.wanda(uniformEvents))
        #expect(Swift.abs(Foundation.log(owlWanda.full) - Foundation.log(uniformWanda.full)) > bound,
                "wanda: \(owlWanda) with OWL, \(uniformWanda) uniform")
        // The test phase runs after the resume (it follows every full evaluation): OWL there too.
        let resumedAt = try #require(owlEvents.firstIndex { if case .resumed = $0 { true } else { false } })
        let firstTest = try #require(owlEvents.firstIndex { if case .result(let r) = $0 { r.windows == "test" } else { false } })
        #expect(resumedAt < firstTest)
        #expect(Swift.abs(Foundation.log(owlWanda.test) - Foundation.log(uniformWanda.test)) > bound,
                "wanda on the test windows: \(owlWanda.test) with OWL, \(uniformWanda.test) uniform")

        // The report: the allocation once (blocks differ, their mean the target), the reference with its times.
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: owlRun.appendingPathComponent("report.json")))
            as! [String: Any]
        #expect(report["layerSparsity"] as? String == "owl:5,0.08")
        let blocks = try #require(report["blockSparsity"] as? [Double])
        #expect(blocks.count == 3 && Set(blocks).count > 1, "\(blocks)")
        // Each linear prunes ⌊ratio · columns⌋ of its 128 or 352 columns per row, so a block's value lies in
        // (ratio − 1/128, ratio], and OWL's ratios average to the target exactly (none is clamped at 0.5 ± 0.08).
        let mean = blocks.reduce(0, +) / Double(blocks.count)
        #expect(mean <= 0.5 + 1e-12 && mean > 0.5 - 1.0 / 128, "\(blocks)")
        let reference = try #require((report["references"] as? [[String: Any]])?.first)
        #expect(reference["method"] as? String == "sparsegpt")
        #expect((reference["fullPerplexity"] as? Double ?? 0) >= 1 && (reference["testPerplexity"] as? Double ?? 0) >= 1)
        #expect((reference["seconds"] as? [String: Double])?["full"] != nil)
        let top = try #require(report["top"] as? [[String: Any]])
        #expect(!top.contains { $0["formula"] as? String == "sparsegpt" })
        let markdown = try String(contentsOf: owlRun.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("- layer sparsity: owl:5,0.08; per block as pruned: "))
        #expect(markdown.contains("| sparsegpt | "))
        let searchLog = try String(contentsOf: owlRun.appendingPathComponent("search.log"), encoding: .utf8)
        #expect(searchLog.contains("layer sparsity owl:5,0.08, references sparsegpt"))
        #expect(searchLog.contains("sparsegpt (reference) full"))
        #expect(searchLog.contains("; layer sparsity owl:5,0.08 (as journaled)"))
    }
}
