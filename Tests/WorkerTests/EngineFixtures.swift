import Foundation
@testable import Model

/// Locates the shared Hugging Face fixtures (`../shared/fixtures/hf-llama` beside the package root) and reads them.
enum EngineFixtures {
    /// The package root: the nearest directory above this file holding Package.swift.
    static let packageRoot: URL? = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    static let root: URL? = packageRoot.map {
        $0.appendingPathComponent("../shared/fixtures/hf-llama").standardizedFileURL
    }

    static let names = ["tiny", "tiny-tied", "sharded", "bf16"]

    /// True when every fixture directory is present; tests that need them are disabled otherwise.
    static var available: Bool {
        guard let root else { return false }
        return names.allSatisfy { FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path) }
    }

    static func directory(_ name: String) -> URL { root!.appendingPathComponent(name) }

    /// uint32 little-endian token ids.
    static func tokens(_ file: URL) throws -> [TokenID] {
        let data = try Data(contentsOf: file)
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { TokenID(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
        }
    }

    /// What transformers computed on `tokens.bin` as one sequence.
    struct Expected: Decodable {
        let logits_pos0_first8: [Double]
        let logits_last_first8: [Double]
        let logits_sum: Double
        let logits_abs_sum: Double
        let logits_argmax: [Int]
        let mean_nll: Double
        let ppl: Double
    }

    static func expected(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: directory(name).appendingPathComponent("expected.json")))
    }
}
