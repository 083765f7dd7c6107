// `prunerzero-worker eval`: perplexity of a Hugging Face LLaMA checkpoint on a token stream.
//
// Tokens come from a `TokenSource` so other inputs (text, jsonl) can be added without touching the evaluation.
// Progress goes to stderr; the result to stdout, as text or one JSON object.
import ArgumentParser
import Foundation

/// Where `eval` gets its token ids.
protocol TokenSource {
    func tokens() throws -> [TokenID]
}

/// A pre-tokenized file of uint32 little-endian ids.
struct UInt32TokenFile: TokenSource {
    let path: String

    func tokens() throws -> [TokenID] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw ValidationError("\(path): cannot read: \(error.localizedDescription)")
        }
        guard data.count % 4 == 0 else {
            throw ValidationError("\(path): \(data.count) bytes is not a whole number of uint32 token ids")
        }
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { TokenID(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
        }
    }
}

/// The `eval` subcommand.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Perplexity of a LLaMA checkpoint over non-overlapping windows of a token stream.")

    @Option(help: "Model directory: config.json and model.safetensors (or a sharded index).")
    var model: String

    @Option(help: "Token ids, uint32 little-endian.")
    var tokens: String

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
            model: URL(fileURLWithPath: model), source: UInt32TokenFile(path: tokens), seqlen: seqlen,
            maxWindows: maxWindows)
        print(json ? result.json : result.text)
    }

    /// One evaluation with timing; progress on stderr.
    static func evaluate(model: URL, source: TokenSource, seqlen: Int, maxWindows: Int?) throws -> EvalReport {
        let weights = try ModelWeights(directory: model)
        let ids = try source.tokens()
        let start = Date()
        let r = try Perplexity.evaluate(weights, tokens: ids, seqlen: seqlen, maxWindows: maxWindows) { done, blocks, windows in
            // On a terminal one line is rewritten; in a log, one line per block.
            let line = "blocks \(done)/\(blocks) over \(windows) windows"
            let tty = isatty(2) != 0
            FileHandle.standardError.write(Data((tty ? "\r" + line + (done == blocks ? "\n" : "") : line + "\n").utf8))
        }
        return EvalReport(result: r, seconds: Date().timeIntervalSince(start))
    }
}

/// What `eval` prints.
struct EvalReport {
    let result: PerplexityResult
    let seconds: Double

    var tokensPerSecond: Double { Double(result.tokens) / seconds }

    var text: String {
        String(format: "perplexity %.6f (mean NLL %.6f) over %d windows × %d = %d tokens in %.2f s (%.0f tokens/s)",
               result.perplexity, result.meanNLL, result.windows, result.seqlen, result.tokens, seconds, tokensPerSecond)
    }

    /// Hand-written so a non-finite perplexity prints as null instead of failing serialisation.
    var json: String {
        func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
        return "{\"mean_nll\":\(number(result.meanNLL)),\"perplexity\":\(number(result.perplexity)),"
            + "\"seconds\":\(number(seconds)),\"seqlen\":\(result.seqlen),\"tokens\":\(result.tokens),"
            + "\"tokens_per_second\":\(number(tokensPerSecond)),\"windows\":\(result.windows)}"
    }
}
