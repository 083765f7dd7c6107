import Model
/// Turns a GGUF file's tokenizer metadata into the tokenizer.json document transformers 5.23.0 builds from it, so
/// the ordinary tokenizer.json machinery encodes with transformers' ids.
///
/// Follows `transformers/integrations/gguf/gguf_tokenizer_mapping.py` (5.23.0) and what its callers add:
/// - `gpt2` → `byte_level_tokenizer` + `GPT2Tokenizer`: tokens outside the byte-level alphabet respelled as the
///   alphabet characters of their UTF-8 bytes, the file's merges, `ByteLevel` pre-tokenizer (GPT-2 regex) and
///   decoder. `GPT2Tokenizer`'s own default special token `<|endoftext|>` is added as special.
/// - `llama` → `sentencepiece_tokenizer` + `LlamaTokenizer`: the vocabulary as spelled, the file's merges or
///   merges derived from the scores (`generate_merges`), BPE with `byte_fallback` and `fuse_unk`, `Metaspace`
///   ("▁", prepend scheme `first`, no split), decoder Replace/ByteFallback/Fuse/Strip. `LlamaTokenizer`'s
///   defaults `<s>`, `</s>`, `<unk>` are added as special. `tokenizer.ggml.add_space_prefix` is not consulted,
///   exactly as in transformers (the "▁" is always prepended to the text's first run).
/// - `set_split_regex`: a `tokenizer.ggml.pre` naming the LLaMA-3 regex ("llama-bpe", ...) replaces the
///   pre-tokenizer with Split(regex, Isolated) + ByteLevel(no regex). "default", "gpt-2", "smollm" or none keep
///   the default (transformers has no "smollm" entry; llama.cpp's smollm regex splits digits one by one, which
///   gives the same ids here since SmolLM2's vocabulary has no multi-digit or digit-joined tokens). Any other
///   `pre` is refused rather than silently tokenized another way.
/// - `add_gguf_special_tokens`: control tokens (type 3; for gpt2 only those spelled in the byte alphabet) become
///   special added tokens, user-defined ones (type 4) plain added tokens, all matched in raw text; then the
///   file's BOS/EOS/UNK/PAD tokens are added as special if not yet there.
/// - `TokenizersBackend.update_post_processor`: a template with BOS when `add_bos_token` (default true for
///   llama, false for gpt2) and EOS when `add_eos_token` (default false).
/// What it does not do: transformers' per-architecture builders (Gemma, Phi-3), `t5`/Unigram, other regexes.
package struct GGUFTokenizerJSON {
    package let vocabulary: GGUFVocabulary
    package let file: String

    /// The two tokenizer families of `tokenizer.ggml.model`.
    package enum Kind {
        case byteLevel      // "gpt2"
        case sentencePiece  // "llama"
    }

    /// `tokenizer.ggml.pre` values that transformers 5.23.0 maps to the LLaMA-3 regex.
    package static let llama3Pres: Set<String> = ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral",
                                          "midm-2.0", "lfm2", "jina-v5-nano", "dbrx", "smaug-bpe"]
    /// `tokenizer.ggml.pre` values that keep the model's default pre-tokenizer (checked to give the right ids).
    package static let defaultPres: Set<String> = ["default", "gpt-2", "smollm"]

    /// The document, and the id of the file's EOS token (tokenizer.json itself does not record one).
    package func document() throws -> (root: JSONValue, eosID: TokenID?) {
        let kind: Kind
        switch vocabulary.model {
        case "gpt2": kind = .byteLevel
        case "llama": kind = .sentencePiece
        case let other: throw TokenizerError.unsupportedGGUF(file: file, key: "tokenizer.ggml.model", value: other)
        }
        let usesLLaMA3Regex: Bool
        switch vocabulary.pre {
        case nil: usesLLaMA3Regex = false
        case let pre? where Self.defaultPres.contains(pre): usesLLaMA3Regex = false
        case let pre? where Self.llama3Pres.contains(pre): usesLLaMA3Regex = true
        case let pre?: throw TokenizerError.unsupportedGGUF(file: file, key: "tokenizer.ggml.pre", value: pre)
        }
        try checkLengths()

        let spellings = modelSpellings(kind)
        var vocab: [[Unicode.Scalar]: TokenID] = [:]
        for (id, token) in spellings.enumerated() { vocab[token] = TokenID(id) }  // a later duplicate wins, as in a dict
        let added = try addedTokens(kind, vocab: vocab)
        let assigned = AddedToken.assigningIDs(
            try added.enumerated().map { try AddedToken(json: JSONField(value: $1, path: "added_tokens[\($0)]", file: file)) },
            vocabulary: vocab)
        func addedID(_ id: Int?) -> (content: String, id: TokenID)? {
            guard let id else { return nil }
            let content = vocabulary.tokens[id]
            return assigned.first(where: { $0.content.unicodeScalars.elementsEqual(content.unicodeScalars) })
                .map { (content, $0.id) }
        }

        let root: [(key: String, value: JSONValue)] = [
            ("version", .string("1.0")),
            ("added_tokens", .array(added)),
            ("normalizer", .null),
            ("pre_tokenizer", preTokenizer(kind, llama3Regex: usesLLaMA3Regex)),
            ("model", .object(try model(kind, spellings: spellings))),
            ("post_processor", postProcessor(kind, bos: addedID(vocabulary.bosID), eos: addedID(vocabulary.eosID))),
            ("decoder", decoder(kind)),
        ]
        return (.object(root), addedID(vocabulary.eosID)?.id)
    }

    /// Array keys must have one entry per token, and ids must name a token.
    private func checkLengths() throws {
        let count = vocabulary.tokens.count
        if let types = vocabulary.tokenTypes, types.count != count {
            throw TokenizerError.malformedGGUF(file: file, key: "tokenizer.ggml.token_type",
                                               reason: "\(types.count) entries for \(count) tokens")
        }
        if let scores = vocabulary.scores, scores.count != count {
            throw TokenizerError.malformedGGUF(file: file, key: "tokenizer.ggml.scores",
                                               reason: "\(scores.count) entries for \(count) tokens")
        }
        let ids = [("bos_token_id", vocabulary.bosID), ("eos_token_id", vocabulary.eosID),
                   ("unknown_token_id", vocabulary.unknownID), ("padding_token_id", vocabulary.paddingID)]
        for case let (key, id?) in ids where id < 0 || id >= count {
            throw TokenizerError.malformedGGUF(file: file, key: "tokenizer.ggml.\(key)",
                                               reason: "id \(id) is not below the \(count) tokens")
        }
    }

    /// Each token as the model vocabulary spells it: byte-level vocabularies respell any token with a character
    /// outside the byte alphabet as the alphabet characters of its UTF-8 bytes.
    private func modelSpellings(_ kind: Kind) -> [[Unicode.Scalar]] {
        let tokens = vocabulary.tokens.map { Array($0.unicodeScalars) }
        guard kind == .byteLevel else { return tokens }
        return tokens.map { token in
            token.allSatisfy(Self.isByteAlphabet) ? token : ByteLevel.encode(token[...])
        }
    }

    package static func isByteAlphabet(_ scalar: Unicode.Scalar) -> Bool { ByteLevel.byte(for: scalar) != nil }

    package static func string(_ scalars: [Unicode.Scalar]) -> String { Decoder.string(scalars) }

    /// Memberwise, for the other worker modules (Swift's implicit one is internal).
    package init(vocabulary: GGUFVocabulary, file: String) {
        self.vocabulary = vocabulary
        self.file = file
    }
}
