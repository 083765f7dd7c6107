import Foundation
import Shared

/// The NNG edge of the search: one REP socket, `contexts` REP contexts each served by its own thread, all feeding
/// one `SearchMachine` under a lock. For every request: decode (strictly), step the machine, append its events to
/// the journal (before replying: write-ahead), print its log lines, reply. A tick thread lapses leases.
///
/// Hostile input: every message is authenticated when `security` has a secret (checked before its body is decoded);
/// a message that fails to authenticate or decode is answered with a refusal, logged with the peer's address, and
/// its connection dropped; the other connections are unaffected. Connections are capped (`maxConnections`).
package final class SearchServer: @unchecked Sendable {
    // @unchecked: `machine`, `overheads` and `stopped` are only touched under `lock`.
    private let socket: NNGSocket
    private let lock = NSLock()
    private var machine: SearchMachine
    private let journal: JournalWriter
    private let log: @Sendable (String) -> Void
    private let onFinish: @Sendable (SearchState) -> Void
    private let contexts: Int
    private var stopped = false
    private var finishedAt: Double?
    /// Seconds the coordinator spent per result message (decode → machine → journal → encode), for the benchmark.
    package private(set) var resultOverheads: [Double] = []
    package var recordOverheads = false
    /// How long to keep answering after the search finished, so workers learn it is over.
    package var lingerSeconds: Double = 2

    private let security: ServerSecurity
    /// Refused requests and dropped connections are logged at most 20 a minute each (then counted).
    private let refusalLog = LogThrottle()

    package init(machine: SearchMachine, journal: JournalWriter, listen url: String, contexts: Int = 8,
                security: ServerSecurity = ServerSecurity(),
                log: @escaping @Sendable (String) -> Void, onFinish: @escaping @Sendable (SearchState) -> Void) throws {
        if let why = ListenPolicy.refusal(listen: url, hasSecret: security.authenticator.isAuthenticating) {
            throw ServerSetupError(description: why)
        }
        self.security = security
        socket = try NNGSocket(.reply)
        // Twice our protocol's limit: a message up to that size reaches the decoder, which refuses it by name and
        // logs it; anything larger NNG drops (closing that connection) before it is buffered whole.
        try socket.setSize(NNGOption.receiveMaxSize, bytes: 2 * WireLimits.maxMessageBytes)
        let connectionLog = LogThrottle()
        try socket.limitConnections(to: security.maxConnections, log: { line in
            connectionLog.admit(line, now: Self.now()).forEach(log)
        })
        try socket.listen(url, tls: security.tls)
        self.machine = machine
        self.journal = journal
        self.log = log
        self.onFinish = onFinish
        self.contexts = contexts
    }

    /// Serves until the search has finished (plus `lingerSeconds`) or `stop()` is called.
    package func run() throws {
        var threads: [Thread] = []
        let done = DispatchGroup()
        for _ in 0..<contexts {
            let context = try NNGContext(socket)
            done.enter()
            let thread = Thread { [self] in
                serve(context)
                done.leave()
            }
            threads.append(thread)
            thread.start()
        }
        while !isStopped {
            Thread.sleep(forTimeInterval: 0.2)
            _ = step { $0.tick(now: Self.now()) }
            lock.lock()
            if let finishedAt, Self.now() - finishedAt > lingerSeconds { stopped = true }
            lock.unlock()
        }
        socket.close()
        done.wait()
        journal.synchronize()
    }

    package func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    /// A snapshot of the state (for status and tests).
    package var state: SearchState {
        lock.lock()
        defer { lock.unlock() }
        return machine.state
    }

    private func serve(_ context: NNGContext) {
        let authenticator = security.authenticator
        while !isStopped {
            let request: Data, pipe: NNGPipe
            // No timeout: `run` closes the socket to stop us (the receive then fails as closed). A polling timeout
            // made every context's aio expire 4 times a second, each a cancellation in NNG's expire thread, and
            // NNG 1.5.2 (Debian's) aborted in that thread twice in our test runs (SIGABRT in "nng:aio:expire").
            do { (request, pipe) = try context.receiveFrom() } catch {
                if error.isClosed { return }
                continue
            }
            let started = Self.now()
            let reply: WireMessage
            do {
                let message = try Envelope.decode(request, authenticator: authenticator)
                // Stopping (signal, or the journal failed): no answer at all. A refusal would make the worker give
                // up; unanswered, it resends after its reply timeout, to the coordinator that resumes this search.
                guard let answer = step({ $0.handle(message, now: Self.now(), received: started) }) else { continue }
                reply = answer
                if recordOverheads, case .result = message {
                    let encoded = Envelope.encodeData(reply, authenticator: authenticator)
                    lock.lock(); resultOverheads.append(Self.now() - started); lock.unlock()
                    try? context.reply(encoded)
                    continue
                }
            } catch {
                // A client speaking garbage (or without our secret) is answered, logged and dropped; the others
                // are unaffected.
                let refusal = Self.refusal(for: error)
                refusalLog.admit("refused a request from \(pipe.remoteAddress) and dropped it: \(error)", now: started)
                    .forEach(log)
                try? context.reply(Envelope.encodeData(.refusal(refusal), authenticator: authenticator))
                // Closing at once could discard the queued refusal; a moment later the peer has it.
                DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { pipe.close() }
                continue
            }
            try? context.reply(Envelope.encodeData(reply, authenticator: authenticator))
        }
    }

    static func refusal(for error: ProtocolError) -> Refusal {
        let reason: Refusal.Reason
        switch error.problem {
        case .unsupportedVersion: reason = .unsupportedVersion
        case .authentication: reason = .unauthenticated
        default: reason = .malformed
        }
        return Refusal(reason: reason, detail: error.description)
    }

    /// Runs one machine step under the lock; journals (write-ahead), logs, and reports the end.
    private func step(_ body: (inout SearchMachine) -> SearchOutput) -> WireMessage? {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return nil }
        let output = body(&machine)
        do {
            try journal.append(output.events)
        } catch {
            // Without a journal no result is durable: stop rather than run on and lose work at the next crash.
            log("cannot write the journal (\(error)); stopping")
            stopped = true
            return nil
        }
        for line in output.log { log(line) }
        if output.finished {
            journal.synchronize()
            finishedAt = Self.now()
            onFinish(machine.state)
        }
        return output.reply
    }

    static func now() -> Double { Date().timeIntervalSince1970 }
}

/// How the coordinator's socket protects itself: the cluster secret's authenticator, optional TLS, a connection cap.
package struct ServerSecurity: Sendable {
    package var authenticator: MessageAuthenticator
    package var tls: NNGTLS.Server?
    /// Open connections kept at most (each worker holds two).
    package var maxConnections: Int

    package init(authenticator: MessageAuthenticator = Unauthenticated(), tls: NNGTLS.Server? = nil,
                maxConnections: Int = 1_024) {
        self.authenticator = authenticator
        self.tls = tls
        self.maxConnections = maxConnections
    }
}

/// A server that cannot start, in words.
struct ServerSetupError: Error, CustomStringConvertible {
    let description: String
}
