import ArgumentParser
import Foundation
import Search
import Shared

/// `search`: runs (or resumes) a search, serving workers over NNG until the budget is spent, then writes the report.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Evolve pruning metrics with workers that dial in (or are spawned here).",
        discussion: """
            New run:  search --bundle DIR --run-dir DIR --budget N --seed S [--spawn-workers K] [--population P]
                             [--sparsity 0.5 --type unstructured|2:4] [--listen ADDR]   (or --config FILE)
            Resume:   search --resume --run-dir DIR [--spawn-workers K] [--bundle DIR]
            The run directory holds events.jsonl (the journal), search.log and the report. The journal records the
            bundle's identity, its path and the spawned worker count, so a resume restarts the same local workers;
            --bundle on resume must have the journal's identity (a moved bundle).
            Security: the cluster secret comes from --secret-file PATH (mode 600) or $PRUNERZERO_SECRET, never a flag;
            listening beyond loopback requires it. TLS: --tls-cert/--tls-key with a tls+tcp:// address.
            """)

    @Option(help: "Model bundle directory (its identity is required of every worker).") var bundle: String?
    @Option(help: "Run directory: journal, log and report.") var runDir: String
    @Option(help: "Evaluations (cheap and full) to spend.") var budget: Int?
    @Option(help: "Seed of every random choice.") var seed: UInt64?
    @Option(help: "Local worker processes to start (prunerzero-worker serve; default 0, on --resume as recorded).")
    var spawnWorkers: Int?
    @Option(help: "Population size.") var population: Int?
    @Option(help: "Fraction of each row pruned (unstructured).") var sparsity: Double?
    @Option(help: "Sparsity type: unstructured or N:M (e.g. 2:4).") var type: String?
    @Option(help: "NNG address to listen on (default tcp://127.0.0.1:47200).") var listen: String?
    @Option(help: "steady-state (default) or generational.") var mode: String?
    @Option(name: .customLong("x-mode"),
            help: "X during fitness: sequential (the reference's, exact) or static (the bundle's dense X, faster).")
    var xMode: String?
    @Option(help: ArgumentHelp(
        "Sparsity per decoder block: uniform (default), owl (M 5, λ 0.08) or owl:M,LAMBDA (unstructured only).",
        discussion: "OWL (Yin et al. 2024) gives blocks with more outlier Wanda scores less sparsity, the mean kept at the target."))
    var layerSparsity: String?
    @Option(help: "Generations after the initial one (generational mode).") var generations: Int?
    @Option(help: "Stop dispatching after this many seconds.") var wallSeconds: Double?
    @Option(help: ArgumentHelp(
        "|Δ ln perplexity| within which two fitnesses are one result (default: the workers' fitness bound).",
        discussion: "Ties are ranked by canonical formula. Below the bound, a mixed cluster's ranking may depend on which worker measured what."))
    var tieWidth: Double?
    @Option(help: ArgumentHelp(
        "Stop a cheap screen early by depth: on or off (default off).",
        discussion: "After each block the pruned cheap windows are compared with the dense model's; a child further from it than every screen that would be promoted, by --abort-margin, stops there (README, \"Early termination by depth\")."))
    var earlyAbort: String?
    @Option(help: "Early abort: multiplicative margin over the keep set's divergence at each block (default 1.5).")
    var abortMargin: Double?
    @Option(help: "Early abort: completed cheap screens needed before any child is stopped (default 16).")
    var abortWarmup: Int?
    @Option(help: ArgumentHelp(
        "Fitness windows a cheap screen runs (the first ones; default a quarter of the bundle's).",
        discussion: "Fewer make screens cheaper and noisier, so they change which children are promoted."))
    var screenWindows: Int?
    @Option(help: "Masks compare values per output row (default) or per layer (the whole matrix; unstructured only).")
    var group: String?
    @Option(help: "Operators of random trees and mutations: all (default: the paper's plus rown, coln) or paper.")
    var operators: String?
    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "Also run SparseGPT as a reference line (default off; --no-... overrides a config file's true).",
        discussion: "Same sparsity, allocation and windows; it updates weights, so it is reported beside the metrics, outside the budget and the population."))
    var sparsegptReference: Bool?
    @Option(help: "JSON configuration file; flags override its fields.") var config: String?
    // A flag with a row in `SearchSetting.all` (SearchSettings.swift) is also a config-file key; the rest are
    // about this process only (run directory, workers, security).
    @Flag(help: "Continue the run in --run-dir from its journal.") var resume = false
    @Option(help: "File holding the cluster secret (mode 600); else $PRUNERZERO_SECRET.") var secretFile: String?
    @Option(help: "TLS certificate (PEM) for a tls+tcp:// address.") var tlsCert: String?
    @Option(help: "TLS private key (PEM, unencrypted) for --tls-cert.") var tlsKey: String?
    @Option(help: "CA file given to spawned workers with TLS (default: --tls-cert, when self-signed).") var tlsCa: String?
    @Option(help: "Open connections kept at most (each worker holds two).") var maxConnections: Int = 1_024

    func validate() throws {
        if resume {
            // The journal defines the run: a flag for one of its settings would be silently ignored, so it is
            // refused. The rows that `overridesJournal` (--bundle: where the bundle is now, its identity checked;
            // --listen: where this process listens now) go with it.
            let given = SearchSetting.all.filter { !$0.overridesJournal && $0.isGiven(self) }.map(\.flagName)
                + (config == nil ? [] : ["--config"])
            guard given.isEmpty else {
                throw ValidationError("--resume takes its configuration from the journal: drop "
                                      + given.joined(separator: ", "))
            }
        } else if bundle == nil && config == nil {
            throw ValidationError("give --bundle DIR (or --config FILE), or --resume")
        }
        guard (0...256).contains(spawnWorkers ?? 0) else { throw ValidationError("--spawn-workers must be 0…256") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard maxConnections >= 2 else { throw ValidationError("--max-connections must be at least 2") }
    }

    /// The secret (file or environment), TLS files and connection cap; refuses a non-loopback address without a
    /// secret, and TLS files with a plain address (or the reverse), saying why.
    private func makeSecurity(listening address: String, secret: [UInt8]?) throws -> ServerSecurity {
        if let why = ListenPolicy.refusal(listen: address, hasSecret: secret != nil) { throw ValidationError(why) }
        let isTLS = address.hasPrefix("tls+")
        if isTLS != (tlsCert != nil) {
            throw ValidationError(isTLS ? "\(address) needs --tls-cert and --tls-key"
                                        : "--tls-cert needs a tls+tcp:// address (not \(address))")
        }
        let tls = tlsCert.map { NNGTLS.Server(certificateFile: $0, keyFile: tlsKey ?? "") }
        return ServerSecurity(authenticator: ClusterSecret.authenticator(secret), tls: tls,
                              maxConnections: maxConnections)
    }

    func run() throws {
        // The secret first: a badly protected file stops the run before anything is written.
        let secret: [UInt8]?
        do { secret = try ClusterSecret.load(file: secretFile) } catch { throw ValidationError("\(error)") }
        let runURL = URL(fileURLWithPath: runDir)
        try FileManager.default.createDirectory(at: runURL, withIntermediateDirectories: true)
        let journalURL = runURL.appendingPathComponent("events.jsonl")
        let log = try RunLog(url: runURL.appendingPathComponent("search.log"))
        let now = Date().timeIntervalSince1970

        let machine: SearchMachine, output: SearchOutput, launch: ResumeLaunch
        if resume {
            let (events, warning) = try JournalReader.read(url: journalURL)
            if let warning { log.line(warning) }
            let given = bundle.map(Self.absolute)
            (machine, output) = try SearchMachine.resume(journal: events, now: now,
                                                         launch: .init(bundlePath: given, spawnWorkers: spawnWorkers))
            if machine.state.phase == .finished {
                output.log.forEach(log.line)
                try SearchReport(state: machine.state, now: now).write(to: runURL)
                log.line("this search has already finished; report rewritten")
                return
            }
            do {
                launch = try ResumeLaunch.choose(
                    identity: machine.state.config.bundleIdentity, recorded: machine.state.launch, bundle: given,
                    spawnWorkers: spawnWorkers,
                    identityOf: { try BundleIdentity.of(directory: URL(fileURLWithPath: $0)) })
            } catch { throw ValidationError(error.description) }
            if launch.spawnWorkers > 0, let path = launch.bundlePath {
                log.line("spawning \(launch.spawnWorkers) workers on bundle \(path)"
                    + (given == nil ? " (as the journal records)" : ""))
            }
        } else {
            if FileManager.default.fileExists(atPath: journalURL.path) {
                throw ValidationError("\(journalURL.path) exists: use --resume, or another --run-dir")
            }
            let (config, bundleDir) = try makeConfig()
            let problems = config.problems()
            guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
            launch = ResumeLaunch(bundlePath: Self.absolute(bundleDir), spawnWorkers: spawnWorkers ?? 0)
            (machine, output) = SearchMachine.start(
                config: config, version: prunerZeroVersion, now: now,
                launch: .init(bundlePath: launch.bundlePath, spawnWorkers: launch.spawnWorkers))
        }
        let state = machine.state
        let address = listen ?? state.config.listen
        // Refused (no secret beyond loopback, TLS files without tls+tcp) before the journal exists.
        let security = try makeSecurity(listening: address, secret: secret)
        let journal = try JournalWriter(url: journalURL)
        try journal.append(output.events)
        output.log.forEach(log.line)
        let server = try SearchServer(machine: machine, journal: journal, listen: address, security: security,
                                      log: { log.line($0) }, onFinish: { state in
            do {
                let events = try? JournalReader.read(url: journalURL).events
                try SearchReport(state: state, now: Date().timeIntervalSince1970).write(to: runURL, events: events)
            } catch {
                log.line("cannot write the report: \(error)")
            }
        })
        let protection = (security.authenticator.isAuthenticating ? "HMAC-SHA256 with the cluster secret" : "no secret")
            + (security.tls != nil ? ", TLS" : "")
        log.line("listening on \(address) (\(protection)); bundle identity \(state.config.bundleIdentity)")
        var workerFlags: [String] = []
        if let secretFile { workerFlags += ["--secret-file", secretFile] }  // else the environment is inherited
        if let ca = tlsCa ?? tlsCert { workerFlags += ["--tls-ca", ca] }
        let spawned = try WorkerSpawner(count: launch.spawnWorkers, connect: address, bundle: launch.bundlePath,
                                        extra: workerFlags)
        defer { spawned.terminate() }
        // SIGTERM (systemd stop, Slurm's scancel and time limit) and SIGINT stop serving cleanly: spawned workers
        // are told to leave (and say goodbye, abandoning their jobs), the journal is synchronised; `--resume`
        // continues.
        let signals = [SIGTERM, SIGINT].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [server] in
                log.line("signal \(number): stopping; continue with --resume --run-dir \(runDir)")
                spawned.terminate()  // while we still answer their goodbyes
                server.stop()
            }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        try server.run()
        if server.state.phase == .finished {
            log.line("report: \(runURL.appendingPathComponent("report.md").path)")
        }
    }

    /// `path` made absolute against the working directory, as recorded in the journal.
    static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    /// The configuration of a new search and the bundle directory it names: the settings table
    /// (SearchSettings.swift) over the flags and the `--config` file, then the bundle's identity and the sparsity.
    private func makeConfig() throws -> (SearchConfig, bundleDir: String) {
        var setup = try settings(file: config.map { try SearchFile.read(path: $0) } ?? SearchFile())
        guard let bundleDir = setup.bundleDir else { throw ValidationError("no bundle given") }
        setup.config.bundleIdentity = try BundleIdentity.of(directory: URL(fileURLWithPath: bundleDir))
        // Finalists are ranked on windows the search never scored: validation when the bundle has them.
        let sets = try BundleWindowSets.of(directory: URL(fileURLWithPath: bundleDir))
        setup.config.finalRanking = sets.contains(.validation) ? .validation : .test
        let draws = BundleWindowSets.validationDrawSeeds(directory: URL(fileURLWithPath: bundleDir))
        if setup.config.finalRanking == .validation, !draws.isEmpty { setup.config.validationDraws = draws }
        if let k = setup.config.screenWindows, let n = BundleWindowSets.fitnessWindows(directory: URL(fileURLWithPath: bundleDir)),
           k > n {
            throw ValidationError("--screen-windows \(k) exceeds the bundle's \(n) fitness windows")
        }
        setup.config.sparsity = try SparsitySpec(type: setup.sparsityType, ratio: setup.sparsityRatio)
        return (setup.config, bundleDir)
    }
}

/// The person-facing log: stdout and `search.log`, one timestamped line each.
final class RunLog: @unchecked Sendable {
    // @unchecked: `handle` is written under `lock`.
    private let handle: FileHandle
    private let lock = NSLock()
    private let formatter: DateFormatter

    init(url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    }

    func line(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        let stamped = "\(formatter.string(from: Date())) \(text)\n"
        FileHandle.standardOutput.write(Data(stamped.utf8))
        try? handle.write(contentsOf: Data(stamped.utf8))
    }
}

/// Local worker processes (`--spawn-workers`): the same `prunerzero-worker serve` a cluster node runs, found next
/// to this executable, terminated (SIGTERM, so they say goodbye) when the search ends.
struct WorkerSpawner {
    private let processes: [Process]

    init(count: Int, connect: String, bundle: String?, extra: [String] = []) throws {
        guard count > 0 else { processes = []; return }
        guard let bundle else { throw ValidationError("--spawn-workers needs --bundle") }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("prunerzero-worker")
        // Share the cores: K workers on C cores get ⌈C/K⌉ BLAS threads each, not C each.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let threads = max(1, (cores + count - 1) / count)
        processes = try (0..<count).map { _ in
            let process = Process()
            process.executableURL = executable
            process.arguments = ["serve", "--connect", connect, "--bundle", bundle, "--threads", "\(threads)", "--exit-with-parent"] + extra
            try process.run()
            return process
        }
    }

    func terminate() {
        for process in processes where process.isRunning { process.terminate() }
        for process in processes { process.waitUntilExit() }
    }
}
