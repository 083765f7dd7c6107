/// Why a wire message was rejected, and where: every decoding failure names the byte offset in the message at which
/// it was detected, so a log line points at the bad byte of a captured message.
package struct ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Offset from the start of the message (envelope included) at which the problem was found.
    package let offset: Int
    package let problem: Problem

    package init(offset: Int, _ problem: Problem) {
        self.offset = offset
        self.problem = problem
    }

    /// What was wrong.
    package enum Problem: Sendable, Hashable {
        /// Fewer bytes than the field needs.
        case truncated(field: String, needed: Int, available: Int)
        case badMagic
        case unsupportedVersion(found: UInt16, supported: UInt16)
        case unknownKind(UInt8)
        /// A message, string or list over its bound.
        case tooLarge(field: String, size: Int, limit: Int)
        case invalidUTF8(field: String)
        /// A field whose value is outside its domain (an enum tag, a NaN where a number is needed, …).
        case badValue(field: String, detail: String)
        /// Bytes left over after the last field: a different message version, or garbage.
        case trailingBytes(count: Int)
        /// The authentication trailer did not verify: wrong or missing MAC, replay, clock skew (`HMACAuthenticator`).
        case authentication(String)
        /// The metric text does not parse or breaks `MetricLimits`.
        case badMetric(MetricError)
    }

    package var description: String {
        let what: String
        switch problem {
        case .truncated(let field, let needed, let available):
            what = "\(field) needs \(needed) bytes, \(available) left"
        case .badMagic: what = "not a PrunerZero message (bad magic)"
        case .unsupportedVersion(let found, let supported):
            what = "protocol version \(found) is not supported (this build speaks \(supported))"
        case .unknownKind(let kind): what = "unknown message kind \(kind)"
        case .tooLarge(let field, let size, let limit): what = "\(field) of \(size) exceeds the limit \(limit)"
        case .invalidUTF8(let field): what = "\(field) is not valid UTF-8"
        case .badValue(let field, let detail): what = "\(field): \(detail)"
        case .trailingBytes(let count): what = "\(count) unexpected bytes after the message"
        case .authentication(let detail): what = "authentication: \(detail)"
        case .badMetric(let error): what = "metric: \(error)"
        }
        return "wire message, byte \(offset): \(what)"
    }
}
