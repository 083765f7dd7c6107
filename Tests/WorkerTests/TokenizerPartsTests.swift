import Testing
import Shared
@testable import Model
@testable import Tokenizer

/// The tokenizer's parts on their own: split regexes (expectations from HF `pre_tokenize_str`), the byte-level
/// table, decoders, the JSON reader, and the heap-based merging against a plain twin.
struct TokenizerPartsTests {
    static func pieces(_ pattern: SplitPattern, _ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return SplitBehavior.isolated.pieces(of: scalars, matches: pattern.matches(in: scalars), invert: false)
            .map { Decoder.string($0) }
    }

    @Test func llama3RegexSplitsAsHuggingFace() {
        #expect(Self.pieces(.llama3, "I'M here, they'RE 12345 (ok)!!\n\n  x") ==
                ["I", "'M", " here", ",", " they", "'RE", " ", "123", "45", " (", "ok", ")!!\n\n", " ", " x"])
        #expect(Self.pieces(.llama3, "a  \n\t b\r\n") == ["a", "  \n", "\t", " b", "\r\n"])
        #expect(Self.pieces(.llama3, "  hi   there  ") == [" ", " hi", "  ", " there", "  "])
        // Oniguruma folds U+017F (long s) onto "s"; "½" and "²" are \p{N}.
        #expect(Self.pieces(.llama3, "He'\u{17F} 1\u{BD} x\u{B2}") == ["He", "'\u{17F}", " ", "1\u{BD}", " x", "\u{B2}"])
        // No-break space is \s; zero-width space is not, so it leads the letters.
        #expect(Self.pieces(.llama3, "\u{A0}\u{200B}x") == ["\u{A0}", "\u{200B}x"])
    }

    @Test func gpt2RegexSplitsAsHuggingFace() {
        #expect(Self.pieces(.gpt2, "I'M here, they're 12345 (ok)!!\n\n  x") ==
                ["I", "'", "M", " here", ",", " they", "'re", " 12345", " (", "ok", ")!!", "\n\n ", " x"])
        #expect(Self.pieces(.gpt2, "  hi   there  ") == [" ", " hi", "  ", " there", "  "])
    }

    @Test func splitBehavioursCutAroundMatches() {
        let text = Array("a--b-".unicodeScalars)
        let matches = SplitPattern.literal(["-"]).matches(in: text)
        func cut(_ behavior: SplitBehavior, invert: Bool = false) -> [String] {
            behavior.pieces(of: text, matches: matches, invert: invert).map { Decoder.string($0) }
        }
        #expect(cut(.removed) == ["a", "b"])
        #expect(cut(.isolated) == ["a", "-", "-", "b", "-"])
        #expect(cut(.mergedWithPrevious) == ["a-", "-", "b-"])
        #expect(cut(.mergedWithNext) == ["a", "-", "-b", "-"])
        #expect(cut(.contiguous) == ["a", "--", "b", "-"])
        #expect(cut(.removed, invert: true) == ["-", "-", "-"])
    }

    @Test func byteLevelTableIsGPT2s() {
        #expect(Set(ByteLevel.characters).count == 256)
        #expect(ByteLevel.characters[0x20] == "\u{120}")  // Ġ
        #expect(ByteLevel.characters[0x0A] == "\u{10A}")  // Ċ
        #expect(ByteLevel.characters[0x41] == "A")
        #expect(ByteLevel.characters[0xAD] == "\u{143}")  // the last remapped byte
        for byte in 0..<256 { #expect(ByteLevel.byte(for: ByteLevel.characters[byte]) == UInt8(byte)) }
        #expect(ByteLevel.byte(for: " ") == nil)
        #expect(ByteLevel.encode(Array("é ".unicodeScalars)[...]) == ["\u{C3}", "\u{A9}", "\u{120}"])
    }

    @Test func decodersFollowHuggingFace() {
        #expect(Decoder.byteFallback(["<0xE2>", "<0x96>", "<0x81>", "x"]) == ["▁", "x"])
        #expect(Decoder.byteFallback(["<0xe2>", "<0x96>"]) == ["\u{FFFD}", "\u{FFFD}"])
        #expect(Decoder.byteFallback(["<0x4G>", "<0x41", "<0x+1>"]) == ["<0x4G>", "<0x41", "<0x+1>"])
        #expect(Decoder.strip(content: " ", start: 1, stop: 1).decodeChain(["  a  ", " "]) == [" a ", ""])
        #expect(Decoder.byteLevel.decode(["Ġh", "Ã©", "<|x|>", "\u{C3}"]) == " hé<|x|>\u{FFFD}")
    }

    @Test func jsonKeepsCanonicallyEquivalentKeysApart() throws {
        // "ί" U+03AF and U+1F77 are canonically equivalent: a Swift dictionary would merge them.
        let json = try JSONValue.parse(Array(#"{"\u03af": 1, "\u1f77": 2, "e\u0301\ud83d\ude00": [true, null, -1.5e2]}"#.utf8), file: "t")
        let members = try JSONField(value: json, path: "", file: "t").members()
        #expect(members.map { Array($0.key.unicodeScalars) } == [["\u{3AF}"], ["\u{1F77}"], ["e", "\u{301}", "\u{1F600}"]])
        #expect(throws: TokenizerError.malformedJSON(file: "t", offset: 8, reason: "lone high surrogate")) {
            try JSONValue.parse(Array(#"["\ud83d"]"#.utf8), file: "t")
        }
    }

    /// The plain twin of `mergeAll`: repeatedly merge the leftmost lowest-ranked pair, O(n²).
    static func naiveMerge(_ model: BPEModel, _ initial: [TokenID]) -> [TokenID] {
        var ids = initial
        while true {
            var best: (rank: UInt32, at: Int, id: TokenID)?
            for i in ids.indices.dropLast() {
                if let target = model.merges[BPEModel.pairKey(ids[i], ids[i + 1])], best == nil || target.rank < best!.rank {
                    best = (target.rank, i, target.id)
                }
            }
            guard let best else { return ids }
            ids[best.at] = best.id
            ids.remove(at: best.at + 1)
        }
    }

    /// The fast paths against their plain twins on random LLaMA-2 words (spaces, digits, byte-fallback
    /// characters): the heap against naive merging, and chunked, cached encoding against merging the whole word.
    @Test(.enabled(if: TokenizerFixtures.hasLLaMA2, "needs ../shared/fixtures/llama2-tokenizer"))
    func fastMergingMatchesPlainMerging() throws {
        let model = try TokenizerFixtures.llama2().sections.model
        var generator = SplitMix64(seed: 20_240_601)
        let alphabet = Array("▁▁▁▁▁ethaoinsrdlu,.0123é中🙂\u{10380}\n".unicodeScalars)
        var cache = BPEModel.Cache()
        for _ in 0..<300 {
            let word = (0..<Int.random(in: 1...60, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            let whole = model.mergeAll(model.initialSymbols(word[...]))
            #expect(whole == Self.naiveMerge(model, model.initialSymbols(word[...])), "\(Decoder.string(word))")
            var chunked: [TokenID] = []
            model.encode(word, into: &chunked, cache: &cache)
            #expect(chunked == whole, "\(Decoder.string(word))")
        }
    }
}
