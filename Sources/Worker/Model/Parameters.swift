// Parameters: every tensor of a LLaMA model in Float32, in memory: the training engine's state, and the shape of
// its gradients (llm.c's ParameterTensors, used for both).
//
// Unlike `ModelWeights`, which widens one block at a time from a memory map, this holds the whole model: 4 bytes
// per parameter (a 7B model: 27 GB). It is what the backward pass reads and what an optimizer updates. With
// `tie_word_embeddings` there is no separate output projection: the embedding serves both, and so does its
// gradient. It does not know how to compute anything.
import Foundation

/// One parameter tensor of the model, named as in the checkpoint.
package enum ParameterTensor: Hashable {
    case embedding                   // (V, C)
    case block(Int, BlockTensor)     // see BlockTensor.shape
    case finalNorm                   // (C)
    case lmHead                      // (V, C); absent when tied

    /// Every tensor a model of `config` has, in checkpoint order (no lm_head when tied).
    package static func all(_ config: LlamaConfig) -> [ParameterTensor] {
        [.embedding] + (0..<config.layers).flatMap { l in BlockTensor.allCases.map { ParameterTensor.block(l, $0) } }
            + [.finalNorm] + (config.tiedEmbeddings ? [] : [.lmHead])
    }

    /// The Hugging Face `state_dict` name.
    package var name: String {
        switch self {
        case .embedding: TensorNames.embedding
        case let .block(layer, t): TensorNames.block(layer, t)
        case .finalNorm: TensorNames.finalNorm
        case .lmHead: TensorNames.lmHead
        }
    }
}

/// All of a model's parameters (or gradients) in Float32, row-major, nn.Linear (out, in) layout.
package struct LlamaParameters {
    package let config: LlamaConfig
    package var embedding: [Float]       // (V, C)
    package var blocks: [BlockWeights]   // (L) blocks
    package var finalNorm: [Float]       // (C)
    package var lmHead: [Float]          // (V, C); empty when tied: the embedding is the output projection

    /// Every tensor this model has, in checkpoint order (no lm_head when tied).
    package var tensors: [ParameterTensor] { ParameterTensor.all(config) }

    /// Zeros of `config`'s shapes (norms zero too): a gradient accumulator, or weights to fill.
    package init(zeros c: LlamaConfig) {
        config = c
        embedding = [Float](repeating: 0, count: c.vocab * c.hidden)
        blocks = (0..<c.layers).map { _ in BlockWeights(zeros: c) }
        finalNorm = [Float](repeating: 0, count: c.hidden)
        lmHead = c.tiedEmbeddings ? [] : [Float](repeating: 0, count: c.vocab * c.hidden)
    }

    /// The whole checkpoint widened to Float32.
    package init(model: ModelWeights) throws {
        config = model.config
        embedding = try model.float32(TensorNames.embedding)
        blocks = try (0..<config.layers).map { try model.block($0) }
        finalNorm = try model.finalNorm()
        lmHead = config.tiedEmbeddings ? [] : try model.float32(TensorNames.lmHead)
    }

    package subscript(_ t: ParameterTensor) -> [Float] {
        get {
            switch t {
            case .embedding: embedding
            case let .block(l, bt): blocks[l][bt]
            case .finalNorm: finalNorm
            case .lmHead: lmHead
            }
        }
        set {
            switch t {
            case .embedding: embedding = newValue
            case let .block(l, bt): blocks[l][bt] = newValue
            case .finalNorm: finalNorm = newValue
            case .lmHead: lmHead = newValue
            }
        }
    }

    /// Sets every tensor to zero, keeping the storage (between optimizer steps).
    package mutating func zero() {
        for t in tensors {
            switch t {
            case .embedding: embedding.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            case let .block(l, bt): blocks[l].withMutableBuffer(bt) { $0.update(repeating: 0) }
            case .finalNorm: finalNorm.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            case .lmHead: lmHead.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            }
        }
    }

}
