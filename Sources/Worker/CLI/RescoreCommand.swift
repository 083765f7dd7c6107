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

    @Option(help: "Calibrated bundle directory (from `calibrate`).") var bundle: String?
    @Option(help: "Measure nothing: print (and with --plot draw) an earlier `rescore --json` output again.")
    var from: String?
    @Option(help: "Number of calibration seeds (other than the bundle's own).") var seeds = 3
    @Option(name: .customLong("first-seed"), help: "The first seed tried; the bundle's own seed is skipped, and on test its validation draws' seeds.") var firstSeed = 1
    @Option(name: .customLong("metric"), help: "A metric to rescore (formula, reference JSON tree file or baseline name); repeatable.")
    var metrics: [String] = []
    @Option(help: "Comma-separated baselines (default: \(defaultBaselines.joined(separator: ","))).")
    var baselines = defaultBaselines.joined(separator: ",")
    @Option(help: "Fraction of each row to prune (unstructured); a comma-separated list measures each (0.5,0.6,0.7).")
    var sparsity = "0.5"
    @Option(help: "unstructured, or N:M such as 2:4; a comma-separated list measures each (unstructured,2:4).")
    var type = "unstructured"
    @Option(name: .customLong("x-mode"), help: "sequential (the reference's) or static.") var xMode = "sequential"
    @Option(name: .customLong("layer-sparsity"), help: "uniform, or owl[:M,LAMBDA] (unstructured only); repeatable: each is measured.")
    var layerSparsity: [String] = []
    @Option(help: "Comparison group of the --metric formulas: row or layer (default row; baselines keep their official one).")
    var group: String?
    @Option(help: "Held-out windows to measure on: test or validation.") var on = "test"
    @Option(help: "Use the first K held-out windows only (default: all).") var windows: Int?
    @Option(help: "The bundle's calibration corpus, when it is not where the manifest says.") var data: String?
    @Option(name: .customLong("rounding-floor"), help: "Relative gap below which no verdict is stated (default 0.015: 1.5%).")
    var roundingFloor = 0.015
    @Flag(help: "Print one JSON object (it holds the table too) instead of the table.") var json = false
    @Option(help: "Also draw the result as an SVG file: a panel per setting, each seed a dot, mean ± sd a bar.")
    var plot: String?

    func validate() throws {
        guard (bundle == nil) != (from == nil) else { throw ValidationError("give --bundle DIR, or --from FILE to redraw a result") }
        guard seeds >= 2 else { throw ValidationError("--seeds must be at least 2 (an sd needs two seeds)") }
        guard on == "test" || on == "validation" else { throw ValidationError("--on must be test or validation") }
        guard roundingFloor >= 0, roundingFloor < 1 else { throw ValidationError("--rounding-floor must be in [0, 1)") }
        if let windows, windows <= 0 { throw ValidationError("--windows must be positive") }
    }

    /// One pruning setting measured on every seed: a sparsity pattern and its per-block allocation.
    struct Setting {
        var pattern: SparsitySpec
        var layers: LayerSparsity
        var label: String { pattern.description + (layers == .uniform ? "" : ", \(layers)") }
    }

    /// Every (type, sparsity, allocation) asked for; N:M ignores the sparsity list and takes the uniform allocation
    /// only (OWL allocates unstructured sparsity). A list that leaves nothing valid is the old single-setting error.
    func settings() throws -> [Setting] {
        let allocations: [LayerSparsity]
        do { allocations = try (layerSparsity.isEmpty ? ["uniform"] : layerSparsity).map(LayerSparsity.init(argument:)) }
        catch { throw ValidationError("\(error)") }
        let ratios = try sparsity.split(separator: ",").map { item -> Double in
            guard let ratio = Double(item.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--sparsity: '\(item)' is not a number")
            }
            return ratio
        }
        guard !ratios.isEmpty else { throw ValidationError("--sparsity is empty") }
        var settings: [Setting] = []
        for kind in type.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) }) {
            if kind == "unstructured" {
                for ratio in ratios {
                    for layers in allocations { settings.append(Setting(pattern: try SparsitySpec(type: kind, ratio: ratio), layers: layers)) }
                }
            } else {
                let pattern = try SparsitySpec(type: kind, ratio: ratios[0])
                guard allocations.contains(.uniform) else { throw ValidationError(LayerSparsityError.needsUnstructured(kind).description) }
                settings.append(Setting(pattern: pattern, layers: .uniform))
            }
        }
        guard !settings.isEmpty else { throw ValidationError("--type is empty") }
        return settings
    }

    func run() throws {
        guard let bundle else { return try redraw(from!) }
        guard let mode = XMode.allCases.first(where: { "\($0)" == xMode }) else {
            throw ValidationError("--x-mode must be sequential or static, got \(xMode)")
        }
        let settings = try settings()
        var methods: [RescoreSummary.Method] = []
        for name in baselines.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let method = PruningMethod.baseline(named: name) else {
                throw ValidationError("--baselines: '\(name)' is not a baseline (magnitude, wanda, paper, sparsegpt, …)")
            }
            if method.readsHessian, mode != .sequential { continue }  // SparseGPT needs sequential inputs
            methods.append(.init(name: name, formula: method.description, role: "baseline"))
        }
        var chosen: [PruningMethod] = methods.map { PruningMethod.baseline(named: $0.name)! }
        let baselineCount = methods.count
        for text in metrics {
            let method = try PruneCommand.method(text)
            guard !methods.contains(where: { $0.formula == method.description }) else { continue }  // a baseline already
            methods.append(.init(name: method.description, formula: method.description, role: "metric"))
            chosen.append(method)
        }
        guard !methods.isEmpty else { throw ValidationError("nothing to rescore: give --metric or --baselines") }
        // Baselines compare as their official code does (magnitude and ria per layer), metrics in --group; per
        // setting, since the group a pattern allows depends on it (N:M is per row).
        let groups = try settings.map { setting in
            let metricGroup = try PruneCommand.group(group ?? "row", metric: "", pattern: setting.pattern)
            return try methods.indices.map { i in
                i < baselineCount ? try PruneCommand.group(nil, metric: methods[i].name, pattern: setting.pattern) : metricGroup
            }
        }

        let opened = try CalibratedBundle(directory: URL(fileURLWithPath: bundle))
        let corpus = try Recalibration.corpus(of: opened, override: data)
        let split: PruningRequest.Split = on == "test" ? .test : .validation
        // Not the bundle's own seed (the search fitted it), nor on test its validation draws' (the answer was chosen
        // on them); on validation the draws are allowed: that reproduces the search's ranking.
        let excluded = Set([opened.manifest.calibration.seed].compactMap { $0 }
                           + (split == .test ? opened.validationDraws.map(\.seed) : []))
        let seedList = Array((firstSeed...).lazy.filter { !excluded.contains($0) }.prefix(seeds))
        // values[setting][method]: one perplexity per seed. One calibration per seed serves every setting.
        var values = Array(repeating: Array(repeating: [Double](), count: methods.count), count: settings.count)
        var heldOutWindows = 0
        let needsX = settings.contains { $0.layers != .uniform } || chosen.contains { $0.readsX || $0.readsHessian }
        for (k, seed) in seedList.enumerated() {
            let tag = "seed \(seed) (\(k + 1)/\(seedList.count))"
            let start = Date()
            let data = try Recalibration.data(bundle: opened, corpusPath: corpus, seed: seed,
                                              needsG: chosen.contains { $0.readsG }, needsX: needsX) {
                ProgressLine.show("\(tag): \($0)")
            }
            ProgressLine.show(String(format: "%@: calibrated in %.0f s", tag, Date().timeIntervalSince(start)), done: true)
            let evaluator = try FitnessEvaluator(model: opened.model, data: data)
            for (s, setting) in settings.enumerated() {
                let label = settings.count == 1 ? tag : "\(tag), \(setting.label)"
                for (i, method) in chosen.enumerated() {
                    let began = Date()
                    var request = PruningRequest(method: method, pattern: setting.pattern, activationMode: mode, evaluationWindows: windows)
                    request.split = split
                    request.layerSparsity = setting.layers
                    request.group = groups[s][i]
                    let outcome = try evaluator.evaluate(request) { done, total in
                        ProgressLine.show("\(label): \(methods[i].name): block \(done)/\(total)")
                    }
                    values[s][i].append(outcome.perplexity)
                    heldOutWindows = outcome.windows
                    ProgressLine.show(String(format: "%@: %@ %.4f (%.0f s)", label, methods[i].name, outcome.perplexity,
                                             Date().timeIntervalSince(began)), done: true)
                }
            }
        }
        let metricGroupNote = (group ?? "row") == "row" ? "" : ", metrics per \(group!)"
        let summaries = settings.enumerated().map { s, setting in
            var measured = methods
            for i in measured.indices { measured[i].perplexities = values[s][i] }
            return RescoreSummary(bundle: bundle, pattern: setting.label + metricGroupNote, xMode: "\(mode)", heldOut: on,
                                  windows: heldOutWindows, seeds: seedList, methods: measured, floor: log1p(roundingFloor))
        }
        try show(summaries)
    }

    /// The table (or JSON) on stdout and, with --plot, the SVG.
    func show(_ summaries: [RescoreSummary]) throws {
        if let plot, let first = summaries.first {
            let title = "Rescore over \(first.seeds.count) calibration seeds: \(URL(fileURLWithPath: first.bundle).lastPathComponent)"
            try Data(RescorePlot.svg(summaries, title: title).utf8).write(to: URL(fileURLWithPath: plot), options: .atomic)
        }
        if summaries.count == 1 {
            print(json ? summaries[0].json : summaries[0].table)
        } else {
            print(json ? RescoreSummary.json(summaries) : summaries.map(\.table).joined(separator: "\n\n"))
        }
    }

    /// `--from FILE`: an earlier `--json` output, one setting or several, shown again.
    func redraw(_ path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ValidationError("--from \(path): cannot read it (\(error.localizedDescription))")
        }
        guard let summaries = RescoreSummary.decoded(data) else {
            throw ValidationError("--from \(path): not a `rescore --json` output (no summary or summaries)")
        }
        try show(summaries)
    }
}
