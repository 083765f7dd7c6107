/// The `tokenizer.ggml.*` metadata of a GGUF file, as read: the input of `Tokenizer(gguf:file:)`.
///
/// A plain value with one member per key (names mirror the keys), so the tokenizer does not depend on the GGUF
/// reader: whoever reads the file fills this in, tests build small ones by hand. Nothing here is checked; the
/// converter (GGUFTokenizerJSON.swift) says which key is wrong.
package struct GGUFVocabulary {
    /// `tokenizer.ggml.model`: "gpt2" (byte-level BPE) or "llama" (SentencePiece-style BPE); others are refused.
    package var model: String
    /// `tokenizer.ggml.pre`: llama.cpp's pre-tokenizer name ("smollm", "llama-bpe", "default", ...).
    package var pre: String?
    /// `tokenizer.ggml.tokens`: the token strings, by id.
    package var tokens: [String]
    /// `tokenizer.ggml.token_type`: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    package var tokenTypes: [Int32]?
    /// `tokenizer.ggml.scores` (llama: merges are derived from them when the file lists none).
    package var scores: [Float]?
    /// `tokenizer.ggml.merges` (gpt2), each "left right".
    package var merges: [String]?
    /// `tokenizer.ggml.bos_token_id`, `eos_token_id`, `unknown_token_id`, `padding_token_id`.
    package var bosID: Int?, eosID: Int?, unknownID: Int?, paddingID: Int?
    /// `tokenizer.ggml.add_bos_token`, `add_eos_token`, `add_space_prefix`.
    package var addBOS: Bool?, addEOS: Bool?, addSpacePrefix: Bool?

    /// The GGUF token types (llama.cpp `llama_token_type`) that change how a token is treated.
    package enum TokenType {
        package static let control: Int32 = 3
        package static let userDefined: Int32 = 4
    }

    /// Memberwise, for the other worker modules (Swift's implicit one is internal).
    package init(model: String, pre: String? = nil, tokens: [String], tokenTypes: [Int32]? = nil, scores: [Float]? = nil, merges: [String]? = nil, bosID: Int? = nil, eosID: Int? = nil, unknownID: Int? = nil, paddingID: Int? = nil, addBOS: Bool? = nil, addEOS: Bool? = nil, addSpacePrefix: Bool? = nil) {
        self.model = model
        self.pre = pre
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.scores = scores
        self.merges = merges
        self.bosID = bosID
        self.eosID = eosID
        self.unknownID = unknownID
        self.paddingID = paddingID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
    }
}
