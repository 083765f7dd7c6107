import Foundation

/// HMAC-SHA256 authentication of every message with the cluster secret: the envelope's trailer is
///
///     offset  size  field
///     0       16    nonce (random per message)
///     16      8     sender's clock, milliseconds since 1970 (little-endian)
///     24      32    HMAC-SHA256(secret, framed bytes ‖ nonce ‖ time)
///
/// where "framed bytes" are the envelope from its magic to the end of the body (`Envelope`). A receiver checks the
/// MAC first (constant time), then the clock skew, then that the nonce is new (`ReplayWindow`): a message altered,
/// forged without the secret, replayed, or held back longer than the skew limit is refused with the reason.
/// It does not hide the messages (TLS does that: `NNGTLS`).
final class HMACAuthenticator: MessageAuthenticator, @unchecked Sendable {
    // @unchecked: `window` is only touched under `lock`; everything else is immutable.
    static let nonceBytes = 16
    static let trailerBytes = nonceBytes + 8 + 32
    /// Shortest secret accepted: 16 bytes (128 bits) of whatever the operator generated.
    static let minimumSecretBytes = 16

    private let key: [UInt8]
    /// Largest difference between the sender's clock and ours that is accepted, in seconds.
    let maxSkewSeconds: Double
    private let clock: @Sendable () -> Double
    private let lock = NSLock()
    private var window: ReplayWindow

    /// `clock` (seconds since 1970) is injectable for tests; `capacity` bounds the nonces remembered.
    init(secret: [UInt8], maxSkewSeconds: Double = 120, capacity: Int = 1 << 20,
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        key = secret
        self.maxSkewSeconds = maxSkewSeconds
        self.clock = clock
        window = ReplayWindow(capacity: capacity, horizonSeconds: 2 * maxSkewSeconds)
    }

    var isAuthenticating: Bool { true }

    func seal(_ framed: [UInt8]) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var trailer = [UInt8]()
        trailer.reserveCapacity(Self.trailerBytes)
        for _ in 0..<(Self.nonceBytes / 8) { trailer += Self.littleEndian(generator.next()) }
        trailer += Self.littleEndian(UInt64(max(0, clock() * 1000)))
        trailer += Digest.hmacSHA256(key: key, message: framed + trailer)
        return trailer
    }

    func verify(_ framed: [UInt8], trailer: [UInt8], trailerOffset: Int) throws(ProtocolError) {
        guard trailer.count == Self.trailerBytes else {
            throw ProtocolError(offset: trailerOffset, .authentication(
                "trailer of \(trailer.count) bytes, expected \(Self.trailerBytes) (nonce, time, HMAC-SHA256)"))
        }
        let signed = Array(trailer[0..<(Self.nonceBytes + 8)])
        let mac = Array(trailer[(Self.nonceBytes + 8)...])
        guard Digest.constantTimeEqual(Digest.hmacSHA256(key: key, message: framed + signed), mac) else {
            throw ProtocolError(offset: trailerOffset, .authentication(
                "MAC does not match: the sender's secret differs from ours, or the message was altered"))
        }
        var millis: UInt64 = 0
        for k in 0..<8 { millis |= UInt64(signed[Self.nonceBytes + k]) << (8 * k) }
        let sent = Double(millis) / 1000, now = clock()
        guard abs(now - sent) <= maxSkewSeconds else {
            throw ProtocolError(offset: trailerOffset + Self.nonceBytes, .authentication(String(
                format: "message time is %.1f s from this host's clock (limit ±%.0f s): clocks out of step, "
                    + "or an old message replayed", sent - now, maxSkewSeconds)))
        }
        let nonce = ReplayWindow.Nonce(signed[0..<Self.nonceBytes])
        lock.lock()
        let admission = window.admit(nonce, sentAt: sent, now: now)
        lock.unlock()
        switch admission {
        case .fresh: return
        case .replayed:
            throw ProtocolError(offset: trailerOffset, .authentication("nonce already seen: a replayed message"))
        case .beforeWindow:
            throw ProtocolError(offset: trailerOffset + Self.nonceBytes, .authentication(
                "message older than the replay window (more than \(window.capacity) messages since)"))
        }
    }

    static func littleEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}
