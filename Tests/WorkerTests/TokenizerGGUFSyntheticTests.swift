import Testing
@testable import Model
@testable import Tokenizer

/// The GGUF conversion on tiny hand-made vocabularies, one behaviour each. Expectations follow transformers
/// 5.23.0's `integrations/gguf/gguf_tokenizer_mapping.py` as read (no real LLaMA-3 or LLaMA-2 GGUF is at hand, so
/// the `llama-bpe` and `llama` cases are checked only here).
struct TokenizerGGUFSyntheticTests {
    /// A byte-level (`gpt2`) vocabulary: tokens by id, merges "left right"; types default to normal.
    static func gpt2(_ tokens: [String], merges: [String], types: [Int: Int32] = [:], pre: String? = nil,
                     addBOS: Bool? = nil) -> GGUFVocabulary {
        GGUFVocabulary(model: "gpt2", pre: pre, tokens: tokens,
                       tokenTypes: tokens.indices.map { types[$0] ?? 1 }, merges: merges,
                       bosID: tokens.firstIndex(of: "<|im_start|>"), eosID: tokens.firstIndex(of: "<|im_end|>"),
                       addBOS: addBOS)
    }

    static let helloTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "h", "e", "l", "o", "w", "r", "d",
                              "\u{120}", "he", "ll", "hell", "hello", "\u{120}w", "or", "\u{120}wor", "\u{120}worl",
                              "\u{120}world", "\n", "<think>"]
    static let helloMerges = ["h e", "l l", "he ll", "hell o", "\u{120} w", "o r", "\u{120}w or", "\u{120}wor l",
                              "\u{120}worl d"]

    @Test func gpt2MergesByteLevelWords() throws {
        let tokenizer = try Tokenizer(gguf: Self.gpt2(Self.helloTokens, merges: Self.helloMerges), file: "t.gguf")
        #expect(tokenizer.encode("hello world") == [14, 19])
        #expect(tokenizer.encode("hello  world") == [14, 10, 19])
        // "\n" is outside the byte alphabet, so the vocabulary spells it "Ċ" (U+010A); the text's newline maps there.
        #expect(tokenizer.encode("hello\n") == [14, 20])
        #expect(tokenizer.decode([14, 19, 20]) == "hello world\n")
        #expect(tokenizer.bosID == nil)  // gpt2 adds no BOS unless the file says so
        #expect(tokenizer.eosID == 2)
    }

    @Test func controlTokensAreMatchedWholeInText() throws {
        let vocabulary = Self.gpt2(Self.helloTokens, merges: Self.helloMerges, types: [0: 3, 1: 3, 2: 3, 21: 4])
        let tokenizer = try Tokenizer(gguf: vocabulary, file: "t.gguf")
        #expect(tokenizer.encode("<|im_start|>hello<|im_end|>") == [1, 14, 2])
        // User-defined tokens stay whole too, but are not special: decode keeps them.
        #expect(tokenizer.encode("<think>hello") == [21, 14])
        #expect(tokenizer.decode([1, 21, 14, 2]) == "<think>hello")
        #expect(tokenizer.decode([1, 14, 2], skipSpecialTokens: false) == "<|im_start|>hello<|im_end|>")
        // Untyped, "<think>" is ordinary text cut into words; only "h" of it is a token here.
        let plain = try Tokenizer(gguf: Self.gpt2(Self.helloTokens, merges: Self.helloMerges), file: "t.gguf")
        #expect(plain.encode("<think>hello") == [3, 14])
        // The file's BOS/EOS are added as special whatever their type, and `<|endoftext|>` is GPT2Tokenizer's own
        // default special token: all three are matched even untyped.
        #expect(plain.encode("<|im_start|>hello<|endoftext|><|im_end|>") == [1, 14, 0, 2])
    }

    @Test func addBOSFlagDrivesThePostProcessor() throws {
        let vocabulary = Self.gpt2(Self.helloTokens, merges: Self.helloMerges, types: [1: 3, 2: 3], addBOS: true)
        let tokenizer = try Tokenizer(gguf: vocabulary, file: "t.gguf")
        #expect(tokenizer.encode("hello") == [1, 14])
        #expect(tokenizer.encode("hello", addSpecialTokens: false) == [14])
        #expect(tokenizer.bosID == 1)
        var withEOS = vocabulary
        withEOS.addEOS = true
        #expect(try Tokenizer(gguf: withEOS, file: "t.gguf").encode("hello") == [1, 14, 2])
    }

    /// Digits: "Ġ"=0, "1"…"5"=1…5, then merged tokens; "3 4" ranks before "1 2", "4 5", "12 3".
    static let digitTokens = ["\u{120}", "1", "2", "3", "4", "5", "34", "12", "45", "123", "a", "\u{120}a"]
    static let digitMerges = ["3 4", "1 2", "4 5", "12 3", "\u{120} a"]

    @Test func smollmKeepsGPT2RegexAndSplitsDigitsWhenTheVocabularyHasNoDigitMerges() throws {
        // SmolLM2's own vocabulary has no token with a digit beside anything, so digits come out one by one.
        let noDigitMerges = Self.gpt2(Self.digitTokens, merges: ["\u{120} a"], pre: "smollm")
        #expect(try Tokenizer(gguf: noDigitMerges, file: "t.gguf").encode("a 12345") == [10, 0, 1, 2, 3, 4, 5])
        // transformers 5.23.0 has no "smollm" regex: GPT-2's applies, " 12345" is one word and merges freely
        // (llama.cpp's smollm regex would isolate each digit).
        let tokenizer = try Tokenizer(gguf: Self.gpt2(Self.digitTokens, merges: Self.digitMerges, pre: "smollm"),
                                      file: "t.gguf")
        #expect(tokenizer.encode("12345") == [7, 6, 5])
        #expect(tokenizer.sections.preTokenizer == .byteLevel(addPrefixSpace: false, useRegex: true))
    }

    @Test func llamaBPEUsesTheLLaMA3Regex() throws {
        let tokenizer = try Tokenizer(gguf: Self.gpt2(Self.digitTokens, merges: Self.digitMerges, pre: "llama-bpe"),
                                      file: "t.gguf")
        // \p{N}{1,3}: "123" and "45" are merged apart; GPT-2's regex keeps "12345" whole ([12, 34, 5]).
        #expect(tokenizer.encode("12345") == [9, 8])
        #expect(tokenizer.encode("a 12345") == [10, 0, 9, 8])
        #expect(tokenizer.sections.preTokenizer == .sequence([
            .split(pattern: .llama3, behavior: .isolated, invert: false),
            .byteLevel(addPrefixSpace: false, useRegex: false),
        ]))
        let gpt2 = try Tokenizer(gguf: Self.gpt2(Self.digitTokens, merges: Self.digitMerges, pre: "default"),
                                 file: "t.gguf")
        #expect(gpt2.encode("12345") == [7, 6, 5])
    }

    /// A LLaMA-2-style vocabulary: `<unk>` (type 2), `<s>`, `</s>` (control), the 256 byte tokens (type 6), then
    /// pieces with scores and no merges (they are derived from the scores).
    static func llama(addSpacePrefix: Bool? = nil) -> GGUFVocabulary {
        let pieces: [(String, Float)] = [("\u{2581}", -1), ("h", -2), ("i", -3), ("\u{2581}h", -4), ("\u{2581}hi", -5)]
        let bytes = (0..<256).map { BPEModel.byteToken(UInt8($0)) }
        let tokens = ["<unk>", "<s>", "</s>"] + bytes + pieces.map(\.0)
        return GGUFVocabulary(model: "llama", pre: "default", tokens: tokens,
                              tokenTypes: [2, 3, 3] + [Int32](repeating: 6, count: 256) + pieces.map { _ in 1 },
                              scores: [0, 0, 0] + [Float](repeating: 0, count: 256) + pieces.map(\.1),
                              bosID: 1, eosID: 2, unknownID: 0, addSpacePrefix: addSpacePrefix)
    }

    @Test func llamaPrefixesTheFirstRunAndFallsBackToBytes() throws {
        let tokenizer = try Tokenizer(gguf: Self.llama(), file: "t.gguf")
        let space: TokenID = 259, h: TokenID = 260, i: TokenID = 261, spaceHi: TokenID = 263
        #expect(tokenizer.encode("hi hi") == [1, spaceHi, spaceHi])  // BOS by default for llama
        #expect(tokenizer.encode("  hi") == [1, space, spaceHi])  // already starts with "▁": no second one
        // After a leading special token the run does not start the text, so it gets no "▁" (prepend scheme first).
        #expect(tokenizer.encode("<s>hi") == [1, 1, h, i])
        // "é" is no piece: its UTF-8 bytes C3 A9 are the tokens <0xC3>, <0xA9> (ids 3 + byte).
        #expect(tokenizer.encode("hé", addSpecialTokens: false) == [spaceHi - 1, 3 + 0xC3, 3 + 0xA9])
        #expect(tokenizer.decode(tokenizer.encode("hi hé")) == "hi hé")
        #expect(tokenizer.bosID == 1)
        #expect(tokenizer.eosID == 2)
        // As in transformers 5.23.0, `add_space_prefix` is not consulted: the first run is always prefixed.
        #expect(try Tokenizer(gguf: Self.llama(addSpacePrefix: false), file: "t.gguf").encode("hi") == [1, spaceHi])
        var noBOS = Self.llama()
        noBOS.addBOS = false
        #expect(try Tokenizer(gguf: noBOS, file: "t.gguf").encode("hi") == [spaceHi])
    }

    @Test func mergesDerivedFromScoresFollowTransformers() {
        let tokens = ["a", "b", "c", "ab", "bc", "abc"].map { Array($0.unicodeScalars) }
        let merges = GGUFTokenizerJSON.derivedMerges(tokens: tokens, scores: [0, 0, 0, -1, -2, -0.5])
        // Highest score first; among equal scores the longer left part first.
        #expect(merges.map { "\(Decoder.string($0.left)) \(Decoder.string($0.right))" } == ["ab c", "a bc", "a b", "b c"])
    }

    @Test func unknownModelOrPreIsRefusedNamingTheKey() {
        var bert = Self.gpt2(Self.helloTokens, merges: Self.helloMerges)
        bert.model = "bert"
        #expect(throws: TokenizerError.unsupportedGGUF(file: "t.gguf", key: "tokenizer.ggml.model", value: "bert")) {
            try Tokenizer(gguf: bert, file: "t.gguf")
        }
        let qwen = Self.gpt2(Self.helloTokens, merges: Self.helloMerges, pre: "qwen2")
        #expect(throws: TokenizerError.unsupportedGGUF(file: "t.gguf", key: "tokenizer.ggml.pre", value: "qwen2")) {
            try Tokenizer(gguf: qwen, file: "t.gguf")
        }
        #expect(TokenizerError.unsupportedGGUF(file: "t.gguf", key: "tokenizer.ggml.pre", value: "qwen2").description
                == "t.gguf: tokenizer.ggml.pre \"qwen2\" is not supported")
    }

    @Test func inconsistentMetadataIsRefused() {
        var short = Self.gpt2(Self.helloTokens, merges: Self.helloMerges)
        short.tokenTypes = [1, 1]
        #expect(throws: TokenizerError.malformedGGUF(file: "t.gguf", key: "tokenizer.ggml.token_type",
                                                     reason: "2 entries for 22 tokens")) {
            try Tokenizer(gguf: short, file: "t.gguf")
        }
        var badID = Self.gpt2(Self.helloTokens, merges: Self.helloMerges)
        badID.eosID = 99
        #expect(throws: TokenizerError.malformedGGUF(file: "t.gguf", key: "tokenizer.ggml.eos_token_id",
                                                     reason: "id 99 is not below the 22 tokens")) {
            try Tokenizer(gguf: badID, file: "t.gguf")
        }
        var noMerges = Self.llama()
        noMerges.scores = nil
        #expect(throws: TokenizerError.self) { try Tokenizer(gguf: noMerges, file: "t.gguf") }
        // A merge naming a token the vocabulary lacks is the tokenizer.json reader's error.
        #expect(throws: TokenizerError.self) {
            try Tokenizer(gguf: Self.gpt2(Self.helloTokens, merges: ["x y"]), file: "t.gguf")
        }
    }
}
