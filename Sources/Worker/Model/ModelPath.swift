// ModelPath: a model as the command line names it — a Hugging Face directory or a GGUF file — and the three
// things every command needs of it: its weights, its tokenizer, and the files whose hashes identify it.
//
// A path is a GGUF file when it is a regular file starting with the GGUF magic; a directory is a Hugging Face
// model (config.json, safetensors, tokenizer.json). Anything else is a clear error naming the path.
import Foundation

/// Why a `--model` path cannot be used.
package enum ModelPathError: Error, CustomStringConvertible {
    case notFound(path: String)
    case notAModel(path: String)
    case noTokenizer(path: String)

    package var description: String {
        switch self {
        case let .notFound(path): "\(path): no such file or directory"
        case let .notAModel(path): "\(path): neither a model directory nor a GGUF file"
        case let .noTokenizer(path): "\(path): has no tokenizer (no tokenizer.json; give --tokenizer)"
        }
    }
}

package struct ModelPath {
    package enum Format: String { case huggingFace = "hf", gguf }

    package let url: URL
    package let format: Format

    package init(_ url: URL) throws {
        self.url = url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelPathError.notFound(path: url.path)
        }
        if isDirectory.boolValue {
            format = .huggingFace
        } else if Self.startsWithGGUFMagic(url) {
            format = .gguf
        } else {
            throw ModelPathError.notAModel(path: url.path)
        }
    }

    package init(_ path: String) throws { try self.init(URL(fileURLWithPath: path)) }

    private static func startsWithGGUFMagic(_ url: URL) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { return false }
        defer { try? handle.close() }
        let bytes = [UInt8](handle.readData(ofLength: 4))
        return bytes == [0x47, 0x47, 0x55, 0x46]   // "GGUF"
    }

    /// The checked weights.
    package func weights() throws -> ModelWeights {
        switch format {
        case .huggingFace: try ModelWeights(directory: url)
        case .gguf: try ModelWeights(gguf: GGUFFile(path: url.path))
        }
    }

    /// The folder a bundle's manifest lists model files in, and the files (by name) a fitness depends on: config,
    /// tokenizer, safetensors index and shards of a directory; the GGUF file itself.
    package var filesDirectory: URL { format == .gguf ? url.deletingLastPathComponent() : url }

    package func identifyingFiles() throws -> [String] {
        switch format {
        case .gguf: return [url.lastPathComponent]
        case .huggingFace:
            return try FileManager.default.contentsOfDirectory(atPath: url.path).filter { name in
                name == "config.json" || name == "tokenizer.json" || name.hasSuffix(".safetensors")
                    || name == "model.safetensors.index.json"
            }.sorted()
        }
    }
}
