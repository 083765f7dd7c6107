import Foundation
@testable import Model
@testable import Tokenizer

/// Locates the read-only fixtures in `../shared` (relative to the package root, found by walking up from this
/// file) and reads the `vectors.jsonl` files. Tests that need a fixture are `.enabled(if:)` on its presence, so a
/// checkout without `../shared` skips them and says why.
enum TokenizerFixtures {
    /// `<package root>/../shared`, or nil if it is not there.
    static let shared: URL? = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                let shared = directory.appendingPathComponent("../shared").standardizedFileURL
                return FileManager.default.fileExists(atPath: shared.path) ? shared : nil
            }
            directory.deleteLastPathComponent()
        }
        return nil
    }()

    static func url(_ relative: String) -> URL? {
        guard let url = shared?.appendingPathComponent(relative),
              FileManager.default.fileExists(atPath: url.path) else { return nil }
        return url
    }

    static let llama2JSON = url("fixtures/llama2-tokenizer/tokenizer.json")
    static let byteLevelJSON = url("fixtures/bytelevel-tokenizer/tokenizer.json")
    static let wikitext = url("data/wikitext2/wikitext2-test.txt")

    static let hasLLaMA2 = llama2JSON != nil && url("fixtures/llama2-tokenizer/vectors.jsonl") != nil
    static let hasByteLevel = byteLevelJSON != nil && url("fixtures/bytelevel-tokenizer/vectors.jsonl") != nil

    /// One line of `vectors.jsonl`.
    struct Vector: Decodable {
        let text: String
        let ids: [TokenID]
        let ids_with_bos: [TokenID]?
    }

    static func vectors(_ relative: String) throws -> [Vector] {
        let data = try Data(contentsOf: url(relative)!)
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try JSONDecoder().decode(Vector.self, from: Data($0.utf8))
        }
    }

    /// Loaded once per process (the LLaMA-2 file takes a moment to parse in debug builds); a load error is kept
    /// and rethrown to each test, so it shows in the test output.
    private static let llama2Result = llama2JSON.map { url in Result { try Tokenizer(contentsOf: url) } }
    private static let byteLevelResult = byteLevelJSON.map { url in Result { try Tokenizer(contentsOf: url) } }

    static func llama2() throws -> Tokenizer { try llama2Result!.get() }
    static func byteLevel() throws -> Tokenizer { try byteLevelResult!.get() }
}
