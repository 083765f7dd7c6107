// `prunerzero-worker baselines`: the comparison table of pruning metrics on one bundle — dense perplexity once,
// then every (pattern, metric) pair — for READMEs and for choosing a search's default sparsity.
//
// The same evaluation as `prune` (sequential X, the bundle's fitness or test windows), with the bundle opened and the
// dense perplexity computed once instead of once per cell.
import ArgumentParser
import Fitness
import Foundation
import Shared

struct BaselinesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baselines", abstract: "Perplexity of several metrics at several sparsities on one bundle.")

    @Option(help: "Calibrated bundle directory (from `calibrate`).") var bundle: String
    @Option(help: "Comma-separated metrics: magnitude, wanda, paper, ria, sparsegpt, or formulas (ria and magnitude compare per layer, the rest per row).")
    var metrics = "magnitude,wanda,paper,ria"
    @Option(name: .customLong("layer-sparsity"), help: "uniform, or owl[:M,LAMBDA] for the unstructured sparsities (N:M stay uniform).")
    var layerSparsity = "uniform"
    @Option(help: "Comma-separated unstructured sparsities.") var sparsities = "0.5,0.6,0.7"
    @Option(help: "Comma-separated N:M patterns.") var patterns = "2:4"
    @Option(help: "Evaluate on the first K windows only (default: all).") var windows: Int?
    @Flag(help: "Evaluate on the bundle's held-out test windows instead of its fitness windows.") var test = false
    @Flag(help: "Print JSON lines instead of a Markdown table.") var json = false

    func run() throws {
        let methods = try metrics.split(separator: ",").map { (String($0), try PruneCommand.method(String($0))) }
        // Each named baseline with its formula, so a table says what was measured.
        for (name, method) in methods where PruningMethod.baseline(named: name) != nil {
            ProgressLine.show("\(name) = \(method)", done: true)
        }
        var specs: [SparsitySpec] = try sparsities.split(separator: ",").map {
            guard let r = Double($0) else { throw ValidationError("--sparsities: \($0) is not a number") }
            return try SparsitySpec(type: "unstructured", ratio: r)
        }
        specs += try patterns.split(separator: ",").map { try SparsitySpec(type: String($0), ratio: 0) }
        let layers: LayerSparsity
        do { layers = try LayerSparsity(argument: layerSparsity) } catch { throw ValidationError("\(error)") }
        let opened = try CalibratedBundle(directory: URL(fileURLWithPath: bundle))
        let evaluator = try FitnessEvaluator(model: opened.model, data: opened.data)
        let split: PruningRequest.Split = test ? .test : .fitness
        let dense = try evaluator.densePerplexity(windows: windows, split: split)
        ProgressLine.show(String(format: "dense perplexity %.4f over %d windows", dense.perplexity, dense.windows), done: true)
        if json {
            print("{\"metric\":\"dense\",\"perplexity\":\(dense.perplexity),\"windows\":\(dense.windows),\"split\":\"\(split)\"}")
        } else {
            print("| pattern | " + methods.map(\.0).joined(separator: " | ") + " |")
            print("|---|" + methods.map { _ in "---:|" }.joined())
            print(String(format: "| dense | %@ |", methods.map { _ in String(format: "%.3f", dense.perplexity) }.joined(separator: " | ")))
        }
        for spec in specs {
            var cells: [String] = []
            for (name, method) in methods {
                var request = PruningRequest(method: method, pattern: spec, activationMode: .sequential, evaluationWindows: windows)
                request.split = split
                if case .unstructured = spec { request.layerSparsity = layers }
                request.group = try PruneCommand.group(nil, metric: name, pattern: spec)
                let start = Date()
                let outcome = try evaluator.evaluate(request)
                ProgressLine.show(String(format: "%@ %@: %.4f (%.0f s)", "\(spec)", name, outcome.perplexity,
                                         Date().timeIntervalSince(start)), done: true)
                if json {
                    print("{\"metric\":\"\(name)\",\"pattern\":\"\(spec)\",\"layer_sparsity\":\"\(request.layerSparsity)\","
                          + "\"perplexity\":\(outcome.perplexity),\"seconds\":\(Date().timeIntervalSince(start)),"
                          + "\"windows\":\(outcome.windows),\"sparsity\":\(outcome.overallSparsity),\"split\":\"\(split)\"}")
                } else {
                    cells.append(String(format: "%.3f", outcome.perplexity))
                }
            }
            if !json { print("| \(spec) | " + cells.joined(separator: " | ") + " |") }
        }
    }
}
