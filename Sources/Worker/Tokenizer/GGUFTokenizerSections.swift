import Model
/// The tokenizer.json sections GGUFTokenizerJSON.swift assembles, one function per section, each written as the
/// JSON that transformers' tokenizer classes (`GPT2Tokenizer`, `LlamaTokenizer`) would serialize.
extension GGUFTokenizerJSON {
    /// `added_tokens`, in the order transformers adds them (which decides ids of tokens new to the vocabulary):
    /// the tokenizer class's default specials, control tokens, user-defined tokens, then the file's named
    /// BOS/EOS/UNK/PAD. Content already added is not added again; all are matched in raw text.
    package func addedTokens(_ kind: Kind, vocab: [[Unicode.Scalar]: TokenID]) throws -> [JSONValue] {
        var entries: [JSONValue] = []
        var seen: Set<[Unicode.Scalar]> = []
        func add(_ content: [Unicode.Scalar], special: Bool) {
            guard !content.isEmpty, seen.insert(content).inserted else { return }
            entries.append(.object([
                ("id", .number(Double(vocab[content] ?? 0))), ("content", .string(Self.string(content))),
                ("single_word", .bool(false)), ("lstrip", .bool(false)), ("rstrip", .bool(false)),
                ("normalized", .bool(false)), ("special", .bool(special)),
            ]))
        }
        let defaults = kind == .byteLevel ? ["<|endoftext|>"] : ["<s>", "</s>", "<unk>"]
        for token in defaults { add(Array(token.unicodeScalars), special: true) }

        let tokens = vocabulary.tokens.map { Array($0.unicodeScalars) }
        let types = vocabulary.tokenTypes ?? []
        for (token, type) in zip(tokens, types) where type == GGUFVocabulary.TokenType.control {
            // In a byte-level vocabulary a control token spelled outside the alphabet is a llama.cpp mislabel.
            if kind == .byteLevel, !token.allSatisfy(Self.isByteAlphabet) { continue }
            add(token, special: true)
        }
        for (token, type) in zip(tokens, types) where type == GGUFVocabulary.TokenType.userDefined {
            if vocab[token] != nil || seen.contains(token) { add(token, special: false) }
        }
        for id in [vocabulary.bosID, vocabulary.eosID, vocabulary.unknownID, vocabulary.paddingID] {
            if let id { add(tokens[id], special: true) }
        }
        return entries
    }

    /// `pre_tokenizer`: the class's own, unless `tokenizer.ggml.pre` names the LLaMA-3 regex.
    package func preTokenizer(_ kind: Kind, llama3Regex: Bool) -> JSONValue {
        if llama3Regex {
            return .object([("type", .string("Sequence")), ("pretokenizers", .array([
                .object([("type", .string("Split")), ("pattern", .object([("Regex", .string(SplitPattern.llama3Source))])),
                         ("behavior", .string("Isolated")), ("invert", .bool(false))]),
                .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)),
                         ("trim_offsets", .bool(true)), ("use_regex", .bool(false))]),
            ]))])
        }
        switch kind {
        case .byteLevel:
            return .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)),
                            ("trim_offsets", .bool(true)), ("use_regex", .bool(true))])
        case .sentencePiece:
            return .object([("type", .string("Metaspace")), ("replacement", .string("\u{2581}")),
                            ("prepend_scheme", .string("first")), ("split", .bool(false))])
        }
    }

    /// `model`: BPE over the respelled vocabulary (ids in file order) and the merges. The classes' empty
    /// `continuing_subword_prefix`/`end_of_word_suffix` are written as null: an empty affix changes nothing.
    package func model(_ kind: Kind, spellings: [[Unicode.Scalar]]) throws
        -> [(key: String, value: JSONValue)] {
        let members = spellings.enumerated().map { (key: Self.string($1), value: JSONValue.number(Double($0))) }
        let merges = try mergePairs().map { JSONValue.array([.string(Self.string($0.left)), .string(Self.string($0.right))]) }
        return [
            ("type", .string("BPE")), ("dropout", .null), ("unk_token", .null),
            ("continuing_subword_prefix", .null), ("end_of_word_suffix", .null),
            ("fuse_unk", .bool(kind == .sentencePiece)), ("byte_fallback", .bool(kind == .sentencePiece)),
            ("ignore_merges", .bool(false)), ("vocab", .object(members)), ("merges", .array(merges)),
        ]
    }

    /// The file's merges, each "left right" split at its one space (transformers `merge.split(" ")`), or,
    /// when the file has none, the merges its scores imply.
    package func mergePairs() throws -> [(left: [Unicode.Scalar], right: [Unicode.Scalar])] {
        if let merges = vocabulary.merges {
            return try merges.enumerated().map { index, merge in
                let parts = merge.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError.malformedGGUF(file: file, key: "tokenizer.ggml.merges[\(index)]",
                                                       reason: "\"\(merge)\" is not two tokens separated by one space")
                }
                return (Array(parts[0]), Array(parts[1]))
            }
        }
        guard let scores = vocabulary.scores else {
            throw TokenizerError.malformedGGUF(file: file, key: "tokenizer.ggml.merges",
                                               reason: "absent, and no tokenizer.ggml.scores to derive merges from")
        }
        return Self.derivedMerges(tokens: vocabulary.tokens.map { Array($0.unicodeScalars) }, scores: scores)
    }

    /// `post_processor`: transformers' `update_post_processor` template, BOS and EOS by the file's flags.
    package func postProcessor(_ kind: Kind, bos: (content: String, id: TokenID)?,
                       eos: (content: String, id: TokenID)?) -> JSONValue {
        // transformers defaults `add_bos_token` to true for llama vocabularies, as llama.cpp does.
        let addBOS = vocabulary.addBOS ?? (kind == .sentencePiece)
        let addEOS = vocabulary.addEOS ?? false
        var single: [JSONValue] = []
        var specials: [(key: String, value: JSONValue)] = []
        func piece(_ token: (content: String, id: TokenID), typeID: Int) -> JSONValue {
            .object([("SpecialToken", .object([("id", .string(token.content)), ("type_id", .number(Double(typeID)))]))])
        }
        func special(_ token: (content: String, id: TokenID)) {
            single.append(piece(token, typeID: 0))
            guard !specials.contains(where: { $0.key == token.content }) else { return }
            specials.append((token.content, .object([("id", .string(token.content)),
                                                     ("ids", .array([.number(Double(token.id))])),
                                                     ("tokens", .array([.string(token.content)]))])))
        }
        if addBOS, let bos { special(bos) }
        single.append(.object([("Sequence", .object([("id", .string("A")), ("type_id", .number(0))]))]))
        if addEOS, let eos { special(eos) }
        // The pair template, as transformers writes it: single, then (BOS) $B (EOS) with type id 1. HF tokenizers
        // requires the key; encoding here uses only `single`.
        var pair = single
        if addBOS, let bos { pair.append(piece(bos, typeID: 1)) }
        pair.append(.object([("Sequence", .object([("id", .string("B")), ("type_id", .number(1))]))]))
        if addEOS, let eos { pair.append(piece(eos, typeID: 1)) }
        return .object([("type", .string("TemplateProcessing")), ("single", .array(single)), ("pair", .array(pair)),
                        ("special_tokens", .object(specials))])
    }

    /// `decoder`: `GPT2Tokenizer`'s ByteLevel, or `LlamaTokenizer`'s chain (with its leading-space strip).
    package func decoder(_ kind: Kind) -> JSONValue {
        switch kind {
        case .byteLevel:
            return .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(true)),
                            ("trim_offsets", .bool(true)), ("use_regex", .bool(true))])
        case .sentencePiece:
            return .object([("type", .string("Sequence")), ("decoders", .array([
                .object([("type", .string("Replace")), ("pattern", .object([("String", .string("\u{2581}"))])),
                         ("content", .string(" "))]),
                .object([("type", .string("ByteFallback"))]),
                .object([("type", .string("Fuse"))]),
                .object([("type", .string("Strip")), ("content", .string(" ")), ("start", .number(1)), ("stop", .number(0))]),
            ]))])
        }
    }
}
