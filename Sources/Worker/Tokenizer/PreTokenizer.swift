/// The `pre_tokenizer` section: cuts normalized text into pieces ("words") that the model encodes one by one.
///
/// Implemented: `Sequence`, `Split` (literal or the known regexes, all five behaviours, `invert`), `ByteLevel`
/// and `Metaspace`. A `null` section means the whole text is one piece, as for LLaMA-2's tokenizer.json.
package indirect enum PreTokenizer: Equatable {
    case sequence([PreTokenizer])
    case split(pattern: SplitPattern, behavior: SplitBehavior, invert: Bool)
    /// Optionally prefixes a space and splits with the GPT-2 regex, then maps every piece's UTF-8 bytes through
    /// the byte-level table.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// Replaces every U+0020 with `replacement` ("▁"), puts one in front per `prependScheme` unless the piece
    /// already starts with it, and with `split` cuts before each `replacement` (SentencePiece-style BPE).
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool)

    /// Metaspace's `prepend_scheme`: `first` prefixes only a piece that starts the original text (HF tests
    /// `offsets_original().0 == 0`), so the text after a leading special token gets no "▁".
    package enum PrependScheme: String, Equatable {
        case always, never, first
    }

    /// The factory keyed on `type`.
    package init(json: JSONField) throws {
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
        case "Metaspace":
            let replacementField = try json.field("replacement")
            let replacement = Array(try replacementField.string().unicodeScalars)
            guard replacement.count == 1 else { throw replacementField.wrongType("a single character") }
            let scheme: PrependScheme
            if let schemeField = json.optionalField("prepend_scheme") {
                let name = try schemeField.string()
                guard let known = PrependScheme(rawValue: name) else { throw schemeField.unknownType(name) }
                scheme = known
            } else {
                // Files written before `prepend_scheme` existed say `add_prefix_space` (default true).
                scheme = try json.optionalField("add_prefix_space")?.bool() ?? true ? .always : .never
            }
            self = .metaspace(replacement: replacement[0], prependScheme: scheme,
                              split: try json.optionalField("split")?.bool() ?? true)
        case let other:
            throw json.unknownType(other)
        }
    }

    /// Splits every piece further; empty pieces are dropped, as HF's `PreTokenizedString.split` does.
    /// `startsText`: the first piece begins at offset 0 of the original text.
    package func preTokenize(_ pieces: [[Unicode.Scalar]], startsText: Bool = false) -> [[Unicode.Scalar]] {
        cut(pieces, startsText: startsText).pieces
    }

    /// The pieces, and whether the first of them still begins at offset 0 of the original text.
    private func cut(_ pieces: [[Unicode.Scalar]], startsText: Bool) -> (pieces: [[Unicode.Scalar]], startsText: Bool) {
        switch self {
        case .sequence(let steps):
            return steps.reduce((pieces, startsText)) { $1.cut($0.pieces, startsText: $0.startsText) }
        case let .split(pattern, behavior, invert):
            var result: [[Unicode.Scalar]] = []
            var first = startsText
            for (index, piece) in pieces.enumerated() {
                let ranges = behavior.ranges(of: piece, matches: pattern.matches(in: piece), invert: invert)
                if result.isEmpty { first = first && index == 0 && ranges.first?.lowerBound == 0 }
                result += ranges.map { Array(piece[$0]) }
            }
            return (result, first && !result.isEmpty)
        case let .byteLevel(addPrefixSpace, useRegex):
            let result = pieces.flatMap { piece -> [[Unicode.Scalar]] in
                // HF does this for every piece, not only the first.
                let text = addPrefixSpace && piece.first != " " ? [" "] + piece : piece
                let split = useRegex
                    ? SplitBehavior.isolated.pieces(of: text, matches: SplitPattern.gpt2.matches(in: text), invert: false)
                    : [text]
                return split.map { ByteLevel.encode($0[...]) }
            }
            return (result, startsText && !pieces.isEmpty && !pieces[0].isEmpty)
        case let .metaspace(replacement, scheme, split):
            var result: [[Unicode.Scalar]] = []
            for (index, piece) in pieces.enumerated() where !piece.isEmpty {
                var text = piece.map { $0 == " " ? replacement : $0 }
                let prepend = scheme == .always || (scheme == .first && startsText && index == 0)
                if prepend, text.first != replacement { text.insert(replacement, at: 0) }
                result += split
                    ? SplitBehavior.mergedWithNext.pieces(of: text, matches: SplitPattern.literalMatches(
                        of: [replacement], in: text), invert: false)
                    : [text]
            }
            return (result, startsText && !pieces.isEmpty && !pieces[0].isEmpty)
        }
    }
}

/// What `Split` does with each match (HF `SplitDelimiterBehavior`).
package enum SplitBehavior: String, Equatable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// Cuts `text` given the pattern's matches, following `tokenizers/src/tokenizer/normalizer.rs` `split`.
    package func pieces(of text: [Unicode.Scalar], matches: [Range<Int>], invert: Bool) -> [[Unicode.Scalar]] {
        ranges(of: text, matches: matches, invert: invert).map { Array(text[$0]) }
    }

    /// The non-empty ranges of `text` that `pieces` cuts out, in order.
    package func ranges(of text: [Unicode.Scalar], matches: [Range<Int>], invert: Bool) -> [Range<Int>] {
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
        return ranges.filter { !$0.isEmpty }
    }
}
