import Foundation
import Shared

/// The stopping rule of a raced full evaluation (`Race`): a one-sided paired test on per-window losses.
///
/// With d the child's loss minus the rival's on each window seen so far (n ≥ 2), the child stops when
/// mean(d) − z·sd(d)/√n > margin: worse than its rival by more than the margin (at least the tie width, so the two
/// could not be one result) beyond z standard errors. Pairing matters: per-window losses on SmolLM2 spread by
/// ~0.3 nats between windows, while two near-identical metrics differ window by window by far less, and the
/// difference is what is tested. Windows are consecutive text, not a random sample, so neighbouring differences
/// correlate and the standard error is optimistic: that is what a z of 3 rather than 2 is for.
///
/// The estimate a stopped child gets is the rival's mean loss over all full windows plus the mean difference so
/// far (the paired extrapolation), as a perplexity: above the rival's perplexity times e^margin by construction.
package enum PairedRace {
    package enum Verdict: Equatable {
        case keepGoing
        case stop(estimate: Double)
    }

    /// `child`: the child's losses on the first `child.count` full windows (screen first).
    package static func verdict(child: [Double], race: Race) -> Verdict {
        let n = child.count
        guard n >= 2, n <= race.rivalLoss.count else { return .keepGoing }
        let d = (0..<n).map { child[$0] - race.rivalLoss[$0] }
        let mean = d.reduce(0, +) / Double(n)
        let variance = d.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        let standardError = (variance / Double(n)).squareRoot()
        guard mean - race.z * standardError > race.margin else { return .keepGoing }
        let rivalMean = race.rivalLoss.reduce(0, +) / Double(race.rivalLoss.count)
        return .stop(estimate: exp(rivalMean + mean))
    }
}
