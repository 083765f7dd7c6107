/// Shortens prose (failure reasons, refusal details) to a limit at word boundaries, keeping names whole: a token
/// like `model.layers.0.self_attn.q_proj` is never cut, so the log and the wire still say which layer failed.
///
/// Names (tokens with a `.`, `_` or `/` inside and a letter, ignoring punctuation around them) are kept first, in
/// order, as many as fit; then the other words, in order, each one that fits. Every run of dropped words becomes
/// one `…`. Only when not even one word fits (a single token longer than the limit) is a token cut: in its middle,
/// keeping its start and its (most specific) end. Whitespace runs become single spaces when, and only when, the
/// text is shortened. Linear in the text's length.
package enum Shortening {
    /// What the limit counts.
    package enum Measure: Sendable {
        /// Characters (grapheme clusters): for lines a person reads.
        case characters
        /// UTF-8 bytes: for the wire's string limits. Cuts still fall between characters.
        case utf8Bytes

        func length(_ s: some StringProtocol) -> Int {
            switch self {
            case .characters: s.count
            case .utf8Bytes: s.utf8.count
            }
        }

        func length(_ c: Character) -> Int {
            switch self {
            case .characters: 1
            case .utf8Bytes: c.utf8.count
            }
        }
    }

    static let ellipsis = "…"

    /// `text` if it fits within `limit`, else a shortening of it that does (see the type).
    package static func shorten(_ text: String, to limit: Int, measure: Measure = .characters) -> String {
        if measure.length(text) <= limit { return text }
        let e = measure.length(ellipsis)
        guard limit >= e else { return cut(text, to: limit, measure: measure, ellipsis: false) }
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        let lengths = words.map { measure.length($0) }
        var kept = [Bool](repeating: false, count: words.count)
        var assembly = Assembly(total: e, pieces: 1)  // nothing kept: one "…"
        let names = words.map(isName)
        keepGreedily(where: names, lengths: lengths, ellipsis: e, limit: limit, kept: &kept, assembly: &assembly)
        keepGreedily(where: names.map(!), lengths: lengths, ellipsis: e, limit: limit, kept: &kept,
                     assembly: &assembly)
        guard kept.contains(true) else {
            return cut(words.joined(separator: " "), to: limit, measure: measure, ellipsis: true)
        }
        var pieces: [String] = []
        for (index, word) in words.enumerated() {
            if kept[index] { pieces.append(word) } else if index == 0 || kept[index - 1] { pieces.append(ellipsis) }
        }
        return pieces.joined(separator: " ")
    }

    /// A name: a path, dotted or snake_case identifier, once brackets, quotes and trailing punctuation are removed.
    static func isName(_ word: String) -> Bool {
        let core = word.trimming("()[]{}<>'\"`,;:!?.")
        return core.count > 1 && core.contains(where: \.isLetter) && core.contains(where: { "._/".contains($0) })
    }

    /// The kept pieces' summed length and count; the text's length is `total + pieces - 1` (one space between).
    struct Assembly {
        var total: Int
        var pieces: Int
        var length: Int { total + max(0, pieces - 1) }
    }

    /// Keeps, left to right, each candidate word that fits. Keeping word `i` splits the run of dropped words it
    /// sits in (from `runStart` to the next kept word) into up to two runs around it, each one `…`.
    private static func keepGreedily(where candidate: [Bool], lengths: [Int], ellipsis e: Int, limit: Int,
                                     kept: inout [Bool], assembly: inout Assembly) {
        var nextKept = [Int](repeating: kept.count, count: kept.count)
        var next = kept.count
        for i in kept.indices.reversed() {
            nextKept[i] = next
            if kept[i] { next = i }
        }
        var runStart: Int?
        for i in kept.indices {
            if kept[i] { runStart = nil; continue }
            let start = runStart ?? i
            runStart = start
            guard candidate[i] else { continue }
            let left = start < i, right = i + 1 < nextKept[i]
            var trial = assembly
            trial.total += lengths[i] - e + (left ? e : 0) + (right ? e : 0)
            trial.pieces += (left ? 1 : 0) + (right ? 1 : 0)
            if trial.length <= limit {
                kept[i] = true
                assembly = trial
                runStart = nil
            }
        }
    }

    /// `text` cut in its middle to `limit` (with `…` when `ellipsis` and it fits), between characters.
    static func cut(_ text: String, to limit: Int, measure: Measure, ellipsis: Bool) -> String {
        let mark = ellipsis ? Self.ellipsis : ""
        let budget = limit - measure.length(mark)
        guard budget > 0 else { return budget == 0 ? mark : "" }
        var head = "", used = 0
        for c in text {
            guard used + measure.length(c) <= budget / 2 else { break }
            head.append(c); used += measure.length(c)
        }
        var tail: [Character] = []
        for c in text.reversed() {
            guard used + measure.length(c) <= budget else { break }
            tail.append(c); used += measure.length(c)
        }
        return head + mark + String(tail.reversed())
    }
}

private extension String {
    func trimming(_ set: String) -> Substring {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return s
    }
}
