import Foundation
import Shared

/// The NNG edge of the search: one REP socket, `contexts` REP contexts each served by its own thread, all feeding
/// one `SearchMachine` under a lock. For every request: decode (strictly), step the machine, append its events to
/// the journal (before replying: write-ahead), print its log lines, reply. A tick thread lapses leases.
public final class SearchServer: @unchecked Sendable {
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
    public private(set) var resultOverheads: [Double] = []
    public var recordOverheads = false
    /// How long to keep answering after the search finished, so workers learn it is over.
    public var lingerSeconds: Double = 2

    public init(machine: SearchMachine, journal: JournalWriter, listen url: String, contexts: Int = 8,
                log: @escaping @Sendable (String) -> Void, onFinish: @escaping @Sendable (SearchState) -> Void) throws {
        socket = try NNGSocket(.reply)
        // Bounded by our own protocol limit: NNG drops anything larger before it reaches Swift.
        try socket.setSize(NNGOption.receiveMaxSize, bytes: WireLimits.maxMessageBytes)
        try socket.listen(url)
        self.machine = machine
        self.journal = journal
        self.log = log
        self.onFinish = onFinish
        self.contexts = contexts
    }

    /// Serves until the search has finished (plus `lingerSeconds`) or `stop()` is called.
    public func run() throws {
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

    public func stop() {
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
    public var state: SearchState {
        lock.lock()
        defer { lock.unlock() }
        return machine.state
    }

    private func serve(_ context: NNGContext) {
        while !isStopped {
            let request: Data
            do { request = try context.receive(timeout: 250) } catch {
                if error.isClosed { return }
                continue  // timeout: check `stopped` again
            }
            let started = Self.now()
            let reply: WireMessage
            do {
                let message = try Envelope.decode(request)
                reply = step { $0.handle(message, now: Self.now()) } ?? .refusal(Refusal(reason: .malformed,
                                                                                         detail: "server stopping"))
                if recordOverheads, case .result = message {
                    let encoded = Envelope.encodeData(reply)
                    lock.lock(); resultOverheads.append(Self.now() - started); lock.unlock()
                    try? context.reply(encoded)
                    continue
                }
            } catch {
                // A client speaking garbage is answered and logged; the others are unaffected.
                let reason: Refusal.Reason = if case .unsupportedVersion = error.problem { .unsupportedVersion } else { .malformed }
                log("refused a request: \(error)")
                reply = .refusal(Refusal(reason: reason, detail: error.description))
            }
            try? context.reply(Envelope.encodeData(reply))
        }
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
