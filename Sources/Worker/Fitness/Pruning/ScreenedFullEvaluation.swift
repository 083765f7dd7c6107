import Foundation

/// A full-window evaluation of masks whose cheap screen is already measured: the cheap windows are the first of
/// the full ones, so only the others are run and the two means of per-window loss are joined. A promoted child then
/// pays for its 3/4 of the windows it has not seen instead of all of them (the masks are the screen's: the same
/// metric, bundle and request; X, static or sequential, comes from calibration windows, not from these).
///
/// Joined, not approximated: perplexity is exp of the mean per-window loss (`Perplexity.result`), every window has
/// the same length, so exp((c·ln p_cheap + Σ rest) / (c + r)) is the full evaluation's value up to rounding. What
/// can differ is float32 arithmetic that depends on how many windows one forward pass holds (GEMM blocking); the
/// screen may also come from another worker. Both are inside the fitness bound that already ties two workers' values.
package struct ScreenedFullEvaluation: Equatable {
    package let screenPerplexity: Double
    /// Cheap windows: the first of the full windows, already measured.
    package let screenWindows: Int

    /// nil when nothing would be skipped (a bundle so small that its cheap windows are all of them): then the
    /// evaluation runs every window as before.
    package init?(screenPerplexity: Double, screenWindows: Int, fullWindows: Int) {
        guard screenWindows > 0, screenWindows < fullWindows else { return nil }
        self.screenPerplexity = screenPerplexity
        self.screenWindows = screenWindows
    }

    /// The perplexity over all windows, from the rest's mean per-window loss.
    package func perplexity(restMeanNLL: Double, restWindows: Int) -> Double {
        let total = Double(screenWindows + restWindows)
        return exp((Double(screenWindows) * log(screenPerplexity) + Double(restWindows) * restMeanNLL) / total)
    }
}
