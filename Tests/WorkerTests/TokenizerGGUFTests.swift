import Foundation
import Testing


/// The tokenizer built from SmolLM2-135M-Instruct's GGUF metadata (model `gpt2`, pre `smollm`) against the ids
/// transformers 5.23.0 gives for the same file (../shared/fixtures/smollm2-135m: vectors.jsonl, and expected.json
/// `wikitext2_test`). The metadata comes from `GGUFTokenizerFixture.loadVocabulary`.
struct TokenizerGGUFTests {
    static let wikitextAndGGUF = GGUFTokenizerFixture.isAvailable && TokenizerFixtures.wikitext != nil

    @Test(.enabled(if: GGUFTokenizerFixture.isAvailable, GGUFTokenizerFixture.skipReason))
    func smolLM2VectorsMatchTransformers() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let tokenizer = try GGUFTokenizerFixture.tokenizer()
        print("SmolLM2 GGUF tokenizer built in \(clock.now - start)")
        let vectors = try TokenizerFixtures.vectors("fixtures/smollm2-135m/vectors.jsonl")
        #expect(vectors.count == 12)
        for vector in vectors {
            #expect(tokenizer.encode(vector.text) == vector.ids, "\(vector.text.debugDescription)")
        }
        // This tokenizer adds no BOS (`add_bos_token` false); EOS is the file's `<|im_end|>`.
        #expect(tokenizer.bosID == nil)
        #expect(tokenizer.eosID == 2)
        #expect(tokenizer.vocabularySize == 49152)
        #expect(tokenizer.decode(tokenizer.encode("Hello world, 1234!")) == "Hello world, 1234!")
    }

    @Test(.enabled(if: wikitextAndGGUF, "needs ../shared/data/wikitext2; set PRUNERZERO_GGUF_VOCAB_JSON (see GGUFTokenizerFixture)"))
    func smolLM2EncodesWikiText2LikeTransformers() throws {
        let tokenizer = try GGUFTokenizerFixture.tokenizer()
        let text = try TokenizerWholeFileTests.wikitext()
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = Glibc.clock()
        let ids = tokenizer.encode(text)
        let cpu = Double(Glibc.clock() - cpuStart) / Double(CLOCKS_PER_SEC)
        print("SmolLM2 GGUF tokenizer: WikiText-2 test, \(ids.count) ids in \(clock.now - start) (process CPU \(cpu) s)")
        // ../shared/fixtures/smollm2-135m/expected.json, `wikitext2_test`.
        #expect(ids.count == 304_986)
        #expect(Array(ids.prefix(16)) == [1116, 446, 6356, 389, 9226, 352, 446, 38028, 16506, 6356, 389, 9226, 352,
                                          314, 354, 2321])
        #expect(try sha256(ids) == "def6cd8193e4ba55fb7f6163c667b221020c8367662822901e2723df3c38bf5f")
    }
}
