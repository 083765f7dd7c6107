// Config: the model's `config.json`, mirrored key by key.
//
// Reads the Hugging Face `LlamaConfig` as written by transformers 4.x (top-level `rope_theta`, optional
// `rope_scaling`) and 5.x (`rope_parameters: {rope_theta, rope_type}`). Derived values (head dim, kv heads, rope
// theta) are computed properties so the stored fields stay a verbatim mirror. It does not load weights; it only
// rejects configurations the engine would compute wrongly (another architecture, biases, rope scaling, non-SiLU).
import Foundation

/// Why a `config.json` cannot drive the engine. Every case names the file, and the field where there is one.
package enum ConfigError: Error, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case invalidJSON(file: String, reason: String)
    case unsupportedArchitecture(file: String, architectures: [String], modelType: String?)
    case unsupportedValue(file: String, field: String, value: String, supported: String)
    case inconsistent(file: String, field: String, reason: String)

    package var description: String {
        switch self {
        case let .unreadable(file, reason): "\(file): cannot read: \(reason)"
        case let .invalidJSON(file, reason): "\(file): not a LLaMA config: \(reason)"
        case let .unsupportedArchitecture(file, architectures, modelType):
            "\(file): unsupported architecture \(architectures) (model_type \(modelType ?? "absent")); "
                + "supported: LlamaForCausalLM / llama"
        case let .unsupportedValue(file, field, value, supported):
            "\(file): field \(field) = \(value) is not supported (supported: \(supported))"
        case let .inconsistent(file, field, reason): "\(file): field \(field): \(reason)"
        }
    }
}

/// The rope block of either layout: transformers 5 `rope_parameters`, or transformers 4 `rope_scaling`.
package struct RopeParameters: Codable, Equatable {
    package var ropeTheta: Double?
    package var ropeType: String?
    /// transformers 4 wrote the scaling kind as `type`, later as `rope_type`.
    package var type: String?

    package enum CodingKeys: String, CodingKey {
        case ropeTheta = "rope_theta"
        case ropeType = "rope_type"
        case type
    }
}

/// Mirror of a Hugging Face LLaMA `config.json`, keyed by its exact keys. Unknown keys are ignored.
package struct LlamaConfig: Codable, Equatable {
    package var architectures: [String]?
    package var modelType: String?
    package var hiddenSize: Int
    package var intermediateSize: Int
    package var numAttentionHeads: Int
    package var numHiddenLayers: Int
    package var numKeyValueHeads: Int?
    package var headDimField: Int?
    package var vocabSize: Int
    package var rmsNormEps: Double
    package var ropeThetaField: Double?
    package var ropeParameters: RopeParameters?
    package var ropeScaling: RopeParameters?
    package var tieWordEmbeddings: Bool?
    package var hiddenAct: String?
    package var attentionBias: Bool?
    package var mlpBias: Bool?
    package var maxPositionEmbeddings: Int?

    package enum CodingKeys: String, CodingKey {
        case architectures
        case modelType = "model_type"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numAttentionHeads = "num_attention_heads"
        case numHiddenLayers = "num_hidden_layers"
        case numKeyValueHeads = "num_key_value_heads"
        case headDimField = "head_dim"
        case vocabSize = "vocab_size"
        case rmsNormEps = "rms_norm_eps"
        case ropeThetaField = "rope_theta"
        case ropeParameters = "rope_parameters"
        case ropeScaling = "rope_scaling"
        case tieWordEmbeddings = "tie_word_embeddings"
        case hiddenAct = "hidden_act"
        case attentionBias = "attention_bias"
        case mlpBias = "mlp_bias"
        case maxPositionEmbeddings = "max_position_embeddings"
    }

    // MARK: Derived values (the legend's letters)

    /// C: the residual width.
    package var hidden: Int { hiddenSize }
    /// H: query heads.
    package var heads: Int { numAttentionHeads }
    /// K: key/value heads; transformers defaults it to the query heads (no GQA).
    package var kvHeads: Int { numKeyValueHeads ?? numAttentionHeads }
    /// D: per-head width; `head_dim` when given, else C / H.
    package var headDim: Int { headDimField ?? hiddenSize / numAttentionHeads }
    /// F: the MLP's inner width.
    package var intermediate: Int { intermediateSize }
    /// V: vocabulary size.
    package var vocab: Int { vocabSize }
    package var layers: Int { numHiddenLayers }
    /// transformers 5 keeps theta in `rope_parameters`; 4.x at top level; LlamaConfig's default is 10000.
    package var ropeTheta: Double { ropeParameters?.ropeTheta ?? ropeThetaField ?? 10_000 }
    /// LlamaConfig defaults `tie_word_embeddings` to false.
    package var tiedEmbeddings: Bool { tieWordEmbeddings ?? false }
    package var epsilon: Float { Float(rmsNormEps) }

    // MARK: Loading

    /// Reads and validates `file` (a `config.json`).
    package static func load(_ file: URL) throws -> LlamaConfig {
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw ConfigError.unreadable(file: file.path, reason: error.localizedDescription)
        }
        return try decode(data, file: file.path)
    }

    /// Decodes and validates config JSON; `file` only names the source in errors.
    package static func decode(_ data: Data, file: String) throws -> LlamaConfig {
        let config: LlamaConfig
        do { config = try JSONDecoder().decode(LlamaConfig.self, from: data) } catch let error as DecodingError {
            throw ConfigError.invalidJSON(file: file, reason: describe(error))
        } catch {
            throw ConfigError.invalidJSON(file: file, reason: "\(error)")
        }
        try config.validate(file: file)
        return config
    }

    /// Rejects what this engine would silently compute wrongly.
    package func validate(file: String) throws {
        let archOK = architectures.map { $0.contains("LlamaForCausalLM") } ?? (modelType == "llama")
        if !archOK || (modelType != nil && modelType != "llama") {
            throw ConfigError.unsupportedArchitecture(file: file, architectures: architectures ?? [], modelType: modelType)
        }
        if let act = hiddenAct, act != "silu" {
            throw ConfigError.unsupportedValue(file: file, field: "hidden_act", value: act, supported: "silu")
        }
        if attentionBias == true {
            throw ConfigError.unsupportedValue(file: file, field: "attention_bias", value: "true", supported: "false")
        }
        if mlpBias == true {
            throw ConfigError.unsupportedValue(file: file, field: "mlp_bias", value: "true", supported: "false")
        }
        for (field, rope) in [("rope_parameters", ropeParameters), ("rope_scaling", ropeScaling)] {
            if let kind = rope?.ropeType ?? rope?.type, kind != "default" {
                throw ConfigError.unsupportedValue(file: file, field: "\(field).rope_type", value: kind, supported: "default")
            }
        }
        let positive: [(String, Int)] = [
            ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
            ("num_attention_heads", numAttentionHeads), ("num_hidden_layers", numHiddenLayers),
            ("num_key_value_heads", kvHeads), ("head_dim", headDim), ("vocab_size", vocabSize),
        ]
        for (field, value) in positive where value <= 0 {
            throw ConfigError.inconsistent(file: file, field: field, reason: "must be positive, is \(value)")
        }
        if headDimField == nil && hiddenSize % numAttentionHeads != 0 {
            throw ConfigError.inconsistent(
                file: file, field: "hidden_size", reason: "\(hiddenSize) is not divisible by num_attention_heads \(heads)")
        }
        if heads % kvHeads != 0 {
            throw ConfigError.inconsistent(
                file: file, field: "num_key_value_heads", reason: "\(kvHeads) does not divide num_attention_heads \(heads)")
        }
        if headDim % 2 != 0 {
            throw ConfigError.inconsistent(file: file, field: "head_dim", reason: "rotary embedding needs an even head dim, is \(headDim)")
        }
        if !(rmsNormEps > 0) {
            throw ConfigError.inconsistent(file: file, field: "rms_norm_eps", reason: "must be positive, is \(rmsNormEps)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .keyNotFound(key, _): "missing field \(key.stringValue)"
        case let .typeMismatch(_, ctx), let .valueNotFound(_, ctx), let .dataCorrupted(ctx):
            "field \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)"
        @unknown default: "\(error)"
        }
    }

    /// Memberwise, for the other worker modules (Swift's implicit one is internal).
    package init(architectures: [String]? = nil, modelType: String? = nil, hiddenSize: Int, intermediateSize: Int, numAttentionHeads: Int, numHiddenLayers: Int, numKeyValueHeads: Int? = nil, headDimField: Int? = nil, vocabSize: Int, rmsNormEps: Double, ropeThetaField: Double? = nil, ropeParameters: RopeParameters? = nil, ropeScaling: RopeParameters? = nil, tieWordEmbeddings: Bool? = nil, hiddenAct: String? = nil, attentionBias: Bool? = nil, mlpBias: Bool? = nil, maxPositionEmbeddings: Int? = nil) {
        self.architectures = architectures
        self.modelType = modelType
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numAttentionHeads = numAttentionHeads
        self.numHiddenLayers = numHiddenLayers
        self.numKeyValueHeads = numKeyValueHeads
        self.headDimField = headDimField
        self.vocabSize = vocabSize
        self.rmsNormEps = rmsNormEps
        self.ropeThetaField = ropeThetaField
        self.ropeParameters = ropeParameters
        self.ropeScaling = ropeScaling
        self.tieWordEmbeddings = tieWordEmbeddings
        self.hiddenAct = hiddenAct
        self.attentionBias = attentionBias
        self.mlpBias = mlpBias
        self.maxPositionEmbeddings = maxPositionEmbeddings
    }
}
