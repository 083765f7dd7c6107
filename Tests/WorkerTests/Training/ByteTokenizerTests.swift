import Foundation
import Testing
@testable import Tokenizer
@testable import Dataset
@testable import Training

/// The byte vocabulary's tokenizer.json, read by our Hugging Face tokenizer, encodes exactly as the trainer's
/// direct byte encoding, and decodes back to the text.
@Suite struct ByteTokenizerTests {
    static func tokenizer() throws -> Tokenizer {
        try Tokenizer(json: Array(ByteTokenizer.json().utf8), file: "tokenizer.json")
    }

    @Test func fileIsAStandardByteLevelTokenizer() throws {
        let t = try Self.tokenizer()
        #expect(t.vocabularySize == 258 && t.bosID == 256)
        let json = try JSONSerialization.jsonObject(with: Data(ByteTokenizer.json().utf8)) as! [String: Any]
        let model = json["model"] as! [String: Any]
        #expect(model["type"] as? String == "BPE" && (model["merges"] as! [Any]).isEmpty)
        #expect((model["vocab"] as! [String: Int]).count == 256)
        #expect((json["pre_tokenizer"] as! [String: Any])["type"] as? String == "ByteLevel")
        #expect((json["decoder"] as! [String: Any])["type"] as? String == "ByteLevel")
    }

    @Test func encodesAsBytesAndRoundTrips() throws {
        let t = try Self.tokenizer()
        let text = "Héllo,  wörld!\n\tdef f(x):\r\n  return x ** 2  # ∑ 🐍 \u{0} end"
        let ids = t.encode(text)
        #expect(ids == ByteTokenizer.encode(bytes: Array(text.utf8)))
        #expect(t.decode(ids) == text)
    }

    /// Like Hugging Face, the tokenizer matches the special tokens' text in raw input; the byte encoding does not.
    /// The corpus never contains them (checked below), so both agree on it.
    @Test func specialTokenTextIsMatchedByTheTokenizer() throws {
        #expect(try Self.tokenizer().encode("a<s>b", addSpecialTokens: false) == [97, 256, 98])
    }

    /// The whole calibration split (every byte the corpus uses there), when the corpus is installed.
    @Test(.enabled(if: ShippedModel.corpusRoot != nil)) func encodesTheCorpusAsBytes() throws {
        let dir = try ShippedModel.splits()
        let text = try DatasetSource(path: dir.appendingPathComponent("calibration.txt").path).readText()
        let t = try Self.tokenizer()
        let ids = t.encode(text)
        #expect(ids == ByteTokenizer.encode(bytes: Array(text.utf8)))
        #expect(t.decode(ids) == text)
    }
}
