import Model
/// The `model` section of `type: "BPE"`: vocabulary, ranked merges and the options that shape a word's first
/// split (`byte_fallback`, `unk_token` with `fuse_unk`, `continuing_subword_prefix`, `end_of_word_suffix`) and
/// whether a word already in the vocabulary skips merging (`ignore_merges`).
///
/// Follows `tokenizers/src/models/bpe/model.rs` (0.23): `merge_word` for the first split, `Word::merge_all`
/// (see BPEMerge.swift) for the merging. Tokens are compared scalar by scalar, never by Swift `String` equality,
/// which would treat canonically equivalent pieces as one. `dropout` is refused (it is random).
package struct BPEModel {
    /// Token (exact scalars) → id.
    package let vocabulary: [[Unicode.Scalar]: TokenID]
    /// id → token text, for decoding; nil where no token has that id.
    package let tokens: [String?]
    /// The ids of one-scalar tokens, the common case of a word's first split.
    package let scalarIDs: [Unicode.Scalar: TokenID]
    /// `byteIDs[b]` is the id of the token `<0xHH>`, if the vocabulary has it.
    package let byteIDs: [TokenID?]
    /// (left id, right id) packed as `left << 32 | right` → rank (position in the merges list) and merged id.
    package let merges: [UInt64: MergeTarget]
    package let unknownID: TokenID?
    package let fuseUnknown: Bool
    package let byteFallback: Bool
    package let ignoreMerges: Bool
    package let continuingSubwordPrefix: [Unicode.Scalar]?
    package let endOfWordSuffix: [Unicode.Scalar]?
    /// Every (scalar, next scalar) pair that occurs inside some vocabulary token, packed like `pairKey`.
    package let adjacentScalarPairs: Set<UInt64>

    /// Merge results of word chunks already seen in this `encode` call.
    package typealias Cache = [ArraySlice<Unicode.Scalar>: [TokenID]]

    package struct MergeTarget {
        package let rank: UInt32
        package let id: TokenID
    }

    package static func pairKey(_ left: TokenID, _ right: TokenID) -> UInt64 { UInt64(left) << 32 | UInt64(right) }

    /// The factory for `"type": "BPE"` (older files omit `type`; a `merges` member then says BPE).
    package init(json: JSONField) throws {
        let type = try json.optionalField("type")?.string() ?? (json.optionalField("merges") != nil ? "BPE" : "")
        guard type == "BPE" else { throw json.unknownType(type) }
        if let dropout = json.optionalField("dropout") {
            guard case .number(let p) = dropout.value, p == 0 else { throw dropout.unsupported("BPE dropout (random)") }
        }

        var vocabulary: [[Unicode.Scalar]: TokenID] = [:]
        var tokens: [String?] = []
        for (token, idField) in try json.field("vocab").members() {
            let id = try idField.int()
            guard id <= Int(UInt32.max) else { throw idField.wrongType("an id below 2^32") }
            vocabulary[Array(token.unicodeScalars)] = TokenID(id)
            if id >= tokens.count { tokens += [String?](repeating: nil, count: id + 1 - tokens.count) }
            tokens[id] = token
        }
        self.vocabulary = vocabulary
        self.tokens = tokens
        var scalarIDs: [Unicode.Scalar: TokenID] = [:]
        for (token, id) in vocabulary where token.count == 1 { scalarIDs[token[0]] = id }
        self.scalarIDs = scalarIDs
        var adjacent: Set<UInt64> = []
        for token in vocabulary.keys where token.count > 1 {
            for i in 1..<token.count { adjacent.insert(Self.pairKey(token[i - 1].value, token[i].value)) }
        }
        adjacentScalarPairs = adjacent
        byteIDs = (0..<256).map { vocabulary[Array(Self.byteToken(UInt8($0)).unicodeScalars)] }

        continuingSubwordPrefix = try json.optionalField("continuing_subword_prefix").map { Array(try $0.string().unicodeScalars) }
        endOfWordSuffix = try json.optionalField("end_of_word_suffix").map { Array(try $0.string().unicodeScalars) }
        fuseUnknown = try json.optionalField("fuse_unk")?.bool() ?? false
        byteFallback = try json.optionalField("byte_fallback")?.bool() ?? false
        ignoreMerges = try json.optionalField("ignore_merges")?.bool() ?? false
        if let unk = json.optionalField("unk_token") {
            let token = try unk.string()
            // HF fails only when an unknown character is met; failing at load says the same thing earlier.
            guard let id = vocabulary[Array(token.unicodeScalars)] else {
                throw TokenizerError.unknownToken(file: unk.file, path: unk.path, token: token)
            }
            unknownID = id
        } else {
            unknownID = nil
        }
        merges = try Self.readMerges(try json.field("merges"), vocabulary: vocabulary, prefix: continuingSubwordPrefix)
    }

    /// `<0xHH>` with upper-case hex, as Rust's `format!("<{b:#04X}>")` writes it.
    package static func byteToken(_ byte: UInt8) -> String {
        let hex = Array("0123456789ABCDEF")
        return "<0x\(hex[Int(byte >> 4)])\(hex[Int(byte & 15)])>"
    }

    /// Ranks the merges by position. Each is `"left right"` (exactly one space; a `#version` line is skipped, as
    /// HF's legacy reader does) or `["left", "right"]`. A later duplicate pair overrides an earlier one.
    package static func readMerges(_ field: JSONField, vocabulary: [[Unicode.Scalar]: TokenID],
                           prefix: [Unicode.Scalar]?) throws -> [UInt64: MergeTarget] {
        var merges: [UInt64: MergeTarget] = [:]
        var rank: UInt32 = 0
        for (index, entry) in try field.array().enumerated() {
            let left: [Unicode.Scalar], right: [Unicode.Scalar]
            let shown: String
            switch entry.value {
            case .string(let line):
                if line.hasPrefix("#version") { continue }
                let parts = line.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError.badMerge(file: field.file, index: index, merge: "\"\(line)\"",
                                                  reason: "expected two tokens separated by one space")
                }
                (left, right, shown) = (Array(parts[0]), Array(parts[1]), "\"\(line)\"")
            case .array(let pair):
                guard pair.count == 2, case .string(let a) = pair[0], case .string(let b) = pair[1] else {
                    throw TokenizerError.badMerge(file: field.file, index: index, merge: "[…]",
                                                  reason: "expected a pair of strings")
                }
                (left, right, shown) = (Array(a.unicodeScalars), Array(b.unicodeScalars), "[\"\(a)\", \"\(b)\"]")
            default:
                throw TokenizerError.badMerge(file: field.file, index: index, merge: "?",
                                              reason: "expected \"left right\" or [\"left\", \"right\"]")
            }
            // With a continuing-subword prefix ("##"), "a ##b" merges to "ab".
            var rightPart = right[...]
            if let prefix, !prefix.isEmpty {
                guard right.starts(with: prefix) else {
                    throw TokenizerError.badMerge(file: field.file, index: index, merge: shown,
                                                  reason: "right token lacks the continuing-subword prefix")
                }
                rightPart = right.dropFirst(prefix.count)
            }
            let merged = left + rightPart
            for token in [left, right, merged] where vocabulary[token] == nil {
                throw TokenizerError.badMerge(file: field.file, index: index, merge: shown,
                                              reason: "token \"\(String(String.UnicodeScalarView(token)))\" is not in the vocabulary")
            }
            merges[pairKey(vocabulary[left]!, vocabulary[right]!)] = MergeTarget(rank: rank, id: vocabulary[merged]!)
            rank += 1
        }
        return merges
    }

    /// Appends the ids of one pre-tokenized word.
    ///
    /// The word is merged in independent chunks, cut between two scalars that (1) both are tokens themselves and
    /// (2) never stand side by side inside any vocabulary token. That gives exactly HF's result for the whole
    /// word: by (1) the cut is between two plain one-scalar symbols with no unknown or byte-fallback run across
    /// it; a merged token spanning the cut would spell out those two scalars side by side, which (2) rules out;
    /// so no merge ever crosses the cut, and each side's merges happen in the same (rank, position) order alone
    /// as together. Chunks (about one word each for SentencePiece text) are then cached; LLaMA-2's unsplit
    /// text becomes cheap. Not done with a continuing-subword prefix or end-of-word suffix, whose symbols are not
    /// single scalars.
    package func encode(_ word: [Unicode.Scalar], into ids: inout [TokenID], cache: inout Cache) {
        if word.isEmpty { return }
        if ignoreMerges, let id = vocabulary[word] {
            ids.append(id)
            return
        }
        guard continuingSubwordPrefix == nil, endOfWordSuffix == nil else {
            ids += mergeAll(initialSymbols(word[...]))
            return
        }
        // A short word (what a regex pre-tokenizer makes) is one cached chunk: cutting it would cost more than it saves.
        guard word.count >= 16 else {
            encodeChunk(word[...], into: &ids, cache: &cache)
            return
        }
        var start = 0
        for p in 1..<word.count where isCut(word[p - 1], word[p]) {
            encodeChunk(word[start..<p], into: &ids, cache: &cache)
            start = p
        }
        encodeChunk(word[start...], into: &ids, cache: &cache)
    }

    private func isCut(_ left: Unicode.Scalar, _ right: Unicode.Scalar) -> Bool {
        !adjacentScalarPairs.contains(Self.pairKey(left.value, right.value))
            && scalarIDs[left] != nil && scalarIDs[right] != nil
    }

    private func encodeChunk(_ chunk: ArraySlice<Unicode.Scalar>, into ids: inout [TokenID], cache: inout Cache) {
        // Long chunks (runs of text with no cut) are rarely repeated; hashing them would only cost time.
        guard chunk.count < 64 else {
            ids += mergeAll(initialSymbols(chunk))
            return
        }
        if let hit = cache[chunk] {
            ids += hit
            return
        }
        let merged = mergeAll(initialSymbols(chunk))
        cache[chunk] = merged
        ids += merged
    }

    /// HF `merge_word` before merging: one symbol per scalar (with prefix/suffix), else its `<0xHH>` bytes, else
    /// `unk` (consecutive ones fused when `fuse_unk`), else nothing.
    package func initialSymbols(_ word: ArraySlice<Unicode.Scalar>) -> [TokenID] {
        var symbols: [TokenID] = []
        symbols.reserveCapacity(word.count)
        var pendingUnknown = false
        let plain = continuingSubwordPrefix == nil && endOfWordSuffix == nil
        for (index, scalar) in word.enumerated() {
            var piece: [Unicode.Scalar] = []
            let id: TokenID?
            if plain {
                id = scalarIDs[scalar]
            } else {
                if index > 0, let prefix = continuingSubwordPrefix { piece += prefix }
                piece.append(scalar)
                if index == word.count - 1, let suffix = endOfWordSuffix { piece += suffix }
                id = vocabulary[piece]
            }
            if let id {
                if pendingUnknown, let unknownID { symbols.append(unknownID) }
                pendingUnknown = false
                symbols.append(id)
                continue
            }
            if byteFallback {
                var bytes: [UInt8] = []
                if plain { appendUTF8(scalar, to: &bytes) } else { for s in piece { appendUTF8(s, to: &bytes) } }
                let byteTokens = bytes.compactMap { byteIDs[Int($0)] }
                if byteTokens.count == bytes.count {
                    // HF `continue`s here without flushing a pending unk, which therefore lands after these bytes.
                    symbols += byteTokens
                    continue
                }
            }
            guard let unknownID else { continue }
            if pendingUnknown, !fuseUnknown { symbols.append(unknownID) }
            pendingUnknown = true
        }
        if pendingUnknown, let unknownID { symbols.append(unknownID) }
        return symbols
    }

    /// The token text of an id, or nil when the vocabulary has no such id.
    package func token(for id: TokenID) -> String? {
        Int(id) < tokens.count ? tokens[Int(id)] : nil
    }
}
