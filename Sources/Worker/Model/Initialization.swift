// Initialization: a fresh LLaMA's weights, as transformers' LlamaPreTrainedModel._init_weights sets them.
//
// Every linear weight and the embedding ~ Normal(0, init_std) (transformers' `initializer_range`, 0.02); RMSNorm
// weights = 1. Tensors are drawn in checkpoint order from one generator seeded by the run's seed, so a seed names
// one initial model. No residual-scaled init (GPT-2's 1/√(2L)): transformers' LLaMA does not use it either.

import Shared

extension LlamaParameters {
    /// A model of `config`'s shapes, initialised from `seed`.
    package init(initialized config: LlamaConfig, std: Float, seed: UInt64) {
        self.init(zeros: config)
        var rng = SplitMix64(seed: seed, stream: UInt64.max)
        for t in tensors {
            withMutableBuffer(t) { values in
                if t.isNorm {
                    values.update(repeating: 1)
                } else {
                    for i in values.indices { values[i] = std * rng.normal() }
                }
            }
        }
    }

    /// Writes tensor `t` in place.
    package mutating func withMutableBuffer(_ t: ParameterTensor, _ body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        switch t {
        case .embedding: try embedding.withUnsafeMutableBufferPointer { try body($0) }
        case let .block(l, bt): try blocks[l].withMutableBuffer(bt, body)
        case .finalNorm: try finalNorm.withUnsafeMutableBufferPointer { try body($0) }
        case .lmHead: try lmHead.withUnsafeMutableBufferPointer { try body($0) }
        }
    }
}

extension ParameterTensor {
    /// RMSNorm weights: initialised to one, and (like the embedding) exempt from weight decay.
    package var isNorm: Bool {
        switch self {
        case .finalNorm: true
        case let .block(_, bt): bt == .inputNorm || bt == .postNorm
        case .embedding, .lmHead: false
        }
    }

    /// The shape `config` implies.
    package func shape(_ c: LlamaConfig) -> [Int] {
        switch self {
        case .embedding, .lmHead: [c.vocab, c.hidden]
        case .finalNorm: [c.hidden]
        case let .block(_, bt): bt.shape(c)
        }
    }
}
