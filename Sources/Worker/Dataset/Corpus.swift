import Foundation
import Model
import Tokenizer

/// Opens a corpus for a model: token files as they are, text and JSON lines through the model's tokenizer.
package enum Corpus {
    /// The token stream of `path`. Text needs a tokenizer: `tokenizer` (a tokenizer.json) if given, else the
    /// model's (its directory's tokenizer.json, or a GGUF file's metadata, read from `weights`' already parsed
    /// file when given); a clear error when there is none.
    package static func stream(_ path: String, model: ModelPath?, weights: ModelWeights? = nil, tokenizer: URL? = nil) throws
        -> TokenStream
    {
        let source = DatasetSource(path: path)
        return try TokenStream(source: source) { text in
            let loaded: Tokenizer
            if let tokenizer {
                guard FileManager.default.fileExists(atPath: tokenizer.path) else {
                    throw DatasetError.unreadable(path: path, reason: "text needs a tokenizer, and \(tokenizer.path) does not exist")
                }
                loaded = try Tokenizer(contentsOf: tokenizer)
            } else if let model {
                do { loaded = try model.tokenizer(weights: weights) } catch let error as ModelPathError {
                    throw DatasetError.unreadable(path: path, reason: "text needs a tokenizer: \(error)")
                }
            } else {
                throw DatasetError.unreadable(path: path, reason: "text needs a tokenizer (give --tokenizer)")
            }
            return loaded.encode(text, addSpecialTokens: true)
        }
    }
}
