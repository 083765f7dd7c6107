// StageTimes: where the backward's time goes, for benchmarks (bench-backward --bundle). Off by default; when on,
// each stage of Backward adds its wall time here. One process-wide record, written by the calling thread only (the
// stages run their own parallel loops inside), so it is read after the timed call returns.
import Dispatch

extension Backward {
    /// Seconds per stage, summed over calls while `timingStages` is on.
    package struct StageTimes: Sendable {
        package var blockForward = 0.0      // the training forward of the blocks (attention included), saving tapes
        package var headForward = 0.0       // final norm, lm_head, NLL
        package var headBackward = 0.0      // dlogits, dxf = dlogits·W_head (and dW_head when asked)
        package var inputGradients = 0.0    // dX = dY·W of the seven linears
        package var weightGradients = 0.0   // dW = dYᵀ·X of the seven linears, per window for G
        package var attention = 0.0         // attention's backward (P recomputed)
        package var elementwise = 0.0       // SiLU, RMSNorm (recomputed and backward), RoPE backward, copies

        package init() {}

        /// One line: each stage in seconds and as a share of `total`; the rest (outside the engine: G's
        /// accumulation of squares, widening weights, the embedding) as "other".
        package func summary(total: Double) -> String {
            let parts: [(String, Double)] = [
                ("block forward", blockForward), ("head forward", headForward), ("head backward", headBackward),
                ("linear dX", inputGradients), ("linear dW", weightGradients), ("attention backward", attention),
                ("element-wise", elementwise),
            ]
            let inside = parts.reduce(0) { $0 + $1.1 }
            return (parts + [("other", total - inside)])
                .map { "\($0.0) \(String(format: "%.2f s (%.0f%%)", $0.1, 100 * $0.1 / total))" }
                .joined(separator: ", ")
        }
    }

    nonisolated(unsafe) package static var timingStages = false
    nonisolated(unsafe) package static var stageTimes = StageTimes()

    /// Runs `body`, adding its wall time to `stage` when timing.
    @inline(__always)
    static func timed<R>(_ stage: WritableKeyPath<StageTimes, Double>, _ body: () throws -> R) rethrows -> R {
        guard timingStages else { return try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        defer { stageTimes[keyPath: stage] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return try body()
    }
}

extension Backward {
    /// As `timed(stage)` for a step inside a step timed as `outer`: its time moves from `outer` to `stage`.
    @inline(__always)
    static func timedWithin(_ outer: WritableKeyPath<StageTimes, Double>, _ stage: WritableKeyPath<StageTimes, Double>,
                            _ body: () -> Void) {
        guard timingStages else { return body() }
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        let s = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        stageTimes[keyPath: stage] += s
        stageTimes[keyPath: outer] -= s
    }
}
