// HFExport: writes a trained model as a Hugging Face checkpoint directory that transformers loads as
// LlamaForCausalLM: `config.json`, `model.safetensors`, `tokenizer.json`.
//
// config.json carries the keys `LlamaConfig.to_json_file` writes (transformers 4.x layout, keys sorted as it sorts
// them), with `torch_dtype` naming the stored dtype and the byte vocabulary's BOS/EOS ids. model.safetensors holds
// the `state_dict` names (TensorNames), (out, in) shapes, every tensor in that dtype, `__metadata__ {"format":
// "pt"}` as torch's `save_file` writes; no `lm_head.weight` when tied (transformers re-ties it on load). Weights
// are rounded to the dtype here; evaluate the written file, not the Float32 parameters, to report what ships.
import Engine
import Foundation
import Model

package enum HFExport {
    /// config.json's text for `c` stored as `torchDtype`.
    package static func configJSON(_ c: LlamaConfig, torchDtype: String, bosID: Int? = Int(ByteTokenizer.bos),
                           eosID: Int? = Int(ByteTokenizer.eos)) -> String {
        func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(format: "%.1f", x) : "\(x)" }
        let fields: [(String, String)] = [
            ("architectures", "[\"LlamaForCausalLM\"]"),
            ("attention_bias", "false"),
            ("attention_dropout", "0.0"),
            ("bos_token_id", bosID.map { "\($0)" } ?? "null"),
            ("eos_token_id", eosID.map { "\($0)" } ?? "null"),
            ("head_dim", "\(c.headDim)"),
            ("hidden_act", "\"silu\""),
            ("hidden_size", "\(c.hidden)"),
            ("initializer_range", "0.02"),
            ("intermediate_size", "\(c.intermediate)"),
            ("max_position_embeddings", "\(c.maxPositionEmbeddings ?? 2048)"),
            ("mlp_bias", "false"),
            ("model_type", "\"llama\""),
            ("num_attention_heads", "\(c.heads)"),
            ("num_hidden_layers", "\(c.layers)"),
            ("num_key_value_heads", "\(c.kvHeads)"),
            ("pretraining_tp", "1"),
            ("rms_norm_eps", "\(c.rmsNormEps)"),
            ("rope_scaling", "null"),
            ("rope_theta", number(c.ropeTheta)),
            ("tie_word_embeddings", c.tiedEmbeddings ? "true" : "false"),
            ("torch_dtype", "\"\(torchDtype)\""),
            ("transformers_version", "\"4.46.0\""),
            ("use_cache", "true"),
            ("vocab_size", "\(c.vocab)"),
        ]
        return "{\n" + fields.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }

    /// Writes config.json, model.safetensors (every tensor as `dtype`) and tokenizer.json into `directory`.
    package static func write(_ p: LlamaParameters, dtype: DType, torchDtype: String, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var writer = SafeTensorsWriter()
        writer.metadata = ["format": "pt"]
        for t in p.tensors { writer.add(t.name, p[t], shape: t.shape(p.config), as: dtype) }
        try writer.write(to: directory.appendingPathComponent("model.safetensors"))
        try Data(configJSON(p.config, torchDtype: torchDtype).utf8)
            .write(to: directory.appendingPathComponent("config.json"), options: .atomic)
        try ByteTokenizer.write(to: directory)
    }
}
