import Foundation

/// The identity string a worker reports and the coordinator requires: the bundle directory's name and a 64-bit
/// FNV-1a hash over its regular files' relative paths and sizes (sorted). Cheap (no multi-GB reads) and the same
/// on every host that holds the same bundle; the fitness function may replace it with content hashes from the
/// bundle's manifest, as long as both sides compute it with this one function.
public enum BundleIdentity {
    public static func of(directory: URL) throws -> String {
        let root = directory.standardizedFileURL.resolvingSymlinksInPath()
        guard let walker = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey]) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: directory.path])
        }
        var entries: [(String, Int)] = []
        for case let file as URL in walker {
            let values = try file.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            guard values.isRegularFile == true else { continue }
            let relative = String(file.standardizedFileURL.resolvingSymlinksInPath().path.dropFirst(root.path.count))
            entries.append((relative, values.fileSize ?? 0))
        }
        guard !entries.isEmpty else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: directory.path,
                                                             NSLocalizedDescriptionKey: "empty bundle"])
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (path, size) in entries.sorted(by: { $0.0 < $1.0 }) {
            for byte in "\(path)\u{0}\(size)\u{0}".utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        let digits = String(hash, radix: 16)
        return root.lastPathComponent + "@" + String(repeating: "0", count: 16 - digits.count) + digits
    }
}
