import ArgumentParser
import Foundation
import Search
import Shared

/// `rescore RUN_DIR`: a search's top metrics and the baselines re-measured over K other calibration seeds, to
/// state the search's result against seed-to-seed noise. The metrics, the bundle, the sparsity and the X mode come
/// from the run's journal; the work is `prunerzero-worker rescore` (found next to this executable, as spawned
/// workers are), whose progress goes to stderr. Writes rescore.md and rescore.json into the run directory.
struct RescoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rescore",
        abstract: "Re-measure a run's top metrics and the baselines over K other calibration seeds (mean ± sd, verdicts).")

    @Argument(help: "The run directory (holding events.jsonl).") var runDir: String
    @Option(help: "Calibration seeds (at least 2).") var seeds = 3
    @Option(help: "Searched metrics to rescore: the chosen one, then the best by held-out (else fitness) rank.") var top = 3
    @Option(help: "The run's bundle, when it is not where the journal says (its identity must be the journal's).")
    var bundle: String?
    @Option(help: "Comma-separated baselines (default: the worker's list: magnitude, wanda, paper, ria, sparsegpt).")
    var baselines: String?
    @Option(help: "Use the first K held-out windows only (default: all).") var windows: Int?
    @Option(name: .customLong("first-seed"), help: "The first calibration seed tried (the bundle's own is skipped).") var firstSeed = 1
    @Flag(help: "Print the JSON summary instead of the table.") var json = false

    func validate() throws {
        guard seeds >= 2 else { throw ValidationError("--seeds must be at least 2 (an sd needs two seeds)") }
        guard top >= 0 else { throw ValidationError("--top must be ≥ 0") }
    }

    func run() throws {
        let run = URL(fileURLWithPath: runDir)
        let state = try RunJournal(runDirectory: run).state
        let config = state.config
        guard let bundleDir = bundle ?? state.launch.bundlePath else {
            throw ValidationError("the journal records no bundle path: give --bundle DIR")
        }
        let identity = try BundleIdentity.of(directory: URL(fileURLWithPath: bundleDir))
        guard identity == config.bundleIdentity else {
            throw ValidationError("\(bundleDir) has identity \(identity), the run's bundle was \(config.bundleIdentity)")
        }
        let metrics = Self.topMetrics(state, count: top)
        var arguments = ["rescore", "--bundle", bundleDir, "--seeds", "\(seeds)", "--first-seed", "\(firstSeed)",
                         "--x-mode", "\(config.xMode)", "--json", "--plot", run.appendingPathComponent("rescore.svg").path]
        switch config.sparsity {
        case .unstructured(let ratio): arguments += ["--type", "unstructured", "--sparsity", "\(ratio)"]
        case .nOfM(let n, let m): arguments += ["--type", "\(n):\(m)"]
        }
        if let layers = config.layerSparsity, layers != .uniform { arguments += ["--layer-sparsity", layers.description] }
        if let group = config.group { arguments += ["--group", group.description] }
        for metric in metrics { arguments += ["--metric", metric] }
        if let baselines { arguments += ["--baselines", baselines] }
        if let windows { arguments += ["--windows", "\(windows)"] }
        FileHandle.standardError.write(Data(("rescoring \(metrics.count) metrics of \(config.searchID) and the baselines "
            + "over \(seeds) calibration seeds\n").utf8))

        let output = try Self.runWorker(arguments)
        guard let object = try? JSONSerialization.jsonObject(with: output) as? [String: Any],
              let table = object["table"] as? String else {
            throw ValidationError("prunerzero-worker rescore printed no summary")
        }
        try output.write(to: run.appendingPathComponent("rescore.json"), options: .atomic)
        try Data(("# Rescore of \(config.searchID)\n\n" + table + "\n").utf8)
            .write(to: run.appendingPathComponent("rescore.md"), options: .atomic)
        print(json ? String(decoding: output, as: UTF8.self) : table)
    }

    /// The chosen metric first, then the searched metrics by their held-out rank (validation, else test, else
    /// fitness); baselines are the worker's own list.
    static func topMetrics(_ state: SearchState, count: Int) -> [String] {
        let searched = state.rankedPopulation().filter { !state.isBaseline($0) }
        let finalists = state.finalists.filter { !state.isBaseline($0) }
        func heldOut(_ id: Int) -> Double { state.individuals[id].validation?.value ?? state.individuals[id].test?.value ?? .infinity }
        let byHeldOut = finalists.sorted { heldOut($0) < heldOut($1) }
        var ids: [Int] = state.chosen.map { [$0] } ?? []
        for id in byHeldOut + searched where !ids.contains(id) { ids.append(id) }
        return ids.prefix(count).map { state.individuals[$0].formula }
    }

    /// Runs the worker beside this executable: stderr (its progress) shown as it comes, stdout returned.
    static func runWorker(_ arguments: [String]) throws -> Data {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("prunerzero-worker")
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        do { try process.run() } catch { throw ValidationError("cannot start \(executable.path): \(error)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("prunerzero-worker rescore failed (exit status \(process.terminationStatus))")
        }
        return data
    }
}
