import Dataset
import Model

/// G and dense X over a set of calibration windows: what a bundle stores (its own and each validation draw's) and
/// what `rescore` recomputes per seed. One place, so every calibration computes and reports them alike.
package enum CalibrationStatistics {
    /// G (a backward pass per window, the expensive part) only when `needsG`, X only when `needsX`: a statistic not
    /// asked for is left empty, so a method that did read it fails loudly. `progress(line, finished)` after each
    /// window of G and each block of X.
    package static func compute(model: ModelWeights, windows: Windows, needsG: Bool = true, needsX: Bool = true,
                                progress: @escaping (_ line: String, _ finished: Bool) -> Void)
        throws -> (gradients: [String: [Float]], activations: [String: [Float]])
    {
        let gradients = !needsG ? [:] : try GradientNorms.compute(model: model, windows: windows) { done, total in
            progress("G: window \(done)/\(total)", done == total)
        }
        let activations = !needsX ? [:]
            : try DenseActivations.compute(model: model, calibration: windows.tokens, seqlen: windows.seqlen) { done, total in
                progress("X: block \(done)/\(total)", done == total)
            }
        return (gradients, activations)
    }
}
