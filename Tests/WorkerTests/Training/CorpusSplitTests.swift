import Foundation
import Testing
@testable import Training

/// The by-file split depends only on the relative path (values from an independent Python computation:
/// int.from_bytes(sha256(path)[:8], "big") % 100).
@Suite struct CorpusSplitTests {
    @Test func pathsFallInTheirRecordedSplits() {
        let expected = [
            "about.rst.txt": "train", "c-api/abstract.rst.txt": "train",
            "c-api/reflection.rst.txt": "calibration", "library/2to3.rst.txt": "calibration",
            "bugs.rst.txt": "validation", "c-api/function.rst.txt": "validation",
            "c-api/memory.rst.txt": "test", "distutils/examples.rst.txt": "test",
        ]
        for (path, split) in expected { #expect(CorpusSplit.split(of: path) == split, "\(path)") }
    }

    @Test func writesSortedFilesWithUniversalNewlines() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-\(UUID())")
        let out = root.appendingPathComponent("out")
        defer { try? FileManager.default.removeItem(at: root) }
        // All three are train files (checked first), written out of order, one with CRLF line ends.
        let files = ["about.rst.txt": "b\r\nc", "c-api/abstract.rst.txt": "z", "c-api/allocation.rst.txt": "a\rx"]
        for (path, _) in files { #expect(CorpusSplit.split(of: path) == "train") }
        for (path, text) in files {
            let url = root.appendingPathComponent("src").appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        try Data("ignored".utf8).write(to: root.appendingPathComponent("src/notes.txt"))
        let records = try CorpusSplit.write(root: root.appendingPathComponent("src"), suffix: ".rst.txt", output: out)
        let train = try String(contentsOf: out.appendingPathComponent("train.txt"), encoding: .utf8)
        #expect(train == "b\nc\n\nz\n\na\nx\n\n")
        #expect(records["train"]?.files == 3 && records["train"]?.bytes == train.utf8.count)
        #expect(records["test"]?.files == 0)
    }
}
