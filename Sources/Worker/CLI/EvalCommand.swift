// `prunerzero-worker eval`: perplexity of a Hugging Face LLaMA checkpoint on a token stream.
//
// Data is any corpus `DatasetSource` reads (text, JSON lines, gzip, uint32 ids), tokenized by the model's tokenizer.
// Progress goes to stderr; the result to stdout, as text or one JSON object.
import ArgumentParser
import Fitness
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
        let result = try EvalReport.evaluate(
            model: URL(fileURLWithPath: model), data: data, seqlen: seqlen,
            maxWindows: maxWindows)
        print(json ? result.json : result.text)
    }
}
