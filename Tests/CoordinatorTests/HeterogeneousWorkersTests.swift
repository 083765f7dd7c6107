import TestSupport
import Foundation
import Testing
@testable import Search

/// One search on workers that differ in CPU numerics, against the same search on identical workers (README,
/// "Determinism"). The built coordinator (generational mode, fixed seed) and separately started worker processes
/// on the fixture bundle, over NNG on loopback. The heterogeneous run's three workers differ in OpenBLAS core type
/// (`OPENBLAS_CORETYPE`: a different sgemm summation order), kernel variant (`PRUNERZERO_KERNELS`: the baseline's
/// sgemm attention against the fused FMA one) and lane count (`--threads`); the homogeneous run's two workers
/// are alike.
///
/// What must be equal, and why:
/// - every birth (formula, parents, operator, generation), in order: generational mode breeds each generation at a
///   barrier from the survivors only, each child from its own RNG stream of the seed, so births depend on the
///   fitnesses only through the survivors' ranking and the tournaments, and the coordinator compares fitnesses
///   through `FitnessEquivalence`: values within the workers' bound are one tier, ordered by canonical formula.
///   The workers' spread (~1e-7 in ln perplexity here) is far below the bound (~4e-3), so the tiers are the same
///   unless a value lies within the spread of a tier's edge (a chance of about spread/bound per value);
/// - the final population and its ranking, the best metric and the metrics sent to the test windows, for the
///   same reason (the ranking compared up to swaps of fitnesses within the bound);
/// - every fitness both runs measured for an individual on a window set, to within the bound (the contract);
///   and, inside each run, two results for the same masks on the same windows (mask twins) likewise.
/// Not compared: evaluation counts and job ids. Which of two mask twins finishes first decides whether the other
/// reuses its fitness (a cache hit) or is evaluated, so those depend on timing; what each individual's fitness
/// is does not. Nothing lost or duplicated: one result per job, every job done or (unstarted at the end of
/// evolution) cancelled, every individual settled.
@Suite(.serialized)
struct HeterogeneousWorkersTests {
    typealias WorkerConfig = WorkerMix.WorkerConfig
    /// A finished run, replayed from its journal.
    struct Run {
        let events: [SearchEvent]
        let state: SearchState
        var results: [SearchEvent.ResultRecord] { events.compactMap { if case .result(let r) = $0 { r } else { nil } } }
        var births: [SearchEvent.Birth] { events.compactMap { if case .birth(let b) = $0 { b } else { nil } } }
        var joined: [SearchEvent.WorkerJoined] {
            events.compactMap { if case .workerJoined(let w) = $0 { w } else { nil } }
        }
        /// Measured perplexities per (individual, windows), straight from the result events.
        var measured: [String: Double] {
            var out: [String: Double] = [:]
            for r in results {
                guard let p = r.perplexity, let job = state.jobs[r.job] else { continue }
                out["\(job.individual)/\(r.windows)"] = p
            }
            return out
        }
    }

    static func start(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                      log: URL) throws -> Process {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let sink = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = BuiltBinary.directory.appendingPathComponent(executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = sink
        process.standardError = sink
        try process.run()
        return process
    }

    /// Waits for `process` up to `seconds`; false (after stopping it) when it was still running.
    static func wait(_ process: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        guard process.isRunning else { return true }
        process.terminate()
        process.waitUntilExit()
        return false
    }

    /// The same search (seed, population, generations) with one worker process per configuration.
    static func search(_ name: String, workers: [WorkerConfig], bundle: URL, root: URL) throws -> Run {
        let run = root.appendingPathComponent(name)
        let listen = LoopbackPort.address()
        let coordinator = try start("prunerzero-coordinator", [
            "search", "--bundle", bundle.path, "--run-dir", run.path, "--mode", "generational", "--generations", "3",
            "--budget", "10000", "--seed", "11", "--population", "8", "--listen", listen],
            log: root.appendingPathComponent("\(name)-coordinator.log"))
        var processes: [Process] = []
        for (i, c) in workers.enumerated() {
            var arguments = ["serve", "--connect", listen, "--bundle", bundle.path, "--id", "\(name)-w\(i)"]
            if let threads = c.threads { arguments += ["--threads", "\(threads)"] }
            processes.append(try start("prunerzero-worker", arguments, environment: WorkerMix.environment(c),
                                       log: root.appendingPathComponent("\(name)-w\(i).log")))
        }
        let finished = wait(coordinator, seconds: 300)
        for p in processes { _ = wait(p, seconds: 30) }
        let logURL = root.appendingPathComponent("\(name)-coordinator.log")
        let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        try #require(finished && coordinator.terminationStatus == 0,
                     "\(name): the coordinator did not finish within 5 minutes or failed:\n\(log.suffix(3000))")
        let events = try JournalReader.read(url: run.appendingPathComponent("events.jsonl")).events
        var state = SearchState()
        for event in events { try state.apply(event) }
        return Run(events: events, state: state)
    }

    /// One result per job, every job done or cancelled, every individual settled, the search finished.
    static func checkNothingLostOrDuplicated(_ run: Run, _ name: String) {
        let perJob = Dictionary(grouping: run.results, by: \.job)
        #expect(perJob.values.allSatisfy { $0.count == 1 }, "\(name): a job has two result events")
        #expect(run.state.phase == .finished, "\(name): not finished")
        for job in run.state.jobs.values {
            #expect(job.state == .done || job.state == .cancelled, "\(name): job \(job.id) left \(job.state)")
        }
        #expect(run.state.individuals.allSatisfy { run.state.isSettled(run.state.original($0.id)) },
                "\(name): an individual was never settled")
        #expect(run.results.filter { $0.windows != "test" }.count == run.state.evaluations)
    }

    /// Largest |Δ ln ppl| between two results for the same masks on the same windows inside one run.
    static func twinSpread(_ run: Run) -> Double {
        var seen: [String: Double] = [:], worst = 0.0
        for r in run.results where r.fingerprint != 0 {
            guard let p = r.perplexity else { continue }
            let key = "\(r.fingerprint)/\(r.windows)"
            if let first = seen[key] { worst = max(worst, abs(log(p) - log(first))) } else { seen[key] = p }
        }
        return worst
    }

    @Test(.enabled(if: WorkerMix.skipReason == nil, Comment(rawValue: WorkerMix.skipReason ?? "")))
    func differentlyConfiguredWorkersGiveTheSameSearch() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pz-hetero-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let bundle = root.appendingPathComponent("bundle")
        try SearchIntegrationTests.calibrate(into: bundle)

        let mixed = WorkerMix.available
        let same = [WorkerConfig(threads: 2), WorkerConfig(threads: 2)]
        let hetero = try Self.search("hetero", workers: mixed, bundle: bundle, root: root)
        let homo = try Self.search("homo", workers: same, bundle: bundle, root: root)
        Self.checkNothingLostOrDuplicated(hetero, "hetero")
        Self.checkNothingLostOrDuplicated(homo, "homo")

        // Every worker computed the same bound from the bundle, and every configuration delivered results.
        let bounds = Set((hetero.joined + homo.joined).compactMap(\.fitnessBound))
        try #require(bounds.count == 1, "workers on one bundle reported different bounds: \(bounds)")
        let bound = bounds.first!
        #expect(bound > 0 && bound < 0.05, "bound \(bound)")
        #expect(hetero.state.equivalence.bound == bound && homo.state.equivalence.bound == bound)
        for worker in hetero.joined.map(\.worker) {
            #expect(hetero.results.contains { $0.worker == worker }, "\(worker) delivered nothing")
        }

        // The same individuals, bred the same way.
        let key = { (b: SearchEvent.Birth) in
            "\(b.individual) \(b.formula) \(b.parents) \(b.operator) \(b.generation)"
        }
        #expect(hetero.births.map(key) == homo.births.map(key), "the runs bred different individuals")

        // Fitnesses of the same individual on the same windows agree within the bound; so do mask twins.
        let (a, b) = (hetero.measured, homo.measured)
        var spread = 0.0, compared = 0
        for (k, p) in a {
            guard let q = b[k] else { continue }
            compared += 1
            spread = max(spread, abs(log(p) - log(q)))
        }
        #expect(compared >= 10, "only \(compared) fitnesses measured in both runs")
        #expect(spread <= bound, "|Δ ln ppl| \(spread) across worker configurations exceeds the bound \(bound)")
        let twins = max(Self.twinSpread(hetero), Self.twinSpread(homo))
        #expect(twins <= bound, "mask twins differ by |Δ ln ppl| \(twins) > \(bound)")
        let failedA = Set(hetero.state.individuals.filter { $0.full?.value == nil && $0.full != nil }.map(\.id))
        let failedB = Set(homo.state.individuals.filter { $0.full?.value == nil && $0.full != nil }.map(\.id))
        #expect(failedA == failedB, "different metrics failed")

        // The outcome: population ranked alike (up to swaps within the bound), the same best and test metrics.
        let (ra, rb) = (hetero.state.rankedPopulation(), homo.state.rankedPopulation())
        #expect(ra.count == rb.count)
        for (x, y) in zip(ra, rb) where x != y {
            let (fx, fy) = (hetero.state.fullFitness(x), homo.state.fullFitness(y))
            #expect(fx != nil && fy != nil && hetero.state.equivalence.same(fx!, fy!),
                    "rank of \(x) (\(fx ?? .nan)) and \(y) (\(fy ?? .nan)) differ beyond the bound")
        }
        #expect(hetero.state.best == homo.state.best)
        let tested = { (r: Run) in Set(r.state.testJobs.compactMap { r.state.jobs[$0]?.individual }) }
        #expect(tested(hetero) == tested(homo))

        print("heterogeneous workers: \(mixed.map(\.description).joined(separator: ", ")) vs "
              + "\(same.count) × \(same[0]); bound \(bound); worst |Δ ln ppl| across configurations \(spread) over "
              + "\(compared) fitnesses, mask twins \(twins); \(hetero.births.count) births, best "
              + "\(hetero.state.best.map { hetero.state.individuals[$0].formula } ?? "none")")
    }
}

/// The worker configurations this CPU can run, probed once per test process.
enum WorkerMix {
    /// A worker's numerics: nil leaves the choice to the worker (its start-up selection).
    struct WorkerConfig: CustomStringConvertible {
        var coretype: String?
        var kernels: String?
        var threads: Int?
        var description: String {
            "\(coretype ?? "auto")/\(kernels ?? "auto")/\(threads.map { "\($0) lanes" } ?? "all lanes")"
        }
    }

    /// Candidates, most different first; a candidate runs only where `blas-info` confirms this CPU gives it.
    static let candidates = [
        WorkerConfig(coretype: "Haswell", kernels: "baseline", threads: 1),
        WorkerConfig(coretype: "SkylakeX", kernels: "avx512", threads: 2),
        WorkerConfig(coretype: "Zen", kernels: "avx2", threads: 2),
        WorkerConfig(coretype: "Sandybridge", kernels: "avx2", threads: 3),
    ]

    /// Up to three configurations this CPU really runs (OpenBLAS silently falls back for a core type the CPU
    /// cannot run, so each is checked with `blas-info` under its environment).
    static let available: [WorkerConfig] = {
        var out: [WorkerConfig] = []
        for c in candidates where out.count < 3 {
            guard let outcome = try? BuiltBinary.run("prunerzero-worker", ["blas-info", "--json", "--size", "0"],
                                                     environment: environment(c)),
                  outcome.status == 0,
                  let json = try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]
            else { continue }
            if json["corename"] as? String == c.coretype && json["kernels"] as? String == c.kernels { out.append(c) }
        }
        return out
    }()

    static var skipReason: String? {
        if !Fixtures.hfLlamaAvailable { return "../shared/fixtures/hf-llama is absent" }
        let worker = BuiltBinary.directory.appendingPathComponent("prunerzero-worker")
        if !FileManager.default.isExecutableFile(atPath: worker.path) { return "prunerzero-worker is not built" }
        if available.count < 2 {
            return "this CPU runs fewer than two of the worker configurations "
                + candidates.map(\.description).joined(separator: ", ")
        }
        return nil
    }

    static func environment(_ c: WorkerConfig) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("OPENBLAS_") && !$0.key.hasPrefix("PRUNERZERO_BLAS") && $0.key != "PRUNERZERO_KERNELS"
        }
        if let coretype = c.coretype { environment["OPENBLAS_CORETYPE"] = coretype }
        if let kernels = c.kernels { environment["PRUNERZERO_KERNELS"] = kernels }
        return environment
    }

}
