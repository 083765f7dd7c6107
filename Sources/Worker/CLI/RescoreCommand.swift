import ArgumentParser
import Fitness
import Foundation
import Shared

/// `prunerzero-worker rescore`: metrics and baselines re-measured over K other calibration seeds (new calibration
/// windows, new G and X; the bundle's held-out windows unchanged), so a gap between them can be stated against
/// seed-to-seed noise (`RescoreSummary`). `prunerzero-coordinator rescore RUN` runs it on a search's top metrics.
struct RescoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rescore",
        abstract: "Re-calibrate with K other seeds, prune with each metric and baseline, and compare them on held-out windows.",
        discussion: """
            Each seed: calibration windows drawn from the bundle's calibration corpus with that seed (as `calibrate \
            --seed`), G and X recomputed, then every method pruned and measured on the bundle's test (or \
            validation) windows. Prints mean ± sd per method and, per pair, "beats" only when the mean gap of ln \
            perplexity exceeds both 2 sd of its paired difference over the seeds and the 1.5% rounding floor; \
            "within noise" otherwise.
            """)

    /// Baselines measured by default, by `PruningMethod.baseline(named:)` name: one line each.
    static let defaultBaselines = [
        "magnitude",
        "wanda",
        "paper",
        "ria",
        "sparsegpt",
    ]

    @Option(help: "Calibrated bundle directory (from `calibrate`).") var bundle: String
    @Option(help: "Number of calibration seeds (other than the bundle's own).") var seeds = 3
    @Option(name: .customLong("first-seed"), help: "The first seed tried; the bundle's own seed is skipped.") var firstSeed = 1
    @Option(name: .customLong("metric"), help: "A metric to rescore (formula, reference JSON tree file or baseline name); repeatable.")
    var metrics: [String] = []
    @Option(help: "Comma-separated baselines (default: \(defaultBaselines.joined(separator: ","))).")
    var baselines = defaultBaselines.joined(separator: ",")
    @Option(help: "Fraction of each row to prune (unstructured).") var sparsity = 0.5
    @Option(help: "unstructured, or N:M such as 2:4.") var type = "unstructured"
    @Option(name: .customLong("x-mode"), help: "sequential (the reference's) or static.") var xMode = "sequential"
    @Option(name: .customLong("layer-sparsity"), help: "uniform, or owl[:M,LAMBDA] (unstructured only).")
    var layerSparsity = "uniform"
    @Option(help: "Comparison group of the --metric formulas: row or layer (default row; baselines keep their official one).")
    var group: String?
    @Option(help: "Held-out windows to measure on: test or validation.") var on = "test"
    @Option(help: "Use the first K held-out windows only (default: all).") var windows: Int?
    @Option(help: "The bundle's calibration corpus, when it is not where the manifest says.") var data: String?
    @Option(name: .customLong("rounding-floor"), help: "Relative gap below which no verdict is stated (default 0.015: 1.5%).")
    var roundingFloor = 0.015
    @Flag(help: "Print one JSON object (it holds the table too) instead of the table.") var json = false

    func validate() throws {
        guard seeds >= 2 else { throw ValidationError("--seeds must be at least 2 (an sd needs two seeds)") }
        guard on == "test" || on == "validation" else { throw ValidationError("--on must be test or validation") }
        guard roundingFloor >= 0, roundingFloor < 1 else { throw ValidationError("--rounding-floor must be in [0, 1)") }
        if let windows, windows <= 0 { throw ValidationError("--windows must be positive") }
    }

    func run() throws {
        let pattern = try SparsitySpec(type: type, ratio: sparsity)
        guard let mode = XMode.allCases.first(where: { "\($0)" == xMode }) else {
            throw ValidationError("--x-mode must be sequential or static, got \(xMode)")
        }
        let layers: LayerSparsity
        do { layers = try LayerSparsity(argument: layerSparsity) } catch { throw ValidationError("\(error)") }
        if layers != .uniform, case .nOfM = pattern { throw ValidationError(LayerSparsityError.needsUnstructured(type).description) }
        var methods: [RescoreSummary.Method] = []
        for name in baselines.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let method = PruningMethod.baseline(named: name) else {
                throw ValidationError("--baselines: '\(name)' is not a baseline (magnitude, wanda, paper, sparsegpt, …)")
            }
            if method.readsHessian, mode != .sequential { continue }  // SparseGPT needs sequential inputs
            methods.append(.init(name: name, formula: method.description, role: "baseline"))
        }
        var chosen: [PruningMethod] = methods.map { PruningMethod.baseline(named: $0.name)! }
        // Baselines compare as their official code does (magnitude and ria per layer), metrics in --group.
        var groups = try methods.map { try PruneCommand.group(nil, metric: $0.name, pattern: pattern) }
        let metricGroup = try PruneCommand.group(group ?? "row", metric: "", pattern: pattern)
        for text in metrics {
            let method = try PruneCommand.method(text)
            guard !methods.contains(where: { $0.formula == method.description }) else { continue }  // a baseline already
            methods.append(.init(name: method.description, formula: method.description, role: "metric"))
            chosen.append(method)
            groups.append(metricGroup)
        }
        guard !methods.isEmpty else { throw ValidationError("nothing to rescore: give --metric or --baselines") }

        let opened = try CalibratedBundle(directory: URL(fileURLWithPath: bundle))
        let corpus = try Recalibration.corpus(of: opened, override: data)
        let own = opened.manifest.calibration.seed
        let seedList = Array((firstSeed...).lazy.filter { $0 != own }.prefix(seeds))
        let split: PruningRequest.Split = on == "test" ? .test : .validation
        var values = Array(repeating: [Double](), count: methods.count)
        var heldOutWindows = 0
        for (k, seed) in seedList.enumerated() {
            let tag = "seed \(seed) (\(k + 1)/\(seedList.count))"
            let start = Date()
            let data = try Recalibration.data(bundle: opened, corpusPath: corpus, seed: seed,
                                              needsG: chosen.contains { $0.readsG }, needsX: layers != .uniform || chosen.contains { $0.readsX || $0.readsHessian }) {
                ProgressLine.show("\(tag): \($0)")
            }
            ProgressLine.show(String(format: "%@: calibrated in %.0f s", tag, Date().timeIntervalSince(start)), done: true)
            let evaluator = try FitnessEvaluator(model: opened.model, data: data)
            for (i, method) in chosen.enumerated() {
                let began = Date()
                var request = PruningRequest(method: method, pattern: pattern, activationMode: mode, evaluationWindows: windows)
                request.split = split
                request.layerSparsity = layers
                request.group = groups[i]
                let outcome = try evaluator.evaluate(request) { done, total in
                    ProgressLine.show("\(tag): \(methods[i].name): block \(done)/\(total)")
                }
                values[i].append(outcome.perplexity)
                heldOutWindows = outcome.windows
                ProgressLine.show(String(format: "%@: %@ %.4f (%.0f s)", tag, methods[i].name, outcome.perplexity,
                                         Date().timeIntervalSince(began)), done: true)
            }
        }
        for i in methods.indices { methods[i].perplexities = values[i] }
        let summary = RescoreSummary(bundle: bundle, pattern: pattern.description + (layers == .uniform ? "" : ", \(layers)")
                                         + (metricGroup == .row ? "" : ", metrics per \(metricGroup)"),
                                     xMode: "\(mode)", heldOut: on,
                                     windows: heldOutWindows, seeds: seedList, methods: methods,
                                     floor: log1p(roundingFloor))
        print(json ? summary.json : summary.table)
    }
}
