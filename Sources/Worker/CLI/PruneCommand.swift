import ArgumentParser
import Dataset
import Engine
import Fitness
import Foundation
import Model
import Shared

/// `prunerzero-worker prune`: one fitness evaluation by hand — prune a bundle's model with a metric or a baseline and
/// report dense and pruned perplexity, per-layer sparsity and where the time went; optionally save the pruned model.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Prune a calibrated bundle's model with a metric or a baseline and measure perplexity.")

    @Option(help: "Calibrated bundle directory (from `calibrate`).")
    var bundle: String

    @Option(help: "Model directory, when it is not where the bundle's manifest says.")
    var model: String?

    @Option(help: "A formula, a reference JSON tree file, or a baseline: magnitude, wanda, paper, ria, sparsegpt (updates weights).")
    var metric: String

    @Option(help: ArgumentHelp("Which values compete for the mask: row (each output row) or layer (the whole matrix).",
                               discussion: "Default: layer for magnitude and ria (their official rules), else row. N:M refuses layer."))
    var group: String?

    @Option(help: "Fraction of each row to prune (unstructured).")
    var sparsity = 0.5

    @Option(help: "unstructured, or N:M such as 2:4 or 4:8.")
    var type = "unstructured"

    @Option(name: .customLong("layer-sparsity"),
            help: "uniform, or owl[:M,LAMBDA] (OWL's outlier-weighted per-block sparsity; owl = owl:5,0.08; unstructured only).")
    var layerSparsity = "uniform"

    @Option(name: .customLong("x-mode"), help: "sequential (the reference's) or static (the bundle's dense X).")
    var xMode = "sequential"

    @Option(help: "Evaluate on the first K windows only (default: all).")
    var windows: Int?

    @Flag(help: "Evaluate on the bundle's held-out test windows instead of its fitness windows.")
    var test = false

    @Option(name: .customLong("test-data"),
            help: "Evaluate on consecutive windows of this corpus (e.g. WikiText-2) instead of the bundle's; implies --test.")
    var testData: String?

    @Option(name: .customLong("test-windows"), help: "With --test-data: at most this many windows.")
    var testWindows: Int?

    @Option(help: "Write the pruned model here as a Hugging Face checkpoint.")
    var save: String?

    @Option(name: .customLong("save-gguf"), help: "Write the pruned model here as a GGUF file (the model must be a GGUF file).")
    var saveGGUF: String?

    @Option(name: .customLong("gguf-type"), help: "Stored type of --save-gguf's matrices: f16 or q8_0 (norms stay F32).")
    var ggufType = "q8_0"

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let ggufType = try PrunedGGUF.StorageType(argument: ggufType)
        let pattern = try SparsitySpec(type: type, ratio: sparsity)
        guard let mode = XMode.allCases.first(where: { "\($0)" == xMode }) else {
            throw ValidationError("--x-mode must be sequential or static, got \(xMode)")
        }
        let method = try Self.method(metric)
        let comparison = try Self.group(group, metric: metric, pattern: pattern)
        let layers: LayerSparsity
        do { layers = try LayerSparsity(argument: layerSparsity) } catch { throw ValidationError("\(error)") }
        if layers != .uniform, case .nOfM = pattern { throw ValidationError(LayerSparsityError.needsUnstructured(type).description) }
        if method.readsHessian, mode != .sequential { throw ValidationError(SparseGPTError.needsSequentialInputs.description) }
        let opened = try CalibratedBundle(directory: URL(fileURLWithPath: bundle), model: model.map { URL(fileURLWithPath: $0) })
        var data = opened.data
        if let testData {
            // The bundle's seqlen, windows cut as calibrate cuts held-out data; tokenized by the model's tokenizer.
            data.testTokens = try Corpus.stream(testData, model: opened.modelPath, weights: opened.model)
                .evaluationWindows(seqlen: data.seqlen, limit: testWindows).tokens
        }
        let evaluator = try FitnessEvaluator(model: opened.model, data: data)
        var request = PruningRequest(method: method, pattern: pattern, activationMode: mode, evaluationWindows: windows)
        request.split = test || testData != nil ? .test : .fitness
        request.layerSparsity = layers
        request.group = comparison

        let start = Date()
        let dense = try evaluator.densePerplexity(windows: windows, split: request.split)
        var saver: PrunedCheckpoint?
        var ggufSaver: PrunedGGUF?
        if save != nil { saver = try PrunedCheckpoint(model: opened.model, source: opened.modelDirectory) }
        if saveGGUF != nil { ggufSaver = try PrunedGGUF(model: opened.model, type: ggufType) }
        if saver != nil || ggufSaver != nil {
            evaluator.prunedBlockSink = { layer, weights in
                try saver?.add(layer: layer, weights: weights)
                try ggufSaver?.add(layer: layer, weights: weights)
            }
        }
        let outcome = try evaluator.evaluate(request) { done, total in
            ProgressLine.show("pruning block \(done)/\(total)", done: done == total)
        }
        if let save, let saver { try saver.write(to: URL(fileURLWithPath: save)) }
        if let saveGGUF, let ggufSaver { try ggufSaver.write(to: URL(fileURLWithPath: saveGGUF)) }
        // A named baseline prints its formula too (`ria = mul(add(coln(W), rown(W)), sqrt(sqrt(X)))`).
        let label = PruningMethod.baseline(named: metric) != nil && method.description != metric
            ? "\(metric) = \(method)" : method.description
        let report = PruneReport(method: label, pattern: pattern, layers: layers, mode: mode,
                                 group: request.comparisonGroup, dense: dense.perplexity,
                                 outcome: outcome, config: opened.model.config, seconds: Date().timeIntervalSince(start))
        print(json ? report.json : report.text)
    }

    /// The comparison group: `--group` if given (row or layer; N:M refuses layer), else the baseline's official one
    /// for unstructured patterns (layer for magnitude and ria), else row.
    static func group(_ argument: String?, metric: String, pattern: SparsitySpec) throws -> ComparisonGroup {
        guard let argument else {
            if case .unstructured = pattern { return PruningMethod.officialGroup(named: metric) }
            return .row
        }
        guard let group = ComparisonGroup(argument: argument) else {
            throw ValidationError("--group must be row or layer, not '\(argument)'")
        }
        if group == .layer, case .nOfM = pattern {
            throw ValidationError(PruningError.layerGroupNeedsUnstructured("\(pattern)").description)
        }
        return group
    }

    /// `magnitude`, `wanda`, `paper`, `ria`, or a metric argument (a formula, or a file with a formula or a JSON tree).
    static func method(_ text: String) throws -> PruningMethod {
        if let baseline = PruningMethod.baseline(named: text) { return baseline }
        do { return .metric(try MetricArgument.read(text)) } catch {
            throw ValidationError("--metric \(error.description)")
        }
    }
}

/// What `prune` prints.
struct PruneReport {
    let method: String
    let pattern: SparsitySpec
    let layers: LayerSparsity
    let mode: XMode
    let group: ComparisonGroup
    let dense: Double
    let outcome: PruningOutcome
    let config: LlamaConfig
    let seconds: Double
    let peakResidentBytes = PeakMemory.residentBytes

    private var names: [String] {
        (0..<config.layers).flatMap { layer in PrunableLinear.allCases.map { $0.name(layer: layer) } }
    }

    var text: String {
        var lines = [
            "method      \(method)",
            "pattern     \(pattern), X \(mode), layer sparsity \(layers), compared per \(group)",
            String(format: "perplexity  dense %.4f → pruned %.4f over %d windows", dense, outcome.perplexity, outcome.windows),
            String(format: "sparsity    %.6f overall; mask fingerprint %016llx", outcome.overallSparsity, outcome.maskFingerprint),
        ]
        if let allocation = outcome.allocation {
            lines.append("per block   " + allocation.blockSparsity.indices.map {
                String(format: "block %d: outlier ratio %.4f%%, sparsity %.6f", $0, allocation.outlierRatios[$0],
                       allocation.blockSparsity[$0])
            }.joined(separator: "\n            "))
        }
        lines.append("per layer   " + names.map { String(format: "%@ %.4f", $0 as NSString, outcome.layerSparsity[$0] ?? 0) }
            .joined(separator: "\n            "))
        lines.append("stages      " + outcome.stageSeconds.sorted { $0.key < $1.key }
            .map { String(format: "%@ %.3f s", $0.key as NSString, $0.value) }.joined(separator: ", "))
        lines.append(String(format: "total       %.2f s, peak resident memory ", seconds) + PeakMemory.describe(peakResidentBytes))
        return lines.joined(separator: "\n")
    }

    var json: String {
        var object: [String: Any] = [
            "method": method, "pattern": pattern.description, "x_mode": "\(mode)", "group": group.description, "layer_sparsity_mode": layers.description,
            "dense_perplexity": dense, "perplexity": outcome.perplexity, "windows": outcome.windows,
            "overall_sparsity": outcome.overallSparsity, "layer_sparsity": outcome.layerSparsity,
            "mask_fingerprint": String(format: "%016llx", outcome.maskFingerprint),
            "stage_seconds": outcome.stageSeconds, "seconds": seconds, "peak_resident_bytes": peakResidentBytes,
        ]
        if let allocation = outcome.allocation {
            object["block_sparsity"] = allocation.blockSparsity
            object["block_outlier_ratio"] = allocation.outlierRatios
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
