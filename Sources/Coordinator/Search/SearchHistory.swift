import Foundation

/// The search's progress, one row per accepted result, recomputed from the journal by folding its events through
/// `SearchState.apply` (so the history, the report and a resumed search all agree).
struct SearchHistory: Sendable {
    struct Row: Sendable {
        /// Evaluations done after this result (cheap + full; test evaluations do not count).
        var evaluations: Int
        var seconds: Double
        var job: UInt64
        var windows: String
        var perplexity: Double?
        /// Best and median full-window perplexity of the population after this result.
        var best: Double?
        var median: Double?
    }

    private(set) var rows: [Row] = []

    init(events: [SearchEvent]) throws {
        var state = SearchState()
        for event in events {
            try state.apply(event)
            // Reference baselines' results are not evaluations of the search (the report lists them).
            guard case .result(let r) = event, state.jobs[r.job]?.method == .metric else { continue }
            let fitnesses = state.population.compactMap(state.fullFitness).sorted()
            rows.append(Row(evaluations: state.evaluations, seconds: r.time - state.startedAt, job: r.job,
                            windows: r.windows, perplexity: r.perplexity,
                            best: state.best.flatMap(state.fullFitness),
                            median: fitnesses.isEmpty ? nil : fitnesses[fitnesses.count / 2]))
        }
    }

    /// `history.csv`: one line per result.
    var csv: String {
        func cell(_ x: Double?) -> String { x.map { String(format: "%.6g", $0) } ?? "" }
        var lines = ["evaluations,seconds,job,windows,perplexity,best_full,median_full"]
        for r in rows {
            lines.append("\(r.evaluations),\(String(format: "%.3f", r.seconds)),\(r.job),\(r.windows),"
                         + "\(cell(r.perplexity)),\(cell(r.best)),\(cell(r.median))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
