import Foundation

/// A length-checked cursor over a received message: every read first checks that the bytes are there and throws a
/// `ProtocolError` with the offset otherwise, so no input from the network can trap. Integers are little-endian.
struct WireReader {
    private let bytes: [UInt8]
    /// Offset of the next unread byte, from the start of the whole message (so errors point into it).
    private(set) var offset: Int
    private let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        offset = start
        self.end = end ?? bytes.count
    }

    var remaining: Int { end - offset }

    private mutating func take(_ count: Int, _ field: String) throws(ProtocolError) -> ArraySlice<UInt8> {
        guard count <= remaining else {
            throw ProtocolError(offset: offset, .truncated(field: field, needed: count, available: remaining))
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    private mutating func integer<T: FixedWidthInteger & UnsignedInteger>(
        _: T.Type, _ field: String
    ) throws(ProtocolError) -> T {
        let slice = try take(MemoryLayout<T>.size, field)
        var value: T = 0
        for (shift, byte) in slice.enumerated() { value |= T(byte) << (8 * shift) }
        return value
    }

    mutating func u8(_ field: String) throws(ProtocolError) -> UInt8 { try integer(UInt8.self, field) }
    mutating func u16(_ field: String) throws(ProtocolError) -> UInt16 { try integer(UInt16.self, field) }
    mutating func u32(_ field: String) throws(ProtocolError) -> UInt32 { try integer(UInt32.self, field) }
    mutating func u64(_ field: String) throws(ProtocolError) -> UInt64 { try integer(UInt64.self, field) }

    mutating func bool(_ field: String) throws(ProtocolError) -> Bool {
        let at = offset
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let v: throw ProtocolError(offset: at, .badValue(field: field, detail: "boolean byte \(v)"))
        }
    }

    /// An optional u64: a presence byte, then 8 bytes that must be zero when absent, so that every message has one
    /// encoding (the protocol fuzzer checks that every decoded message re-encodes to exactly its bytes).
    mutating func optionalU64(_ presence: String, _ field: String) throws(ProtocolError) -> UInt64? {
        let has = try bool(presence)
        let at = offset
        let value = try u64(field)
        guard has || value == 0 else {
            throw ProtocolError(offset: at, .badValue(field: field, detail: "absent (\(presence) is 0) yet not zero"))
        }
        return has ? value : nil
    }

    /// An optional finite double, encoded as `optionalU64` is (+0.0 when absent).
    mutating func optionalF64(_ presence: String, _ field: String) throws(ProtocolError) -> Double? {
        let has = try bool(presence)
        let at = offset
        let value = try f64(field)
        guard has || value.bitPattern == 0 else {
            throw ProtocolError(offset: at, .badValue(field: field, detail: "absent (\(presence) is 0) yet not zero"))
        }
        return has ? value : nil
    }

    /// An IEEE double; NaN and infinities are refused unless `finite` is false (e.g. a failed perplexity).
    mutating func f64(_ field: String, finite: Bool = true) throws(ProtocolError) -> Double {
        let at = offset
        let value = Double(bitPattern: try u64(field))
        if finite && !value.isFinite {
            throw ProtocolError(offset: at, .badValue(field: field, detail: "\(value) is not a finite number"))
        }
        return value
    }

    /// A u32 length then that many UTF-8 bytes, the length bounded by `limit` before anything is read.
    mutating func string(_ field: String, limit: Int) throws(ProtocolError) -> String {
        let at = offset
        let count = Int(try u32("\(field) length"))
        if count > limit { throw ProtocolError(offset: at, .tooLarge(field: field, size: count, limit: limit)) }
        let start = offset
        let slice = try take(count, field)
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw ProtocolError(offset: start, .invalidUTF8(field: field))
        }
        return text
    }

    /// A u32 element count bounded by `limit`; the caller reads the elements.
    mutating func count(_ field: String, limit: Int) throws(ProtocolError) -> Int {
        let at = offset
        let count = Int(try u32("\(field) count"))
        if count > limit { throw ProtocolError(offset: at, .tooLarge(field: field, size: count, limit: limit)) }
        return count
    }

    /// Raw bytes with a u16 length (the envelope's authentication trailer).
    mutating func blob(_ field: String, limit: Int) throws(ProtocolError) -> [UInt8] {
        let at = offset
        let count = Int(try u16("\(field) length"))
        if count > limit { throw ProtocolError(offset: at, .tooLarge(field: field, size: count, limit: limit)) }
        return Array(try take(count, field))
    }

    /// Throws unless every byte up to `end` was consumed.
    func expectEnd() throws(ProtocolError) {
        if remaining != 0 { throw ProtocolError(offset: offset, .trailingBytes(count: remaining)) }
    }
}

/// The writing twin of `WireReader`: same field encodings, little-endian.
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func integer<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        for shift in 0..<MemoryLayout<T>.size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * shift))) }
    }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { integer(v) }
    mutating func u32(_ v: UInt32) { integer(v) }
    mutating func u64(_ v: UInt64) { integer(v) }
    mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    mutating func f64(_ v: Double) { integer(v.bitPattern) }

    /// Encoders write only values their decoders accept, so an over-long string is clipped at a character
    /// boundary (its longest prefix that fits) rather than producing a message the receiver must refuse.
    mutating func string(_ s: String, limit: Int) {
        var utf8 = Array(s.utf8)
        if utf8.count > limit {
            var clipped = "", used = 0
            for c in s {
                guard used + c.utf8.count <= limit else { break }
                clipped.append(c); used += c.utf8.count
            }
            utf8 = Array(clipped.utf8)
        }
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Prose (reasons, details, summaries): an over-long text is shortened at word boundaries keeping names whole
    /// (`Shortening`), so a failure still names its layer.
    mutating func prose(_ s: String, limit: Int) {
        string(Shortening.shorten(s, to: limit, measure: .utf8Bytes), limit: limit)
    }

    mutating func count(_ n: Int) { u32(UInt32(n)) }

    mutating func blob(_ b: [UInt8]) {
        u16(UInt16(b.count))
        bytes.append(contentsOf: b)
    }

    mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }
}
