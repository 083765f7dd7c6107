// EvalReport: the `eval` command's computation (a checkpoint's perplexity over a corpus, timed) and what it prints.
import Dataset
import Engine
import Foundation
import Model
import Shared

/// What `eval` prints.
package struct EvalReport {
    /// One evaluation with timing; progress on stderr.
    package static func evaluate(model: URL, data: String, seqlen: Int, maxWindows: Int?) throws -> EvalReport {
        let path = try ModelPath(model)
        let weights = try path.weights()
        let ids = try Corpus.stream(data, model: path, weights: weights).tokens
        let start = Date()
        let r = try Perplexity.evaluate(weights, tokens: ids, seqlen: seqlen, maxWindows: maxWindows) { done, blocks, windows in
            ProgressLine.show("blocks \(done)/\(blocks) over \(windows) windows", done: done == blocks)
        }
        return EvalReport(result: r, seconds: Date().timeIntervalSince(start))
    }

    package let result: PerplexityResult
    package let seconds: Double
    package let peakResidentBytes = PeakMemory.residentBytes

    package var tokensPerSecond: Double { Double(result.tokens) / seconds }

    package var text: String {
        String(format: "perplexity %.6f (mean NLL %.6f) over %d windows × %d = %d tokens in %.2f s (%.0f tokens/s), ",
               result.perplexity, result.meanNLL, result.windows, result.seqlen, result.tokens, seconds, tokensPerSecond)
            + "peak resident memory " + PeakMemory.describe(peakResidentBytes)
    }

    /// Hand-written so a non-finite perplexity prints as null instead of failing serialisation.
    package var json: String {
        func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
        return "{\"mean_nll\":\(number(result.meanNLL)),\"perplexity\":\(number(result.perplexity)),"
            + "\"seconds\":\(number(seconds)),\"seqlen\":\(result.seqlen),\"tokens\":\(result.tokens),"
            + "\"tokens_per_second\":\(number(tokensPerSecond)),\"windows\":\(result.windows),"
            + "\"peak_resident_bytes\":\(peakResidentBytes)}"
    }
}
