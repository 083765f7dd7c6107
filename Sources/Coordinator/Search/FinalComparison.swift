import Foundation
import Shared

/// A horizontal line the progress plot draws: a method measured on the fitness windows, to read the search's
/// curve against (the seeded baselines and the reference methods, `ReferenceLine`, e.g. SparseGPT).
package struct PlotReference: Codable, Sendable, Hashable {
    package var name: String
    /// Full-window (fitness) perplexity: the scale of the curve.
    package var perplexity: Double

    package init(name: String, perplexity: Double) { self.name = name; self.perplexity = perplexity }
}

/// The search's answer against one baseline: on the fitness windows (in-sample: the search optimised them) and on
/// the held-out test windows, where the verdict is stated against `NoiseVerdict`'s one-run floor.
package struct BaselineComparison: Codable, Sendable {
    package var baseline: String
    package var formula: String
    /// Chosen / baseline perplexity and their difference (chosen − baseline), on the full and the test windows.
    package var fullRatio: Double?
    package var fullDifference: Double?
    package var testRatio: Double?
    package var testDifference: Double?
    package var verdict: NoiseVerdict?
    package var statement: String

    init(baseline: String, formula: String, chosen: SearchReport.Entry, reference: SearchReport.Entry, floor: Double) {
        self.baseline = baseline
        self.formula = formula
        if let c = chosen.fullPerplexity, let b = reference.fullPerplexity { fullRatio = c / b; fullDifference = c - b }
        guard let c = chosen.testPerplexity, let b = reference.testPerplexity else {
            statement = "\(baseline): no held-out test perplexity for " + (chosen.testPerplexity == nil ? "the search's best" : baseline)
            return
        }
        testRatio = c / b
        testDifference = c - b
        let verdict = NoiseVerdict.single(metric: c, reference: b, floor: floor)
        self.verdict = verdict
        let numbers = String(format: "%.2f vs %.2f (%+.1f%%)", c, b, (c / b - 1) * 100)
        switch verdict {
        case .loses:
            statement = "\(baseline) beats the search's best on held-out test: " + String(format: "%.2f vs %.2f", b, c)
        case .beats:
            statement = "the search's best beats \(baseline) on held-out test: \(numbers); one calibration seed "
                + "(`rescore` states it against seed-to-seed noise)"
        case .withinNoise:
            statement = "the search's best and \(baseline) are within noise on held-out test: \(numbers), "
                + String(format: "|gap| ≤ %.1f%% (rounding floor)", expm1(floor) * 100)
        }
    }
}

extension SearchReport {
    /// What validation pruned with, when not the bundle's own calibration.
    private var drawsNote: String {
        guard let draws = validationDraws, !draws.isEmpty else { return "" }
        let seeds = draws.map(String.init).joined(separator: ", ")
        return "; each finalist was pruned there with \(draws.count) other calibration draw\(draws.count == 1 ? "" : "s") "
            + "(seed\(draws.count == 1 ? "" : "s") \(seeds): new windows, G and X; geometric mean perplexity), not with "
            + "the draw the search fitted"
    }

    /// How the answer was chosen, in words for the report.
    var selectionNote: String {
        switch finalRanking {
        case "validation":
            "Chosen on the validation windows (never searched on) among \(finalists) finalists (the best "
                + "\(finalists - baselines.count) searched metrics by fitness and the baselines)\(drawsNote); only it and "
                + "the baselines were measured on the test windows."
        case "test":
            "This bundle has no validation windows, so the finalists were ranked on the test windows: the chosen "
                + "metric's test perplexity is biased low (it was selected on those windows). Calibrate with "
                + "`--validation-windows` to choose on separate windows."
        default:
            "Journal from before validation windows: the answer is the best by fitness."
        }
    }
}
