/// Per-block values on the wire (depth-abort thresholds, divergences; since protocol version 3): a u32 count, at
/// most `WireLimits.layers`, then that many doubles, each ≥ 0 and not NaN (+inf allowed: "no threshold here").
extension WireWriter {
    mutating func blockValues(_ blocks: [Double]) { values(blocks, limit: WireLimits.layers) }

    /// A u32 count, then the first `limit` of `values` (what the reader's `nonNegativeValues` takes).
    mutating func values(_ values: [Double], limit: Int) {
        let kept = values.prefix(limit)
        count(kept.count)
        for v in kept { f64(v) }
    }
}

extension WireReader {
    mutating func blockValues(_ field: String) throws(ProtocolError) -> [Double] {
        try nonNegativeValues(field, plural: "\(field)s", limit: WireLimits.layers, finite: false)
    }

    /// A u32 count of at most `limit`, then that many doubles ≥ 0 (never NaN; infinite only unless `finite`).
    mutating func nonNegativeValues(_ field: String, plural: String, limit: Int,
                                    finite: Bool) throws(ProtocolError) -> [Double] {
        let n = try count(plural, limit: limit)
        var values: [Double] = []
        values.reserveCapacity(n)
        for _ in 0..<n {
            let at = offset
            let v = try f64(field, finite: finite)
            guard v >= 0 else {  // also refuses NaN
                throw ProtocolError(offset: at, .badValue(field: field, detail: "\(v) is not a number ≥ 0"))
            }
            values.append(v)
        }
        return values
    }

    /// A u32 that must lie in `range` (a count of blocks or windows).
    mutating func count(_ field: String, in range: ClosedRange<Int>) throws(ProtocolError) -> Int {
        let at = offset
        let n = Int(try u32(field))
        guard range.contains(n) else {
            throw ProtocolError(offset: at, .badValue(field: field, detail: "\(n) is not in \(range.lowerBound)...\(range.upperBound)"))
        }
        return n
    }
}
