import Foundation
import Testing
import TestSupport
@testable import Model
@testable import Tokenizer

/// Where the GGUF tokenizer tests get SmolLM2-135M's `tokenizer.ggml.*` metadata: the model's GGUF file itself
/// (fetched by deploy/fetch-smollm2.sh; see ../shared/fixtures/smollm2-135m/README.md), read with the worker's
/// reader; or a JSON dump written by `Benchmarks/Reference/dump_gguf_vocab.py`, named by
/// `$PRUNERZERO_GGUF_VOCAB_JSON`. With neither, the tests that need it are skipped.
enum GGUFTokenizerFixture {
    static let environmentKey = "PRUNERZERO_GGUF_VOCAB_JSON"

    /// SmolLM2-135M-Instruct's tokenizer metadata, or nil when it is not available on this machine.
    static func loadVocabulary() throws -> GGUFVocabulary? {
        if FileManager.default.fileExists(atPath: SmolLM2.gguf.path) {
            return try GGUFVocabulary(GGUFFile(path: SmolLM2.gguf.path))
        }
        guard let path = ProcessInfo.processInfo.environment[environmentKey], !path.isEmpty else { return nil }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        return try dumpedVocabulary(JSONField(value: try JSONValue.parse(bytes, file: path), path: "", file: path))
    }

    /// Reads the dump's members (named after the keys, less `tokenizer.ggml.`).
    static func dumpedVocabulary(_ root: JSONField) throws -> GGUFVocabulary {
        func number(_ field: JSONField) throws -> Double {
            guard case .number(let value) = field.value else { throw field.wrongType("a number") }
            return value
        }
        func int(_ field: JSONField) throws -> Int {
            let value = try number(field)
            guard value.rounded() == value, abs(value) < 1e15 else { throw field.wrongType("an integer") }
            return Int(value)
        }
        return GGUFVocabulary(
            model: try root.field("model").string(),
            pre: try root.optionalField("pre")?.string(),
            tokens: try root.field("tokens").array().map { try $0.string() },
            tokenTypes: try root.optionalField("token_type")?.array().map { Int32(try int($0)) },
            scores: try root.optionalField("scores")?.array().map { Float(try number($0)) },
            merges: try root.optionalField("merges")?.array().map { try $0.string() },
            bosID: try root.optionalField("bos_token_id").map(int),
            eosID: try root.optionalField("eos_token_id").map(int),
            unknownID: try root.optionalField("unknown_token_id").map(int),
            paddingID: try root.optionalField("padding_token_id").map(int),
            addBOS: try root.optionalField("add_bos_token")?.bool(),
            addEOS: try root.optionalField("add_eos_token")?.bool(),
            addSpacePrefix: try root.optionalField("add_space_prefix")?.bool())
    }

    /// Loaded once per process; an error is kept and rethrown to each test, so it shows in the output.
    private static let loaded = Result { try loadVocabulary() }

    /// Whether the tests can run: the metadata is there (or failed to load, which the tests then report), and so
    /// are the fixture's vectors.
    static let isAvailable: Bool = {
        if case .success(.none) = loaded { return false }
        return TokenizerFixtures.url("fixtures/smollm2-135m/vectors.jsonl") != nil
    }()

    static let skipReason: Comment = "SmolLM2's GGUF is absent (deploy/fetch-smollm2.sh), and PRUNERZERO_GGUF_VOCAB_JSON is unset"

    static func vocabulary() throws -> GGUFVocabulary { try loaded.get()! }

    private static let tokenizerResult = Result {
        try Tokenizer(gguf: try vocabulary(), file: "SmolLM2-135M-Instruct.Q4_1.gguf")
    }

    static func tokenizer() throws -> Tokenizer { try tokenizerResult.get() }
}
