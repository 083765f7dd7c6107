import Testing
@testable import Tokenizer

/// The `Metaspace` pre-tokenizer (tokenizers `pre_tokenizers/metaspace.rs`), which GGUF `llama` vocabularies use:
/// its factory, its three prepend schemes and its split.
struct TokenizerMetaspaceTests {
    static func json(_ text: String) throws -> PreTokenizer {
        try PreTokenizer(json: JSONField(value: try JSONValue.parse(Array(text.utf8), file: "t.json"), path: "pre_tokenizer",
                                         file: "t.json"))
    }

    static func cut(_ preTokenizer: PreTokenizer, _ text: String, startsText: Bool = true) -> [String] {
        preTokenizer.preTokenize([Array(text.unicodeScalars)], startsText: startsText).map { Decoder.string($0) }
    }

    @Test func factoryReadsBothSpellingsOfTheScheme() throws {
        #expect(try Self.json(#"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}"#)
                == .metaspace(replacement: "\u{2581}", prependScheme: .first, split: false))
        // Older files: `add_prefix_space` instead of `prepend_scheme`, and `split` absent (true).
        #expect(try Self.json(#"{"type": "Metaspace", "replacement": "▁", "add_prefix_space": true}"#)
                == .metaspace(replacement: "\u{2581}", prependScheme: .always, split: true))
        #expect(throws: TokenizerError.unknownType(file: "t.json", path: "pre_tokenizer.prepend_scheme", type: "often")) {
            try Self.json(#"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "often"}"#)
        }
    }

    @Test func schemesAndSplitCutAsHuggingFace() {
        let always = PreTokenizer.metaspace(replacement: "\u{2581}", prependScheme: .always, split: true)
        // HF `Metaspace().pre_tokenize_str("hello  world")`.
        #expect(Self.cut(always, "hello  world") == ["\u{2581}hello", "\u{2581}", "\u{2581}world"])
        #expect(Self.cut(always, "hi", startsText: false) == ["\u{2581}hi"])
        let first = PreTokenizer.metaspace(replacement: "\u{2581}", prependScheme: .first, split: false)
        #expect(Self.cut(first, "hi there") == ["\u{2581}hi\u{2581}there"])
        #expect(Self.cut(first, "hi there", startsText: false) == ["hi\u{2581}there"])
        #expect(Self.cut(first, " hi") == ["\u{2581}hi"])  // already starts with the replacement
        let never = PreTokenizer.metaspace(replacement: "\u{2581}", prependScheme: .never, split: false)
        #expect(Self.cut(never, "hi there") == ["hi\u{2581}there"])
    }
}
