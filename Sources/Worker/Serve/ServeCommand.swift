import ArgumentParser
import Foundation
import Shared

/// `serve`: the worker's NNG edge. Loads the bundle once, then performs `ServeMachine`'s actions: one REQ socket
/// for the protocol, a second for heartbeats while a job runs (so a long evaluation never blocks them), SIGTERM
/// turned into a goodbye.
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

    func run() throws {
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
            cores: UInt32(ProcessInfo.processInfo.activeProcessorCount),
            memoryBytes: ProcessInfo.processInfo.physicalMemory, bundleIdentity: fitness.bundleIdentity, speed: 1)
        let code = try ServeLoop(address: connect, hello: hello, fitness: fitness).run()
        if code != 0 { throw ExitCode(code) }
    }
}

/// Performs the machine's actions over NNG.
final class ServeLoop {
    private var machine: ServeMachine
    private let fitness: FitnessFunction
    private let socket: NNGSocket
    private let address: String
    private let terminate = DispatchSemaphore(value: 0)
    private var terminateRequested = ManagedFlag()
    private var signalSource: DispatchSourceSignal?

    init(address: String, hello: WorkerHello, fitness: FitnessFunction) throws {
        machine = ServeMachine(hello: hello)
        self.fitness = fitness
        self.address = address
        socket = try Self.requestSocket(address)
    }

    /// A REQ socket for our protocol: no automatic resend (it would hand one job to two workers), replies bounded
    /// by the protocol's size limit, a receive timeout so a vanished coordinator is noticed (NNG keeps redialling).
    static func requestSocket(_ address: String) throws -> NNGSocket {
        let socket = try NNGSocket(.request)
        try socket.setDuration(NNGOption.requestResendTime, milliseconds: NNGOption.infinite)
        try socket.setSize(NNGOption.receiveMaxSize, bytes: WireLimits.maxMessageBytes)
        try socket.setDuration(NNGOption.receiveTimeout, milliseconds: 30_000)
        try socket.setDuration(NNGOption.sendTimeout, milliseconds: 30_000)
        try socket.setDuration(NNGOption.reconnectMin, milliseconds: 100)
        try socket.setDuration(NNGOption.reconnectMax, milliseconds: 5_000)
        try socket.dial(address)
        return socket
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
                    try socket.send(Envelope.encodeData(message))
                    let reply = try Envelope.decode(socket.receive())
                    actions += machine.handle(.reply(reply))
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
        let heartbeat = HeartbeatThread(address: address, workerID: machine.workerID, jobID: job.jobID,
                                        progress: progress, terminate: terminateRequested)
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

/// Sends heartbeats on its own REQ socket every few seconds while a job runs; a lost lease or SIGTERM asks the
/// evaluation to stop; a perplexity the coordinator already knows for the reported masks is handed to it.
final class HeartbeatThread: @unchecked Sendable {
    private let address: String, workerID: String, jobID: UInt64
    private let progress: FitnessProgress
    private let terminate: ManagedFlag
    private let running = ManagedFlag()  // set = stop requested
    private var thread: Thread?
    static let interval = 5.0

    init(address: String, workerID: String, jobID: UInt64, progress: FitnessProgress, terminate: ManagedFlag) {
        self.address = address; self.workerID = workerID; self.jobID = jobID
        self.progress = progress; self.terminate = terminate
    }

    func start() {
        let thread = Thread { [self] in loop() }
        self.thread = thread
        thread.start()
    }

    func stop() { running.set() }

    private func loop() {
        guard let socket = try? ServeLoop.requestSocket(address) else { return }
        defer { socket.close() }
        var last = Date.distantPast
        while !running.isSet {
            if terminate.isSet { progress.requestStop() }
            if Date().timeIntervalSince(last) >= Self.interval {
                last = Date()
                let beat = Heartbeat(workerID: workerID, jobID: jobID, maskFingerprint: progress.reportedFingerprint)
                if (try? socket.send(Envelope.encodeData(.heartbeat(beat)))) != nil,
                   let data = try? socket.receive(), case .heartbeatAck(let ack)? = try? Envelope.decode(data) {
                    if !ack.leaseValid { progress.requestStop() }
                    if let known = ack.knownPerplexity { progress.setKnownPerplexity(known) }
                }
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }
}
