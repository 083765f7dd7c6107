import Foundation
@testable import Dataset
@testable import Training

/// Where the committed model and the corpus it was trained on live, for the tests that check them.
enum ShippedModel {
    static let name = "pz-llama-4m"

    /// models/<name> in this checkout.
    static var directory: URL {
        var dir = URL(fileURLWithPath: #filePath)
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("models").appendingPathComponent(name)
    }

    /// The Python 3.11 documentation sources, when installed (deploy/install.sh installs python3.11-doc).
    static let corpusRoot: URL? = {
        let root = URL(fileURLWithPath: "/usr/share/doc/python3.11/html/_sources")
        return FileManager.default.fileExists(atPath: root.appendingPathComponent("glossary.rst.txt").path) ? root : nil
    }()

    /// The four splits, cut once per test process into a temporary directory.
    static func splits() throws -> URL {
        try cache.get()
    }

    private static let cache: Result<URL, Error> = Result {
        guard let root = corpusRoot else { throw DatasetError.missingFile(path: "python3.11-doc sources") }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("pz-splits-\(UUID())")
        records = try CorpusSplit.write(root: root, suffix: ".rst.txt", output: out)
        return out
    }
    nonisolated(unsafe) static var records: [String: CorpusSplit.Record] = [:]
}
