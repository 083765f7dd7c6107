import ArgumentParser
import Foundation
import Tokenizer

/// `prunerzero-worker tokenize`: encodes text with a `tokenizer.json` and prints the ids, space-separated, on
/// stdout (and nothing else there, so scripts can compare them with Hugging Face's output); timing goes to stderr.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text, as Hugging Face tokenizers' encode(text).ids.")

    @Option(name: .long, help: "A Hugging Face tokenizer.json.")
    var tokenizer: String

    @Option(name: .long, help: "The text to encode.")
    var text: String?

    @Option(name: .long, help: "A UTF-8 file whose whole content is encoded as one text.")
    var file: String?

    @Flag(name: .long, help: "Leave out the special tokens the post-processor adds (e.g. BOS).")
    var noSpecialTokens = false

    func validate() throws {
        guard (text == nil) != (file == nil) else { throw ValidationError("give exactly one of --text and --file") }
    }

    func run() throws {
        let loadStart = Date()
        let model = try Tokenizer(contentsOf: URL(fileURLWithPath: tokenizer))
        let input: String
        if let text {
            input = text
        } else {
            let path = file!
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let decoded = String(validating: data, as: UTF8.self) else {
                throw ValidationError("\(path) is not valid UTF-8")
            }
            input = decoded
        }
        let encodeStart = Date()
        let ids = model.encode(input, addSpecialTokens: !noSpecialTokens)
        let encodeSeconds = Date().timeIntervalSince(encodeStart)
        FileHandle.standardOutput.write(Data((ids.map(String.init).joined(separator: " ") + "\n").utf8))
        let message = String(format: "tokenize: %d ids; load %.3f s, encode %.3f s (%d scalars)\n",
                             ids.count, encodeStart.timeIntervalSince(loadStart), encodeSeconds,
                             input.unicodeScalars.count)
        FileHandle.standardError.write(Data(message.utf8))
    }
}
