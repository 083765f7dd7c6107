/// Merges recovered from a SentencePiece vocabulary and its scores, for GGUF files that list none:
/// transformers' `generate_merges(vocab, vocab_scores)` (tokenization_utils_base.py, 5.23.0).
///
/// For every token, every split into two tokens of the vocabulary is a merge carrying the token's score; a
/// token's own splits are ordered by (left id, right id); then all merges are sorted by (score, left length,
/// right length), highest first, ties keeping their order. Duplicate tokens behave as Python dicts do: the
/// later id and the later score win, the first position sets the order. Lengths count Unicode scalars.
extension GGUFTokenizerJSON {
    package static func derivedMerges(tokens: [[Unicode.Scalar]], scores: [Float])
        -> [(left: [Unicode.Scalar], right: [Unicode.Scalar])] {
        var ids: [[Unicode.Scalar]: Int] = [:]
        var score: [[Unicode.Scalar]: Float] = [:]
        var order: [[Unicode.Scalar]] = []
        for (id, token) in tokens.enumerated() {
            if ids[token] == nil { order.append(token) }
            ids[token] = id
            score[token] = scores[id]
        }
        struct Candidate {
            let left: [Unicode.Scalar], right: [Unicode.Scalar]
            let score: Float
            let position: Int
        }
        var candidates: [Candidate] = []
        for token in order where token.count > 1 {
            var local: [(left: [Unicode.Scalar], right: [Unicode.Scalar], key: (Int, Int))] = []
            for cut in 1..<token.count {
                let left = Array(token[..<cut]), right = Array(token[cut...])
                if let l = ids[left], let r = ids[right] { local.append((left, right, (l, r))) }
            }
            local.sort { $0.key < $1.key }
            for merge in local {
                candidates.append(Candidate(left: merge.left, right: merge.right, score: score[token]!,
                                            position: candidates.count))
            }
        }
        candidates.sort { a, b in
            if a.score != b.score { return a.score > b.score }
            if a.left.count != b.left.count { return a.left.count > b.left.count }
            if a.right.count != b.right.count { return a.right.count > b.right.count }
            return a.position < b.position
        }
        return candidates.map { ($0.left, $0.right) }
    }
}
