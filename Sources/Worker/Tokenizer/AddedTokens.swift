import Model
/// One entry of `added_tokens`: a string matched as a whole before the model sees the text.
package struct AddedToken: Equatable {
    package let id: TokenID
    package let content: String
    /// Only matched where not preceded or followed by a letter or digit.
    package let singleWord: Bool
    /// Also swallows the whitespace to its left / right.
    package let leftStrip: Bool
    package let rightStrip: Bool
    /// Matched in normalized text (after the normalizer) rather than in the raw input.
    package let normalized: Bool
    /// Skipped by `decode(skipSpecialTokens: true)`.
    package let special: Bool

    package init(json: JSONField) throws {
        id = TokenID(try json.field("id").int())
        content = try json.field("content").string()
        singleWord = try json.optionalField("single_word")?.bool() ?? false
        leftStrip = try json.optionalField("lstrip")?.bool() ?? false
        rightStrip = try json.optionalField("rstrip")?.bool() ?? false
        special = try json.optionalField("special")?.bool() ?? false
        // HF's default: special tokens are matched in raw text, others in normalized text.
        normalized = try json.optionalField("normalized")?.bool() ?? !special
    }

    private init(id: TokenID, copying other: AddedToken) {
        self.id = id
        content = other.content
        singleWord = other.singleWord
        leftStrip = other.leftStrip
        rightStrip = other.rightStrip
        normalized = other.normalized
        special = other.special
    }

    /// The same token under another id.
    package func with(id: TokenID) -> AddedToken { AddedToken(id: id, copying: self) }
}

extension AddedToken {
    /// The ids HF actually gives the file's added tokens. `tokenizers` ignores the ids written in the file (it only
    /// warns when they differ) and re-adds the tokens in file order (`AddedVocabulary::add_tokens`): content the
    /// model vocabulary (or an earlier added token) already has keeps that id; new content takes the model's
    /// vocabulary size, or one past the largest added id once that is at or beyond it. Empty content is ignored.
    package static func assigningIDs(_ tokens: [AddedToken], vocabulary: [[Unicode.Scalar]: TokenID]) -> [AddedToken] {
        var ids: [[Unicode.Scalar]: TokenID] = [:]
        var result: [AddedToken] = []
        for token in tokens where !token.content.isEmpty {
            let content = Array(token.content.unicodeScalars)
            let id: TokenID
            if let known = ids[content] ?? vocabulary[content] {
                id = known
            } else if let largest = ids.values.max(), largest >= vocabulary.count || vocabulary.isEmpty {
                id = largest + 1
            } else {
                id = TokenID(vocabulary.count)
            }
            ids[content] = id
            result.append(token.with(id: id))
        }
        return result
    }
}

/// A run of text between added tokens, or an added token's id.
package enum TextSegment: Equatable {
    case text([Unicode.Scalar])
    case token(TokenID)
}

/// Finds added tokens in text the way HF's `AddedVocabulary::find_matches` does: leftmost-longest matches
/// (its Aho-Corasick `LeftmostLongest`), non-overlapping, scanning on after each match; a `single_word` match
/// with a `\w` character beside it is discarded (the scan still resumes after it); `lstrip`/`rstrip` widen a
/// match over neighbouring whitespace.
package struct AddedTokenMatcher {
    /// (pattern, token) grouped by first scalar, longest pattern first.
    private let candidates: [Unicode.Scalar: [(pattern: [Unicode.Scalar], token: AddedToken)]]

    /// `patterns` pairs each token with the scalars to look for (the normalized content for normalized tokens).
    package init(_ patterns: [(pattern: [Unicode.Scalar], token: AddedToken)]) {
        var candidates: [Unicode.Scalar: [(pattern: [Unicode.Scalar], token: AddedToken)]] = [:]
        for entry in patterns where !entry.pattern.isEmpty {
            candidates[entry.pattern[0], default: []].append(entry)
        }
        // Stable sort keeps file order among equal lengths (equal patterns: the first one wins).
        self.candidates = candidates.mapValues { list in
            list.enumerated().sorted { ($0.element.pattern.count, -$0.offset) > ($1.element.pattern.count, -$1.offset) }
                .map(\.element)
        }
    }

    package var isEmpty: Bool { candidates.isEmpty }

    /// Splits `text` into text runs and tokens; empty text runs are dropped.
    package func split(_ text: [Unicode.Scalar]) -> [TextSegment] {
        guard !candidates.isEmpty else { return text.isEmpty ? [] : [.text(text)] }
        var segments: [TextSegment] = []
        var textStart = 0  // start of the pending text run
        var i = 0
        while i < text.count {
            guard let list = candidates[text[i]],
                  let (pattern, token) = list.first(where: { text[i...].starts(with: $0.pattern) }) else {
                i += 1
                continue
            }
            var start = i
            var stop = i + pattern.count
            i = stop
            if token.singleWord {
                let clearBefore = start == 0 || !Self.isWordScalar(text[start - 1])
                let clearAfter = stop == text.count || !Self.isWordScalar(text[stop])
                if !clearBefore || !clearAfter { continue }
            }
            if token.leftStrip {
                while start > textStart, text[start - 1].properties.isWhitespace { start -= 1 }
            }
            if token.rightStrip {
                while stop < text.count, text[stop].properties.isWhitespace { stop += 1 }
            }
            if textStart < start { segments.append(.text(Array(text[textStart..<start]))) }
            segments.append(.token(token.id))
            textStart = stop
            i = stop
        }
        if textStart < text.count { segments.append(.text(Array(text[textStart...]))) }
        return segments
    }

    /// The Rust `regex` crate's Unicode `\w` (HF tests `\w$` before and `^\w` after a `single_word` match):
    /// Alphabetic, marks, decimal digits, connector punctuation and the joiners U+200C/U+200D. So "²" and "①"
    /// are not word characters, while "Ⅻ", "_" and a zero-width joiner are.
    package static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }
}
