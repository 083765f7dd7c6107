// CorpusSplit: cuts a directory of text files (the Python 3.11 docs' `_sources/**/*.rst.txt`) into train /
// calibration / validation / test, by file, deterministically.
//
// Each file's relative path (with "/" separators) is hashed with SHA-256; the first 8 bytes, big-endian, modulo 100
// pick its split from fixed percentage ranges, so the split depends only on the names, not on the order the
// directory lists them or on their contents. Each split's text is its files' contents in sorted path order, read
// as Python would (universal newlines), each followed by one blank line. What it records per split (file count,
// bytes, SHA-256 of the newline-joined sorted path list and of the text) lets anyone check they cut the same corpus.
import Dataset
import Foundation
import Shared

package enum CorpusSplit {
    /// The four splits and the percentage of hash buckets each gets.
    package static let splits: [(name: String, buckets: Range<Int>)] = [
        ("train", 0..<92), ("calibration", 92..<94), ("validation", 94..<97), ("test", 97..<100),
    ]

    /// Which split a relative path falls in.
    package static func split(of relativePath: String) -> String {
        let digest = Digest.sha256(Data(relativePath.utf8))
        let value = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let bucket = Int(value % 100)
        return splits.first { $0.buckets.contains(bucket) }!.name
    }

    /// Relative paths of the files under `root` whose names end in `suffix`, sorted by their UTF-8 bytes.
    package static func files(under root: URL, suffix: String) throws -> [String] {
        let base = root.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: base) else {
            throw DatasetError.unreadable(path: base, reason: "not a readable directory")
        }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if relative.hasSuffix(suffix), FileManager.default.fileExists(atPath: base + "/" + relative, isDirectory: &isDirectory),
               !isDirectory.boolValue {
                found.append(relative)
            }
        }
        return found.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// One split's record.
    package struct Record: Codable {
        package var files: Int
        package var bytes: Int
        package var fileListSHA256: String
        package var textSHA256: String

        package enum CodingKeys: String, CodingKey {
            case files, bytes
            case fileListSHA256 = "file_list_sha256"
            case textSHA256 = "text_sha256"
        }
    }

    /// Writes `<split>.txt` for every split into `output` and returns each split's record.
    package static func write(root: URL, suffix: String, output: URL) throws -> [String: Record] {
        let paths = try files(under: root, suffix: suffix)
        guard !paths.isEmpty else {
            throw DatasetError.unreadable(path: root.path, reason: "no files ending in \(suffix)")
        }
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        var records: [String: Record] = [:]
        for (name, _) in splits {
            let mine = paths.filter { split(of: $0) == name }
            var text: [UInt8] = []
            for path in mine {
                let raw = try DatasetSource(path: root.appendingPathComponent(path).path, kind: .text).readBytes()
                text += DatasetSource.universalNewlines(raw)
                text += Array("\n\n".utf8)
            }
            let file = output.appendingPathComponent("\(name).txt")
            try Data(text).write(to: file, options: .atomic)
            records[name] = Record(
                files: mine.count, bytes: text.count,
                fileListSHA256: hex(Digest.sha256(Data(mine.joined(separator: "\n").utf8))),
                textSHA256: hex(Digest.sha256(Data(text))))
        }
        return records
    }

    package static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
