import Foundation
import Shared

/// `rescore --plot FILE`: one panel per setting, one row per method: each calibration seed's held-out perplexity as
/// a dot and the mean ± sd as a bar, on the panel's own axis (log when it spans more than a factor of 3). The axis
/// shows the interesting range, up to 4× the best mean: methods beyond it (magnitude at 50% is 20× worse than
/// wanda on SmolLM2) sit at the right edge as a triangle labelled with their mean, so they do not squash the rest.
/// SparseGPT is drawn in grey: it updates the weights it keeps, so it is a reference line, not a mask-only metric.
enum RescorePlot {
    static let width = 860.0, left = 250.0, right = 150.0, rowHeight = 22.0, panelTop = 46.0, panelBottom = 34.0

    static func svg(_ summaries: [RescoreSummary], title: String) -> String {
        var body: [String] = []
        var y = 40.0
        for summary in summaries {
            let (lines, height) = panel(summary, top: y)
            body += lines
            y += height
        }
        let legend = String(format: "<text x=\"%.0f\" y=\"%.0f\" fill=\"#555\">● one calibration seed   ━ mean ± sd   ▶ beyond the axis (its mean)</text>", left, y + 4)
        return (["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(y + 20))\" font-family=\"sans-serif\" font-size=\"12\">",
                 "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
                 "<text x=\"10\" y=\"22\" font-size=\"15\">\(PlotAxis.escape(title))</text>"]
                + body + [legend, "</svg>"]).joined(separator: "\n") + "\n"
    }

    /// The axis of one panel: [0.92 × lowest seed value, min(4 × best mean, 1.08 × highest seed value)], at least
    /// a factor of 1.1 wide; nil when nothing finite was measured. The best mean is the best mask-only method's:
    /// SparseGPT, drawn as a reference, is 5× ahead of every metric at 70% on SmolLM2, and anchoring on it pushed
    /// all of them off the axis.
    static func axis(_ methods: [RescoreSummary.Method]) -> PlotAxis? {
        let values = methods.flatMap(\.perplexities).filter { $0.isFinite && $0 > 0 }
        guard let lowest = values.min(), let highest = values.max() else { return nil }
        func bestMean(_ candidates: [RescoreSummary.Method]) -> Double? {
            candidates.compactMap(\.mean).filter { $0.isFinite && $0 > 0 }.min()
        }
        let best = bestMean(methods.filter { !isReference($0) }) ?? bestMean(methods) ?? lowest
        var low = lowest * 0.92, high = min(highest * 1.08, best * 4)
        if high / low < 1.1 { let mid = (high * low).squareRoot(); low = mid / 1.05; high = mid * 1.05 }
        return PlotAxis(low: low, high: high, logarithmic: high / low > 3)
    }

    static func panel(_ summary: RescoreSummary, top: Double) -> ([String], Double) {
        let methods = summary.methods
        let plotTop = top + panelTop, plotBottom = plotTop + Double(methods.count) * rowHeight
        let plotRight = width - right
        var out = [String(format: "<text x=\"10\" y=\"%.0f\" font-size=\"14\">%@, %@ X: held-out %@ perplexity over %d windows, seeds %@</text>",
                          top + 20, PlotAxis.escape(summary.pattern) as NSString, summary.xMode as NSString,
                          summary.heldOut as NSString, summary.windows,
                          summary.seeds.map(String.init).joined(separator: ", ") as NSString)]
        guard let axis = axis(methods) else {
            return (out + [String(format: "<text x=\"%.0f\" y=\"%.0f\">nothing finite measured</text>", left, plotTop + 14)], panelTop + 30)
        }
        func x(_ v: Double) -> Double { axis.position(v, from: left, to: plotRight) }
        out.append(String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>", left, plotBottom, plotRight, plotBottom))
        for v in axis.ticks {
            out.append(String(format: "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#ddd\"/>", x(v), plotTop - 6, x(v), plotBottom))
            out.append(String(format: "<text class=\"xtick\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%@</text>", x(v), plotBottom + 15,
                              PlotAxis.format(v) as NSString))
        }
        if axis.logarithmic {
            out.append(String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" fill=\"#555\">log scale</text>", plotRight, plotBottom + 28))
        }
        for (row, m) in methods.enumerated() {
            let cy = plotTop + (Double(row) + 0.5) * rowHeight
            let colour = colour(m)
            let name = m.role == "baseline" ? m.name : m.formula
            // The full formula stays in the row's tooltip; the label fits the margin.
            out.append(String(format: "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" fill=\"%@\"><title>%@</title>%@</text>",
                              left - 8, cy + 4, colour as NSString, PlotAxis.escape(name) as NSString,
                              PlotAxis.escape(label(name)) as NSString))
            guard let mean = m.mean, mean.isFinite else { continue }
            if mean > axis.high {
                let tx = plotRight
                out.append(String(format: "<path class=\"beyond\" d=\"M%.1f,%.1f l-9,-5 v10 z\" fill=\"%@\"/>", tx, cy, colour as NSString))
                out.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" fill=\"%@\">%@</text>", tx + 6, cy + 4, colour as NSString,
                                  value(mean) as NSString))
                continue
            }
            if let sd = m.sd, sd.isFinite {
                out.append(String(format: "<line class=\"spread\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"3\"/>",
                                  x(max(mean - sd, axis.low)), cy, x(mean + sd), cy, colour as NSString))
            }
            for p in m.perplexities where p.isFinite {
                out.append(String(format: "<circle class=\"seed\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"none\" stroke=\"%@\"/>", x(p), cy, colour as NSString))
            }
            out.append(String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"2\"/>",
                              x(mean), cy - 7, x(mean), cy + 7, colour as NSString))
            out.append(String(format: "<text x=\"%.0f\" y=\"%.1f\" fill=\"%@\">%@ ± %@</text>", plotRight + 6, cy + 4, colour as NSString,
                              value(mean) as NSString, value(m.sd ?? .nan) as NSString))
        }
        return (out, plotBottom - top + panelBottom)
    }

    /// A perplexity as the README's tables print it: two decimals, four significant digits from 10,000 up.
    static func value(_ v: Double) -> String { v >= 10_000 ? String(format: "%.4g", v) : String(format: "%.2f", v) }

    /// Characters of a row label that fit the left margin at the plot's font size.
    static let labelLimit = 36

    /// `name`, or its first characters and "…" when it would overflow the left margin (the searched metrics
    /// can be 80 characters long).
    static func label(_ name: String) -> String {
        name.count <= labelLimit ? name : String(name.prefix(labelLimit - 1)) + "…"
    }

    /// SparseGPT updates the weights it keeps: a reference line beside the mask-only methods.
    static func isReference(_ m: RescoreSummary.Method) -> Bool { m.role == "baseline" && m.name == "sparsegpt" }

    /// Searched metrics in blue, mask-only baselines in warm colours, SparseGPT (weight updates) in grey.
    static func colour(_ m: RescoreSummary.Method) -> String {
        if m.role != "baseline" { return "#0072b2" }
        switch m.name {
        case "sparsegpt": return "#777777"
        case "magnitude": return "#cc79a7"
        case "wanda": return "#009e73"
        case "ria": return "#d55e00"
        case "paper": return "#e69f00"
        default: return "#000000"
        }
    }
}
