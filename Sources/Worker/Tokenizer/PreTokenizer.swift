/// The `pre_tokenizer` section: cuts normalized text into pieces ("words") that the model encodes one by one.
///
/// Implemented: `Sequence`, `Split` (literal or the known regexes, all five behaviours, `invert`) and
/// `ByteLevel`. A `null` section means the whole text is one piece, as for LLaMA-2.
indirect enum PreTokenizer: Equatable {
    case sequence([PreTokenizer])
    case split(pattern: SplitPattern, behavior: SplitBehavior, invert: Bool)
    /// Optionally prefixes a space and splits with the GPT-2 regex, then maps every piece's UTF-8 bytes through
    /// the byte-level table.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)

    /// The factory keyed on `type`.
    init(json: JSONField) throws {
        switch try json.type() {
        case "Sequence":
            self = .sequence(try json.field("pretokenizers").array().map(PreTokenizer.init(json:)))
        case "Split":
            let behaviorField = try json.field("behavior")
            let name = try behaviorField.string()
            guard let behavior = SplitBehavior(rawValue: name) else { throw behaviorField.unknownType(name) }
            self = .split(pattern: try SplitPattern(json: try json.field("pattern")), behavior: behavior,
                          invert: try json.field("invert").bool())
        case "ByteLevel":
            // Both options default to true in the Rust crate when absent.
            self = .byteLevel(addPrefixSpace: try json.optionalField("add_prefix_space")?.bool() ?? true,
                              useRegex: try json.optionalField("use_regex")?.bool() ?? true)
        case let other:
            throw json.unknownType(other)
        }
    }

    /// Splits every piece further; empty pieces are dropped, as HF's `PreTokenizedString.split` does.
    func preTokenize(_ pieces: [[Unicode.Scalar]]) -> [[Unicode.Scalar]] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(pieces) { $1.preTokenize($0) }
        case let .split(pattern, behavior, invert):
            return pieces.flatMap { piece in
                behavior.pieces(of: piece, matches: pattern.matches(in: piece), invert: invert)
            }
        case let .byteLevel(addPrefixSpace, useRegex):
            return pieces.flatMap { piece -> [[Unicode.Scalar]] in
                // HF does this for every piece, not only the first.
                let text = addPrefixSpace && piece.first != " " ? [" "] + piece : piece
                let split = useRegex
                    ? SplitBehavior.isolated.pieces(of: text, matches: SplitPattern.gpt2.matches(in: text), invert: false)
                    : [text]
                return split.map { ByteLevel.encode($0[...]) }
            }
        }
    }
}

/// What `Split` does with each match (HF `SplitDelimiterBehavior`).
enum SplitBehavior: String, Equatable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// Cuts `text` given the pattern's matches, following `tokenizers/src/tokenizer/normalizer.rs` `split`.
    func pieces(of text: [Unicode.Scalar], matches: [Range<Int>], invert: Bool) -> [[Unicode.Scalar]] {
        // Cover the text with (range, isMatch) parts, gaps included.
        var parts: [(range: Range<Int>, isMatch: Bool)] = []
        var previous = 0
        for match in matches {
            if previous < match.lowerBound { parts.append((previous..<match.lowerBound, invert)) }
            parts.append((match, !invert))
            previous = match.upperBound
        }
        if previous < text.count { parts.append((previous..<text.count, invert)) }

        var ranges: [Range<Int>] = []
        switch self {
        case .removed:
            ranges = parts.filter { !$0.isMatch }.map(\.range)
        case .isolated:
            ranges = parts.map(\.range)
        case .mergedWithPrevious:
            var previousMatch = false
            for part in parts {
                if part.isMatch, !previousMatch, let last = ranges.last {
                    ranges[ranges.count - 1] = last.lowerBound..<part.range.upperBound
                } else {
                    ranges.append(part.range)
                }
                previousMatch = part.isMatch
            }
        case .mergedWithNext:
            var nextMatch = false
            for part in parts.reversed() {
                if part.isMatch, !nextMatch, let last = ranges.last {
                    ranges[ranges.count - 1] = part.range.lowerBound..<last.upperBound
                } else {
                    ranges.append(part.range)
                }
                nextMatch = part.isMatch
            }
            ranges.reverse()
        case .contiguous:
            var previousMatch = false
            for part in parts {
                if part.isMatch == previousMatch, let last = ranges.last {
                    ranges[ranges.count - 1] = last.lowerBound..<part.range.upperBound
                } else {
                    ranges.append(part.range)
                }
                previousMatch = part.isMatch
            }
        }
        return ranges.filter { !$0.isEmpty }.map { Array(text[$0]) }
    }
}
