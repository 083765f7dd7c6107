import Foundation
import Shared

/// The final report: `report.md` for people, `report.json` for programs, and `best_metric.json`, the best metric
/// in the reference's JSON tree format (loadable by the reference's `load_tree`).
package struct SearchReport: Codable, Sendable {
    package struct Entry: Codable, Sendable {
        package var rank: Int
        package var individual: Int
        package var formula: String
        package var nodes: Int
        package var depth: Int
        package var cheapPerplexity: Double?
        package var fullPerplexity: Double?
        package var testPerplexity: Double?
        package var operatorName: String
        package var parents: [Int]
    }

    package var searchID: String
    package var mode: String
    package var seed: UInt64
    package var sparsity: String
    package var evaluations: Int
    package var cheapEvaluations: Int
    package var fullEvaluations: Int
    package var testEvaluations: Int
    package var savedFullEvaluations: Int
    package var cacheHits: [String: Int]
    package var leaseExpiries: Int
    /// Cheap screens stopped by depth and the blocks they ran in total (absent: early abort was off).
    package var depthAborts: Int?
    package var depthAbortBlocks: Int?
    package var individuals: Int
    package var wallSeconds: Double
    package var top: [Entry]
    /// `--layer-sparsity` when not uniform, and each block's sparsity as pruned (`ReportReferences.swift`).
    package var layerSparsity: String?
    package var blockSparsity: [Double]?
    package var references: [Reference] = []

    package init(state: SearchState, now: Double, topK: Int = 10) {
        let config = state.config
        searchID = config.searchID
        mode = config.mode.rawValue
        seed = config.seed
        sparsity = config.sparsity.description + (config.comparisonGroup == .layer ? ", compared per layer" : "")
        evaluations = state.evaluations
        cheapEvaluations = state.cheapEvaluations
        fullEvaluations = state.fullEvaluations
        testEvaluations = state.testEvaluations
        savedFullEvaluations = state.savedFullEvaluations
        cacheHits = Dictionary(uniqueKeysWithValues: state.cacheHits.map { ($0.key.rawValue, $0.value) })
        leaseExpiries = state.leaseExpiries
        if config.depthAbort != nil || state.depthAborts > 0 {
            (depthAborts, depthAbortBlocks) = (state.depthAborts, state.depthAbortBlocks)
        }
        individuals = state.individuals.count
        wallSeconds = now - state.startedAt
        top = state.rankedPopulation().prefix(topK).enumerated().map { rank, id in
            let individual = state.individuals[id]
            return Entry(rank: rank + 1, individual: id, formula: individual.formula,
                         nodes: individual.expression.nodeCount, depth: individual.expression.depth,
                         cheapPerplexity: individual.cheap?.value, fullPerplexity: individual.full?.value,
                         testPerplexity: individual.test?.value, operatorName: individual.operatorName,
                         parents: individual.parents)
        }
        layerSparsity = config.layerSparsity.flatMap { $0 == .uniform ? nil : $0.description }
        blockSparsity = state.allocation.map(Self.perBlock)
        references = state.references.map(Reference.init)
    }

    package var markdown: String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "–" }
        var lines = [
            "# Search \(searchID)", "",
            "- mode: \(mode), seed \(seed), sparsity \(sparsity)",
            "- evaluations: \(evaluations) (\(cheapEvaluations) cheap, \(fullEvaluations) full) + \(testEvaluations) test",
            "- full evaluations saved by screening on the cheap windows: \(savedFullEvaluations)",
            "- evaluations saved by caches: " + (cacheHits.isEmpty ? "0" : cacheHits.sorted { $0.key < $1.key }
                .map { "\($0.value) \($0.key)" }.joined(separator: ", ")),
            "- individuals born: \(individuals); leases lapsed: \(leaseExpiries)",
        ]
        if let aborts = depthAborts, let blocks = depthAbortBlocks {
            let mean = aborts > 0 ? String(format: ", mean depth reached %.1f blocks", Double(blocks) / Double(aborts)) : ""
            lines.append("- cheap screens stopped early by depth: \(aborts)\(mean)")
        }
        lines += [
            String(format: "- wall time: %.0f s", wallSeconds),
        ] + layerLines + [""] + referenceLines + [
            "| rank | metric | nodes | depth | cheap ppl | full ppl | test ppl |",
            "|---:|---|---:|---:|---:|---:|---:|",
        ]
        for e in top {
            lines.append("| \(e.rank) | `\(e.formula)` | \(e.nodes) | \(e.depth) | \(f(e.cheapPerplexity)) | "
                         + "\(f(e.fullPerplexity)) | \(f(e.testPerplexity)) |")
        }
        if let best = top.first {
            lines += ["", "Best metric (`best_metric.json`, the reference's tree format): `\(best.formula)`"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes report.md, report.json and best_metric.json into `directory`.
    /// Writes report.md, report.json, best_metric.json and, given the journal's events, history.csv and
    /// progress.svg (best and median fitness against evaluations).
    package func write(to directory: URL, events: [SearchEvent]? = nil) throws {
        var markdown = self.markdown
        if let events, let history = try? SearchHistory(events: events) {
            try Data(history.csv.utf8).write(to: directory.appendingPathComponent("history.csv"), options: .atomic)
            try Data(ProgressPlot.svg(history, title: "Search \(searchID): \(sparsity)").utf8)
                .write(to: directory.appendingPathComponent("progress.svg"), options: .atomic)
            markdown += "\n![best and median perplexity against evaluations](progress.svg)\n\nPer-result history: `history.csv`.\n"
        }
        try Data(markdown.utf8).write(to: directory.appendingPathComponent("report.md"), options: .atomic)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: directory.appendingPathComponent("report.json"), options: .atomic)
        if let best = top.first, let tree = try? MetricExpression(parsing: best.formula) {
            try tree.referenceJSON().write(to: directory.appendingPathComponent("best_metric.json"), options: .atomic)
        }
    }
}
