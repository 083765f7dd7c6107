import Foundation
import Shared

/// What `rescore` prints: per method its held-out perplexity on each seed, mean ± sd, and every method against
/// every baseline by `PairedComparison` (the verdict rule, with which sd and why, is written there).
struct RescoreSummary: Codable {
    struct Method: Codable {
        var name: String
        var formula: String
        /// "baseline" or "metric".
        var role: String
        var perplexities: [Double] = []
        var mean: Double?
        var sd: Double?
    }

    struct Comparison: Codable {
        var method: String
        var baseline: String
        var meanLogRatio: Double
        var sdLogRatio: Double?
        var threshold: Double
        var relativeGap: Double
        var verdict: NoiseVerdict
        /// Seeds on which the method's perplexity is below the baseline's (nil in outputs from before it): a
        /// consistency the 2-sd rule does not weigh, shown beside "within noise" so a reader sees both.
        var lowerOnSeeds: Int?
    }

    var bundle: String
    var pattern: String
    var xMode: String
    var heldOut: String
    var windows: Int
    var seeds: [Int]
    var floor: Double
    var methods: [Method]
    var comparisons: [Comparison]

    init(bundle: String, pattern: String, xMode: String, heldOut: String, windows: Int, seeds: [Int],
         methods: [Method], floor: Double) {
        self.bundle = bundle; self.pattern = pattern; self.xMode = xMode; self.heldOut = heldOut
        self.windows = windows; self.seeds = seeds; self.floor = floor
        self.methods = methods.map { m in
            var m = m
            let s = SeedSummary(m.perplexities)
            m.mean = s.mean; m.sd = s.sd
            return m
        }
        comparisons = []
        for m in methods {
            for b in methods where b.role == "baseline" && b.name != m.name {
                let c = PairedComparison(metric: m.perplexities, reference: b.perplexities, floor: floor)
                comparisons.append(Comparison(method: m.name, baseline: b.name, meanLogRatio: c.meanLogRatio,
                                              sdLogRatio: c.sdLogRatio, threshold: c.threshold,
                                              relativeGap: c.relativeGap, verdict: c.verdict,
                                              lowerOnSeeds: zip(m.perplexities, b.perplexities).filter { $0 < $1 }.count))
            }
        }
    }

    /// One cell: "beats (−4.2%; > 2.0%)", "loses (+3.1%; > 1.5%)", "within noise (+0.8%; ≤ 2.4%; lower on 1/3)".
    func cell(_ c: Comparison) -> String {
        let gap = String(format: "%+.1f%%", c.relativeGap * 100), limit = String(format: "%.1f%%", expm1(c.threshold) * 100)
        switch c.verdict {
        case .beats: return "beats (\(gap); > \(limit))"
        case .loses: return "loses (\(gap); > \(limit))"
        case .withinNoise:
            let lower = c.lowerOnSeeds.map { "; lower on \($0)/\(seeds.count)" } ?? ""
            return "within noise (\(gap); ≤ \(limit)\(lower))"
        }
    }

    var table: String {
        let baselines = methods.filter { $0.role == "baseline" }.map(\.name)
        var lines = [
            "Held-out \(heldOut) perplexity (\(windows) windows), \(pattern), X \(xMode), over \(seeds.count) calibration "
                + "seeds (\(seeds.map(String.init).joined(separator: ", "))):", "",
            "| method | mean ± sd | per seed | " + baselines.map { "vs \($0)" }.joined(separator: " | ") + " |",
            "|---|---:|---|" + baselines.map { _ in "---|" }.joined(),
        ]
        for m in methods {
            let label = m.role == "baseline" ? "\(m.name)" : "`\(m.name)`"
            let spread = String(format: "%.3f ± %.3f", m.mean ?? .nan, m.sd ?? .nan)
            let each = m.perplexities.map { String(format: "%.3f", $0) }.joined(separator: ", ")
            let cells = baselines.map { b in
                comparisons.first { $0.method == m.name && $0.baseline == b }.map(cell) ?? "—"
            }
            lines.append("| \(label) | \(spread) | \(each) | " + cells.joined(separator: " | ") + " |")
        }
        lines += ["", String(format: "Verdicts: the mean gap of ln perplexity against the baseline, beyond max(2 sd of its "
                             + "paired difference over the seeds, the %.1f%% rounding floor); \"within noise\" otherwise. "
                             + "A cell reads row against column (\"beats\": the row's perplexity is lower).", expm1(floor) * 100)]
        return lines.joined(separator: "\n")
    }

    /// One setting: `{"summary": …, "table": …}`.
    var json: String {
        struct Output: Encodable {
            var summary: RescoreSummary
            var table: String
        }
        return Self.encoded(Output(summary: self, table: table))
    }

    /// Several settings measured on the same seeds: `{"summaries": [...], "tables": [...]}`, in the order asked.
    static func json(_ summaries: [RescoreSummary]) -> String {
        struct Output: Encodable {
            var summaries: [RescoreSummary]
            var tables: [String]
        }
        return encoded(Output(summaries: summaries, tables: summaries.map(\.table)))
    }

    /// The summaries of a `json` or `json(_:)` output; nil when `data` is neither.
    static func decoded(_ data: Data) -> [RescoreSummary]? {
        struct Several: Decodable { var summaries: [RescoreSummary] }
        struct One: Decodable { var summary: RescoreSummary }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        if let several = try? decoder.decode(Several.self, from: data) { return several.summaries }
        if let one = try? decoder.decode(One.self, from: data) { return [one.summary] }
        return nil
    }

    private static func encoded(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
