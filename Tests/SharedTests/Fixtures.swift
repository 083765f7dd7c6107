import Foundation

/// Locates `../shared` (the read-only fixtures beside the checkout) from this file's path.
enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static var available: Bool { FileManager.default.fileExists(atPath: shared.path) }
    static func url(_ relative: String) -> URL { shared.appendingPathComponent(relative) }
    /// Why fixture tests are skipped when `../shared` is absent.
    static let skipReason = "../shared (reference fixtures) is not beside this checkout"
}
