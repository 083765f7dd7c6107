import Dispatch
// ServeLoop: the worker's NNG edge. Performs `ServeMachine`'s actions over one REQ socket, and
// `HeartbeatMachine`'s on a second one while a job runs (so a long evaluation never blocks them); SIGTERM becomes a
// goodbye. The `serve` command (CLI) builds the link and the fitness function and hands them here.
import Fitness
import Foundation
import Shared

/// How a worker reaches its coordinator: address, authenticator (cluster secret), TLS, reply timeout.
package struct ServeLink: Sendable {
    package let address: String
    package let authenticator: MessageAuthenticator
    package let tls: NNGTLS.Client?
    package let replyTimeoutMilliseconds: Int32

    /// A REQ socket for our protocol: no automatic resend (it would hand one job to two workers), replies bounded
    /// by the protocol's size limit, a receive timeout so a vanished coordinator is noticed (NNG keeps redialling).
    package func requestSocket() throws -> NNGSocket {
        let socket = try NNGSocket(.request)
        try socket.setDuration(NNGOption.requestResendTime, milliseconds: NNGOption.infinite)
        try socket.setSize(NNGOption.receiveMaxSize, bytes: WireLimits.maxMessageBytes)
        try socket.setDuration(NNGOption.receiveTimeout, milliseconds: replyTimeoutMilliseconds)
        try socket.setDuration(NNGOption.sendTimeout, milliseconds: replyTimeoutMilliseconds)
        try socket.setDuration(NNGOption.reconnectMin, milliseconds: 100)
        try socket.setDuration(NNGOption.reconnectMax, milliseconds: 5_000)
        try socket.dial(address, tls: tls)
        return socket
    }

    /// One request and its reply, both authenticated.
    package func ask(_ socket: NNGSocket, _ message: WireMessage) throws -> WireMessage {
        try socket.send(Envelope.encodeData(message, authenticator: authenticator))
        return try Envelope.decode(socket.receive(), authenticator: authenticator)
    }

    /// Memberwise, for the other worker modules (Swift's implicit one is internal).
    package init(address: String, authenticator: MessageAuthenticator, tls: NNGTLS.Client?, replyTimeoutMilliseconds: Int32) {
        self.address = address
        self.authenticator = authenticator
        self.tls = tls
        self.replyTimeoutMilliseconds = replyTimeoutMilliseconds
    }
}

/// Performs the machine's actions over NNG.
package final class ServeLoop {
    private var machine: ServeMachine
    private let fitness: FitnessFunction
    private let socket: NNGSocket
    private let link: ServeLink
    private let terminate = DispatchSemaphore(value: 0)
    private var terminateRequested = ManagedFlag()
    private var signalSource: DispatchSourceSignal?

    package init(link: ServeLink, hello: WorkerHello, fitness: FitnessFunction) throws {
        machine = ServeMachine(hello: hello)
        self.fitness = fitness
        self.link = link
        socket = try link.requestSocket()
    }

    package func run() throws -> Int32 {
        signal(SIGTERM, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        source.setEventHandler { [terminateRequested] in terminateRequested.set() }
        source.resume()
        signalSource = source

        var actions = machine.start()
        var terminationSeen = false
        while true {
            if terminateRequested.isSet && !terminationSeen {
                terminationSeen = true
                actions += machine.handle(.terminate)
            }
            guard !actions.isEmpty else { return 0 }
            let action = actions.removeFirst()
            switch action {
            case .log(let line):
                FileHandle.standardError.write(Data("[\(machine.workerID)] \(line)\n".utf8))
            case .sleep(let ms):
                Thread.sleep(forTimeInterval: Double(ms) / 1000)
            case .exit(let code):
                return code
            case .send(let message):
                do {
                    actions += machine.handle(.reply(try link.ask(socket, message)))
                } catch let error as ProtocolError {
                    if case .authentication = error.problem {
                        // Resending cannot help: the secrets differ (or someone is injecting replies).
                        FileHandle.standardError.write(Data(("[\(machine.workerID)] the coordinator's reply failed "
                            + "authentication (is the cluster secret the same on both sides?): \(error)\n").utf8))
                        return 3
                    }
                    actions += machine.handle(.transportFailed("\(error)"))
                } catch {
                    actions += machine.handle(.transportFailed("\(error)"))
                }
            case .evaluate(let job, let method):
                actions += machine.handle(evaluate(job, method))
            }
        }
    }

    /// Runs one evaluation with a heartbeat thread beside it.
    private func evaluate(_ job: Job, _ method: JobMethod) -> ServeMachine.Input {
        let progress = FitnessProgress()
        let workerID = machine.workerID
        let heartbeat = HeartbeatThread(link: link, workerID: workerID, jobID: job.jobID,
                                        interval: Double(machine.heartbeatSeconds),
                                        progress: progress, terminate: terminateRequested,
                                        log: { FileHandle.standardError.write(Data("[\(workerID)] \($0)\n".utf8)) })
        heartbeat.start()
        defer { heartbeat.stop() }
        do {
            let start = DispatchTime.now().uptimeNanoseconds
            let outcome = try fitness.evaluate(job.request, method: method, abortThresholds: job.abortThresholds,
                                               screenPerplexity: job.screenPerplexity, race: job.race,
                                               progress: progress)
            let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            return .evaluated(JobResult(jobID: job.jobID, workerID: machine.workerID,
                                        status: outcome.status,
                                        perplexity: outcome.perplexity, maskFingerprint: outcome.maskFingerprint,
                                        layerSparsity: outcome.layerSparsity,
                                        stageTimes: StageTime.withOverhead(outcome.stageTimes, wall: wall),
                                        divergence: outcome.divergence, windowLoss: outcome.windowLoss))
        } catch is FitnessCancelled {
            return .abandoned(jobID: job.jobID)
        } catch {
            return .evaluated(JobResult(jobID: job.jobID, workerID: machine.workerID,
                                        status: .failed(reason: "\(error)"), perplexity: .nan, maskFingerprint: 0))
        }
    }
}

/// A set-once flag shared with the signal handler.
package final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLockLike()
    private var value = false
    package func set() { lock.with { value = true } }
    package var isSet: Bool { lock.with { value } }
}

/// Performs `HeartbeatMachine`'s actions while a job runs, on its own REQ socket (opened lazily, reopened after a
/// send error or an unreadable reply): ticks it every 100 ms, sends what it says, reports each outcome. A lost lease
/// or SIGTERM asks the evaluation to stop; a perplexity the coordinator already knows for the masks is handed to it.
final class HeartbeatThread: @unchecked Sendable {
    private let link: ServeLink, workerID: String, jobID: UInt64
    private let interval: Double
    private let progress: FitnessProgress
    private let terminate: ManagedFlag
    private let log: @Sendable (String) -> Void
    private let running = ManagedFlag()  // set = stop requested
    private var thread: Thread?

    /// `interval`: the coordinator's heartbeat period (from its welcome).
    init(link: ServeLink, workerID: String, jobID: UInt64, interval: Double, progress: FitnessProgress,
         terminate: ManagedFlag, log: @escaping @Sendable (String) -> Void) {
        self.link = link; self.workerID = workerID; self.jobID = jobID; self.interval = interval
        self.progress = progress; self.terminate = terminate; self.log = log
    }

    func start() {
        let thread = Thread { [self] in loop() }
        self.thread = thread
        thread.start()
    }

    func stop() { running.set() }

    private static func now() -> Double { Date().timeIntervalSince1970 }

    private func loop() {
        var machine = HeartbeatMachine(workerID: workerID, jobID: jobID, intervalSeconds: interval, now: Self.now())
        var socket: NNGSocket?
        defer {
            socket?.close()
            perform(machine.handle(.finished(now: Self.now())), &machine, &socket)
        }
        while !running.isSet {
            if terminate.isSet { progress.requestStop() }
            perform(machine.handle(.tick(now: Self.now(), fingerprint: progress.reportedFingerprint)), &machine, &socket)
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    private func perform(_ actions: [HeartbeatMachine.Action], _ machine: inout HeartbeatMachine,
                         _ socket: inout NNGSocket?) {
        var queue = actions
        while !queue.isEmpty {
            switch queue.removeFirst() {
            case .send(let beat): queue += machine.handle(exchange(beat, &socket))
            case .stopEvaluation: progress.requestStop()
            case .knownPerplexity(let known): progress.setKnownPerplexity(known)
            case .closeSocket: socket?.close(); socket = nil
            case .log(let line): log(line)
            }
        }
    }

    /// One heartbeat and its answer, every way it can fail named.
    private func exchange(_ beat: Heartbeat, _ socket: inout NNGSocket?) -> HeartbeatMachine.Input {
        if socket == nil {
            do { socket = try link.requestSocket() } catch {
                return .failed(.noSocket("\(error)"), now: Self.now())
            }
        }
        guard let open = socket else { return .failed(.noSocket("no socket"), now: Self.now()) }
        do { try open.send(Envelope.encodeData(.heartbeat(beat), authenticator: link.authenticator)) } catch {
            return .failed(.sendFailed("\(error)"), now: Self.now())
        }
        let reply: Data
        do { reply = try open.receive() } catch {
            return .failed(.noReply(error.isTimeout ? "no answer within the reply timeout" : "\(error)"), now: Self.now())
        }
        do { return .replied(try Envelope.decode(reply, authenticator: link.authenticator), now: Self.now()) } catch {
            return .failed(.badReply("\(error)"), now: Self.now())
        }
    }
}
