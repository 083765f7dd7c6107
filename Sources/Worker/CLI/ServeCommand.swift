import ArgumentParser
import Foundation
import Model
import Serve
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
