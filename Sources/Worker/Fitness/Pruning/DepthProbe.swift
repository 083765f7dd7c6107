// DepthProbe: early termination of a fitness evaluation by depth (issue 13).
//
// The evaluation is layer-streamed, so after block k the pruned model's residual stream of the cheap windows can be
// compared with the dense model's at the same depth. `DenseTrajectory` holds the dense states (every block's output
// on the cheap windows, computed once per worker and bundle); `DepthMonitor` measures one evaluation's divergence
// after each block and stops it when the job's threshold for that block is exceeded. What the thresholds are is the
// coordinator's decision (`DepthAbortRule`), and whether to measure at all the job's (no thresholds, no probe:
// a search without early abort never pays for the dense states); this file only measures and obeys.
//
// The divergence after block k is the mean over sampled tokens t of ‖h_pruned,t − h_dense,t‖² / ‖h_dense,t‖²: the
// relative squared error of the residual stream, per token then averaged. Per token rather than pooled
// (Σ‖Δ‖²/Σ‖h‖²) because LLaMAs carry a few tokens with residual norms 10–100× the rest (attention sinks, e.g. the
// first position); pooled, those few would decide the measure and the other tokens' damage would not count.

import Engine
import Foundation
import Model

/// The dense model's residual stream after every block, on the first `windows` cheap windows, at every `stride`-th
/// token row (stride 1 keeps every token; a larger stride keeps the memory under a limit for large models).
package final class DenseTrajectory {
    package let windows: Int
    package let seqlen: Int
    package let hidden: Int
    /// Token rows kept: rows r·stride of the (B·T, C) stream.
    package let stride: Int
    package let rows: Int
    /// (L, N, C): block `layer`'s output at the kept rows.
    private var states: [[Float]]
    /// (L, N): ‖h_dense‖² of each kept row, in Float64.
    private var squaredNorms: [[Double]]
    /// Time the dense pass took.
    package let seconds: Double

    package var layers: Int { states.count }
    package var bytes: Int { layers * rows * hidden * 4 }

    /// Runs the dense model over `tokens` (whole windows) block by block with `forward`, keeping the sampled rows
    /// after each block. `byteLimit` bounds the kept states: the stride is the smallest that fits it.
    init(model: ModelWeights, forward: Forward, tokens: ArraySlice<TokenID>, byteLimit: Int) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let config = model.config
        let c = config.hidden, t = forward.seqlen, b = tokens.count / t
        let totalRows = b * t
        let perRow = config.layers * c * 4
        let step = max(1, (totalRows * perRow + byteLimit - 1) / max(1, byteLimit))
        let n = (totalRows + step - 1) / step
        var kept: [[Float]] = [], norms: [[Double]] = []
        var stream = try forward.embed(model, tokens: tokens)
        var weights = BlockWeights(zeros: config)
        for layer in 0..<config.layers {
            try model.block(layer, into: &weights)
            forward.runBlock(layer, weights: weights, hidden: &stream)
            var rowsOut = [Float](repeating: 0, count: n * c)
            var normsOut = [Double](repeating: 0, count: n)
            stream.x.withUnsafeBufferPointer { x in
                for r in 0..<n {
                    let source = x.baseAddress! + r * step * c
                    var sum = 0.0
                    for j in 0..<c {
                        rowsOut[r * c + j] = source[j]
                        sum += Double(source[j]) * Double(source[j])
                    }
                    normsOut[r] = sum
                }
            }
            kept.append(rowsOut)
            norms.append(normsOut)
        }
        (seqlen, windows, hidden, stride, rows) = (t, b, c, step, n)
        (states, squaredNorms) = (kept, norms)
        seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// The divergence of `stream` (whose first `windows` windows are the same cheap windows, pruned) from the dense
    /// states after block `layer`: mean over kept rows of ‖h − h_dense‖² / ‖h_dense‖², in Float64.
    package func divergence(layer: Int, _ stream: Activations) -> Double {
        precondition(stream.hidden == hidden && stream.seqlen == seqlen && stream.windows >= windows,
                     "the evaluated windows do not start with the trajectory's cheap windows")
        let c = hidden
        return stream.x.withUnsafeBufferPointer { x in
            states[layer].withUnsafeBufferPointer { dense in
                var total = 0.0
                var counted = 0
                for r in 0..<rows {
                    let norm = squaredNorms[layer][r]
                    guard norm > 0 else { continue }  // a zero dense row has no relative error
                    let p = x.baseAddress! + r * stride * c, d = dense.baseAddress! + r * c
                    var sum = 0.0
                    for j in 0..<c {
                        let delta = Double(p[j]) - Double(d[j])
                        sum += delta * delta
                    }
                    total += sum / norm
                    counted += 1
                }
                // A pruned stream that is NaN or infinite is as far from the dense one as can be.
                return counted == 0 ? 0 : (total.isNaN ? .infinity : total / Double(counted))
            }
        }
    }
}

/// Thrown from inside an evaluation that `DepthMonitor` stopped: after `blocks` blocks the divergence exceeded the
/// threshold. Carries what was measured and the stage times spent so far.
package struct DepthAborted: Error, Equatable {
    package let blocks: Int
    package let divergence: [Double]
    package var stageSeconds: [String: Double] = [:]
}

/// One evaluation's divergences, block by block, against a trajectory; stops the evaluation (throws
/// `DepthAborted`) at the first block whose divergence exceeds its threshold. Blocks past the end of `thresholds`
/// have none (+inf), so empty thresholds measure only. (A job with empty thresholds gets no monitor at all: the
/// serve loop's `BundleFitnessFunction` decides, by `Job.abortThresholds`.)
package final class DepthMonitor {
    package let trajectory: DenseTrajectory
    package let thresholds: [Double]
    package private(set) var divergence: [Double] = []

    package init(trajectory: DenseTrajectory, thresholds: [Double]) {
        self.trajectory = trajectory
        self.thresholds = thresholds
    }

    /// After block `layer` of the evaluation pass.
    package func observe(layer: Int, _ stream: Activations) throws {
        let d = trajectory.divergence(layer: layer, stream)
        divergence.append(d)
        if layer < thresholds.count, d > thresholds[layer] {
            throw DepthAborted(blocks: layer + 1, divergence: divergence)
        }
    }
}

extension FitnessEvaluator {
    /// The dense trajectory of the first `windows` fitness windows (the cheap ones), kept under `byteLimit`.
    package func denseTrajectory(windows: Int, byteLimit: Int = DenseTrajectory.defaultByteLimit) throws
        -> DenseTrajectory
    {
        let n = min(windows, data.evaluationTokens.count / data.seqlen)
        guard n > 0 else { throw FitnessFailure.noEvaluationWindows }
        return try DenseTrajectory(model: model, forward: forward, tokens: data.evaluationTokens[0..<n * data.seqlen],
                                   byteLimit: byteLimit)
    }
}

extension DenseTrajectory {
    /// 256 MB: SmolLM2-135M's 30 blocks × 8 cheap windows × 256 tokens × 576 channels (141 MB) fit whole; a
    /// LLaMA-7B's (34 GB at 32 × 2048-token windows: 65,536 rows × 32 blocks × 4096 × 4 bytes) keep every 128th
    /// token row (512 rows), still a mean over thousands of token-channel terms per row.
    package static let defaultByteLimit = 256 << 20
}
