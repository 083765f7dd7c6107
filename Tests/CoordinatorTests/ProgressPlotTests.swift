import Foundation
import Testing
@testable import Search
import Shared

/// progress.svg: the run's baselines as reference lines, a y-range set by the best-so-far curve and the baselines
/// (not by the worst child), round tick values.
@Suite struct ProgressPlotTests {
    @Test func referenceLinesAreDrawnAndTheWorstChildDoesNotSetTheRange() throws {
        var sim = SearchSimulation(config: SearchSimulation.config(budget: 60))
        var order = SeededRandom(seed: 3)
        sim.run(workers: ["w1", "w2"], order: &order)
        // A child 10^5 times worse than the rest, as a failed-but-finite metric (magnitude at 70% on SmolLM2).
        var journal = sim.journal
        guard let index = journal.lastIndex(where: { if case .result(let r) = $0, r.windows == "full" { return true }; return false }),
              case .result(var worst) = journal[index] else { Issue.record("no full result"); return }
        worst.perplexity = 2.5e6
        journal[index] = .result(worst)
        let history = try SearchHistory(events: journal)
        let best = history.rows.compactMap(\.best)
        let references = [PlotReference(name: "paper", perplexity: 30.5), PlotReference(name: "wanda", perplexity: 29.0)]
        let svg = ProgressPlot.svg(history, title: "t", references: references)
        #expect(svg.components(separatedBy: "class=\"reference\"").count - 1 == 2)
        #expect(svg.contains(">paper 30.5<") && svg.contains(">wanda 29<"))
        #expect(svg.contains("class=\"outside\""), "the worst child is drawn at the edge")

        let axis = try #require(ProgressPlot.yAxis(best: best, references: references.map(\.perplexity)))
        #expect(axis.high < 2.5e6 / 1000, "the range is not the worst child's")
        #expect(abs(axis.low - min(best.min()!, 29.0) * 0.95) < 1e-9)
        #expect(abs(axis.high - max(best.first!, 30.5) * 1.1) < 1e-9)
        // The best-so-far curve spans a visible part of the height: its drop is ≥ 10% of the range when it improves.
        if best.first! / best.last! > 1.05 { #expect((best.first! - best.last!) / (axis.high - axis.low) > 0.1) }
    }

    @Test func ticksAreRoundNumbersInsideTheRange() {
        let linear = PlotAxis(low: 24.7, high: 31.9, logarithmic: false)
        let ticks = linear.ticks
        #expect(ticks == [26, 28, 30])
        #expect(PlotAxis.format(26) == "26" && PlotAxis.format(26.5) == "26.5")
        let log = PlotAxis(low: 18, high: 600, logarithmic: true)
        #expect(log.ticks == [20, 50, 100, 200, 500])
        // A narrow range is widened to a factor of 1.1 and stays linear.
        let flat = ProgressPlot.yAxis(best: [100, 100], references: [])!
        #expect(flat.high / flat.low >= 1.1 - 1e-12 && !flat.logarithmic)
    }
}
