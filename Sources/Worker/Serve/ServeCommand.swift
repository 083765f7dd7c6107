import ArgumentParser
import Foundation
import Shared

/// `serve`: the worker's NNG edge. Loads the bundle once, then performs `ServeMachine`'s actions: one REQ socket
/// for the protocol, a second for `HeartbeatMachine`'s heartbeats while a job runs (so a long evaluation never
/// blocks them), SIGTERM turned into a goodbye.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Evaluate metrics for a coordinator: dial it, ask for jobs, return perplexities until told to stop.")

    @Option(help: "Coordinator address, e.g. tcp://head:47200.") var connect: String
    @Option(help: "Calibrated bundle directory (from `calibrate`).") var bundle: String
    @Option(help: "Model directory, when it is not where the bundle's manifest says (checked against its hashes).")
    var model: String?
    @Option(help: "Compute threads (default: all cores).") var threads: Int?
    @Option(help: "Worker id (default: host-pid).") var id: String?
    @Option(help: "File holding the cluster secret (mode 600); else $PRUNERZERO_SECRET.") var secretFile: String?
    @Option(help: "CA certificate (PEM) to verify a tls+tcp:// coordinator with.") var tlsCa: String?
    @Option(help: "Name the coordinator's certificate must carry (default: the address's host).")
    var tlsServerName: String?
    @Option(help: "Seconds to wait for the coordinator's reply before resending.") var replyTimeout: Double = 30
    @Flag(help: .hidden) var exitWithParent = false

    /// Workers spawned by `search --spawn-workers` must not outlive a coordinator killed with -9 (which cannot
    /// terminate them): when the parent goes away (we are re-parented), the coordinator we serve is gone, so there
    /// is nobody to say goodbye to and nothing of ours to save: exit at once (a resumed search spawns its own).
    static func terminateWhenOrphaned() {
        let parent = getppid()
        Thread.detachNewThread {
            while getppid() == parent { Thread.sleep(forTimeInterval: 1) }
            FileHandle.standardError.write(Data("prunerzero-worker serve: the coordinator that started us is gone; exiting\n".utf8))
            Foundation.exit(0)
        }
    }

    func validate() throws {
        if connect.hasPrefix("tls+") && tlsCa == nil { throw ValidationError("\(connect) needs --tls-ca FILE") }
        if tlsCa != nil && !connect.hasPrefix("tls+") { throw ValidationError("--tls-ca needs a tls+tcp:// address") }
        guard replyTimeout >= 1 else { throw ValidationError("--reply-timeout must be at least 1 s") }
    }

    func run() throws {
        if exitWithParent { Self.terminateWhenOrphaned() }
        let secret: [UInt8]?
        do { secret = try ClusterSecret.load(file: secretFile) } catch {
            FileHandle.standardError.write(Data("prunerzero-worker serve: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let link = ServeLink(address: connect, authenticator: ClusterSecret.authenticator(secret),
                             tls: tlsCa.map { NNGTLS.Client(caFile: $0, serverName: tlsServerName) },
                             replyTimeoutMilliseconds: Int32(replyTimeout * 1000))
        let fitness: FitnessFunction
        do {
            guard let made = try FitnessFunctions.make(bundle: bundle, model: model, threads: threads) else {
                throw CleanExit.message("no fitness function for \(bundle)")
            }
            fitness = made
        } catch let error as CleanExit {
            throw error
        } catch {
            FileHandle.standardError.write(Data("prunerzero-worker serve: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let host = ProcessInfo.processInfo.hostName
        let hello = WorkerHello(
            workerID: id ?? "\(host)-\(ProcessInfo.processInfo.processIdentifier)", host: host,
            cores: UInt32(Parallel.usableCPUs),
            memoryBytes: ProcessInfo.processInfo.physicalMemory, bundleIdentity: fitness.bundleIdentity, speed: 1,
            fitnessBound: fitness.fitnessBound)
        let code = try ServeLoop(link: link, hello: hello, fitness: fitness).run()
        if code != 0 { throw ExitCode(code) }
    }
}

/// How a worker reaches its coordinator: address, authenticator (cluster secret), TLS, reply timeout.
struct ServeLink: Sendable {
    let address: String
    let authenticator: MessageAuthenticator
    let tls: NNGTLS.Client?
    let replyTimeoutMilliseconds: Int32

    /// A REQ socket for our protocol: no automatic resend (it would hand one job to two workers), replies bounded
    /// by the protocol's size limit, a receive timeout so a vanished coordinator is noticed (NNG keeps redialling).
    func requestSocket() throws -> NNGSocket {
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
    func ask(_ socket: NNGSocket, _ message: WireMessage) throws -> WireMessage {
        try socket.send(Envelope.encodeData(message, authenticator: authenticator))
        return try Envelope.decode(socket.receive(), authenticator: authenticator)
    }
}

/// Performs the machine's actions over NNG.
final class ServeLoop {
    private var machine: ServeMachine
    private let fitness: FitnessFunction
    private let socket: NNGSocket
    private let link: ServeLink
    private let terminate = DispatchSemaphore(value: 0)
    private var terminateRequested = ManagedFlag()
    private var signalSource: DispatchSourceSignal?

    init(link: ServeLink, hello: WorkerHello, fitness: FitnessFunction) throws {
        machine = ServeMachine(hello: hello)
        self.fitness = fitness
        self.link = link
        socket = try link.requestSocket()
    }

    func run() throws -> Int32 {
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
            case .evaluate(let job, let metric):
                actions += machine.handle(evaluate(job, metric))
            }
        }
    }

    /// Runs one evaluation with a heartbeat thread beside it.
    private func evaluate(_ job: Job, _ metric: MetricExpression) -> ServeMachine.Input {
        let progress = FitnessProgress()
        let workerID = machine.workerID
        let heartbeat = HeartbeatThread(link: link, workerID: workerID, jobID: job.jobID,
                                        interval: Double(machine.heartbeatSeconds),
                                        progress: progress, terminate: terminateRequested,
                                        log: { FileHandle.standardError.write(Data("[\(workerID)] \($0)\n".utf8)) })
        heartbeat.start()
        defer { heartbeat.stop() }
        do {
            let outcome = try fitness.evaluate(job.request, metric: metric, progress: progress)
            return .evaluated(JobResult(jobID: job.jobID, workerID: machine.workerID, status: .ok,
                                        perplexity: outcome.perplexity, maskFingerprint: outcome.maskFingerprint,
                                        layerSparsity: outcome.layerSparsity, stageTimes: outcome.stageTimes))
        } catch is FitnessCancelled {
            return .abandoned(jobID: job.jobID)
        } catch {
            return .evaluated(JobResult(jobID: job.jobID, workerID: machine.workerID,
                                        status: .failed(reason: "\(error)"), perplexity: .nan, maskFingerprint: 0))
        }
    }
}

/// A set-once flag shared with the signal handler.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLockLike()
    private var value = false
    func set() { lock.with { value = true } }
    var isSet: Bool { lock.with { value } }
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
