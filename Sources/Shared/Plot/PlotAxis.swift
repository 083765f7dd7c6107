import Foundation

/// One axis of the project's plain-SVG plots (`progress.svg`, `rescore.svg`): its range, linear or logarithmic, and
/// round tick values (1, 2, 5 × 10^k steps, or 1-2-5 decades on a log axis), so every plot reads the same way.
package struct PlotAxis: Equatable, Sendable {
    package var low: Double
    package var high: Double
    package var logarithmic: Bool

    package init(low: Double, high: Double, logarithmic: Bool) {
        self.low = low; self.high = high; self.logarithmic = logarithmic
    }

    /// Where `value` falls between `from` (at `low`) and `to` (at `high`), clamped into the axis: values outside
    /// sit at the edge.
    package func position(_ value: Double, from: Double, to: Double) -> Double {
        func t(_ v: Double) -> Double { logarithmic ? log10(v) : v }
        let clamped = min(max(value, low), high)
        return from + (t(clamped) - t(low)) / (t(high) - t(low)) * (to - from)
    }

    /// Round tick values inside the axis: a 1-2-5 step giving 4–8 ticks (linear), or the 1, 2, 5 × 10^k values
    /// inside (logarithmic; every decade alone when there are too many, round linear steps when fewer than 3).
    package var ticks: [Double] {
        if logarithmic {
            var values: [Double] = []
            var decade = pow(10, floor(log10(low)))
            while decade <= high {
                for m in [1.0, 2, 5] where (low...high).contains(m * decade) { values.append(m * decade) }
                decade *= 10
            }
            if values.count > 10 { return values.filter { abs(log10($0).rounded() - log10($0)) < 1e-9 } }
            // A short log axis (20 to 90) holds one or two such values: round linear steps read better there.
            if values.count >= 3 { return values }
            return linearTicks(divisions: 8)
        }
        return linearTicks(divisions: 5)
    }

    /// Multiples of a 1-2-5 step of about (high − low) / `divisions` inside the axis.
    private func linearTicks(divisions: Double) -> [Double] {
        let step = Self.niceStep((high - low) / divisions)
        var values: [Double] = []
        var v = (low / step).rounded(.up) * step
        while v <= high + step * 1e-9 { values.append(v); v += step }
        return values
    }

    /// The 1, 2 or 5 × 10^k nearest above `raw`.
    package static func niceStep(_ raw: Double) -> Double {
        let magnitude = pow(10, floor(log10(raw)))
        for m in [1.0, 2, 5, 10] where m * magnitude >= raw * 0.999 { return m * magnitude }
        return 10 * magnitude
    }

    /// A tick or value label: four significant digits from 1000 up, else up to four decimals without trailing
    /// zeros (26, 26.5, 0.02).
    package static func format(_ v: Double) -> String {
        if v >= 1000 { return String(format: "%.4g", v) }
        let s = String(format: "%.4f", v)
        return s.contains(".") ? String(s.reversed().drop { $0 == "0" }.drop { $0 == "." }.reversed()) : s
    }

    /// Text made safe for SVG.
    package static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
