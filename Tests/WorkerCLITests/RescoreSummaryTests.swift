import Foundation
import Testing
@testable import Worker

/// The rescore table's verdict cells: "within noise" also says on how many seeds the method was lower, since a
/// gap the 2-sd rule does not certify can still be consistent (issue 14's 2:4 answer: lower on 5 of 5 seeds).
@Suite struct RescoreSummaryTests {
    /// Benchmarks/Results/smollm2-search-24-rescore-seeds4-8.json: the 2:4 answer and wanda, seeds 4–8.
    static let summary = RescoreSummary(
        bundle: "b", pattern: "2:4", xMode: "sequential", heldOut: "test", windows: 64, seeds: [4, 5, 6, 7, 8],
        methods: [RescorePlotTests.method("wanda", "baseline", [80.682, 79.316, 80.822, 78.305, 79.142]),
                  RescorePlotTests.method("answer", "metric", [77.406, 77.561, 77.483, 78.053, 76.008]),
                  RescorePlotTests.method("worse", "metric", [80.0, 79.5, 81.0, 78.0, 79.3])],
        floor: log1p(0.015))

    @Test func withinNoiseCellsCountTheSeedsWhereTheMethodIsLower() throws {
        let answer = try #require(Self.summary.comparisons.first { $0.method == "answer" && $0.baseline == "wanda" })
        #expect(answer.verdict == .withinNoise && answer.lowerOnSeeds == 5)
        #expect(Self.summary.cell(answer) == "within noise (-2.9%; ≤ 3.5%; lower on 5/5)")
        let worse = try #require(Self.summary.comparisons.first { $0.method == "worse" })
        #expect(worse.lowerOnSeeds == 2 && Self.summary.cell(worse).hasSuffix("lower on 2/5)"))
        #expect(Self.summary.table.contains("lower on 5/5"))
    }

    /// Outputs written before the count existed still load and redraw, without it.
    @Test func olderOutputsWithoutTheCountStillLoad() throws {
        let json = Self.summary.json.replacingOccurrences(of: "\"lower_on_seeds\":5,", with: "")
        let loaded = try #require(RescoreSummary.decoded(Data(json.utf8))?.first)
        let answer = try #require(loaded.comparisons.first { $0.method == "answer" })
        #expect(answer.lowerOnSeeds == nil && loaded.cell(answer) == "within noise (-2.9%; ≤ 3.5%)")
    }
}
