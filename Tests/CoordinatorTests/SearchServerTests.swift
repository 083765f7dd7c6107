import TestSupport
import Foundation
import Testing
@testable import Search
import Shared

/// The coordinator's NNG edge over tcp loopback, with in-test REQ clients speaking the protocol.
@Suite struct SearchServerTests {
    final class Client {
        let socket: NNGSocket
        init(_ url: String) throws {
            socket = try NNGSocket(.request)
            // One job must never reach two workers: no automatic resend.
            try socket.setDuration(NNGOption.requestResendTime, milliseconds: NNGOption.infinite)
            try socket.setDuration(NNGOption.receiveTimeout, milliseconds: 10_000)
            try socket.setSize(NNGOption.receiveMaxSize, bytes: WireLimits.maxMessageBytes)
            try socket.dial(url)
        }
        func ask(_ message: WireMessage) throws -> WireMessage {
            try socket.send(Envelope.encodeData(message))
            return try Envelope.decode(socket.receive())
        }
        func raw(_ bytes: Data) throws -> WireMessage {
            try socket.send(bytes)
            return try Envelope.decode(socket.receive())
        }
    }

    @Test func twoClientsRunASearchToTheEndOverTCP() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pz-server-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = LoopbackPort.address()
        let (machine, output) = SearchMachine.start(config: SearchSimulation.config(budget: 30), version: "t", now: 0)
        let journal = try JournalWriter(url: directory.appendingPathComponent("events.jsonl"))
        try journal.append(output.events)
        let finished = LockedBox(false)
        let server = try SearchServer(machine: machine, journal: journal, listen: url, contexts: 4, log: { _ in },
                                      onFinish: { _ in finished.set(true) })
        server.lingerSeconds = 1
        let serving = Thread { try? server.run() }
        serving.start()

        // A garbage sender is refused and the server keeps serving.
        let garbage = try Client(url)
        guard case .refusal(let refusal) = try garbage.raw(Data("GET / HTTP/1.0\r\n\r\n".utf8)) else {
            Issue.record("garbage not refused"); return
        }
        #expect(refusal.reason == .malformed && refusal.detail.contains("magic"))
        // A wrong bundle is refused with both identities.
        guard case .refusal(let mismatch) = try garbage.ask(.hello(WorkerHello(
            workerID: "x", host: "h", cores: 1, memoryBytes: 1, bundleIdentity: "other", speed: 1))) else {
            Issue.record("mismatch not refused"); return
        }
        #expect(mismatch.reason == .bundleMismatch)

        let workers = DispatchGroup()
        let failures = LockedBox(0)
        for name in ["w1", "w2"] {
            workers.enter()
            Thread {
                defer { workers.leave() }
                do {
                    let client = try Client(url)
                    _ = try client.ask(.hello(WorkerHello(workerID: name, host: "loop", cores: 1, memoryBytes: 1,
                                                          bundleIdentity: "bundle-A", speed: 1)))
                    var reply = try client.ask(.jobRequest(JobRequest(workerID: name)))
                    for _ in 0..<10_000 {
                        switch reply {
                        case .job(let job):
                            reply = try client.ask(.result(SearchSimulation.result(for: job, worker: name)))
                        case .wait(let wait):
                            Thread.sleep(forTimeInterval: Double(wait.retryMilliseconds) / 1000)
                            reply = try client.ask(.jobRequest(JobRequest(workerID: name)))
                        case .finished:
                            _ = try client.ask(.goodbye(Goodbye(workerID: name, reason: "search finished")))
                            return
                        default:
                            failures.update { $0 += 1 }; return
                        }
                    }
                } catch { failures.update { $0 += 1 } }
            }.start()
        }
        workers.wait()
        serving.cancel()
        #expect(failures.value == 0)
        #expect(finished.value)
        let state = server.state
        #expect(state.phase == .finished)
        #expect(state.evaluations == 30)
        // The journal on disk replays to the same state.
        let (events, warning) = try JournalReader.read(url: directory.appendingPathComponent("events.jsonl"))
        #expect(warning == nil)
        let (replayed, _) = try SearchMachine.resume(journal: events, now: 1)
        #expect(replayed.state.evaluations == 30)
        #expect(replayed.state.best == state.best)
        // Every result records when its message reached the socket, at or before it was handled (the scaling
        // benchmark's coordinator queueing).
        let results = events.compactMap { event -> SearchEvent.ResultRecord? in
            if case .result(let record) = event { return record } else { return nil }
        }
        #expect(results.count >= 30)
        #expect(results.allSatisfy { ($0.received ?? .infinity) <= $0.time })
        Thread.sleep(forTimeInterval: 1.5)  // let the server linger out and close
    }
}

/// A value shared between test threads.
final class LockedBox<T>: @unchecked Sendable {
    private var stored: T
    private let lock = NSLock()
    init(_ value: T) { stored = value }
    var value: T { lock.lock(); defer { lock.unlock() }; return stored }
    func set(_ value: T) { update { $0 = value } }
    func update(_ body: (inout T) -> Void) { lock.lock(); body(&stored); lock.unlock() }
}
