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
}
