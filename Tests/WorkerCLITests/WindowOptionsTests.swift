import Testing
@testable import Model
@testable import Worker
@testable import Dataset

/// The window flags parse, validate, and cut the same windows as the library calls.
@Suite struct WindowOptionsTests {
    static let stream = TokenStream(tokens: (0..<100).map { TokenID($0) }, name: "hundred")

    @Test func defaultsFollowTheReference() throws {
        let options = try WindowOptions.parse([])
        #expect(options.nsamples == 128 && options.seed == 0 && options.seqlen == nil)
        let w = try WindowOptions.parse(["--nsamples", "4"]).calibrationWindows(Self.stream, modelSeqlen: 10)
        #expect(w.offsets == CalibrationOffsets.reference(seed: 0, count: 4, streamLength: 100, seqlen: 10))
    }

    @Test func explicitOffsetsWin() throws {
        let options = try WindowOptions.parse(["--calib-offsets", "5,90", "--seqlen", "10", "--nsamples", "3"])
        #expect(try options.calibrationWindows(Self.stream, modelSeqlen: 64).offsets == [5, 90])
        #expect(throws: DatasetError.offsetOutOfRange(stream: "hundred", offset: 91, seqlen: 10, tokenCount: 100)) {
            try WindowOptions.parse(["--calib-offsets", "91", "--seqlen", "10"])
                .calibrationWindows(Self.stream, modelSeqlen: 64)
        }
    }

    @Test func evaluationCap() throws {
        let w = try WindowOptions.parse(["--eval-windows", "3"]).evaluationWindows(Self.stream, modelSeqlen: 16)
        #expect(w.offsets == [0, 16, 32])
    }

    @Test func badFlagsAreRejected() {
        #expect(throws: (any Error).self) { try WindowOptions.parse(["--calib-offsets", "1,x"]) }
        #expect(throws: (any Error).self) { try WindowOptions.parse(["--seqlen", "0"]) }
        #expect(throws: (any Error).self) { try WindowOptions.parse(["--eval-windows", "-2"]) }
    }
}
