import Testing
@testable import Search
import Shared

/// The line a person tails for a failed result: the reason shortened at words, the layer's name whole.
@Suite struct SearchLogTests {
    @Test func aFailedResultsLineNamesTheWholeLayer() throws {
        var sim = SearchSimulation(config: SearchSimulation.config(budget: 10))
        _ = sim.hello("w1")
        guard case .job(let job)? = sim.send(.jobRequest(JobRequest(workerID: "w1"))) else {
            Issue.record("no job"); return
        }
        let layer = "model.layers.0.self_attn.q_proj"
        let reason = "metric is NaN or infinite at 34 entries of \(layer) after the masks of every row were chosen "
            + "from the metric's scores, which the evaluation could not use"
        sim.send(.result(JobResult(jobID: job.jobID, workerID: "w1", status: .failed(reason: reason),
                                   perplexity: .nan, maskFingerprint: 0)))
        let line = try #require(sim.log.first { $0.contains("job \(job.jobID)") && $0.contains("failed (") })
        let shown = try #require(line.split(separator: "failed (", maxSplits: 1).last?.split(separator: ")").first)
        #expect(shown.count <= SearchLog.reasonLimit)
        #expect(line.contains(layer), "\(line)")
        #expect(line.contains("failed (metric is NaN or infinite at 34 entries of \(layer) "), "\(line)")
    }

    /// A generational search bounded by generations says which generation it is on, and its ETA is the
    /// generations' (seconds here), not the far larger evaluation budget's (10,000 evaluations: hours).
    @Test func aGenerationalSearchsETAFollowsItsGenerations() throws {
        var sim = SearchSimulation(config: DepthAbortRuleTests.config(abort: nil, population: 6, generations: 4))
        DepthAbortRuleTests.run(&sim, honourAborts: false)
        let results = sim.log.filter { $0.contains("] job ") }
        #expect(results.contains { $0.contains("generation 0/4") } && results.contains { $0.contains("generation 3/4") })
        // Generation 0 too: its ETA is the generation's pace, not the evaluation budget's.
        for line in results where line.contains("generation 0/4") && line.contains("ETA ") {
            #expect(line.components(separatedBy: "ETA ").last!.hasSuffix(" s"), "\(line)")
        }
        #expect(results.contains { $0.contains("generation 0/4") && $0.contains("ETA ") })
        let later = results.filter { line in (1...4).contains { line.contains("generation \($0)/4") } }
        #expect(!results.contains { $0.contains("generation 5/4") }, "the finalists' phase is no generation")
        #expect(!later.isEmpty)
        for line in later {
            let eta = try #require(line.components(separatedBy: "ETA ").last, "\(line)")
            #expect(eta.hasSuffix(" s"), "\(line)")
        }
    }
}
