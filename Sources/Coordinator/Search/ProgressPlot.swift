import Foundation

/// `progress.svg`: best and median full-window perplexity of the population against evaluations, with every full
/// evaluation as a dot. Perplexity is on a log axis (failed and absurd metrics sit orders of magnitude above the
/// good ones). Plain SVG, so any browser or the file viewer shows it without a plotting library.
enum ProgressPlot {
    static func svg(_ history: SearchHistory, title: String) -> String {
        let width = 760.0, height = 420.0, left = 70.0, right = 20.0, top = 40.0, bottom = 50.0
        let rows = history.rows
        let values = rows.flatMap { [$0.best, $0.median, $0.windows == "full" ? $0.perplexity : nil] }
            .compactMap { $0 }.filter { $0.isFinite && $0 > 0 }
        guard let lowValue = values.min(), let highValue = values.max(), let lastX = rows.last?.evaluations else {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"60\"><text x=\"10\" y=\"30\">"
                + "no full evaluations yet</text></svg>\n"
        }
        // Log axis spanning at least a factor of 1.1, so a flat search is still readable.
        var low = log10(lowValue), high = log10(highValue)
        if high - low < 0.04 { low -= 0.02; high += 0.02 }
        let maxX = Double(max(lastX, 1))
        func x(_ e: Int) -> Double { left + Double(e) / maxX * (width - left - right) }
        func y(_ v: Double) -> Double { top + (high - log10(v)) / (high - low) * (height - top - bottom) }
        func polyline(_ key: KeyPath<SearchHistory.Row, Double?>, _ colour: String) -> String {
            let points = rows.compactMap { r in r[keyPath: key].map { String(format: "%.1f,%.1f", x(r.evaluations), y($0)) } }
            return "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
        }
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(left)\" y=\"22\" font-size=\"15\">\(escape(title))</text>",
            String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>", left, height - bottom, width - right, height - bottom),
            String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>", left, top, left, height - bottom),
            "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">evaluations</text>",
            "<text x=\"16\" y=\"\((top + height - bottom) / 2)\" transform=\"rotate(-90 16 \((top + height - bottom) / 2))\" text-anchor=\"middle\">perplexity (log scale)</text>",
        ]
        for i in 0...4 {
            let v = pow(10, low + (high - low) * Double(i) / 4)
            svg.append(String(format: "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%@</text>", left - 6, y(v) + 4, format(v) as NSString))
            svg.append(String(format: "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, y(v), width - right, y(v)))
            let e = Int(maxX * Double(i) / 4)
            svg.append(String(format: "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%d</text>", x(e), height - bottom + 16, e))
        }
        for r in rows where r.windows == "full" {
            if let p = r.perplexity, p.isFinite, p > 0 {
                svg.append(String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#9ab\"/>", x(r.evaluations), y(p)))
            }
        }
        svg.append(polyline(\.median, "#e69f00"))
        svg.append(polyline(\.best, "#0072b2"))
        svg.append("<text x=\"\(width - right - 190)\" y=\"\(top + 4)\" fill=\"#0072b2\">— best in population</text>")
        svg.append("<text x=\"\(width - right - 190)\" y=\"\(top + 20)\" fill=\"#e69f00\">— population median</text>")
        svg.append("<text x=\"\(width - right - 190)\" y=\"\(top + 36)\" fill=\"#9ab\">● a full evaluation</text>")
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    static func format(_ v: Double) -> String { v >= 1000 ? String(format: "%.3g", v) : String(format: "%.4g", v) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
