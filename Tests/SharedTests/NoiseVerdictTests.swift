import Foundation
import Testing
@testable import Shared

/// The arithmetic `rescore` and the report state their verdicts with, on numbers worked out by hand.
@Suite struct NoiseVerdictTests {
    @Test func meanAndSampleSDOfKnownNumbers() {
        let s = SeedSummary([2, 4, 4, 4, 5, 5, 7, 9])
        #expect(s.mean == 5)
        // Σ(x − 5)² = 32, divided by K − 1 = 7.
        #expect(abs(s.sd! - (32.0 / 7).squareRoot()) < 1e-12)
        #expect(SeedSummary([3.5]).sd == nil)
    }

    @Test func pairedDifferenceSDDecidesTheVerdict() {
        // ln ratios d = ln(a/b): 3 seeds at −10%, −11%, −9% relative (a consistent win).
        let b = [100.0, 200.0, 50.0]
        let a = zip(b, [0.90, 0.89, 0.91]).map { $0 * $1 }
        let c = PairedComparison(metric: a, reference: b)
        let d = [log(0.90), log(0.89), log(0.91)]
        let mean = d.reduce(0, +) / 3
        let sd = (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
        #expect(abs(c.meanLogRatio - mean) < 1e-12 && abs(c.sdLogRatio! - sd) < 1e-12)
        #expect(abs(c.threshold - max(2 * sd, NoiseVerdict.roundingFloor)) < 1e-15)
        #expect(c.verdict == .beats)
        #expect(abs(c.relativeGap - expm1(mean)) < 1e-15)
        // The reverse pairing loses by the same gap.
        #expect(PairedComparison(metric: b, reference: a).verdict == .loses)
    }

    @Test func theVerdictFailsWhenTheGapIsWithinTwoSDOrTheRoundingFloor() {
        // Mean gap −4% but the seeds disagree (−12%, +4%, −4%): 2 sd ≈ 16% > 4%.
        let b = [30.0, 30.0, 30.0]
        let noisy = PairedComparison(metric: [30 * 0.88, 30 * 1.04, 30 * 0.96], reference: b)
        #expect(noisy.verdict == .withinNoise)
        #expect(2 * noisy.sdLogRatio! > abs(noisy.meanLogRatio))
        // Perfectly consistent but only 1% apart: below the 1.5% rounding floor, so no verdict.
        let tiny = PairedComparison(metric: [29.7, 29.7, 29.7], reference: b)
        #expect(tiny.sdLogRatio! < 1e-12 && tiny.verdict == .withinNoise)
        #expect(tiny.threshold == NoiseVerdict.roundingFloor)
        // 2% consistently: beyond both.
        #expect(PairedComparison(metric: [29.4, 29.4, 29.4], reference: b).verdict == .beats)
    }

    @Test func oneRunUsesTheFloorAlone() {
        // The SmolLM2 run: the search's best 27.17 against wanda's 26.02 on held-out test (+4.3%).
        #expect(NoiseVerdict.single(metric: 27.17, reference: 26.02) == .loses)
        #expect(NoiseVerdict.single(metric: 26.30, reference: 26.02) == .withinNoise)   // +1.1%
        #expect(NoiseVerdict.single(metric: 25.40, reference: 26.02) == .beats)         // −2.4%
        // The workers' bound replaces the floor when larger.
        #expect(NoiseVerdict.floor(bound: 0.03) == 0.03 && NoiseVerdict.floor(bound: 1e-4) == NoiseVerdict.roundingFloor)
        #expect(NoiseVerdict.single(metric: 25.40, reference: 26.02, floor: 0.03) == .withinNoise)
    }
}
