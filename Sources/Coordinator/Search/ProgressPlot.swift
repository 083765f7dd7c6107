import Foundation
import Shared

/// `progress.svg`: best and median full-window perplexity of the population against evaluations, every full
/// evaluation as a dot, and the run's baselines (`PlotReference`s) as dashed horizontal lines. Plain SVG, so any
/// browser or the file viewer shows it without a plotting library.
///
/// The y-range is the interesting one, not the whole spread: from 5% below the lowest best-so-far value (or
/// reference) to 10% above the highest of the first best value and the references. Failed and absurd children sit
/// orders of magnitude above; they are drawn at the top edge as open triangles, so the best-so-far curve is not
/// squashed into the bottom pixels. The axis is linear when that range spans less than a factor of 3, else
/// logarithmic; ticks are round numbers (1, 2, 5 × 10^k steps, or 1-2-5 decades on a log axis).
enum ProgressPlot {
    static func svg(_ history: SearchHistory, title: String, references: [PlotReference] = []) -> String {
        let width = 760.0, height = 420.0, left = 70.0, right = 170.0, top = 40.0, bottom = 50.0
        let rows = history.rows
        let refs = references.filter { $0.perplexity.isFinite && $0.perplexity > 0 }
        guard let axis = yAxis(best: rows.compactMap(\.best), references: refs.map(\.perplexity)),
              let lastX = rows.last?.evaluations else {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"60\"><text x=\"10\" y=\"30\">"
                + "no full evaluations yet</text></svg>\n"
        }
        let maxX = Double(max(lastX, 1))
        let plotRight = width - right
        func x(_ e: Int) -> Double { left + Double(e) / maxX * (plotRight - left) }
        /// Clamped into the plot: values outside sit at the edge.
        func y(_ v: Double) -> Double { axis.position(v, from: height - bottom, to: top) }
        func polyline(_ key: KeyPath<SearchHistory.Row, Double?>, _ colour: String) -> String {
            let points = rows.compactMap { r in r[keyPath: key].map { String(format: "%.1f,%.1f", x(r.evaluations), y($0)) } }
            return "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
        }
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(left)\" y=\"22\" font-size=\"15\">\(PlotAxis.escape(title))</text>",
            String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>", left, height - bottom, plotRight, height - bottom),
            String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>", left, top, left, height - bottom),
            "<text x=\"\((left + plotRight) / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">evaluations</text>",
            "<text x=\"16\" y=\"\((top + height - bottom) / 2)\" transform=\"rotate(-90 16 \((top + height - bottom) / 2))\" "
                + "text-anchor=\"middle\">perplexity (full windows\(axis.logarithmic ? ", log scale" : ""))</text>",
        ]
        for v in axis.ticks {
            svg.append(String(format: "<text class=\"ytick\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%@</text>", left - 6, y(v) + 4, PlotAxis.format(v) as NSString))
            svg.append(String(format: "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, y(v), plotRight, y(v)))
        }
        for e in xTicks(maxX) {
            svg.append(String(format: "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%d</text>", x(e), height - bottom + 16, e))
        }
        for r in rows where r.windows == "full" {
            guard let p = r.perplexity, p.isFinite, p > 0 else { continue }
            if p > axis.high {
                let (cx, cy) = (x(r.evaluations), y(p))
                svg.append(String(format: "<path class=\"outside\" d=\"M%.1f,%.1f l-3,5 h6 z\" fill=\"none\" stroke=\"#9ab\"/>", cx, cy))
            } else {
                svg.append(String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#9ab\"/>", x(r.evaluations), y(p)))
            }
        }
        let colours = ["#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#f0e442", "#000000"]
        for (i, ref) in refs.enumerated() {
            let colour = colours[i % colours.count], yy = y(ref.perplexity)
            svg.append(String(format: "<line class=\"reference\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"%@\" "
                              + "stroke-dasharray=\"6 4\" stroke-width=\"1.5\"/>", left, yy, plotRight, yy, colour as NSString))
            svg.append(String(format: "<text x=\"%.0f\" y=\"%.1f\" fill=\"%@\">%@ %@</text>", plotRight + 6, yy + 4,
                              colour as NSString, PlotAxis.escape(ref.name) as NSString, PlotAxis.format(ref.perplexity) as NSString))
        }
        svg.append(polyline(\.median, "#e69f00"))
        svg.append(polyline(\.best, "#0072b2"))
        let legend = plotRight - 190
        svg.append("<text x=\"\(legend)\" y=\"\(top + 4)\" fill=\"#0072b2\">— best in population</text>")
        svg.append("<text x=\"\(legend)\" y=\"\(top + 20)\" fill=\"#e69f00\">— population median</text>")
        svg.append("<text x=\"\(legend)\" y=\"\(top + 36)\" fill=\"#9ab\">● a full evaluation (△ above the range)</text>")
        if !refs.isEmpty { svg.append("<text x=\"\(legend)\" y=\"\(top + 52)\" fill=\"#555\">- - baselines (this run)</text>") }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// [0.95 × lowest of best-so-far and references, 1.1 × highest of the first best and the references]; at
    /// least a factor of 1.1 wide, so a flat search is still readable; nil when there is nothing to draw.
    static func yAxis(best: [Double], references: [Double]) -> PlotAxis? {
        let best = best.filter { $0.isFinite && $0 > 0 }
        guard let first = best.first ?? references.first else { return nil }
        let lowest = (best + references).min()!, highest = ([first] + references).max()!
        var low = lowest * 0.95, high = highest * 1.1
        if high / low < 1.1 { let mid = (high * low).squareRoot(); low = mid / 1.05; high = mid * 1.05 }
        return PlotAxis(low: low, high: high, logarithmic: high / low > 3)
    }

    static func xTicks(_ maxX: Double) -> [Int] {
        let step = max(1, Int(PlotAxis.niceStep(max(maxX, 1) / 5)))
        return Array(stride(from: 0, through: Int(maxX), by: step))
    }
}
