import Testing


/// Every fixture vector, encoded and decoded, against the ids Hugging Face tokenizers 0.23.3 produced.
struct TokenizerVectorTests {
    /// Texts whose HF round trip is not the identity: special-token literals are dropped by
    /// `decode(skip_special_tokens=True)`. The expected strings are HF's own decode output.
    static let hfDecodes: [String: String] = [
        "<s> not a special token </s>": " not a special token ",
        "<unk> [INST] hello [/INST]": " [INST] hello [/INST]",
        "<|begin_of_text|> literal special": " literal special",
    ]

    @Test(.enabled(if: TokenizerFixtures.hasLLaMA2, "needs ../shared/fixtures/llama2-tokenizer"))
    func llama2VectorsMatchHuggingFace() throws {
        let tokenizer = try TokenizerFixtures.llama2()
        let vectors = try TokenizerFixtures.vectors("fixtures/llama2-tokenizer/vectors.jsonl")
        #expect(vectors.count == 60)
        for vector in vectors {
            #expect(tokenizer.encode(vector.text, addSpecialTokens: false) == vector.ids, "\(vector.text.debugDescription)")
            #expect(tokenizer.encode(vector.text) == [1] + vector.ids, "\(vector.text.debugDescription)")
        }
        #expect(tokenizer.bosID == 1)
        #expect(tokenizer.eosID == 2)
        #expect(tokenizer.vocabularySize == 32000)
        // Six Greek pieces have canonically equivalent twins; all 32000 must stay distinct keys.
        #expect(tokenizer.sections.model.vocabulary.count == 32000)
    }

    @Test(.enabled(if: TokenizerFixtures.hasByteLevel, "needs ../shared/fixtures/bytelevel-tokenizer"))
    func byteLevelVectorsMatchHuggingFace() throws {
        let tokenizer = try TokenizerFixtures.byteLevel()
        let vectors = try TokenizerFixtures.vectors("fixtures/bytelevel-tokenizer/vectors.jsonl")
        #expect(vectors.count == 35)
        for vector in vectors {
            #expect(tokenizer.encode(vector.text, addSpecialTokens: false) == vector.ids, "\(vector.text.debugDescription)")
            #expect(tokenizer.encode(vector.text) == vector.ids_with_bos, "\(vector.text.debugDescription)")
        }
        #expect(tokenizer.bosID == 0)
        #expect(tokenizer.eosID == 1)
        #expect(tokenizer.vocabularySize == 1024)
    }

    @Test(.enabled(if: TokenizerFixtures.hasLLaMA2 && TokenizerFixtures.hasByteLevel, "needs both tokenizer fixtures"),
          arguments: ["llama2", "bytelevel"])
    func decodeInvertsEncodeAsHuggingFaceDoes(name: String) throws {
        let tokenizer = try name == "llama2" ? TokenizerFixtures.llama2() : TokenizerFixtures.byteLevel()
        for vector in try TokenizerFixtures.vectors("fixtures/\(name)-tokenizer/vectors.jsonl") {
            let expected = Self.hfDecodes[vector.text] ?? vector.text
            #expect(tokenizer.decode(tokenizer.encode(vector.text)) == expected, "\(vector.text.debugDescription)")
        }
    }

    @Test(.enabled(if: TokenizerFixtures.hasLLaMA2, "needs ../shared/fixtures/llama2-tokenizer"))
    func llama2DecodeKeepsSpecialTokensWhenAsked() throws {
        let tokenizer = try TokenizerFixtures.llama2()
        // HF: decode([1, 1, 29871, 451, 29871, 2, 921], skip_special_tokens=False)
        #expect(tokenizer.decode([1, 1, 29871, 451, 29871, 2, 921], skipSpecialTokens: false) == "<s><s>  not </s> x")
        // Invalid byte-fallback runs become one U+FFFD per byte; "▁▁" twice, less the stripped leading space.
        #expect(tokenizer.decode([1, 259, 259, 3, 4, 200]) == "   \u{FFFD}\u{FFFD}\u{FFFD}")
    }
}
