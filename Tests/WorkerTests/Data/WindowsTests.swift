import Testing
@testable import Model
@testable import Dataset

/// Cutting evaluation and calibration windows from a token stream.
@Suite struct WindowsTests {
    static let stream = TokenStream(tokens: (0..<10).map { TokenID($0) }, name: "ten")

    @Test func evaluationWindowsDropTheTail() throws {
        let w = try Self.stream.evaluationWindows(seqlen: 3)
        #expect(w.count == 3 && w.seqlen == 3 && w.offsets == [0, 3, 6])
        #expect(w.tokens == [0, 1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Array(w[1]) == [3, 4, 5])
        #expect(try Self.stream.evaluationWindows(seqlen: 3, limit: 2).offsets == [0, 3])
        #expect(try Self.stream.evaluationWindows(seqlen: 3, limit: 99).count == 3)
        #expect(try Self.stream.evaluationWindows(seqlen: 10).count == 1)
    }

    @Test func explicitCalibrationOffsets() throws {
        let w = try Self.stream.calibrationWindows(seqlen: 4, offsets: [6, 0, 3])
        #expect(w.tokens == [6, 7, 8, 9, 0, 1, 2, 3, 3, 4, 5, 6])
        #expect(Array(w[0]) == [6, 7, 8, 9])
    }

    @Test func drawnCalibrationOffsetsStayInRange() throws {
        let w = try Self.stream.calibrationWindows(seqlen: 4, nsamples: 50, seed: 3)
        #expect(w.offsets.allSatisfy { (0...5).contains($0) })  // randint(0, 10 − 4 − 1)
        #expect(w.offsets == CalibrationOffsets.reference(seed: 3, count: 50, streamLength: 10, seqlen: 4))
    }

    @Test func malformedRequestsThrow() {
        #expect(throws: DatasetError.seqlenTooLarge(stream: "ten", seqlen: 11, tokenCount: 10)) {
            try Self.stream.evaluationWindows(seqlen: 11)
        }
        // The reference's draw needs one token past the window.
        #expect(throws: DatasetError.seqlenTooLarge(stream: "ten", seqlen: 10, tokenCount: 10)) {
            try Self.stream.calibrationWindows(seqlen: 10, nsamples: 1, seed: 0)
        }
        #expect(throws: DatasetError.invalidSeqlen(seqlen: 0)) { try Self.stream.evaluationWindows(seqlen: 0) }
        #expect(throws: DatasetError.invalidWindowCount(count: 0)) {
            try Self.stream.evaluationWindows(seqlen: 2, limit: 0)
        }
        #expect(throws: DatasetError.offsetOutOfRange(stream: "ten", offset: 7, seqlen: 4, tokenCount: 10)) {
            try Self.stream.calibrationWindows(seqlen: 4, offsets: [0, 7])
        }
        #expect(throws: DatasetError.offsetOutOfRange(stream: "ten", offset: -1, seqlen: 4, tokenCount: 10)) {
            try Self.stream.calibrationWindows(seqlen: 4, offsets: [-1])
        }
    }

    @Test func offsetListParses() throws {
        #expect(try CalibrationOffsets.parse("1729,788, 1552") == [1729, 788, 1552])
        #expect(throws: DatasetError.badOffsetList(text: "1,,2", reason: "item 2 \"\" is not a non-negative integer")) {
            try CalibrationOffsets.parse("1,,2")
        }
        #expect(throws: (any Error).self) { try CalibrationOffsets.parse("1,-3") }
        #expect(throws: (any Error).self) { try CalibrationOffsets.parse("x") }
    }

    @Test func textSourceIsTokenizedOnce() throws {
        let path = try DataFixtures.scratchFile("ab", name: "s.txt")
        var calls = 0
        let stream = try TokenStream(source: DatasetSource(path: path)) { text in
            calls += 1
            return [1] + text.unicodeScalars.map { TokenID($0.value) }  // a BOS, then one id per scalar
        }
        #expect(calls == 1 && stream.tokens == [1, 97, 98])
    }

    /// The reference run's calibration stream: N = 2048, and its offsets come from seed 0 (prune-reference README).
    @Test(.enabled(if: DataFixtures.sharedFile("fixtures/hf-llama/sharded/calib.bin") != nil,
                   "../shared/fixtures/hf-llama/sharded/calib.bin is absent"))
    func referenceCalibrationWindows() throws {
        let url = try #require(DataFixtures.sharedFile("fixtures/hf-llama/sharded/calib.bin"))
        let stream = try TokenStream(source: DatasetSource(path: url.path)) { _ in [] }
        #expect(stream.count == 2048)
        let w = try stream.calibrationWindows(seqlen: 64, nsamples: 8, seed: 0)
        #expect(w.offsets == [1729, 788, 1552, 1823, 861, 82, 530, 1977])
        #expect(Array(w[7]) == Array(stream.tokens[1977..<2041]))
    }
}
