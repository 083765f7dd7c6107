/// What a fitness evaluation needs besides the dense model, as a calibrated bundle provides it.
struct CalibrationData {
    /// Tokens per window (T), for calibration and evaluation alike.
    let seqlen: Int
    /// G per linear, keyed by `PrunableLinear.name(layer:)`: (out, in) row-major.
    let gradients: [String: [Float]]
    /// X of the dense model per linear (the `static` mode's X and the pre-flight's): (in).
    let denseX: [String: [Float]]
    /// Calibration windows, (nsamples, T) flattened.
    let calibrationTokens: [TokenID]
    /// Fitness windows, (n, T) flattened; a request may use the first k of them (the cheap fidelity).
    let evaluationTokens: [TokenID]
    /// Held-out test windows, (m, T) flattened, for final reports; nil when the bundle has none.
    var testTokens: [TokenID]? = nil

    var calibrationWindows: Int { calibrationTokens.count / seqlen }
    var evaluationWindows: Int { evaluationTokens.count / seqlen }

    /// Windows a search scores children on first (the cheap fidelity): the first quarter of the fitness windows,
    /// at least one. Fixed by the bundle, so every worker uses the same ones and cheap scores are paired.
    var cheapWindows: Int { max(1, evaluationWindows / 4) }
}
