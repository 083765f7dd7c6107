import Foundation

/// The frame around every message:
///
///     offset  size  field
///     0       4     magic "PZRO"
///     4       2     protocol version (little-endian; this build: `Envelope.version`)
///     6       1     message kind (`WireMessage.kind`)
///     7       1     flags (bit 0: the trailer is a MAC; other bits must be 0)
///     8       4     body length B
///     12      B     body (the message's fields, see `Messages.swift`)
///     12+B    2     trailer length T
///     14+B    T     authentication trailer: empty without a secret; with one, nonce, time and HMAC-SHA256
///
/// The MAC (`HMACAuthenticator`) covers bytes 0 ..< 12+B plus the trailer's nonce and time, and is checked before
/// the body is decoded.
package enum Envelope {
    package static let magic: [UInt8] = Array("PZRO".utf8)
    /// 2: the hello carries the worker's fitness bound. 3: the fitness request carries the layer sparsity, the
    /// method (metric or a reference baseline) and the comparison group, and its window set may be validation
    /// (tag 3); a job carries depth-abort thresholds, a result its per-block divergences (and may be `aborted`).
    /// 4: a full-window job may carry its cheap screen's perplexity (the worker then evaluates only the rest).
    /// 5: the fitness request carries how many windows a cheap screen runs (`screenWindows`; 0: the default).
    /// 6: the same layouts; a validation job on a bundle with calibration draws (`calibrate --validation-seeds`)
    /// prunes with the draws, so a version-5 worker, which would prune with the bundle's own G and X and report
    /// other values under the same bundle identity, must not join.
    /// 7: a full-window job may carry a race against a population member (`Race`); a result carries its
    /// per-window losses and may be `raced` (stopped early, its perplexity the race's estimate).
    /// Versions are not mixed: a body's layout and meaning are its version's.
    package static let version: UInt16 = 7
    static let headerBytes = 12

    /// Frames `message`; the authenticator appends its trailer.
    package static func encode(_ message: WireMessage, authenticator: MessageAuthenticator = Unauthenticated())
        -> [UInt8]
    {
        var body = WireWriter()
        message.encodeBody(into: &body)
        var w = WireWriter(capacity: body.bytes.count + 32)
        w.append(magic)
        w.u16(version)
        w.u8(message.kind)
        w.u8(authenticator.isAuthenticating ? 1 : 0)
        w.u32(UInt32(body.bytes.count))
        w.append(body.bytes)
        w.blob(authenticator.seal(w.bytes))
        return w.bytes
    }

    package static func encodeData(_ message: WireMessage, authenticator: MessageAuthenticator = Unauthenticated())
        -> Data
    {
        Data(encode(message, authenticator: authenticator))
    }

    /// Decodes one whole message, checking every bound; throws with the offset of the first bad byte.
    package static func decode(_ bytes: [UInt8], authenticator: MessageAuthenticator = Unauthenticated())
        throws(ProtocolError) -> WireMessage
    {
        if bytes.count > WireLimits.maxMessageBytes {
            throw ProtocolError(offset: 0, .tooLarge(field: "message", size: bytes.count,
                                                     limit: WireLimits.maxMessageBytes))
        }
        var r = WireReader(bytes)
        for expected in magic {
            let at = r.offset
            if try r.u8("magic") != expected { throw ProtocolError(offset: at, .badMagic) }
        }
        let version = try r.u16("version")
        if version != Self.version {
            throw ProtocolError(offset: 4, .unsupportedVersion(found: version, supported: Self.version))
        }
        let kind = try r.u8("kind")
        let flags = try r.u8("flags")
        if flags & ~1 != 0 { throw ProtocolError(offset: 7, .badValue(field: "flags", detail: "unknown bits \(flags)")) }
        let bodyLength = Int(try r.u32("body length"))
        let bodyStart = r.offset
        guard bodyLength <= r.remaining else {
            throw ProtocolError(offset: 8, .truncated(field: "body", needed: bodyLength, available: r.remaining))
        }
        // The trailer is checked before the body is decoded: with a secret, nothing from an unauthenticated
        // sender reaches the message decoders.
        var tail = WireReader(bytes, from: bodyStart + bodyLength)
        let trailerOffset = tail.offset
        let trailer = try tail.blob("authentication trailer", limit: WireLimits.authTrailer)
        try tail.expectEnd()
        if (flags & 1 == 1) != authenticator.isAuthenticating {
            throw ProtocolError(offset: 7, .authentication(flags & 1 == 1
                ? "message carries a MAC but this side has no secret"
                : "message carries no MAC but this side requires one (is the sender missing the secret?)"))
        }
        try authenticator.verify(Array(bytes[0..<trailerOffset]), trailer: trailer, trailerOffset: trailerOffset)
        var body = WireReader(bytes, from: bodyStart, to: bodyStart + bodyLength)
        let message = try WireMessage.decodeBody(kind: kind, kindOffset: 6, from: &body)
        try body.expectEnd()
        return message
    }

    package static func decode(_ data: Data, authenticator: MessageAuthenticator = Unauthenticated())
        throws(ProtocolError) -> WireMessage
    {
        try decode([UInt8](data), authenticator: authenticator)
    }
}

/// Seals and verifies the envelope's trailer: `Unauthenticated` (no secret) or `HMACAuthenticator` (nonce, time,
/// HMAC-SHA256, replay window).
package protocol MessageAuthenticator: Sendable {
    /// Whether messages carry a MAC (the envelope's flag bit 0).
    var isAuthenticating: Bool { get }
    /// The trailer for a message whose bytes before the trailer are `framed`.
    func seal(_ framed: [UInt8]) -> [UInt8]
    /// Throws `ProtocolError(.authentication)` unless `trailer` authenticates `framed`.
    func verify(_ framed: [UInt8], trailer: [UInt8], trailerOffset: Int) throws(ProtocolError)
}

/// No authentication: an empty trailer, and any non-empty one is refused.
package struct Unauthenticated: MessageAuthenticator {
    package init() {}
    package var isAuthenticating: Bool { false }
    package func seal(_ framed: [UInt8]) -> [UInt8] { [] }
    package func verify(_ framed: [UInt8], trailer: [UInt8], trailerOffset: Int) throws(ProtocolError) {
        if !trailer.isEmpty {
            throw ProtocolError(offset: trailerOffset, .authentication("unexpected \(trailer.count)-byte trailer"))
        }
    }
}
