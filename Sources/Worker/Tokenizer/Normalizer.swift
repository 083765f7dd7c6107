/// The `normalizer` section: rewrites text (as Unicode scalars) before pre-tokenization.
///
/// Implemented: `Sequence`, `Prepend`, `Replace` (string patterns), `Strip`. Unicode normal forms (NFC, NFKC, …)
/// and `Lowercase` are refused: Swift's tables and casing rules are not guaranteed to match the Rust crate's, and
/// a refusal is better than ids that differ in rare cases.
package indirect enum Normalizer: Equatable {
    case sequence([Normalizer])
    /// Puts `prefix` in front of non-empty text (HF leaves empty text empty).
    case prepend([Unicode.Scalar])
    /// Replaces every non-overlapping occurrence of a literal pattern, left to right.
    case replace(Replacement)
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
            self = .replace(try Replacement(json: json))
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
        case .replace(let replacement):
            return replacement.apply(to: text)
        case let .strip(left, right):
            var lower = 0
            var upper = text.count
            if left { while lower < upper, text[lower].properties.isWhitespace { lower += 1 } }
            if right { while upper > lower, text[upper - 1].properties.isWhitespace { upper -= 1 } }
            return Array(text[lower..<upper])
        }
    }
}
