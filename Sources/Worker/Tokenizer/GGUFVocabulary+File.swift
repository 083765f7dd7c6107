// GGUFVocabulary+File: the `tokenizer.ggml.*` keys of a GGUF file read into a GGUFVocabulary, each checked for its
// type so a wrong one is an error naming the key (the tokenizer itself is built in Tokenizer+GGUF).
import Foundation
import Model

extension GGUFVocabulary {
    package init(_ file: GGUFFile) throws {
        let m = GGUFLlama.Metadata(file: file)
        func array<T>(_ key: String, _ element: String, _ get: (GGUFValue) -> [T]?) throws -> [T]? {
            guard let v = file.metadata[key] else { return nil }
            guard let items = get(v) else {
                throw GGUFError.wrongKeyType(file: file.path, key: key, expected: "an array of \(element)", found: "\(v.type) \(v.summary)")
            }
            return items
        }
        func flag(_ key: String) throws -> Bool? {
            guard let v = file.metadata[key] else { return nil }
            guard let b = v.boolValue else {
                throw GGUFError.wrongKeyType(file: file.path, key: key, expected: "a bool", found: "\(v.type) \(v.summary)")
            }
            return b
        }
        guard let tokens = try array("tokenizer.ggml.tokens", "strings", \.strings) else {
            throw GGUFError.missingKey(file: file.path, key: "tokenizer.ggml.tokens")
        }
        let types = try array("tokenizer.ggml.token_type", "integers", \.ints)
        if let types, let bad = types.first(where: { $0 < Int(Int32.min) || $0 > Int(Int32.max) }) {
            throw GGUFError.wrongKeyType(file: file.path, key: "tokenizer.ggml.token_type", expected: "i32 values", found: "\(bad)")
        }
        let scores = try array("tokenizer.ggml.scores", "numbers", \.doubles)
        for (key, count) in [("tokenizer.ggml.token_type", types?.count), ("tokenizer.ggml.scores", scores?.count)] {
            if let count, count != tokens.count {
                throw GGUFError.wrongKeyType(file: file.path, key: key, expected: "\(tokens.count) entries (one per token)", found: "\(count)")
            }
        }
        self.init(
            model: try m.string("tokenizer.ggml.model"), pre: try m.optionalString("tokenizer.ggml.pre"), tokens: tokens,
            tokenTypes: types?.map { Int32($0) }, scores: scores?.map { Float($0) },
            merges: try array("tokenizer.ggml.merges", "strings", \.strings),
            bosID: try m.optionalInt("tokenizer.ggml.bos_token_id"), eosID: try m.optionalInt("tokenizer.ggml.eos_token_id"),
            unknownID: try m.optionalInt("tokenizer.ggml.unknown_token_id"),
            paddingID: try m.optionalInt("tokenizer.ggml.padding_token_id"),
            addBOS: try flag("tokenizer.ggml.add_bos_token"), addEOS: try flag("tokenizer.ggml.add_eos_token"),
            addSpacePrefix: try flag("tokenizer.ggml.add_space_prefix"))
    }
}
