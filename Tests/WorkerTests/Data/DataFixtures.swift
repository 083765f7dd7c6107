import Foundation

/// Where the data tests find `../shared` (next to the package root) and scratch files.
enum DataFixtures {
    /// The package root: the first directory above this file holding Package.swift.
    static let packageRoot: URL? = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    /// `../shared` beside the package root, when present (it is not part of the repository).
    static let shared: URL? = {
        guard let root = packageRoot else { return nil }
        let dir = root.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: dir.path) ? dir : nil
    }()

    static func sharedFile(_ relative: String) -> URL? {
        guard let url = shared?.appendingPathComponent(relative),
              FileManager.default.fileExists(atPath: url.path) else { return nil }
        return url
    }

    /// Writes `bytes` to a fresh file under the temporary directory and returns its path.
    static func scratchFile(_ bytes: [UInt8], name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("prunerzero-data-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    static func scratchFile(_ text: String, name: String) throws -> String {
        try scratchFile(Array(text.utf8), name: name)
    }
}
