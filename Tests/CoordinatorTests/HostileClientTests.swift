import TestSupport
import Foundation
import Testing
@testable import Search
@testable import Shared

/// The coordinator's edge under hostile or broken clients, with the cluster secret on: each bad input gets a clear
/// refusal and log line, its connection is dropped, and a good worker keeps being served.
@Suite(.serialized) struct HostileClientTests {
    static let secret = Array("hostile-client-test-secret-0123".utf8)

    final class Client {
        let socket: NNGSocket
        let authenticator: MessageAuthenticator
        init(_ url: String, authenticator: MessageAuthenticator, tls: NNGTLS.Client? = nil,
             timeout: Int32 = 10_000) throws {
            self.authenticator = authenticator
            socket = try NNGSocket(.request)
            try socket.setDuration(NNGOption.requestResendTime, milliseconds: NNGOption.infinite)
            try socket.setDuration(NNGOption.receiveTimeout, milliseconds: timeout)
            try socket.setDuration(NNGOption.sendTimeout, milliseconds: timeout)
            try socket.setSize(NNGOption.receiveMaxSize, bytes: WireLimits.maxMessageBytes)
            try socket.dial(url, tls: tls)
        }
        func ask(_ message: WireMessage) throws -> WireMessage {
            try raw(Envelope.encodeData(message, authenticator: authenticator))
        }
        func raw(_ bytes: Data) throws -> WireMessage {
            try socket.send(bytes)
            return try Envelope.decode(socket.receive(), authenticator: authenticator)
        }
        /// `raw` from a client the server has just dropped. The server closes the connection a moment after its
        /// refusal; on a loaded machine that close can land after this client already sent its next request on
        /// the old connection, which NNG then reports as a reset. The request is built again (a fresh nonce, so
        /// the server may have seen the first one without calling this a replay) and sent on the redialled one.
        func rawAfterDrop(_ bytes: () -> Data) throws -> WireMessage {
            for _ in 0..<20 {
                do { return try raw(bytes()) } catch let error as NNGError where error.isConnectionReset {
                    Thread.sleep(forTimeInterval: 0.25)
                }
            }
            return try raw(bytes())
        }
        func askAfterDrop(_ message: WireMessage) throws -> WireMessage {
            try rawAfterDrop { Envelope.encodeData(message, authenticator: authenticator) }
        }
    }

    /// A running server on loopback and its log lines.
    final class Running {
        let server: SearchServer
        let url: String
        let log = LockedBox<[String]>([])
        let directory: URL
        init(security: ServerSecurity, scheme: String = "tcp", host: String = "127.0.0.1") throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("pz-hostile-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            url = LoopbackPort.address(scheme: scheme, host: host)
            let (machine, output) = SearchMachine.start(config: SearchSimulation.config(budget: 1_000), version: "t",
                                                        now: Date().timeIntervalSince1970)
            let journal = try JournalWriter(url: directory.appendingPathComponent("events.jsonl"))
            try journal.append(output.events)
            let log = self.log
            server = try SearchServer(machine: machine, journal: journal, listen: url, contexts: 4, security: security,
                                      log: { line in log.update { $0.append(line) } }, onFinish: { _ in })
            let server = self.server
            Thread { try? server.run() }.start()
        }
        func stop() {
            server.stop()
            Thread.sleep(forTimeInterval: 0.5)
            try? FileManager.default.removeItem(at: directory)
        }
        func logged(_ fragment: String) -> Bool { log.value.contains { $0.contains(fragment) } }
    }

    static func hello(_ id: String, bundle: String = "bundle-A") -> WireMessage {
        .hello(WorkerHello(workerID: id, host: "loop", cores: 1, memoryBytes: 1, bundleIdentity: bundle, speed: 1))
    }

    @Test func eachBadInputIsRefusedLoggedAndDroppedWhileAGoodWorkerIsServed() throws {
        let running = try Running(security: ServerSecurity(authenticator: HMACAuthenticator(secret: Self.secret)))
        defer { running.stop() }
        let good = try Client(running.url, authenticator: HMACAuthenticator(secret: Self.secret))
        guard case .welcome = try good.ask(Self.hello("good")) else { Issue.record("no welcome"); return }

        // Wrong secret: the server refuses; its refusal does not authenticate under the wrong secret either.
        let wrong = try Client(running.url, authenticator: HMACAuthenticator(secret: Array("not-the-cluster-secret!!".utf8)))
        #expect(throws: ProtocolError.self) { _ = try wrong.ask(Self.hello("intruder")) }
        #expect(running.logged("MAC does not match"))

        // No secret at all: refused, and the client (also without one) reads why.
        let plain = try Client(running.url, authenticator: Unauthenticated())
        #expect(throws: ProtocolError.self) { _ = try plain.ask(Self.hello("plain")) }
        #expect(running.logged("carries no MAC"))

        // A replayed message (captured from the good worker's traffic).
        let sealed = Envelope.encodeData(.jobRequest(JobRequest(workerID: "good")),
                                         authenticator: HMACAuthenticator(secret: Self.secret))
        let replayer = try Client(running.url, authenticator: HMACAuthenticator(secret: Self.secret))
        _ = try replayer.raw(sealed)
        guard case .refusal(let replay) = try replayer.raw(sealed) else { Issue.record("replay accepted"); return }
        #expect(replay.reason == .unauthenticated && replay.detail.contains("replayed"))

        // Oversize, unknown version, garbage.
        let rude = try Client(running.url, authenticator: HMACAuthenticator(secret: Self.secret))
        guard case .refusal(let big) = try rude.raw(Data(repeating: 0x50, count: WireLimits.maxMessageBytes + 10))
        else { Issue.record("oversize accepted"); return }
        #expect(big.detail.contains("exceeds the limit"))
        Thread.sleep(forTimeInterval: 0.4)  // dropped; NNG redials
        let versioned = {
            var bytes = Envelope.encode(Self.hello("v1"), authenticator: HMACAuthenticator(secret: Self.secret))
            bytes[4] = UInt8(Envelope.version + 1)  // a version this build does not speak
            return Data(bytes)
        }
        guard case .refusal(let version) = try rude.rawAfterDrop(versioned) else {
            Issue.record("a newer version accepted"); return
        }
        #expect(version.reason == .unsupportedVersion)
        Thread.sleep(forTimeInterval: 0.4)
        guard case .refusal(let garbage) = try rude.rawAfterDrop({ Data("GET / HTTP/1.0\r\n\r\n".utf8) }) else {
            Issue.record("garbage accepted"); return
        }
        #expect(garbage.reason == .malformed && garbage.detail.contains("magic"))

        // A wrong bundle.
        guard case .refusal(let mismatch) = try good.ask(Self.hello("other", bundle: "bundle-B")) else {
            Issue.record("mismatch accepted"); return
        }
        #expect(mismatch.reason == .bundleMismatch)
        #expect(running.logged("refused a request from 127.0.0.1:"))  // the peer's address, to find it
        #expect(running.logged("dropped it"))

        // Through all of it, the good worker still gets jobs.
        // The mismatch dropped the good worker's connection too; it redials and is served.
        guard case .job = try good.askAfterDrop(.jobRequest(JobRequest(workerID: "good"))) else {
            Issue.record("the good worker was not served"); return
        }
    }

    @Test func connectionsBeyondTheCapAreDropped() throws {
        let running = try Running(security: ServerSecurity(maxConnections: 2))
        defer { running.stop() }
        let first = try Client(running.url, authenticator: Unauthenticated())
        let second = try Client(running.url, authenticator: Unauthenticated())
        guard case .welcome = try first.ask(Self.hello("c1")), case .welcome = try second.ask(Self.hello("c2")) else {
            Issue.record("the first two were not served"); return
        }
        let third = try Client(running.url, authenticator: Unauthenticated(), timeout: 1_000)
        #expect(throws: NNGError.self) { _ = try third.ask(Self.hello("c3")) }
        #expect(running.logged("already 2 connections"))
        guard case .job = try first.ask(.jobRequest(JobRequest(workerID: "c1"))) else {
            Issue.record("a served client lost its place"); return
        }
    }

    @Test func aNonLoopbackAddressWithoutASecretRefusesToStart() throws {
        let (machine, _) = SearchMachine.start(config: SearchSimulation.config(), version: "t", now: 0)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pz-open-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = try JournalWriter(url: directory.appendingPathComponent("events.jsonl"))
        do {
            _ = try SearchServer(machine: machine, journal: journal, listen: "tcp://0.0.0.0:47999", log: { _ in },
                                 onFinish: { _ in })
            Issue.record("started without a secret")
        } catch let error as ServerSetupError {
            #expect(error.description.contains("without a cluster secret"))
        }
    }
}
