/// The top level of a Hugging Face `tokenizer.json`, section by section under its exact member names, each
/// section built by its own factory (keyed on the section's `type`).
///
/// `truncation` and `padding` must be `null`: they would change what `encode` returns and are not implemented.
package struct TokenizerJSON {
    /// `added_tokens`
    package let addedTokens: [AddedToken]
    /// `normalizer` (null: text is used as is)
    package let normalizer: Normalizer?
    /// `pre_tokenizer` (null: each text run is one word)
    package let preTokenizer: PreTokenizer?
    /// `model`
    package let model: BPEModel
    /// `post_processor` (null: `encode` adds nothing)
    package let postProcessor: PostProcessor?
    /// `decoder` (null: tokens are joined with spaces)
    package let decoder: Decoder?

    /// Parses and checks a whole file; `file` labels errors.
    package init(bytes: [UInt8], file: String) throws {
        try self.init(root: JSONField(value: try JSONValue.parse(bytes, file: file), path: "", file: file))
    }

    /// Checks and builds from an already parsed document (or one built in memory, as the GGUF converter does).
    package init(root: JSONField) throws {
        _ = try root.members()  // the document must be an object
        for refused in ["truncation", "padding"] {
            if let field = root.optionalField(refused) { throw field.unsupported("\(refused) must be null") }
        }
        addedTokens = try root.optionalField("added_tokens")?.array().map(AddedToken.init(json:)) ?? []
        normalizer = try root.optionalField("normalizer").map(Normalizer.init(json:))
        preTokenizer = try root.optionalField("pre_tokenizer").map(PreTokenizer.init(json:))
        model = try BPEModel(json: try root.field("model"))
        postProcessor = try root.optionalField("post_processor").map(PostProcessor.init(json:))
        decoder = try root.optionalField("decoder").map(Decoder.init(json:))
    }
}
