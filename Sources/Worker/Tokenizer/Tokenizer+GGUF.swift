/// `Tokenizer` from a GGUF file's `tokenizer.ggml.*` metadata instead of a tokenizer.json, giving the ids
/// transformers 5.23.0 gives (`AutoTokenizer.from_pretrained(dir, gguf_file=…)`). The metadata becomes the
/// tokenizer.json document transformers would build (GGUFTokenizerJSON.swift), checked and encoded by the same
/// code as a real tokenizer.json.
extension Tokenizer {
    /// Builds from the metadata; `file` labels errors (the GGUF file's path).
    package init(gguf vocabulary: GGUFVocabulary, file: String) throws {
        let (root, eosID) = try GGUFTokenizerJSON(vocabulary: vocabulary, file: file).document()
        self.init(sections: try TokenizerJSON(root: JSONField(value: root, path: "", file: file)), eosID: eosID)
    }
}
