import Testing
@testable import Tokenizer

/// Small hand-written tokenizer.json files: added-token rules checked against tokenizers 0.23.3, and malformed
/// or unsupported files, which must be thrown errors naming the file and the field, never traps.
struct TokenizerSmallFileTests {
    /// A tiny valid tokenizer: vocabulary a, b, ab and the one merge "a b"; `replacing` swaps a fragment.
    static func json(replacing old: String = "", with new: String = "") -> [UInt8] {
        let base = #"""
        {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
         "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null,
         "model": {"type": "BPE", "dropout": null, "unk_token": null, "fuse_unk": false, "byte_fallback": false,
                   "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}}
        """#
        return Array((old.isEmpty ? base : base.replacingOccurrences(of: old, with: new)).utf8)
    }

    static func load(_ bytes: [UInt8]) throws -> Tokenizer { try Tokenizer(json: bytes, file: "t.json") }

    @Test func theMinimalFileWorks() throws {
        let tokenizer = try Self.load(Self.json())
        // No unk token: the space is dropped, as HF drops unknown characters without one.
        #expect(tokenizer.encode("abab a") == [2, 2, 0])
        #expect(tokenizer.decode([2, 0]) == "ab a")  // no decoder: tokens joined by spaces
        #expect(tokenizer.bosID == nil)
        #expect(try Self.load(Self.json(replacing: #""a b""#, with: #"["a", "b"]"#)).encode("ab") == [2])
    }

    /// HF re-assigns added-token ids (the file's ids are only checked with a warning); we follow it.
    @Test func addedTokensGetHuggingFacesIDs() throws {
        let added = #"""
            "added_tokens": [
              {"id": 9, "content": "b", "special": true}, {"id": 7, "content": "<x>", "special": true},
              {"id": 5, "content": "<y>", "special": false, "normalized": false}, {"id": 9, "content": "", "special": true}]
            """#
        let tokenizer = try Self.load(Self.json(replacing: #""added_tokens": []"#, with: added))
        // Expected values from tokenizers 0.23.3 on the same file: "b" is now an added special token too.
        #expect(tokenizer.encode("a<y>b<x>ab") == [0, 4, 1, 3, 0, 1])
        #expect(tokenizer.decode([0, 4, 1, 3, 0, 1]) == "a <y> a")  // specials skipped, the rest joined by spaces
        #expect(tokenizer.vocabularySize == 5)
    }

    /// `single_word` refuses a match next to a Rust-regex `\w` character (results from tokenizers 0.23.3).
    @Test func singleWordTokensRespectWordCharacters() throws {
        let added = #""added_tokens": [{"id": 3, "content": "ba", "single_word": true, "normalized": false}]"#
        let tokenizer = try Self.load(Self.json(replacing: #""added_tokens": []"#, with: added))
        #expect(tokenizer.encode("ba") == [3])
        for beside in ["²", "①"] {
            #expect(tokenizer.encode(beside + "ba") == [3])
            #expect(tokenizer.encode("ba" + beside) == [3])
        }
        for beside in ["Ⅻ", "\u{200D}", "_", "\u{301}", "٣", "a"] {
            #expect(!tokenizer.encode(beside + "ba").contains(3), "\(beside.unicodeScalars.first!.value)")
            #expect(!tokenizer.encode("ba" + beside).contains(3), "\(beside.unicodeScalars.first!.value)")
        }
    }

    @Test func missingModelIsNamed() {
        #expect(throws: TokenizerError.missingField(file: "t.json", path: "model")) {
            try Self.load(Array(#"{"added_tokens": []}"#.utf8))
        }
    }

    @Test func unknownSectionTypesAreNamed() {
        #expect(throws: TokenizerError.unknownType(file: "t.json", path: "normalizer", type: "Fancy")) {
            try Self.load(Self.json(replacing: #""normalizer": null"#, with: #""normalizer": {"type": "Fancy"}"#))
        }
        #expect(throws: TokenizerError.unknownType(file: "t.json", path: "model", type: "WordPiece")) {
            try Self.load(Self.json(replacing: #""type": "BPE""#, with: #""type": "WordPiece""#))
        }
        #expect(throws: TokenizerError.unknownType(file: "t.json", path: "decoder.decoders[1]", type: "CTC")) {
            try Self.load(Self.json(replacing: #""decoder": null"#,
                                    with: #""decoder": {"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "CTC"}]}"#))
        }
    }

    @Test func badMergesAreNamed() {
        #expect(throws: TokenizerError.badMerge(file: "t.json", index: 0, merge: "\"a b ab\"",
                                                reason: "expected two tokens separated by one space")) {
            try Self.load(Self.json(replacing: #""a b""#, with: #""a b ab""#))
        }
        #expect(throws: TokenizerError.badMerge(file: "t.json", index: 1, merge: "\"b c\"",
                                                reason: "token \"c\" is not in the vocabulary")) {
            try Self.load(Self.json(replacing: #""a b""#, with: #""a b", "b c""#))
        }
        #expect(throws: TokenizerError.badMerge(file: "t.json", index: 0, merge: "\"b a\"",
                                                reason: "token \"ba\" is not in the vocabulary")) {
            try Self.load(Self.json(replacing: #""a b""#, with: #""b a""#))
        }
    }

    @Test func unsupportedOptionsAreRefused() {
        #expect(throws: TokenizerError.unsupported(file: "t.json", path: "truncation", what: "truncation must be null")) {
            try Self.load(Self.json(replacing: #""truncation": null"#, with: #""truncation": {"max_length": 8}"#))
        }
        let regexSplit = #"{"type": "Split", "pattern": {"Regex": "\\d+"}, "behavior": "Isolated", "invert": false}"#
        #expect(throws: TokenizerError.self) {
            try Self.load(Self.json(replacing: #""pre_tokenizer": null"#, with: #""pre_tokenizer": \#(regexSplit)"#))
        }
    }

    @Test func wrongKindsAndBrokenJSONAreNamed() {
        #expect(throws: TokenizerError.wrongType(file: "t.json", path: "model.vocab.b", expected: "a non-negative integer")) {
            try Self.load(Self.json(replacing: #""b": 1"#, with: #""b": "one""#))
        }
        #expect(throws: TokenizerError.unknownToken(file: "t.json", path: "model.unk_token", token: "<unk>")) {
            try Self.load(Self.json(replacing: #""unk_token": null"#, with: #""unk_token": "<unk>""#))
        }
        #expect(throws: TokenizerError.malformedJSON(file: "t.json", offset: 12, reason: "unterminated object")) {
            try Self.load(Array(#"{"model": {}"#.utf8))
        }
    }
}
