/// Per-block values on the wire (depth-abort thresholds, divergences; since protocol version 3): a u32 count, at
/// most `WireLimits.layers`, then that many doubles, each ≥ 0 and not NaN (+inf allowed: "no threshold here").
extension WireWriter {
    mutating func blockValues(_ values: [Double]) {
        let kept = values.prefix(WireLimits.layers)
        count(kept.count)
        for v in kept { f64(v) }
    }
}

extension WireReader {
    mutating func blockValues(_ field: String) throws(ProtocolError) -> [Double] {
        let n = try count("\(field)s", limit: WireLimits.layers)
        var values: [Double] = []
        values.reserveCapacity(n)
        for _ in 0..<n {
            let at = offset
            let v = try f64(field, finite: false)
            guard v >= 0 else {  // also refuses NaN
                throw ProtocolError(offset: at, .badValue(field: field, detail: "\(v) is not a number ≥ 0"))
            }
            values.append(v)
        }
        return values
    }
}
