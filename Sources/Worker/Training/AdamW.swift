// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW computes it, plus the
// learning-rate schedule and global-norm clipping of one training step.
//
// Per element, at step t (1-based): m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
// p -= lr·(m/(1−β1ᵗ) / (√(v/(1−β2ᵗ)) + ε) + wd·p). Weight decay applies to the block matrices and lm_head only:
// not to the RMSNorm weights (decaying them pulls the scale toward 0) nor to the embedding (common practice in
// nanoGPT / llm.c, where only 2-D matmul weights decay). The moments are held as LlamaParameters, so they save and
// load like the weights. It does not compute gradients.
import Foundation
import Model

package struct AdamW {
    package var beta1: Float
    package var beta2: Float
    package var epsilon: Float
    package var weightDecay: Float
    /// First and second moments, the model's shapes.
    package var m: LlamaParameters
    package var v: LlamaParameters

    package init(config: LlamaConfig, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        m = LlamaParameters(zeros: config)
        v = LlamaParameters(zeros: config)
    }

    /// Whether tensor `t` is decayed.
    package static func decays(_ t: ParameterTensor) -> Bool {
        switch t {
        case .embedding, .finalNorm: false
        case .lmHead: true
        case let .block(_, bt): !(bt == .inputNorm || bt == .postNorm)
        }
    }

    /// One update of `p` with gradients `g` at 1-based step `step` and learning rate `lr`.
    package mutating func update(_ p: inout LlamaParameters, gradients g: LlamaParameters, step: Int, lr: Float) {
        let b1 = beta1, b2 = beta2, eps = epsilon
        let c1 = 1 - pow(b1, Float(step)), c2 = 1 - pow(b2, Float(step))
        for t in p.tensors {
            let decay = Self.decays(t) ? lr * weightDecay : 0
            let grad = g[t]
            grad.withUnsafeBufferPointer { gb in
                m.withMutableBuffer(t) { mb in
                    v.withMutableBuffer(t) { vb in
                        p.withMutableBuffer(t) { pb in
                            for i in 0..<pb.count {
                                let gi = gb[i]
                                let mi = b1 * mb[i] + (1 - b1) * gi
                                let vi = b2 * vb[i] + (1 - b2) * gi * gi
                                mb[i] = mi
                                vb[i] = vi
                                pb[i] -= lr * (mi / c1) / ((vi / c2).squareRoot() + eps) + decay * pb[i]
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Linear warmup from 0 to `peak` over `warmup` steps, then cosine decay to `floor` at `total` steps.
struct LearningRateSchedule {
    var peak: Float
    var floor: Float
    var warmup: Int
    var total: Int

    /// The rate of 1-based step `step`.
    func rate(step: Int) -> Float {
        if step <= warmup { return peak * Float(step) / Float(max(1, warmup)) }
        let progress = min(1, Float(step - warmup) / Float(max(1, total - warmup)))
        return floor + 0.5 * (peak - floor) * (1 + cos(Float.pi * progress))
    }
}

extension LlamaParameters {
    /// √(Σ x²) over every tensor (the global gradient norm), accumulated in Double.
    var globalNorm: Double {
        var sum = 0.0
        for t in tensors {
            self[t].withUnsafeBufferPointer { b in
                for x in b { sum += Double(x) * Double(x) }
            }
        }
        return sum.squareRoot()
    }

    /// Multiplies every tensor by `factor`.
    mutating func scale(by factor: Float) {
        for t in tensors { withMutableBuffer(t) { b in for i in b.indices { b[i] *= factor } } }
    }
}
