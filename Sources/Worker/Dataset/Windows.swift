import Model
/// Fixed-length token windows, stored contiguously: (count, seqlen) ids, row i at `tokens[i·seqlen ..< (i+1)·seqlen]`.
///
/// One flat buffer so the engine can hand a batch of windows to its kernels without gathering; `offsets` records
/// where each window starts in its stream, to log and to compare with the reference's windows.
package struct Windows: Equatable {
    package let count: Int
    package let seqlen: Int
    /// (count, seqlen) row-major.
    package let tokens: [TokenID]
    /// (count) start of each window in the stream.
    package let offsets: [Int]

    /// Copies `seqlen` ids from `stream` at each offset; the caller has validated the offsets.
    package init(stream: [TokenID], offsets: [Int], seqlen: Int) {
        var tokens: [TokenID] = []
        tokens.reserveCapacity(offsets.count * seqlen)
        for start in offsets { tokens.append(contentsOf: stream[start..<(start + seqlen)]) }
        self.count = offsets.count
        self.seqlen = seqlen
        self.tokens = tokens
        self.offsets = offsets
    }

    /// Window `i`: (seqlen) ids.
    package subscript(i: Int) -> ArraySlice<TokenID> {
        tokens[(i * seqlen)..<((i + 1) * seqlen)]
    }
}

extension TokenStream {
    /// Perplexity windows (rule 9): n = count / seqlen consecutive, non-overlapping windows from the start, the tail
    /// dropped; at most `limit` of them when given (the first `limit`).
    package func evaluationWindows(seqlen: Int, limit: Int? = nil) throws -> Windows {
        try checkSeqlen(seqlen)
        if let limit, limit <= 0 { throw DatasetError.invalidWindowCount(count: limit) }
        let n = min(count / seqlen, limit ?? Int.max)
        return Windows(stream: tokens, offsets: (0..<n).map { $0 * seqlen }, seqlen: seqlen)
    }

    /// The consecutive windows that follow the first `skip` perplexity windows: a second held-out set from the same
    /// stream, disjoint from `evaluationWindows(seqlen:limit: skip)` (a bundle's validation windows after its test
    /// windows). At most `limit` of them; none left is an error naming the stream.
    package func evaluationWindows(seqlen: Int, after skip: Int, limit: Int? = nil) throws -> Windows {
        try checkSeqlen(seqlen)
        if let limit, limit <= 0 { throw DatasetError.invalidWindowCount(count: limit) }
        let n = min(count / seqlen - skip, limit ?? Int.max)
        guard skip >= 0, n > 0 else {
            throw DatasetError.noWindowsLeft(stream: name, after: skip, seqlen: seqlen, tokenCount: count)
        }
        return Windows(stream: tokens, offsets: (0..<n).map { ($0 + skip) * seqlen }, seqlen: seqlen)
    }

    /// Calibration windows at the offsets the reference draws (rule 8): `random.seed(seed)` then `nsamples` times
    /// `random.randint(0, N − seqlen − 1)`.
    package func calibrationWindows(seqlen: Int, nsamples: Int, seed: Int) throws -> Windows {
        try checkSeqlen(seqlen)
        guard nsamples > 0 else { throw DatasetError.invalidWindowCount(count: nsamples) }
        // randint's upper bound N − seqlen − 1 needs one token past the last possible window.
        guard count > seqlen else {
            throw DatasetError.seqlenTooLarge(stream: name, seqlen: seqlen, tokenCount: count)
        }
        let offsets = CalibrationOffsets.reference(seed: seed, count: nsamples, streamLength: count, seqlen: seqlen)
        return Windows(stream: tokens, offsets: offsets, seqlen: seqlen)
    }

    /// Calibration windows at explicit offsets (`--calib-offsets`), e.g. the reference run's, each checked to fit.
    package func calibrationWindows(seqlen: Int, offsets: [Int]) throws -> Windows {
        try checkSeqlen(seqlen)
        guard !offsets.isEmpty else { throw DatasetError.invalidWindowCount(count: 0) }
        for offset in offsets where offset < 0 || offset > count - seqlen {
            throw DatasetError.offsetOutOfRange(stream: name, offset: offset, seqlen: seqlen, tokenCount: count)
        }
        return Windows(stream: tokens, offsets: offsets, seqlen: seqlen)
    }

    private func checkSeqlen(_ seqlen: Int) throws {
        guard seqlen > 0 else { throw DatasetError.invalidSeqlen(seqlen: seqlen) }
        guard seqlen <= count else {
            throw DatasetError.seqlenTooLarge(stream: name, seqlen: seqlen, tokenCount: count)
        }
    }
}
