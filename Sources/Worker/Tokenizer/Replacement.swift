/// HF's `Replace` step, shared by the `normalizer` and `decoder` sections (tokenizers' `normalizers::Replace` is
/// the decoder's `Replace` too): every non-overlapping occurrence of a literal pattern, left to right, becomes
/// `content`. All work is scalar by scalar, never by Swift's canonical-equivalence `String` comparison.
///
/// Implemented: string patterns (`{"String": …}`). Regex patterns (`{"Regex": …}`) are refused with the field's path.
package struct Replacement: Equatable {
    package let pattern: [Unicode.Scalar]
    package let content: [Unicode.Scalar]

    package init(pattern: [Unicode.Scalar], content: [Unicode.Scalar]) {
        self.pattern = pattern
        self.content = content
    }

    /// Reads a `{"type": "Replace", "pattern": {"String": …}, "content": …}` section.
    package init(json: JSONField) throws {
        let patternField = try json.field("pattern")
        guard let literal = patternField.optionalField("String") else {
            throw patternField.unsupported("Replace with a regex pattern (only {\"String\": …} is implemented)")
        }
        self.init(pattern: Array(try literal.string().unicodeScalars),
                  content: Array(try json.field("content").string().unicodeScalars))
    }

    package func apply(to text: [Unicode.Scalar]) -> [Unicode.Scalar] {
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
