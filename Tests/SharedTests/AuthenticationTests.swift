import Foundation
import Testing
@testable import Shared

/// The cluster secret: HMAC-SHA256 trailers, replay and skew refusal, secret loading and the listen policy.
@Suite struct AuthenticationTests {
    static let secret = Array("0123456789abcdef-cluster-secret".utf8)
    static let hello = WireMessage.hello(WorkerHello(workerID: "w1", host: "node1", cores: 2, memoryBytes: 1,
                                                     bundleIdentity: "b", speed: 1))

    static func problem(_ body: () throws(ProtocolError) -> WireMessage) -> String? {
        do { _ = try body(); return nil } catch { return error.description }
    }

    @Test func aSealedMessageDecodesOnceAndOnlyOnce() throws {
        let sender = HMACAuthenticator(secret: Self.secret), receiver = HMACAuthenticator(secret: Self.secret)
        let bytes = Envelope.encode(Self.hello, authenticator: sender)
        #expect(bytes[7] == 1)  // flag bit 0: the trailer is a MAC
        #expect(try Envelope.decode(bytes, authenticator: receiver) == Self.hello)
        let again = Self.problem { () throws(ProtocolError) in try Envelope.decode(bytes, authenticator: receiver) }
        #expect(again?.contains("replayed") == true)
    }

    @Test func aWrongSecretOrAnAlteredByteIsRefused() {
        let bytes = Envelope.encode(Self.hello, authenticator: HMACAuthenticator(secret: Self.secret))
        let other = HMACAuthenticator(secret: Array("another-secret-of-enough-bytes".utf8))
        let wrong = Self.problem { () throws(ProtocolError) in try Envelope.decode(bytes, authenticator: other) }
        #expect(wrong?.contains("MAC does not match") == true)
        var altered = bytes
        altered[14] ^= 1  // inside the body
        let receiver = HMACAuthenticator(secret: Self.secret)
        let changed = Self.problem { () throws(ProtocolError) in try Envelope.decode(altered, authenticator: receiver) }
        #expect(changed?.contains("MAC does not match") == true)
    }

    @Test func secretOnOneSideOnlyIsNamed() {
        let plain = Envelope.encode(Self.hello)
        let signed = Envelope.encode(Self.hello, authenticator: HMACAuthenticator(secret: Self.secret))
        let missing = Self.problem { () throws(ProtocolError) in
            try Envelope.decode(plain, authenticator: HMACAuthenticator(secret: Self.secret))
        }
        #expect(missing?.contains("carries no MAC") == true)
        let extra = Self.problem { () throws(ProtocolError) in try Envelope.decode(signed) }
        #expect(extra?.contains("this side has no secret") == true)
    }

    @Test func clockSkewBeyondTheLimitIsRefused() {
        let past = HMACAuthenticator(secret: Self.secret, clock: { 1_000_000 })
        let now = HMACAuthenticator(secret: Self.secret, maxSkewSeconds: 120, clock: { 1_000_500 })
        let bytes = Envelope.encode(Self.hello, authenticator: past)
        let late = Self.problem { () throws(ProtocolError) in try Envelope.decode(bytes, authenticator: now) }
        #expect(late?.contains("-500.0 s from this host's clock") == true)
    }

    @Test func theReplayWindowIsBoundedAndRefusesWhatItForgot() {
        var window = ReplayWindow(capacity: 3, horizonSeconds: 100)
        func nonce(_ k: UInt8) -> ReplayWindow.Nonce { ReplayWindow.Nonce(ArraySlice([k] + [UInt8](repeating: 0, count: 15))) }
        #expect(window.admit(nonce(1), sentAt: 10, now: 10) == .fresh)
        #expect(window.admit(nonce(1), sentAt: 10, now: 10) == .replayed)
        for k in 2...4 { #expect(window.admit(nonce(UInt8(k)), sentAt: Double(10 + k), now: 15) == .fresh) }
        #expect(window.count == 3)
        // nonce 1 was forgotten to make room: a message as old as it is refused rather than trusted.
        #expect(window.admit(nonce(1), sentAt: 10, now: 15) == .beforeWindow)
        // Past the horizon everything old is forgotten.
        #expect(window.admit(nonce(9), sentAt: 200, now: 200) == .fresh)
        #expect(window.count == 1)
    }

    @Test func manyMessagesAuthenticateConcurrently() {
        let sender = HMACAuthenticator(secret: Self.secret), receiver = HMACAuthenticator(secret: Self.secret)
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<500 {
                if (try? Envelope.decode(Envelope.encode(Self.hello, authenticator: sender),
                                         authenticator: receiver)) == nil { failures.add(1) }
            }
        }
        #expect(failures.value == 0)
    }

    // MARK: the secret

    @Test func theSecretFileMustBePrivate() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pz-secret-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data("s3cr3t-0123456789abcdef\n".utf8))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: ClusterSecret.Failure.tooOpen(path: path, mode: 0o644)) {
            try ClusterSecret.load(file: path, environment: [:])
        }
        #expect(ClusterSecret.Failure.tooOpen(path: path, mode: 0o644).description.contains("chmod 600"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try ClusterSecret.load(file: path, environment: [:]) == Array("s3cr3t-0123456789abcdef".utf8))
        // Through a symbolic link (as secret mounts often are), the target's mode counts.
        let link = path + ".link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        defer { try? FileManager.default.removeItem(atPath: link) }
        #expect(try ClusterSecret.load(file: link, environment: [:]) == Array("s3cr3t-0123456789abcdef".utf8))
    }

    @Test func theEnvironmentServesWhenNoFileIsGivenAndShortSecretsAreRefused() throws {
        #expect(try ClusterSecret.load(file: nil, environment: [:]) == nil)
        #expect(try ClusterSecret.load(file: nil, environment: ["PRUNERZERO_SECRET": "abcdefghijklmnopq"])
                == Array("abcdefghijklmnopq".utf8))
        #expect(throws: ClusterSecret.Failure.tooShort(source: "$PRUNERZERO_SECRET", bytes: 5)) {
            try ClusterSecret.load(file: nil, environment: ["PRUNERZERO_SECRET": "short"])
        }
        #expect(throws: ClusterSecret.Failure.self) { try ClusterSecret.load(file: "/nonexistent/pz", environment: [:]) }
    }

    @Test(arguments: [
        ("tcp://127.0.0.1:47200", true), ("tcp://localhost:1", true), ("tcp://[::1]:5", true),
        ("ipc:///tmp/pz.sock", true), ("tcp://0.0.0.0:47200", false), ("tcp://*:47200", false),
        ("tcp://10.77.0.1:47200", false), ("tls+tcp://head:47200", false), ("tcp://127.evil.com:1", false),
    ])
    func loopbackAddresses(url: String, loopback: Bool) {
        #expect(ListenPolicy.isLoopbackOnly(url) == loopback)
        #expect((ListenPolicy.refusal(listen: url, hasSecret: false) == nil) == loopback)
        #expect(ListenPolicy.refusal(listen: url, hasSecret: true) == nil)
    }
}

/// A counter shared between threads.
final class Locked: @unchecked Sendable {
    private var stored: Int
    private let lock = NSLock()
    init(_ value: Int) { stored = value }
    var value: Int { lock.lock(); defer { lock.unlock() }; return stored }
    func add(_ n: Int) { lock.lock(); stored += n; lock.unlock() }
}
