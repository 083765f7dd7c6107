import Foundation
import Testing
@testable import Dataset

/// Reading corpora: text, JSON lines (plain and gzip), uint32 token files, and every malformed input as an error.
@Suite struct DatasetSourceTests {
    // gzip.compress(b'{"text": "caf\xc3\xa9"}\n{"text": "two", "url": "x"}\n', mtime=0)
    static let jsonlGzip: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0x2a, 0x49, 0xad, 0x28, 0x51, 0xb2,
        0x52, 0x50, 0x4a, 0x4e, 0x4c, 0x3b, 0xbc, 0x52, 0xa9, 0x96, 0xab, 0x1a, 0x2e, 0x52, 0x52, 0x9e, 0xaf, 0xa4,
        0xa3, 0xa0, 0x54, 0x5a, 0x94, 0x03, 0xe2, 0x55, 0x00, 0xe5, 0x00, 0x89, 0x25, 0x8a, 0x96, 0x2e, 0x00, 0x00,
        0x00,
    ]
    // gzip.compress(b'hello ') + gzip.compress(b'world'): two members, as `gzip -c a b` writes.
    static let twoMembers: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0x00, 0x00,
        0xf6, 0xf9, 0x81, 0xed, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03,
        0x2b, 0xcf, 0x2f, 0xca, 0x49, 0x01, 0x00, 0x43, 0x11, 0x77, 0x3a, 0x05, 0x00, 0x00, 0x00,
    ]

    @Test func kindFollowsTheName() {
        #expect(DatasetSource(path: "a/eval.bin").kind == .tokens)
        #expect(DatasetSource(path: "c4-train.00000-of-01024.json.gz").kind == .jsonLines)
        #expect(DatasetSource(path: "x.jsonl").kind == .jsonLines)
        #expect(DatasetSource(path: "x.JSONL.GZ").kind == .jsonLines)
        #expect(DatasetSource(path: "wikitext2-test.txt").kind == .text)
        #expect(DatasetSource(path: "x.txt", kind: .jsonLines).kind == .jsonLines)
    }

    @Test func textIsTakenAsIs() throws {
        let path = try DataFixtures.scratchFile(" = Title = \n\n body\n", name: "t.txt")
        #expect(try DatasetSource(path: path).readText() == " = Title = \n\n body\n")
    }

    /// As Python's text mode reads it, which is how the reference's numbers were made.
    @Test func textLineEndsAreUniversalNewlines() throws {
        let path = try DataFixtures.scratchFile("a\r\nb\rc\n\r\n", name: "crlf.txt")
        #expect(try DatasetSource(path: path).readText() == "a\nb\nc\n\n")
    }

    @Test func jsonLinesJoinWithBlankLine() throws {
        let path = try DataFixtures.scratchFile("{\"text\": \"a\\nb\"}\n\n{\"text\": \"c\", \"url\": 1}\n", name: "d.jsonl")
        #expect(try DatasetSource(path: path).readText() == "a\nb\n\nc")
    }

    @Test func gzipJSONLines() throws {
        let path = try DataFixtures.scratchFile(Self.jsonlGzip, name: "c4.json.gz")
        #expect(try DatasetSource(path: path).readText() == "café\n\ntwo")
    }

    @Test func gzipConcatenatedMembers() throws {
        #expect(try Gzip.decompress(Self.twoMembers, path: "m.gz") == Array("hello world".utf8))
    }

    @Test func gzipCorruptChecksum() throws {
        var bytes = Self.jsonlGzip
        bytes[bytes.count - 8] ^= 0xff  // the CRC-32 in the trailer
        let path = try DataFixtures.scratchFile(bytes, name: "bad.jsonl.gz")
        #expect { try DatasetSource(path: path).readText() } throws: { error in
            guard case DatasetError.corruptGzip(path, let reason) = error else { return false }
            return reason.contains("check")
        }
    }

    @Test func gzipTruncated() throws {
        let path = try DataFixtures.scratchFile(Array(Self.jsonlGzip.dropLast(6)), name: "short.jsonl.gz")
        #expect(throws: DatasetError.corruptGzip(path: path, reason: "truncated (stream ends before its trailer)")) {
            try DatasetSource(path: path).readText()
        }
    }

    @Test func gzipNotGzipAtAll() throws {
        let path = try DataFixtures.scratchFile("plain text", name: "fake.jsonl.gz")
        #expect { try DatasetSource(path: path).readText() } throws: { error in
            if case DatasetError.corruptGzip(path, _) = error { return true } else { return false }
        }
    }

    @Test func missingFile() {
        #expect(throws: DatasetError.missingFile(path: "/nonexistent/x.txt")) {
            try DatasetSource(path: "/nonexistent/x.txt").readText()
        }
    }

    @Test func badUTF8NamesTheByte() throws {
        let path = try DataFixtures.scratchFile([0x61, 0x62, 0xc3, 0xa9, 0xff, 0x63], name: "bad.txt")
        #expect(throws: DatasetError.invalidUTF8(path: path, byteOffset: 4)) { try DatasetSource(path: path).readText() }
    }

    @Test func jsonLineWithoutTextNamesTheLine() throws {
        let path = try DataFixtures.scratchFile("{\"text\": \"a\"}\n{\"body\": \"b\"}\n", name: "d.jsonl")
        #expect(throws: DatasetError.missingTextField(path: path, line: 2)) { try DatasetSource(path: path).readText() }
        let numeric = try DataFixtures.scratchFile("{\"text\": 3}\n", name: "n.jsonl")
        #expect(throws: DatasetError.missingTextField(path: numeric, line: 1)) {
            try DatasetSource(path: numeric).readText()
        }
    }

    @Test func jsonLineThatIsNotJSON() throws {
        let path = try DataFixtures.scratchFile("{\"text\": \"a\"}\n\n{text: b}\n", name: "d.jsonl")
        #expect { try DatasetSource(path: path).readText() } throws: { error in
            if case DatasetError.invalidJSONLine(path, 3, _) = error { return true } else { return false }
        }
        let array = try DataFixtures.scratchFile("[1, 2]\n", name: "a.jsonl")
        #expect(throws: DatasetError.invalidJSONLine(path: array, line: 1, reason: "not an object")) {
            try DatasetSource(path: array).readText()
        }
    }

    @Test func tokenFileIsLittleEndianUInt32() throws {
        let path = try DataFixtures.scratchFile([1, 0, 0, 0, 0x10, 0x27, 0, 0, 0xff, 0xff, 0xff, 0xff], name: "t.bin")
        #expect(try DatasetSource(path: path).readTokens() == [1, 10_000, UInt32.max])
    }

    @Test func tokenFileLengthMustBeMultipleOf4() throws {
        let path = try DataFixtures.scratchFile([1, 0, 0, 0, 2, 0], name: "odd.bin")
        #expect(throws: DatasetError.tokenFileNotMultipleOf4(path: path, byteCount: 6)) {
            try DatasetSource(path: path).readTokens()
        }
    }

    @Test func errorsSayWhere() {
        let error = DatasetError.missingTextField(path: "c4.json.gz", line: 17)
        #expect(error.description == "c4.json.gz: line 17 has no string field \"text\"")
    }

    @Test(.enabled(if: DataFixtures.sharedFile("data/wikitext2/wikitext2-test.txt") != nil,
                   "../shared/data/wikitext2 is absent"))
    func wikitextTestSplitReads() throws {
        let url = try #require(DataFixtures.sharedFile("data/wikitext2/wikitext2-test.txt"))
        let text = try DatasetSource(path: url.path).readText()
        // The README's 1,307,975 bytes have CRLF line ends; Python's text mode (and so the reference) reads
        // 1,296,370 bytes of LF text.
        #expect(text.utf8.count == 1_296_370)
    }
}
