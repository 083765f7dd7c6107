import Foundation
import Testing
@testable import Model
@testable import Tokenizer

/// The whole WikiText-2 test file (1.3 MB), encoded with BOS, against Hugging Face tokenizers 0.23.3. LLaMA-2
/// has no pre-tokenizer, so this also exercises BPE over one 1.3-million-scalar word.
///
/// The file on disk has CRLF line ends (its sha256 is the README's), but the README's id counts and digests were
/// made from Python's text-mode `open(path).read()`, whose universal newlines turn every CRLF into LF (the file has
/// no lone CR). So the README checks run on the text with CRLF → LF, and the file's raw text is checked against
/// digests computed here with `Tokenizer.from_file(...).encode(open(path, 'rb').read().decode()).ids`.
struct TokenizerWholeFileTests {
    static let wikitextAndLLaMA2 = TokenizerFixtures.wikitext != nil && TokenizerFixtures.hasLLaMA2
    static let wikitextAndByteLevel = TokenizerFixtures.wikitext != nil && TokenizerFixtures.hasByteLevel

    static func wikitext(universalNewlines: Bool = true) throws -> String {
        let raw = [UInt8](try Data(contentsOf: TokenizerFixtures.wikitext!))
        guard universalNewlines else { return String(decoding: raw, as: UTF8.self) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        for (i, byte) in raw.enumerated() where !(byte == 0x0D && i + 1 < raw.count && raw[i + 1] == 0x0A) {
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test(.enabled(if: wikitextAndLLaMA2, "needs ../shared/data/wikitext2 and the llama2-tokenizer fixture"))
    func llama2EncodesWikiText2LikeHuggingFace() throws {
        let tokenizer = try TokenizerFixtures.llama2()
        let ids = tokenizer.encode(try Self.wikitext())
        #expect(ids.count == 341_469)
        #expect(Array(ids.prefix(16)) == [1, 29871, 13, 13, 353, 4755, 350, 5059, 357, 353, 29871, 13, 13, 13, 13, 13])
        #expect(Array(ids.suffix(8)) == [347, 15549, 1989, 869, 29871, 13, 13, 13])
        #expect(try sha256(ids) == "9b69cd50dbe9e29f2d40f999f103fbe4b0ff014ec4f9fdae094c687ca1af6f92")
        let raw = tokenizer.encode(try Self.wikitext(universalNewlines: false))
        #expect(raw.count == 350_182)
        #expect(try sha256(raw) == "33ee80233b430d7e8b071da66827267cbc27893f21f752436994154066099bdf")
    }

    @Test(.enabled(if: wikitextAndByteLevel, "needs ../shared/data/wikitext2 and the bytelevel-tokenizer fixture"))
    func byteLevelEncodesWikiText2LikeHuggingFace() throws {
        let tokenizer = try TokenizerFixtures.byteLevel()
        let ids = tokenizer.encode(try Self.wikitext())
        #expect(ids.count == 521_712)
        #expect(Array(ids.prefix(12)) == [0, 200, 200, 308, 837, 432, 85, 328, 301, 77, 334, 308])
        #expect(try sha256(ids) == "acaa8f3c87f554f5ce19e3da6ce3b41e8d1c1b7c5f31bcc99d21c4904e6cee18")
        let raw = tokenizer.encode(try Self.wikitext(universalNewlines: false))
        #expect(raw.count == 518_821)
        #expect(try sha256(raw) == "99575de62d1c1144423ca5ffcc8c88ca1774b42a7bad8b4528e932ce7abd14f2")
    }
}

/// The sha256 of ids as uint32 little-endian, by `/usr/bin/sha256sum` (no crypto dependency for one test).
func sha256(_ ids: [TokenID]) throws -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(ids.count * 4)
    for id in ids { withUnsafeBytes(of: id.littleEndian) { bytes += $0 } }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    // sha256sum prints only after reading everything, so writing first cannot fill the output pipe.
    input.fileHandleForWriting.write(Data(bytes))
    try input.fileHandleForWriting.close()
    let result = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: result, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
}
