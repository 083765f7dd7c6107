/// A promoted child's full evaluation raced against a population member (since protocol version 7).
///
/// The child's remaining windows run in stages; after each `checkpoint` (windows seen, its cheap screen's
/// included) the worker compares the child's per-window loss with the rival's on the same windows. Paired, because
/// window difficulty is shared: the spread of the differences is far below that of either loss. It stops when the
/// child is worse beyond doubt — mean difference minus `z` standard errors above `margin` nats — and answers
/// `raced` with the estimate rival mean + mean difference (`PairedRace`). Otherwise every window runs and the
/// result is the full evaluation's.
package struct Race: Sendable, Hashable {
    /// The rival's loss (mean NLL per token) on each full window, in window order.
    package var rivalLoss: [Double]
    /// This child's loss on each of its cheap screen's windows (the first of the full ones).
    package var screenLoss: [Double]
    /// Windows seen (screen included) after which the worker tests: increasing, above the screen's count, below
    /// the full count (after the last window there is nothing left to save).
    package var checkpoints: [Int]
    /// Standard errors of the mean difference the child must be worse by, beyond `margin`.
    package var z: Double
    /// Nats of mean loss (|Δ ln perplexity|) the child must be worse by: at least the search's tie width, so a
    /// stopped child could not have tied with its rival.
    package var margin: Double

    package init(rivalLoss: [Double], screenLoss: [Double], checkpoints: [Int], z: Double, margin: Double) {
        self.rivalLoss = rivalLoss; self.screenLoss = screenLoss; self.checkpoints = checkpoints
        self.z = z; self.margin = margin
    }

    func encode(into w: inout WireWriter) {
        w.windowLosses(rivalLoss)
        w.windowLosses(screenLoss)
        w.count(checkpoints.count)
        for c in checkpoints { w.u32(UInt32(clamping: c)) }
        w.f64(z); w.f64(margin)
    }

    init(from r: inout WireReader) throws(ProtocolError) {
        rivalLoss = try r.windowLosses("rival loss")
        screenLoss = try r.windowLosses("screen loss")
        let checkpointsAt = r.offset
        let n = try r.count("race checkpoints", limit: WireLimits.windows)
        var points: [Int] = []
        for _ in 0..<n { points.append(Int(try r.u32("race checkpoint"))) }
        var previous = screenLoss.count
        for c in points {
            guard c > previous, c < rivalLoss.count else {
                throw ProtocolError(offset: checkpointsAt, .badValue(field: "race checkpoints", detail:
                    "\(points) must increase from above the \(screenLoss.count) screen windows to below the \(rivalLoss.count) full ones"))
            }
            previous = c
        }
        guard screenLoss.count < rivalLoss.count else {
            throw ProtocolError(offset: checkpointsAt, .badValue(field: "screen loss", detail:
                "\(screenLoss.count) screen windows for \(rivalLoss.count) full ones"))
        }
        checkpoints = points
        let zAt = r.offset
        z = try r.f64("race z")
        margin = try r.f64("race margin")
        guard z >= 0, margin >= 0 else {
            throw ProtocolError(offset: zAt, .badValue(field: "race z / margin", detail: "\(z), \(margin): both must be ≥ 0"))
        }
    }
}

/// Per-window losses on the wire (since protocol version 7): a u32 count, at most `WireLimits.windows`, then that
/// many doubles, each finite and ≥ 0 (a mean negative log-likelihood).
extension WireWriter {
    mutating func windowLosses(_ losses: [Double]) { values(losses, limit: WireLimits.windows) }
}

extension WireReader {
    mutating func windowLosses(_ field: String) throws(ProtocolError) -> [Double] {
        try nonNegativeValues(field, plural: "\(field)es", limit: WireLimits.windows, finite: true)
    }
}
