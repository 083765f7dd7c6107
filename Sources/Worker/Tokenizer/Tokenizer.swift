import Foundation
import Model

/// A Hugging Face fast tokenizer loaded from `tokenizer.json`, giving the same ids as `tokenizers` 0.23
/// (`Tokenizer.encode(text).ids`) for the sections it implements, and refusing files with sections it does not.
///
/// The encode pipeline, as in HF `Tokenizer::encode_single_sequence`:
/// 1. added tokens with `normalized: false` are cut out of the raw text;
/// 2. each remaining run is normalized, then tokens with `normalized: true` are cut out of it (LLaMA-2's
///    "legacy" behaviour follows from this: the run after `<s>` gets its own "▁" prefix);
/// 3. each run is pre-tokenized into words, and each word encoded by the BPE model;
/// 4. the post-processor adds special tokens (e.g. BOS) when `addSpecialTokens` is true.
package struct Tokenizer {
    package let sections: TokenizerJSON
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    /// Added-token text by id: `decode` looks here before the model vocabulary, as HF does.
    private let addedTokenText: [TokenID: String]
    private let specialIDs: Set<TokenID>

    /// The id the post-processor puts first (BOS), if any.
    package let bosID: TokenID?
    /// The id the post-processor puts last, else an added token named like an end-of-text token. tokenizer.json
    /// does not record EOS; the model's `config.json` `eos_token_id` is the authority.
    package let eosID: TokenID?
    /// One more than the largest id of the model or the added tokens: the rows an embedding needs.
    package let vocabularySize: Int

    package init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadable(file: url.path, reason: "\(error.localizedDescription)")
        }
        try self.init(json: [UInt8](data), file: url.path)
    }

    /// Builds from the bytes of a tokenizer.json; `file` labels errors.
    package init(json bytes: [UInt8], file: String) throws {
        try self.init(sections: TokenizerJSON(bytes: bytes, file: file))
    }

    /// Builds from checked sections. `eosID` is used when the post-processor appends no end token (a GGUF file
    /// names its EOS; tokenizer.json does not).
    package init(sections: TokenizerJSON, eosID knownEOS: TokenID? = nil) {
        self.sections = sections
        var raw: [(pattern: [Unicode.Scalar], token: AddedToken)] = []
        var normalized: [(pattern: [Unicode.Scalar], token: AddedToken)] = []
        var text: [TokenID: String] = [:]
        var special: Set<TokenID> = []
        let added = AddedToken.assigningIDs(sections.addedTokens, vocabulary: sections.model.vocabulary)
        // HF builds its matchers from the special tokens first, then the others.
        for token in added.filter(\.special) + added.filter({ !$0.special }) {
            let id = token.id
            let scalars = Array(token.content.unicodeScalars)
            if token.normalized {
                normalized.append((sections.normalizer?.normalize(scalars) ?? scalars, token))
            } else {
                raw.append((scalars, token))
            }
            text[id] = token.content
            if token.special { special.insert(id) }
        }
        rawMatcher = AddedTokenMatcher(raw)
        normalizedMatcher = AddedTokenMatcher(normalized)
        addedTokenText = text
        specialIDs = special

        bosID = sections.postProcessor?.leadingSpecialIDs.first
        let endNames: Set<String> = ["</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>"]
        eosID = sections.postProcessor?.trailingSpecialIDs.last ?? knownEOS
            ?? added.first(where: { endNames.contains($0.content) })?.id
        vocabularySize = max(sections.model.tokens.count, (text.keys.max().map { Int($0) + 1 }) ?? 0)
    }

    /// The ids of `text`, with the post-processor's special tokens when `addSpecialTokens` (HF's default).
    package func encode(_ text: String, addSpecialTokens: Bool = true) -> [TokenID] {
        var ids: [TokenID] = []
        var cache = BPEModel.Cache()
        // Only the first run of all starts at offset 0 of the original text (Metaspace's "first" scheme asks).
        var startsText = true
        for segment in rawMatcher.split(Array(text.unicodeScalars)) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let raw):
                let normalized = sections.normalizer?.normalize(raw) ?? raw
                for piece in normalizedMatcher.split(normalized) {
                    switch piece {
                    case .token(let id): ids.append(id)
                    case .text(let run): encodeRun(run, startsText: startsText, into: &ids, cache: &cache)
                    }
                    startsText = false
                }
            }
            startsText = false
        }
        guard addSpecialTokens, let postProcessor = sections.postProcessor else { return ids }
        return postProcessor.process(ids)
    }

    /// Pre-tokenizes one normalized run and encodes its words.
    private func encodeRun(_ run: [Unicode.Scalar], startsText: Bool, into ids: inout [TokenID],
                           cache: inout BPEModel.Cache) {
        let words = sections.preTokenizer?.preTokenize([run], startsText: startsText) ?? [run]
        for word in words { sections.model.encode(word, into: &ids, cache: &cache) }
    }

    /// The text of `ids`. With `skipSpecialTokens` (the default of `tokenizers`' `decode`) special added tokens
    /// are left out; ids that name no token are dropped, as HF does.
    package func decode(_ ids: [TokenID], skipSpecialTokens: Bool = true) -> String {
        let tokens = ids.compactMap { id -> String? in
            if skipSpecialTokens, specialIDs.contains(id) { return nil }
            return addedTokenText[id] ?? sections.model.token(for: id)
        }
        guard let decoder = sections.decoder else { return tokens.joined(separator: " ") }
        return decoder.decode(tokens)
    }
}
