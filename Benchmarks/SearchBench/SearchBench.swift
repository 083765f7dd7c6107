import Foundation
import Search
import Shared

/// `swift run -c release prunerzero-search-bench [WORKERS] [EVALUATIONS]`: coordinator throughput over real NNG
/// (tcp loopback) with in-process load-generator workers that answer every job at once.
///
/// SYNTHETIC FITNESS: the perplexities below are a hash of the formula, not a measurement. They exist only in this
/// benchmark, to load the coordinator; no search result may ever come from them.
///
/// Reports results/s, the median coordinator overhead per result (decode → state machine → journal write →
/// encode, measured inside the server) and the median dispatch latency seen by a worker (result sent → next job
/// received, including NNG and loopback). With `PRUNERZERO_SECRET` set, every message carries the HMAC-SHA256
/// trailer both ways (what authentication costs).
@main
enum SearchBench {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
        let workers = arguments.count > 0 ? arguments[0] : 8
        let evaluations = arguments.count > 1 ? arguments[1] : 20_000
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pz-search-bench-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        var config = SearchConfig()
        config.searchID = "bench"
        config.bundleIdentity = "synthetic"
        config.budgetEvaluations = evaluations
        config.population = 64
        config.testTopK = 0
        config.seed = 1
        let (machine, output) = SearchMachine.start(config: config, version: prunerZeroVersion, now: Date().timeIntervalSince1970)
        let journal = try JournalWriter(url: directory.appendingPathComponent("events.jsonl"))
        try journal.append(output.events)
        let url = "tcp://127.0.0.1:\(Int.random(in: 30_000..<60_000))"
        let secret = try ClusterSecret.load(file: nil)
        let server = try SearchServer(machine: machine, journal: journal, listen: url, contexts: max(4, workers),
                                      security: ServerSecurity(authenticator: ClusterSecret.authenticator(secret)),
                                      log: { _ in }, onFinish: { _ in })
        server.recordOverheads = true
        server.lingerSeconds = 0.5
        let serving = Thread { try? server.run() }
        serving.start()

        print("prunerzero-search-bench \(prunerZeroVersion): \(workers) load-generator workers, budget \(evaluations) "
              + "evaluations, journal on disk, SYNTHETIC fitness"
              + (secret != nil ? ", HMAC-SHA256 on every message" : ", no secret"))
        let latencies = Latencies()
        let group = DispatchGroup()
        let started = Date()
        for index in 0..<workers {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    try loadGenerator(url: url, id: "load-\(index)", latencies: latencies,
                                      authenticator: ClusterSecret.authenticator(secret))
                } catch {
                    print("load generator \(index): \(error)")
                }
            }.start()
        }
        group.wait()
        let seconds = Date().timeIntervalSince(started)
        Thread.sleep(forTimeInterval: 1)
        let state = server.state
        let overheads = server.resultOverheads.sorted()
        let dispatch = latencies.sorted
        func median(_ v: [Double]) -> Double { v.isEmpty ? .nan : v[v.count / 2] }
        func p99(_ v: [Double]) -> Double { v.isEmpty ? .nan : v[min(v.count - 1, v.count * 99 / 100)] }
        print(String(format: "results accepted     %d in %.2f s  →  %.0f results/s (target ≥ 2000)",
                     state.evaluations, seconds, Double(state.evaluations) / seconds))
        print(String(format: "coordinator overhead median %.3f ms, p99 %.3f ms per result (target < 1 ms)",
                     median(overheads) * 1e3, p99(overheads) * 1e3))
        print(String(format: "dispatch latency     median %.3f ms, p99 %.3f ms (result sent → next job received)",
                     median(dispatch) * 1e3, p99(dispatch) * 1e3))
        print("individuals \(state.individuals.count), cache hits \(state.cacheHits.values.reduce(0, +)), "
              + "full evaluations saved \(state.savedFullEvaluations)")
    }

    /// A worker that answers every job immediately with the SYNTHETIC fitness.
    static func loadGenerator(url: String, id: String, latencies: Latencies,
                              authenticator: MessageAuthenticator) throws {
        let socket = try NNGSocket(.request)
        try socket.setDuration(NNGOption.requestResendTime, milliseconds: NNGOption.infinite)
        try socket.setDuration(NNGOption.receiveTimeout, milliseconds: 10_000)
        try socket.setSize(NNGOption.receiveMaxSize, bytes: WireLimits.maxMessageBytes)
        try socket.dial(url)
        func ask(_ message: WireMessage) throws -> WireMessage {
            try socket.send(Envelope.encodeData(message, authenticator: authenticator))
            return try Envelope.decode(socket.receive(), authenticator: authenticator)
        }
        var reply = try ask(.hello(WorkerHello(workerID: id, host: "bench", cores: 1, memoryBytes: 0,
                                               bundleIdentity: "synthetic", speed: 1)))
        reply = try ask(.jobRequest(JobRequest(workerID: id)))
        var local: [Double] = []
        while true {
            switch reply {
            case .job(let job):
                let result = JobResult(jobID: job.jobID, workerID: id, status: .ok,
                                       perplexity: syntheticPerplexity(job), maskFingerprint: 0)
                let sent = DispatchTime.now().uptimeNanoseconds
                reply = try ask(.result(result))
                local.append(Double(DispatchTime.now().uptimeNanoseconds - sent) / 1e9)
            case .wait(let wait):
                Thread.sleep(forTimeInterval: Double(wait.retryMilliseconds) / 10_000)
                reply = try ask(.jobRequest(JobRequest(workerID: id)))
            case .finished:
                _ = try? ask(.goodbye(Goodbye(workerID: id, reason: "bench over")))
                latencies.add(local)
                return
            default:
                latencies.add(local)
                return
            }
        }
    }

    /// SYNTHETIC: a hash of the formula mapped to 10…30. Not a perplexity of anything.
    static func syntheticPerplexity(_ job: Job) -> Double {
        var fnv = FNV1a()
        fnv.add(job.metricText.utf8)
        let hash = fnv.value
        return 10 + Double(hash % 20_000) / 1_000 + (job.request.windows == .cheap ? 0.5 : 0)
    }
}

final class Latencies: @unchecked Sendable {
    private var values: [Double] = []
    private let lock = NSLock()
    func add(_ v: [Double]) { lock.lock(); values += v; lock.unlock() }
    var sorted: [Double] { lock.lock(); defer { lock.unlock() }; return values.sorted() }
}
