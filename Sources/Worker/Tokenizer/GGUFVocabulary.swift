/// The `tokenizer.ggml.*` metadata of a GGUF file, as read: the input of `Tokenizer(gguf:file:)`.
///
/// A plain value with one member per key (names mirror the keys), so the tokenizer does not depend on the GGUF
/// reader: whoever reads the file fills this in, tests build small ones by hand. Nothing here is checked; the
/// converter (GGUFTokenizerJSON.swift) says which key is wrong.
struct GGUFVocabulary {
    /// `tokenizer.ggml.model`: "gpt2" (byte-level BPE) or "llama" (SentencePiece-style BPE); others are refused.
    var model: String
    /// `tokenizer.ggml.pre`: llama.cpp's pre-tokenizer name ("smollm", "llama-bpe", "default", ...).
    var pre: String?
    /// `tokenizer.ggml.tokens`: the token strings, by id.
    var tokens: [String]
    /// `tokenizer.ggml.token_type`: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    var tokenTypes: [Int32]?
    /// `tokenizer.ggml.scores` (llama: merges are derived from them when the file lists none).
    var scores: [Float]?
    /// `tokenizer.ggml.merges` (gpt2), each "left right".
    var merges: [String]?
    /// `tokenizer.ggml.bos_token_id`, `eos_token_id`, `unknown_token_id`, `padding_token_id`.
    var bosID: Int?, eosID: Int?, unknownID: Int?, paddingID: Int?
    /// `tokenizer.ggml.add_bos_token`, `add_eos_token`, `add_space_prefix`.
    var addBOS: Bool?, addEOS: Bool?, addSpacePrefix: Bool?

    /// The GGUF token types (llama.cpp `llama_token_type`) that change how a token is treated.
    enum TokenType {
        static let control: Int32 = 3
        static let userDefined: Int32 = 4
    }
}
