// `prunerzero-worker eval`: perplexity of a Hugging Face LLaMA checkpoint on a token stream.
//
// Data is any corpus `DatasetSource` reads (text, JSON lines, gzip, uint32 ids), tokenized by the model's tokenizer.
// Progress goes to stderr; the result to stdout, as text or one JSON object.
import ArgumentParser
import Foundation

/// The `eval` subcommand.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Perplexity of a LLaMA checkpoint over non-overlapping windows of a token stream.")

    @Option(help: "Model: a directory (config.json, safetensors, tokenizer.json) or a GGUF file.")
    var model: String

    @Option(help: "Evaluation data: text, JSON lines (.jsonl, .json.gz) or uint32 little-endian token ids (.bin).")
    var data: String

    @Option(help: "Tokens per window.")
    var seqlen: Int

    @Option(help: "Evaluate at most this many windows.")
    var maxWindows: Int?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard seqlen >= 2 else { throw ValidationError("--seqlen must be at least 2") }
        if let k = maxWindows, k < 1 { throw ValidationError("--max-windows must be at least 1") }
    }

    func run() throws {
        let result = try Self.evaluate(
            model: URL(fileURLWithPath: model), data: data, seqlen: seqlen,
            maxWindows: maxWindows)
        print(json ? result.json : result.text)
    }

    /// One evaluation with timing; progress on stderr.
    static func evaluate(model: URL, data: String, seqlen: Int, maxWindows: Int?) throws -> EvalReport {
        let path = try ModelPath(model)
        let weights = try path.weights()
        let ids = try Corpus.stream(data, model: path, weights: weights).tokens
        let start = Date()
        let r = try Perplexity.evaluate(weights, tokens: ids, seqlen: seqlen, maxWindows: maxWindows) { done, blocks, windows in
            ProgressLine.show("blocks \(done)/\(blocks) over \(windows) windows", done: done == blocks)
        }
        return EvalReport(result: r, seconds: Date().timeIntervalSince(start))
    }
}

/// What `eval` prints.
struct EvalReport {
    let result: PerplexityResult
    let seconds: Double
    let peakResidentBytes = PeakMemory.residentBytes

    var tokensPerSecond: Double { Double(result.tokens) / seconds }

    var text: String {
        String(format: "perplexity %.6f (mean NLL %.6f) over %d windows × %d = %d tokens in %.2f s (%.0f tokens/s), ",
               result.perplexity, result.meanNLL, result.windows, result.seqlen, result.tokens, seconds, tokensPerSecond)
            + "peak resident memory " + PeakMemory.describe(peakResidentBytes)
    }

    /// Hand-written so a non-finite perplexity prints as null instead of failing serialisation.
    var json: String {
        func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
        return "{\"mean_nll\":\(number(result.meanNLL)),\"perplexity\":\(number(result.perplexity)),"
            + "\"seconds\":\(number(seconds)),\"seqlen\":\(result.seqlen),\"tokens\":\(result.tokens),"
            + "\"tokens_per_second\":\(number(tokensPerSecond)),\"windows\":\(result.windows),"
            + "\"peak_resident_bytes\":\(peakResidentBytes)}"
    }
}
