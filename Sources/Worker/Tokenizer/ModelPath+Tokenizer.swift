// ModelPath+Tokenizer: a model's tokenizer, here rather than in Model because the tokenizer builds on Model's
// files (GGUF metadata), not the other way round.
import Foundation
import Model

extension ModelPath {
    /// The model's tokenizer: `tokenizer.json` of a directory, or the GGUF's `tokenizer.ggml.*` metadata (read
    /// from `weights` when given, so the file is not parsed twice).
    package func tokenizer(weights: ModelWeights? = nil) throws -> Tokenizer {
        switch format {
        case .huggingFace:
            let file = url.appendingPathComponent("tokenizer.json")
            guard FileManager.default.fileExists(atPath: file.path) else { throw ModelPathError.noTokenizer(path: url.path) }
            return try Tokenizer(contentsOf: file)
        case .gguf:
            let file = try weights?.gguf ?? GGUFFile(path: url.path)
            return try Tokenizer(gguf: GGUFVocabulary(file), file: file.path)
        }
    }
}
