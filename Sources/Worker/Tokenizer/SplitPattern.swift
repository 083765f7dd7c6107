/// What a `Split` pre-tokenizer (or `ByteLevel` with `use_regex`) searches for: a literal string, or one of the
/// known regexes, each recognised by its exact source text and matched by hand over Unicode scalars.
///
/// Why by hand: Foundation's NSRegularExpression is ICU, not Oniguruma, and is slow; a general regex engine is
/// out of scope. The two regexes below cover GPT-2-style and LLaMA-3-style tokenizers; any other regex is a
/// thrown `unsupported` error rather than a silent approximation. Matching follows Oniguruma's leftmost,
/// ordered-alternation, greedy-with-backtracking semantics, worked out per alternative in the comments.
package enum SplitPattern: Equatable {
    case literal([Unicode.Scalar])
    case llama3
    case gpt2

    /// LLaMA-3's pre-tokenizer regex (also used by many tiktoken-derived tokenizers), as written in tokenizer.json.
    package static let llama3Source =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// GPT-2's regex, which `ByteLevel` applies when `use_regex` is true.
    package static let gpt2Source = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// Builds from a tokenizer.json `pattern` object: `{"String": "…"}` or `{"Regex": "…"}`.
    package init(json: JSONField) throws {
        if let literal = json.optionalField("String") {
            self = .literal(Array(try literal.string().unicodeScalars))
        } else if let regex = json.optionalField("Regex") {
            switch try regex.string() {
            case Self.llama3Source: self = .llama3
            case Self.gpt2Source: self = .gpt2
            case let other: throw regex.unsupported("regex \(other) (only the GPT-2 and LLaMA-3 regexes are implemented)")
            }
        } else {
            throw json.wrongType("{\"String\": …} or {\"Regex\": …}")
        }
    }

    /// The non-overlapping matches in `text`, left to right, as scalar index ranges. Never empty ranges.
    package func matches(in text: [Unicode.Scalar]) -> [Range<Int>] {
        switch self {
        case .literal(let pattern): return Self.literalMatches(of: pattern, in: text)
        case .llama3, .gpt2:
            let classes = text.map(ScalarClass.of)
            var ranges: [Range<Int>] = []
            var start = 0
            while start < text.count {
                let end = self == .llama3
                    ? Self.llama3End(text, classes, from: start) : Self.gpt2End(text, classes, from: start)
                ranges.append(start..<end)
                start = end
            }
            return ranges
        }
    }

    package static func literalMatches(of pattern: [Unicode.Scalar], in text: [Unicode.Scalar]) -> [Range<Int>] {
        guard !pattern.isEmpty, pattern.count <= text.count else { return [] }
        var ranges: [Range<Int>] = []
        var i = 0
        while i + pattern.count <= text.count {
            if text[i] == pattern[0], text[i..<(i + pattern.count)].elementsEqual(pattern) {
                ranges.append(i..<(i + pattern.count))
                i += pattern.count
            } else {
                i += 1
            }
        }
        return ranges
    }

    /// End of the LLaMA-3 regex match starting at `i`. Every position matches at least one scalar: letters by
    /// alternative 2, numbers by 3, whitespace by 5–7, anything else by 4.
    package static func llama3End(_ s: [Unicode.Scalar], _ cls: [ScalarClass], from i: Int) -> Int {
        let n = s.count
        // 1. (?i:'s|'t|'re|'ve|'m|'ll|'d): no alternative is a prefix of another, so order does not matter.
        if let end = contractionEnd(s, from: i, caseInsensitive: true) { return end }
        // 2. [^\r\n\p{L}\p{N}]?\p{L}+ : one optional non-letter/number/CR/LF lead, then a letter run.
        if cls[i].contains(.letter) { return run(cls, from: i, while: .letter) }
        if !cls[i].contains(.lineBreak), !cls[i].contains(.number), i + 1 < n, cls[i + 1].contains(.letter) {
            return run(cls, from: i + 1, while: .letter)
        }
        // 3. \p{N}{1,3}
        if cls[i].contains(.number) {
            var j = i + 1
            while j < n, j - i < 3, cls[j].contains(.number) { j += 1 }
            return j
        }
        // 4. ' ?[^\s\p{L}\p{N}]+[\r\n]*' : the optional space only when a symbol follows it.
        if let symbolsStart = optionalSpaceThenSymbol(s, cls, from: i) {
            var j = symbolsStart
            while j < n, isSymbol(cls[j]) { j += 1 }
            while j < n, cls[j].contains(.lineBreak) { j += 1 }
            return j
        }
        // Only whitespace is left.
        var k = i
        var lastBreak = -1
        while k < n, cls[k].contains(.whitespace) {
            if cls[k].contains(.lineBreak) { lastBreak = k }
            k += 1
        }
        // 5. \s*[\r\n]+ : \s* gives back scalars until a CR/LF follows, so the match ends after the run's last CR/LF.
        if lastBreak >= 0 { return lastBreak + 1 }
        return whitespaceEnd(runEnd: k, from: i, count: n)
    }

    /// End of the GPT-2 regex match starting at `i`.
    package static func gpt2End(_ s: [Unicode.Scalar], _ cls: [ScalarClass], from i: Int) -> Int {
        let n = s.count
        // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive)
        if let end = contractionEnd(s, from: i, caseInsensitive: false) { return end }
        //  ?\p{L}+ |  ?\p{N}+ : the optional space only when the class follows it.
        for wanted in [ScalarClass.letter, .number] {
            if s[i] == " ", i + 1 < n, cls[i + 1].contains(wanted) { return run(cls, from: i + 1, while: wanted) }
            if cls[i].contains(wanted) { return run(cls, from: i, while: wanted) }
        }
        //  ?[^\s\p{L}\p{N}]+
        if let symbolsStart = optionalSpaceThenSymbol(s, cls, from: i) {
            var j = symbolsStart
            while j < n, isSymbol(cls[j]) { j += 1 }
            return j
        }
        let k = run(cls, from: i, while: .whitespace)
        return whitespaceEnd(runEnd: k, from: i, count: n)
    }

    /// `\s+(?!\S)|\s+` for a whitespace run [i, runEnd): the whole run at the end of text; otherwise the run
    /// less its last scalar (so that scalar can lead the next word), unless that would leave nothing.
    package static func whitespaceEnd(runEnd k: Int, from i: Int, count n: Int) -> Int {
        if k == n { return k }
        return k - 1 > i ? k - 1 : k
    }

    /// Where `[^\s\p{L}\p{N}]+` starts after an optional U+0020, or nil if no symbol is there.
    package static func optionalSpaceThenSymbol(_ s: [Unicode.Scalar], _ cls: [ScalarClass], from i: Int) -> Int? {
        if s[i] == " ", i + 1 < s.count, isSymbol(cls[i + 1]) { return i + 1 }
        return isSymbol(cls[i]) ? i : nil
    }

    package static func isSymbol(_ c: ScalarClass) -> Bool {
        !c.contains(.whitespace) && !c.contains(.letter) && !c.contains(.number)
    }

    package static func run(_ cls: [ScalarClass], from i: Int, while wanted: ScalarClass) -> Int {
        var j = i
        while j < cls.count, cls[j].contains(wanted) { j += 1 }
        return j
    }

    /// End of `'s|'t|'re|'ve|'m|'ll|'d` at `i`, or nil. Case-insensitively Oniguruma also folds U+017F LATIN
    /// SMALL LETTER LONG S to "s" (and nothing else onto these letters).
    package static func contractionEnd(_ s: [Unicode.Scalar], from i: Int, caseInsensitive: Bool) -> Int? {
        guard s[i] == "'", i + 1 < s.count else { return nil }
        func letter(_ j: Int) -> Unicode.Scalar? {
            guard j < s.count else { return nil }
            let c = s[j]
            guard caseInsensitive else { return c }
            if c == "\u{17F}" { return "s" }
            if ("A"..."Z").contains(c) { return Unicode.Scalar(c.value + 32) }
            return c
        }
        switch letter(i + 1) {
        case "s", "t", "m", "d": return i + 2
        case "r", "v": return letter(i + 2) == "e" ? i + 3 : nil
        case "l": return letter(i + 2) == "l" ? i + 3 : nil
        default: return nil
        }
    }
}
