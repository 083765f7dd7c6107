// TrainingConfig: the `train` command's JSON file: the model's shape and the optimizer's hyper-parameters.
//
// Keys are snake_case as in the file. The model part becomes a Hugging Face `LlamaConfig` (`llamaConfig`); the
// rest drives Trainer. Nothing here is derived from the data except through `vocab_size`, which must match the
// tokenizer (258 for the byte vocabulary).
import Foundation
import Model

package struct TrainingConfig: Codable, Equatable {
    package struct Model: Codable, Equatable {
        package var hiddenSize: Int
        package var intermediateSize: Int
        package var numHiddenLayers: Int
        package var numAttentionHeads: Int
        package var numKeyValueHeads: Int
        package var vocabSize: Int
        package var maxPositionEmbeddings: Int
        package var rmsNormEps: Double
        package var ropeTheta: Double
        package var tieWordEmbeddings: Bool
        /// The dtype of the exported `model.safetensors`: "bfloat16", "float16" or "float32".
        package var torchDtype: String

        package enum CodingKeys: String, CodingKey {
            case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
            case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
            case numKeyValueHeads = "num_key_value_heads", vocabSize = "vocab_size"
            case maxPositionEmbeddings = "max_position_embeddings", rmsNormEps = "rms_norm_eps"
            case ropeTheta = "rope_theta", tieWordEmbeddings = "tie_word_embeddings", torchDtype = "torch_dtype"
        }
    }

    package var model: Model
    /// T: tokens per training window.
    package var seqlen: Int
    /// B: windows per optimizer step.
    package var batchWindows: Int
    package var steps: Int
    package var learningRate: Float
    package var minLearningRate: Float
    package var warmupSteps: Int
    package var weightDecay: Float
    package var beta1: Float
    package var beta2: Float
    package var epsilon: Float
    /// Global gradient-norm clip (0: none).
    package var gradClip: Float
    /// Standard deviation of the normal initialisation of matrices and embedding (transformers' initializer_range).
    package var initStd: Float
    package var evalEvery: Int
    /// Validation windows of `seqlen` (the first ones of the validation stream).
    package var evalWindows: Int
    package var checkpointEvery: Int
    package var seed: UInt64

    package enum CodingKeys: String, CodingKey {
        case model, seqlen, steps, seed
        case batchWindows = "batch_windows", learningRate = "learning_rate", minLearningRate = "min_learning_rate"
        case warmupSteps = "warmup_steps", weightDecay = "weight_decay", beta1 = "beta1", beta2 = "beta2"
        case epsilon = "epsilon", gradClip = "grad_clip", initStd = "init_std", evalEvery = "eval_every"
        case evalWindows = "eval_windows", checkpointEvery = "checkpoint_every"
    }

    package static func load(_ url: URL) throws -> TrainingConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConfigError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        do { return try JSONDecoder().decode(TrainingConfig.self, from: data) } catch {
            throw ConfigError.invalidJSON(file: url.path, reason: "\(error)")
        }
    }

    /// The Hugging Face config this model is exported with.
    package var llamaConfig: LlamaConfig {
        LlamaConfig(
            architectures: ["LlamaForCausalLM"], modelType: "llama", hiddenSize: model.hiddenSize,
            intermediateSize: model.intermediateSize, numAttentionHeads: model.numAttentionHeads,
            numHiddenLayers: model.numHiddenLayers, numKeyValueHeads: model.numKeyValueHeads, headDimField: nil,
            vocabSize: model.vocabSize, rmsNormEps: model.rmsNormEps, ropeThetaField: model.ropeTheta,
            ropeParameters: nil, ropeScaling: nil, tieWordEmbeddings: model.tieWordEmbeddings, hiddenAct: "silu",
            attentionBias: false, mlpBias: false, maxPositionEmbeddings: model.maxPositionEmbeddings)
    }

    /// The safetensors dtype of `torch_dtype`.
    package var exportDType: DType {
        get throws {
            switch model.torchDtype {
            case "bfloat16": return .bf16
            case "float16": return .f16
            case "float32": return .f32
            default:
                throw ConfigError.unsupportedValue(file: "training config", field: "model.torch_dtype",
                                                   value: model.torchDtype, supported: "bfloat16, float16, float32")
            }
        }
    }
}
