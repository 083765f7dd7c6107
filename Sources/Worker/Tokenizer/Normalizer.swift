/// The `normalizer` section: rewrites text (as Unicode scalars) before pre-tokenization.
///
/// Implemented: `Sequence`, `Prepend`, `Replace` (string patterns), `Strip`. Unicode normal forms (NFC, NFKC, …)
/// and `Lowercase` are refused: Swift's tables and casing rules are not guaranteed to match the Rust crate's, and
/// a refusal is better than ids that differ in rare cases.
package indirect enum Normalizer: Equatable {
    case sequence([Normalizer])
    /// Puts `prefix` in front of non-empty text (HF leaves empty text empty).
    case prepend([Unicode.Scalar])
    /// Replaces every non-overlapping occurrence of `pattern`, left to right.
    case replace(pattern: [Unicode.Scalar], content: [Unicode.Scalar])
    /// Removes White_Space scalars at the left and/or right end.
    case strip(left: Bool, right: Bool)

    /// The factory keyed on `type`.
    package init(json: JSONField) throws {
        switch try json.type() {
        case "Sequence":
            self = .sequence(try json.field("normalizers").array().map(Normalizer.init(json:)))
        case "Prepend":
            self = .prepend(Array(try json.field("prepend").string().unicodeScalars))
        case "Replace":
            let pattern = try json.field("pattern")
            guard let literal = pattern.optionalField("String") else {
                throw pattern.unsupported("Replace with a regex pattern (only {\"String\": …} is implemented)")
            }
            self = .replace(pattern: Array(try literal.string().unicodeScalars),
                            content: Array(try json.field("content").string().unicodeScalars))
        case "Strip":
            self = .strip(left: try json.field("strip_left").bool(), right: try json.field("strip_right").bool())
        case let other:
            throw json.unknownType(other)
        }
    }

    package func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        switch self {
        case .sequence(let normalizers):
            return normalizers.reduce(text) { $1.normalize($0) }
        case .prepend(let prefix):
            return text.isEmpty ? text : prefix + text
        case let .replace(pattern, content):
            return Self.replace(pattern, with: content, in: text)
        case let .strip(left, right):
            var lower = 0
            var upper = text.count
            if left { while lower < upper, text[lower].properties.isWhitespace { lower += 1 } }
            if right { while upper > lower, text[upper - 1].properties.isWhitespace { upper -= 1 } }
            return Array(text[lower..<upper])
        }
    }

    package static func replace(_ pattern: [Unicode.Scalar], with content: [Unicode.Scalar],
                        in text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        // One-scalar patterns (the LLaMA " " → "▁" case) take the fast path over the whole text.
        if pattern.count == 1, content.count == 1 {
            let from = pattern[0], to = content[0]
            return text.map { $0 == from ? to : $0 }
        }
        let matches = SplitPattern.literalMatches(of: pattern, in: text)
        guard !matches.isEmpty else { return text }
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var position = 0
        for match in matches {
            result += text[position..<match.lowerBound]
            result += content
            position = match.upperBound
        }
        result += text[position...]
        return result
    }
}
