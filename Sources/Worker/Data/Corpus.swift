import Foundation

/// Opens a corpus for a model: token files as they are, text and JSON lines through the model's tokenizer.
enum Corpus {
    /// The token stream of `path`. Text needs a tokenizer: `tokenizer` if given, else the model directory's
    /// `tokenizer.json` (a clear error names the file when neither exists).
    static func stream(_ path: String, modelDirectory: URL?, tokenizer: URL? = nil) throws -> TokenStream {
        let source = DatasetSource(path: path)
        return try TokenStream(source: source) { text in
            guard let url = tokenizer ?? modelDirectory?.appendingPathComponent("tokenizer.json") else {
                throw DatasetError.unreadable(path: path, reason: "text needs a tokenizer (give --tokenizer)")
            }
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw DatasetError.unreadable(path: path, reason: "text needs a tokenizer, and \(url.path) does not exist")
            }
            return try Tokenizer(contentsOf: url).encode(text, addSpecialTokens: true)
        }
    }
}
