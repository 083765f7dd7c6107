import Model
/// A whole corpus as one sequence of token ids, tokenized once: evaluation and calibration windows are cut from it.
///
/// Follows REFERENCE-SEMANTICS rule 9: the text is encoded in one call, so the stream carries the single BOS the
/// tokenizer's post-processor adds at its start and no BOS is inserted per window. Pre-tokenized `.bin` files are
/// taken as they are (whoever wrote them decided about the BOS).
package struct TokenStream {
    /// Turns a whole corpus text into ids; pass the tokenizer's `encode(text, addSpecialTokens: true)` so the
    /// stream starts with its BOS. A closure keeps this file free of the tokenizer's type.
    package typealias Tokenize = (String) throws -> [TokenID]

    /// (N) token ids.
    package let tokens: [TokenID]
    /// Where the ids came from, for errors and logs.
    package let name: String

    package var count: Int { tokens.count }

    package init(tokens: [TokenID], name: String) {
        self.tokens = tokens
        self.name = name
    }

    /// Reads `source`; text and JSON-lines sources go through `tokenize`, token files do not use it.
    package init(source: DatasetSource, tokenize: Tokenize) throws {
        switch source.kind {
        case .tokens: self.init(tokens: try source.readTokens(), name: source.path)
        case .text, .jsonLines: self.init(tokens: try tokenize(try source.readText()), name: source.path)
        }
    }
}
