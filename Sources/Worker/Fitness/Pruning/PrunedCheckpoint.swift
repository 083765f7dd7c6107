import Engine
import Foundation
import Model

/// Writes a pruned model as a Hugging Face checkpoint (config.json, tokenizer.json, model.safetensors) that
/// transformers loads as `LlamaForCausalLM`: the dense model's tensors with the pruned blocks' linears, every tensor
/// in the dtype the dense checkpoint stored it in (pruning only writes zeros, which every dtype holds exactly).
package final class PrunedCheckpoint {
    private let model: ModelWeights
    private let source: URL
    private var writer = SafeTensorsWriter()

    package init(model: ModelWeights, source: URL) throws {
        self.model = model
        self.source = source
        writer.metadata = ["format": "pt"]
        try add(TensorNames.embedding, shape: [model.config.vocab, model.config.hidden], values: model.float32(TensorNames.embedding))
    }

    /// Adds a pruned block (call in layer order).
    package func add(layer: Int, weights: BlockWeights) throws {
        for tensor in BlockTensor.allCases {
            try add(TensorNames.block(layer, tensor), shape: tensor.shape(model.config), values: weights[tensor])
        }
    }

    /// Adds the final norm and (untied) lm_head, then writes the directory.
    package func write(to directory: URL) throws {
        try add(TensorNames.finalNorm, shape: [model.config.hidden], values: model.finalNorm())
        if !model.config.tiedEmbeddings {
            try add(TensorNames.lmHead, shape: [model.config.vocab, model.config.hidden], values: model.outputProjection())
        }
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        try writer.write(to: directory.appendingPathComponent("model.safetensors"))
        for name in ["config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"] {
            let from = source.appendingPathComponent(name), to = directory.appendingPathComponent(name)
            guard fm.fileExists(atPath: from.path) else { continue }
            try? fm.removeItem(at: to)
            try fm.copyItem(at: from, to: to)
        }
    }

    private func add(_ name: String, shape: [Int], values: [Float]) throws {
        // A GGUF's quantized tensors have no safetensors dtype: they are written in the Float32 they widen to.
        let dtype = model.store.storedType(of: name).flatMap(DType.init(rawValue:)) ?? .f32
        writer.add(name, values, shape: shape, as: dtype)
    }
}
