import Foundation

/// When one pruning result may be called better than another: the rules the search's report and `rescore` state
/// their comparisons by (README, "Results stated against noise").
///
/// Gaps are compared as ln(perplexity) differences, i.e. relative gaps, so one floor serves every model and
/// sparsity. Two sources of noise are covered:
/// - **rounding**: the fixture README measured that float rounding alone (X accumulated in float32 or float64) moves
///   an X-based SmolLM2-135M result by up to 1.5% (wanda at 60%: 300.49 vs 295.92). No gap within
///   `roundingFloor` is a result, whatever the seeds say. The workers' fitness bound (`FitnessEquivalence`) is
///   another rounding estimate; the larger of the two is used when known.
/// - **calibration**: a different draw of calibration windows (new G and X) moves every metric. One run has one
///   draw and cannot see it; `rescore` measures it over K seeds.
package enum NoiseVerdict: String, Sendable, Hashable, Codable {
    /// The metric's perplexity is lower by more than the noise.
    case beats
    /// The metric's perplexity is higher by more than the noise.
    case loses
    case withinNoise = "within noise"

    /// 1.5% relative, as ln ratio (ln 1.015 = 0.01489): the rounding effect the fixture README measured.
    package static let roundingFloor = log(1.015)

    /// The floor for one run: rounding, or the workers' fitness bound (|Δ ln ppl|) when larger.
    package static func floor(bound: Double) -> Double { max(roundingFloor, bound.isFinite ? bound : 0) }

    /// One calibration seed: `metric` against `reference` (perplexities), beyond `floor` (|Δ ln ppl|) or not.
    package static func single(metric: Double, reference: Double, floor: Double = roundingFloor) -> NoiseVerdict {
        let gap = log(metric) - log(reference)
        guard gap.isFinite else { return gap.isNaN ? .withinNoise : (gap < 0 ? .beats : .loses) }
        if abs(gap) <= floor { return .withinNoise }
        return gap < 0 ? .beats : .loses
    }
}

/// Perplexities of two methods measured on the same K calibration seeds (each seed: one calibration, both methods
/// pruned from it, both measured on the same held-out windows), and what may be said about their gap.
///
/// Which sd: that of the **paired difference** d_k = ln ppl_A,k − ln ppl_B,k over the seeds. Both methods share
/// each seed's windows, so whatever a seed does to both (an easier draw, a luckier X) cancels in d_k; the spread of
/// d_k is the noise of the gap itself, while each method's own sd also carries the shared part. The verdict needs
/// |mean d| > 2·sd(d) (the seed-to-seed spread, not its standard error sd/√K: the claim is that the gap holds on a
/// new draw, not only on average; for K = 3 this is close to a two-sided 95% t-test, t₂ = 4.30 → 2.48·sd) and
/// |mean d| > the rounding floor (with few seeds the sample sd can come out near zero by chance).
package struct PairedComparison: Sendable, Hashable, Codable {
    /// Mean and sample sd (K − 1) of ln ppl_A − ln ppl_B; sd is nil for one seed.
    package let meanLogRatio: Double
    package let sdLogRatio: Double?
    package let seeds: Int
    /// max(2·sd, floor): the gap must exceed it.
    package let threshold: Double
    package let verdict: NoiseVerdict

    package init(metric: [Double], reference: [Double], floor: Double = NoiseVerdict.roundingFloor) {
        precondition(metric.count == reference.count && !metric.isEmpty, "paired perplexities, one per seed")
        let d = zip(metric, reference).map { log($0) - log($1) }
        let summary = SeedSummary(d)
        meanLogRatio = summary.mean
        sdLogRatio = summary.sd
        seeds = d.count
        threshold = max(2 * (summary.sd ?? 0), floor)
        if !meanLogRatio.isFinite || abs(meanLogRatio) <= threshold {
            verdict = .withinNoise
        } else {
            verdict = meanLogRatio < 0 ? .beats : .loses
        }
    }

    /// The mean gap as a relative change of perplexity (exp(mean d) − 1), e.g. −0.042 for 4.2% lower.
    package var relativeGap: Double { expm1(meanLogRatio) }
}

/// Mean and sample standard deviation (divisor K − 1; nil for one value) of a few numbers.
package struct SeedSummary: Sendable, Hashable, Codable {
    package let mean: Double
    package let sd: Double?
    package let count: Int

    package init(_ values: [Double]) {
        count = values.count
        mean = values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { sd = nil; return }
        let m = mean
        sd = (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
    }
}
