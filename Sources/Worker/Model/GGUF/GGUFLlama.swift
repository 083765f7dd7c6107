// GGUFLlama: what a GGUF file's `llama` metadata and tensor names mean in Hugging Face terms.
//
// Follows transformers' GGUF loader (integrations/ggml.py, modeling_gguf_pytorch_utils.py): the `llama.*` keys
// become a LlamaConfig, llama.cpp's tensor names become `state_dict` names, and q/k rows are un-permuted
// (llama.cpp's converter interleaves each head's two rotary halves; see `unpermutedRow`). A file without
// `output.weight` has tied embeddings. Whatever the engine would compute wrongly is refused with the key or tensor
// named: another architecture, rope scaling, experts, biases, a rotary dimension other than the head dim,
// per-layer widths, tensors this mapping does not know.
import Foundation

package enum GGUFLlama {
    /// llama.cpp's names for the tensors of one block, by the engine's BlockTensor.
    package static let blockNames: [(gguf: String, tensor: BlockTensor)] = [
        ("attn_norm.weight", .inputNorm),
        ("attn_q.weight", .q),
        ("attn_k.weight", .k),
        ("attn_v.weight", .v),
        ("attn_output.weight", .o),
        ("ffn_norm.weight", .postNorm),
        ("ffn_gate.weight", .gate),
        ("ffn_up.weight", .up),
        ("ffn_down.weight", .down),
    ]
    package static let embedding = "token_embd.weight"
    package static let finalNorm = "output_norm.weight"
    package static let output = "output.weight"

    /// The Hugging Face name of a GGUF tensor name, or nil when it is not one of a LLaMA's.
    package static func huggingFaceName(_ name: String) -> String? {
        switch name {
        case embedding: return TensorNames.embedding
        case finalNorm: return TensorNames.finalNorm
        case output: return TensorNames.lmHead
        default:
            let parts = name.split(separator: ".", maxSplits: 2)
            guard parts.count == 3, parts[0] == "blk", let layer = Int(parts[1]), layer >= 0, String(layer) == parts[1],
                  let t = blockNames.first(where: { $0.gguf == parts[2] })?.tensor else { return nil }
            return TensorNames.block(layer, t)
        }
    }

    // MARK: Config

    /// The LlamaConfig the metadata describes, as transformers derives it.
    package static func config(_ file: GGUFFile) throws -> LlamaConfig {
        let m = Metadata(file: file)
        let arch = try m.string("general.architecture")
        guard arch == "llama" else { throw GGUFError.unsupportedArchitecture(file: file.path, architecture: arch) }
        if let experts = try m.optionalInt("llama.expert_count"), experts > 0 {
            throw GGUFError.unsupportedValue(file: file.path, key: "llama.expert_count", value: "\(experts)", supported: "0 (dense)")
        }
        if let kind = try m.optionalString("llama.rope.scaling.type"), kind != "none" {
            throw GGUFError.unsupportedValue(file: file.path, key: "llama.rope.scaling.type", value: kind, supported: "none")
        }
        if let factor = file.metadata["llama.rope.scaling.factor"]?.double, factor != 0, factor != 1 {
            throw GGUFError.unsupportedValue(file: file.path, key: "llama.rope.scaling.factor", value: "\(factor)", supported: "1")
        }
        let heads = try m.int("llama.attention.head_count")
        let hidden = try m.int("llama.embedding_length")
        let kvHeads = try m.optionalInt("llama.attention.head_count_kv") ?? heads
        guard heads > 0, hidden > 0 else {
            throw GGUFError.unsupportedValue(file: file.path, key: "llama.attention.head_count", value: "\(heads)", supported: "positive")
        }
        let headDim = try m.optionalInt("llama.attention.key_length") ?? hidden / heads
        for key in ["llama.attention.value_length", "llama.rope.dimension_count"] {
            if let d = try m.optionalInt(key), d != headDim {
                throw GGUFError.unsupportedValue(file: file.path, key: key, value: "\(d)", supported: "the head dim \(headDim)")
            }
        }
        let vocab = try m.optionalInt("llama.vocab_size") ?? file.metadata["tokenizer.ggml.tokens"]?.array?.count
        guard let vocab else { throw GGUFError.missingKey(file: file.path, key: "llama.vocab_size") }
        let config = LlamaConfig(
            architectures: ["LlamaForCausalLM"], modelType: "llama", hiddenSize: hidden,
            intermediateSize: try m.int("llama.feed_forward_length"), numAttentionHeads: heads,
            numHiddenLayers: try m.int("llama.block_count"), numKeyValueHeads: kvHeads,
            headDimField: headDim, vocabSize: vocab,
            rmsNormEps: try m.double("llama.attention.layer_norm_rms_epsilon"),
            ropeThetaField: nil,
            ropeParameters: RopeParameters(ropeTheta: try m.optionalDouble("llama.rope.freq_base") ?? 10_000, ropeType: "default"),
            ropeScaling: nil, tieWordEmbeddings: file.tensors[output] == nil, hiddenAct: "silu",
            attentionBias: false, mlpBias: false, maxPositionEmbeddings: try m.optionalInt("llama.context_length"))
        do { try config.validate(file: file.path) } catch let error as ConfigError {
            throw GGUFError.unsupportedValue(file: file.path, key: "llama.*", value: "\(error)", supported: "a consistent LLaMA")
        }
        return config
    }

    // MARK: q/k rows

    /// llama.cpp's converter stores q (heads = H) and k (heads = K) with each head's rows reordered from
    /// [first rotary half; second half] to interleaved pairs: stored row h·D + 2i + j holds Hugging Face row
    /// h·D + j·D/2 + i (i < D/2, j ∈ {0, 1}). transformers' `reverse_permute_weights` undoes it; so does this.
    package static func unpermutedRow(_ stored: Int, headDim d: Int) -> Int {
        let h = stored / d, r = stored % d
        return h * d + (r % 2) * (d / 2) + r / 2
    }

    /// Reads typed metadata, turning absence and wrong types into errors naming the key.
    package struct Metadata {
        package let file: GGUFFile

        private func value(_ key: String) throws -> GGUFValue {
            guard let v = file.metadata[key] else { throw GGUFError.missingKey(file: file.path, key: key) }
            return v
        }

        private func wrong(_ key: String, _ expected: String, _ v: GGUFValue) -> GGUFError {
            .wrongKeyType(file: file.path, key: key, expected: expected, found: "\(v.type) \(v.summary)")
        }

        package func string(_ key: String) throws -> String {
            let v = try value(key)
            guard let s = v.string else { throw wrong(key, "a string", v) }
            return s
        }

        package func int(_ key: String) throws -> Int {
            let v = try value(key)
            guard let i = v.int else { throw wrong(key, "an integer", v) }
            return i
        }

        package func double(_ key: String) throws -> Double {
            let v = try value(key)
            guard let d = v.double else { throw wrong(key, "a number", v) }
            return d
        }

        package func optionalInt(_ key: String) throws -> Int? { file.metadata[key] == nil ? nil : try int(key) }
        package func optionalDouble(_ key: String) throws -> Double? { file.metadata[key] == nil ? nil : try double(key) }
        package func optionalString(_ key: String) throws -> String? { file.metadata[key] == nil ? nil : try string(key) }

        /// Memberwise, for the other worker modules (Swift's implicit one is internal).
        package init(file: GGUFFile) {
            self.file = file
        }
    }
}
