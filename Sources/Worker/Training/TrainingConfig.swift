// TrainingConfig: the `train` command's JSON file: the model's shape and the optimizer's hyper-parameters.
//
// Keys are snake_case as in the file. The model part becomes a Hugging Face `LlamaConfig` (`llamaConfig`); the
// rest drives Trainer. Nothing here is derived from the data except through `vocab_size`, which must match the
// tokenizer (258 for the byte vocabulary).
import Foundation

struct TrainingConfig: Codable, Equatable {
    struct Model: Codable, Equatable {
        var hiddenSize: Int
        var intermediateSize: Int
        var numHiddenLayers: Int
        var numAttentionHeads: Int
        var numKeyValueHeads: Int
        var vocabSize: Int
        var maxPositionEmbeddings: Int
        var rmsNormEps: Double
        var ropeTheta: Double
        var tieWordEmbeddings: Bool
        /// The dtype of the exported `model.safetensors`: "bfloat16", "float16" or "float32".
        var torchDtype: String

        enum CodingKeys: String, CodingKey {
            case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
            case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
            case numKeyValueHeads = "num_key_value_heads", vocabSize = "vocab_size"
            case maxPositionEmbeddings = "max_position_embeddings", rmsNormEps = "rms_norm_eps"
            case ropeTheta = "rope_theta", tieWordEmbeddings = "tie_word_embeddings", torchDtype = "torch_dtype"
        }
    }

    var model: Model
    /// T: tokens per training window.
    var seqlen: Int
    /// B: windows per optimizer step.
    var batchWindows: Int
    var steps: Int
    var learningRate: Float
    var minLearningRate: Float
    var warmupSteps: Int
    var weightDecay: Float
    var beta1: Float
    var beta2: Float
    var epsilon: Float
    /// Global gradient-norm clip (0: none).
    var gradClip: Float
    /// Standard deviation of the normal initialisation of matrices and embedding (transformers' initializer_range).
    var initStd: Float
    var evalEvery: Int
    /// Validation windows of `seqlen` (the first ones of the validation stream).
    var evalWindows: Int
    var checkpointEvery: Int
    var seed: UInt64

    enum CodingKeys: String, CodingKey {
        case model, seqlen, steps, seed
        case batchWindows = "batch_windows", learningRate = "learning_rate", minLearningRate = "min_learning_rate"
        case warmupSteps = "warmup_steps", weightDecay = "weight_decay", beta1 = "beta1", beta2 = "beta2"
        case epsilon = "epsilon", gradClip = "grad_clip", initStd = "init_std", evalEvery = "eval_every"
        case evalWindows = "eval_windows", checkpointEvery = "checkpoint_every"
    }

    static func load(_ url: URL) throws -> TrainingConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConfigError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        do { return try JSONDecoder().decode(TrainingConfig.self, from: data) } catch {
            throw ConfigError.invalidJSON(file: url.path, reason: "\(error)")
        }
    }

    /// The Hugging Face config this model is exported with.
    var llamaConfig: LlamaConfig {
        LlamaConfig(
            architectures: ["LlamaForCausalLM"], modelType: "llama", hiddenSize: model.hiddenSize,
            intermediateSize: model.intermediateSize, numAttentionHeads: model.numAttentionHeads,
            numHiddenLayers: model.numHiddenLayers, numKeyValueHeads: model.numKeyValueHeads, headDimField: nil,
            vocabSize: model.vocabSize, rmsNormEps: model.rmsNormEps, ropeThetaField: model.ropeTheta,
            ropeParameters: nil, ropeScaling: nil, tieWordEmbeddings: model.tieWordEmbeddings, hiddenAct: "silu",
            attentionBias: false, mlpBias: false, maxPositionEmbeddings: model.maxPositionEmbeddings)
    }

    /// The safetensors dtype of `torch_dtype`.
    var exportDType: DType {
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
