/// Everything that can be wrong with a `tokenizer.json` or a GGUF file's tokenizer metadata, each case naming
/// the file and the place in it.
///
/// `path` is a dotted JSON path such as `model.merges[12]` or `pre_tokenizer.pretokenizers[0].pattern`, so a
/// message points at the offending field without opening the file in an editor. For a GGUF file the sections are
/// built in memory, so such a path names the tokenizer.json section the metadata became; `key` names the GGUF key.
package enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read at all.
    case unreadable(file: String, reason: String)
    /// The bytes are not JSON; `offset` is the byte offset where parsing stopped.
    case malformedJSON(file: String, offset: Int, reason: String)
    /// A required field is absent (or `null` where a value is required).
    case missingField(file: String, path: String)
    /// A field holds the wrong kind of JSON value.
    case wrongType(file: String, path: String, expected: String)
    /// A section's `type` names something no factory knows.
    case unknownType(file: String, path: String, type: String)
    /// A known section uses an option this implementation does not reproduce exactly, so it refuses rather than
    /// tokenizing differently from Hugging Face.
    case unsupported(file: String, path: String, what: String)
    /// A merge is not two tokens, or names tokens missing from the vocabulary.
    case badMerge(file: String, index: Int, merge: String, reason: String)
    /// A token that a section refers to is not in the vocabulary.
    case unknownToken(file: String, path: String, token: String)
    /// A GGUF key holds a value this implementation does not turn into a tokenizer (e.g. `tokenizer.ggml.model`
    /// "bert", `tokenizer.ggml.pre` "qwen2").
    case unsupportedGGUF(file: String, key: String, value: String)
    /// A GGUF key is missing or inconsistent with the others (an array of the wrong length, an id out of range).
    case malformedGGUF(file: String, key: String, reason: String)

    package var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .malformedJSON(file, offset, reason): return "\(file): bad JSON at byte \(offset): \(reason)"
        case let .missingField(file, path): return "\(file): missing field \(path)"
        case let .wrongType(file, path, expected): return "\(file): \(path) should be \(expected)"
        case let .unknownType(file, path, type): return "\(file): \(path).type \"\(type)\" is not supported"
        case let .unsupported(file, path, what): return "\(file): \(path): unsupported: \(what)"
        case let .badMerge(file, index, merge, reason):
            return "\(file): model.merges[\(index)] \(merge): \(reason)"
        case let .unknownToken(file, path, token): return "\(file): \(path): token \"\(token)\" is not in the vocabulary"
        case let .unsupportedGGUF(file, key, value): return "\(file): \(key) \"\(value)\" is not supported"
        case let .malformedGGUF(file, key, reason): return "\(file): \(key): \(reason)"
        }
    }
}
