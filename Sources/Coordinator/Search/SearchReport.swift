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
        package var validationPerplexity: Double?
        package var operatorName: String
        package var parents: [Int]
        /// The baseline's name for a seeded baseline.
        package var baseline: String?
        /// Full windows seen when its race stopped it (then `fullPerplexity` is the race's estimate).
        package var racedAfter: Int? = nil
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
    /// `--screen-windows` when set (nil: the bundle's default, a quarter of the fitness windows).
    package var screenWindows: Int?
    package var cacheHits: [String: Int]
    package var leaseExpiries: Int
    /// Cheap screens stopped by depth and the blocks they ran in total (absent: early abort was off).
    package var depthAborts: Int?
    package var depthAbortBlocks: Int?
    /// Full evaluations stopped by their race and the full windows they saw in total (absent: racing was off).
    package var races: Int?
    package var raceWindows: Int?
    /// Children's full evaluations, and those no worse than the population's rank-th member on arrival (what no
    /// race that keeps the top `rank` could stop).
    package var childFullEvaluations: Int?
    package var childFullWithinRank: Int?
    package var raceRank: Int?
    package var individuals: Int
    package var wallSeconds: Double
    package var top: [Entry]
    /// Where the finalists were ranked: "validation", "test" (no validation windows), nil (older journals).
    package var finalRanking: String?
    package var finalists: Int
    package var validationEvaluations: Int
    /// The lowest validation perplexity of a searched finalist: the chosen one's, unless the choice fell within
    /// the tie width (finalists within it are ranked by formula, as every ranking).
    package var bestSearchedValidation: Double?
    /// Seeds of the calibration draws validation pruned with (absent: the bundle's own G and X).
    package var validationDraws: [Int]?
    /// The search's answer (best_metric.json) and the seeded baselines.
    package var chosen: Entry?
    package var baselines: [Entry]
    /// Drawn in progress.svg: the baselines' and the reference methods' (e.g. SparseGPT) fitness.
    package var plotLines: [PlotReference]
    package var comparisons: [BaselineComparison]
    /// |Δ ln ppl| within which one run calls two results equal (`NoiseVerdict.floor`).
    package var noiseFloor: Double
    /// `--layer-sparsity` when not uniform, and each block's sparsity as pruned (`ReportReferences.swift`).
    package var layerSparsity: String?
    package var blockSparsity: [Double]?
    package var references: [Reference] = []
    /// Workers' seconds per stage over the run (`StageTime.overheadName`: what no stage covers); empty in journals
    /// written before results carried their stages.
    package var stageSeconds: [String: Double] = [:]

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
        screenWindows = config.screenWindows
        cacheHits = Dictionary(uniqueKeysWithValues: state.cacheHits.map { ($0.key.rawValue, $0.value) })
        leaseExpiries = state.leaseExpiries
        if config.depthAbort != nil || state.depthAborts > 0 {
            (depthAborts, depthAbortBlocks) = (state.depthAborts, state.depthAbortBlocks)
        }
        if config.race != nil || state.races > 0 { (races, raceWindows) = (state.races, state.raceWindows) }
        (childFullEvaluations, childFullWithinRank) = (state.childFullEvaluations, state.childFullWithinRank)
        raceRank = config.raceRank
        individuals = state.individuals.count
        wallSeconds = now - state.startedAt
        func entry(_ id: Int, rank: Int) -> Entry {
            let individual = state.individuals[state.original(id)]
            return Entry(rank: rank, individual: individual.id, formula: individual.formula,
                         nodes: individual.expression.nodeCount, depth: individual.expression.depth,
                         cheapPerplexity: individual.cheap?.value, fullPerplexity: individual.full?.value,
                         testPerplexity: individual.test?.value, validationPerplexity: individual.validation?.value,
                         operatorName: individual.operatorName, parents: individual.parents,
                         baseline: config.baselineName(individual: individual.id),
                         racedAfter: individual.race?.windows)
        }
        let ranked = state.rankedPopulation()
        top = ranked.prefix(topK).enumerated().map { entry($1, rank: $0 + 1) }
        finalRanking = config.finalRanking?.rawValue
        validationDraws = config.validationDraws
        finalists = state.finalists.count
        validationEvaluations = state.validationEvaluations
        bestSearchedValidation = state.finalists.filter { !state.isBaseline($0) }
            .compactMap { state.individuals[$0].validation?.value }.filter { !$0.isNaN }.min()
        let chosen = state.chosen.map { id in entry(id, rank: (ranked.firstIndex(of: id) ?? -1) + 1) }
        let baselines = state.baselineIndividuals.map { id in entry(id, rank: (ranked.firstIndex(of: id) ?? -1) + 1) }
        let floor = NoiseVerdict.floor(bound: state.equivalence.bound)
        self.chosen = chosen
        self.baselines = baselines
        noiseFloor = floor
        comparisons = chosen.map { chosen in
            baselines.filter { $0.individual != chosen.individual }.map {
                BaselineComparison(baseline: $0.baseline ?? $0.formula, formula: $0.formula, chosen: chosen, reference: $0,
                                   floor: floor)
            }
        } ?? []
        layerSparsity = config.layerSparsity.flatMap { $0 == .uniform ? nil : $0.description }
        blockSparsity = state.allocation.map(Self.perBlock)
        references = state.references.map(Reference.init)
        stageSeconds = state.stageSeconds
        plotLines = baselines.compactMap { b in b.fullPerplexity.map { PlotReference(name: b.baseline ?? b.formula, perplexity: $0) } }
            + references.compactMap { r in r.fullPerplexity.map { PlotReference(name: r.method, perplexity: $0) } }
    }

    /// A perplexity as the report's tables print it: three decimals, or "–" when not measured.
    static func cell(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "–" }

    package var markdown: String {
        let f = Self.cell
        let screened = screenWindows.map { " (the first \($0) fitness windows)" } ?? ""
        var lines = [
            "# Search \(searchID)", "",
            "- mode: \(mode), seed \(seed), sparsity \(sparsity)",
            "- evaluations: \(evaluations) (\(cheapEvaluations) cheap, \(fullEvaluations) full) + "
                + "\(validationEvaluations) validation + \(testEvaluations) test",
            "- full evaluations saved by screening on the cheap windows\(screened): \(savedFullEvaluations)",
            "- evaluations saved by caches: " + (cacheHits.isEmpty ? "0" : cacheHits.sorted { $0.key < $1.key }
                .map { "\($0.value) \($0.key)" }.joined(separator: ", ")),
            "- individuals born: \(individuals); leases lapsed: \(leaseExpiries)",
        ]
        if let aborts = depthAborts, let blocks = depthAbortBlocks {
            let mean = aborts > 0 ? String(format: ", mean depth reached %.1f blocks", Double(blocks) / Double(aborts)) : ""
            lines.append("- cheap screens stopped early by depth: \(aborts)\(mean)")
        }
        if let races, let windows = raceWindows {
            let mean = races > 0 ? String(format: ", mean full windows seen %.1f", Double(windows) / Double(races)) : ""
            lines.append("- full evaluations stopped by their race: \(races)\(mean) (ranked by the race's estimate)")
        }
        if let all = childFullEvaluations, let within = childFullWithinRank, all > 0 {
            let rank = raceRank ?? RaceSettings().rank
            lines.append("- children's full evaluations: \(all), of which \(within) no worse than the population's "
                         + "member \(rank) when they arrived (no race keeping the top \(rank) could stop those)")
        }
        lines += [
            String(format: "- wall time: %.0f s", wallSeconds),
        ] + layerLines + [""] + referenceLines + [
            "| rank | metric | nodes | depth | cheap ppl | full ppl | test ppl |",
            "|---:|---|---:|---:|---:|---:|---:|",
        ]
        for e in top {
            lines.append("| \(e.rank) | `\(e.formula)`\(e.baseline.map { " (\($0))" } ?? "") | \(e.nodes) | \(e.depth) | "
                         + "\(f(e.cheapPerplexity)) | \(f(e.fullPerplexity))\(e.racedAfter.map { " (raced, \($0) windows)" } ?? "") | \(f(e.testPerplexity)) |")
        }
        lines += finalMarkdown + stageMarkdown
        return lines.joined(separator: "\n") + "\n"
    }

    /// Where the workers' time went, largest first, with the per-job overhead (time outside every stage) stated as a
    /// share of the evaluations' time.
    private var stageMarkdown: [String] {
        let total = stageSeconds.values.reduce(0, +)
        guard total > 0 else { return [] }
        let overhead = stageSeconds[StageTime.overheadName] ?? 0
        var lines = ["", "## Where the workers' time went", "",
                     String(format: "Per-job overhead (outside every stage): %.2f s of %.1f s, %.2f%%.",
                            overhead, total, 100 * overhead / total), "",
                     "| stage | seconds | share |", "|---|---:|---:|"]
        for (stage, seconds) in stageSeconds.sorted(by: { $0.value > $1.value }) {
            lines.append(String(format: "| %@ | %.1f | %.1f%% |", stage as NSString, seconds, 100 * seconds / total))
        }
        return lines
    }

    /// The answer, how it was chosen, and the answer against each baseline.
    private var finalMarkdown: [String] {
        let f = Self.cell
        guard let chosen else {
            // No searched finalist (every measured member is a seeded baseline, e.g. a tiny budget): say so, rather
            // than call a baseline the search's answer.
            return top.first.map { first in
                ["", "Best metric by fitness: `\(first.formula)` " + (first.baseline.map {
                    "(the seeded baseline \($0): no searched metric reached the finalists, so there is no answer)"
                } ?? "(no answer chosen yet)")]
            } ?? []
        }
        let itself = chosen.baseline.map { " The answer is the baseline \($0) itself: the search found nothing better by fitness." } ?? ""
        var lines = ["", "## The answer", "", selectionNote + itself, "",
                     "| | metric | full ppl | validation ppl | test ppl |", "|---|---|---:|---:|---:|",
                     "| chosen | `\(chosen.formula)` | \(f(chosen.fullPerplexity)) | \(f(chosen.validationPerplexity)) | \(f(chosen.testPerplexity)) |"]
        for b in baselines {
            lines.append("| \(b.baseline ?? "baseline") | `\(b.formula)` | \(f(b.fullPerplexity)) | \(f(b.validationPerplexity)) | \(f(b.testPerplexity)) |")
        }
        if !comparisons.isEmpty {
            lines += ["", "Against each baseline (ratio chosen / baseline; difference chosen − baseline; lower is better):", ""]
            for c in comparisons {
                let full = c.fullRatio.map { String(format: "full %.4f× (%+.3f)", $0, c.fullDifference ?? .nan) } ?? "full –"
                let test = c.testRatio.map { String(format: "test %.4f× (%+.3f)", $0, c.testDifference ?? .nan) } ?? "test –"
                lines.append("- \(c.baseline): \(full), \(test). **\(c.statement)**")
            }
        }
        if finalRanking == "validation", let v = chosen.validationPerplexity,
           let ahead = baselines.filter({ ($0.validationPerplexity ?? .infinity) < v }).min(by: { $0.validationPerplexity! < $1.validationPerplexity! }) {
            let name = ahead.baseline ?? ahead.formula, value = ahead.validationPerplexity!
            let best = min(bestSearchedValidation ?? v, v)
            lines += ["", best < value
                ? String(format: "On validation the baseline %@ (%.3f) is ahead of the chosen metric (%.3f), not of every "
                         + "searched finalist (best %.3f, a tie with the chosen one within the tie width).", name, value, v, best)
                : String(format: "On validation the baseline %@ (%.3f) is ahead of every searched finalist (best %.3f).",
                         name, value, best)]
        }
        lines += ["", String(format: "Verdict rule: one calibration seed, so a gap counts only beyond %.1f%% "
                             + "(rounding alone moves X-based results by up to 1.5%%, fixture README); gaps against "
                             + "seed-to-seed noise: `prunerzero-coordinator rescore RUN --seeds K`.", expm1(noiseFloor) * 100),
                  "", "Best metric (the answer; `best_metric.json`, the reference's tree format): `\(chosen.formula)`"]
        return lines
    }

    /// Writes report.md, report.json and best_metric.json into `directory`.
    /// Writes report.md, report.json, best_metric.json and, given the journal's events, history.csv and
    /// progress.svg (best and median fitness against evaluations).
    package func write(to directory: URL, events: [SearchEvent]? = nil) throws {
        var markdown = self.markdown
        if let events, let history = try? SearchHistory(events: events) {
            try Data(history.csv.utf8).write(to: directory.appendingPathComponent("history.csv"), options: .atomic)
            try Data(ProgressPlot.svg(history, title: "Search \(searchID): \(sparsity)", references: plotLines).utf8)
                .write(to: directory.appendingPathComponent("progress.svg"), options: .atomic)
            markdown += "\n![best and median perplexity against evaluations](progress.svg)\n\nPer-result history: `history.csv`.\n"
        }
        try Data(markdown.utf8).write(to: directory.appendingPathComponent("report.md"), options: .atomic)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: directory.appendingPathComponent("report.json"), options: .atomic)
        if let best = chosen ?? top.first, let tree = try? MetricExpression(parsing: best.formula) {
            try tree.referenceJSON().write(to: directory.appendingPathComponent("best_metric.json"), options: .atomic)
        }
    }
}
