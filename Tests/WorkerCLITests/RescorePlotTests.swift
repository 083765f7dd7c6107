import Testing
@testable import Worker

/// The rescore plot's axis: anchored on the best mask-only method, so a far better reference line (SparseGPT,
/// which updates weights) does not push every metric off it.
@Suite struct RescorePlotTests {
    static func method(_ name: String, _ role: String, _ values: [Double]) -> RescoreSummary.Method {
        RescoreSummary.Method(name: name, formula: name, role: role, perplexities: values,
                              mean: values.reduce(0, +) / Double(values.count), sd: nil)
    }

    /// SmolLM2 at 70% over seeds 1–3 (Benchmarks/Results/smollm2-rescore-70.json, uniform).
    static let at70 = [
        method("magnitude", "baseline", [294_010.6, 294_010.6, 294_010.6]),
        method("wanda", "baseline", [374.48, 413.29, 501.81]),
        method("paper", "baseline", [667.01, 562.69, 692.28]),
        method("ria", "baseline", [578.74, 603.34, 666.69]),
        method("sparsegpt", "baseline", [73.79, 80.79, 82.93]),
        method("mul(W, mul(W, add(G, X)))", "metric", [368.93, 470.73, 444.73]),
    ]

    @Test func everyMaskOnlyMethodWithinFourTimesTheBestIsOnTheAxis() throws {
        let axis = try #require(RescorePlot.axis(Self.at70))
        #expect(axis.low <= 73.79 && axis.logarithmic)
        for m in Self.at70 where m.name != "magnitude" {
            #expect(m.perplexities.allSatisfy { $0 <= axis.high }, "\(m.name) is off the axis (high \(axis.high))")
        }
        #expect(axis.high < 294_010, "magnitude, 680x worse, should sit beyond the axis")
    }

    @Test func withoutMaskOnlyMethodsTheReferenceAnchors() throws {
        let axis = try #require(RescorePlot.axis([Self.at70[4]]))
        #expect(axis.low <= 73.79 && axis.high >= 82.93)
    }

    /// A long formula is cut to the margin with "…" and kept whole in the row's tooltip.
    @Test func longFormulasFitTheMargin() throws {
        let long = "mul(W, mul(add(X, add(G, X)), mul(W, mul(add(add(G, G), add(X, X)), mms(W)))))"
        let label = RescorePlot.label(long)
        #expect(label.count == RescorePlot.labelLimit && label.hasSuffix("…") && long.hasPrefix(label.dropLast()))
        #expect(RescorePlot.label("wanda") == "wanda")
        let summary = RescoreSummary(bundle: "b", pattern: "unstructured 0.6", xMode: "sequential", heldOut: "test",
                                     windows: 32, seeds: [1, 2, 3],
                                     methods: [Self.method(long, "metric", [66.9, 66.0, 69.3])], floor: 0.015)
        let svg = RescorePlot.svg([summary], title: "t")
        #expect(svg.contains("<title>\(long)</title>"))
    }
}
