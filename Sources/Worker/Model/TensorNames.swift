// TensorNames: the Hugging Face LLaMA checkpoint's tensor names and their shapes, in one table.
//
// Names are transformers' `LlamaForCausalLM.state_dict()` keys, written out literally so a grep for a name in a
// checkpoint finds it here. Shapes follow nn.Linear's (out, in) convention.

/// The tensors of one decoder block, in forward order, with their `state_dict` suffixes.
package enum BlockTensor: String, CaseIterable {
    case inputNorm = "input_layernorm.weight"
    case q = "self_attn.q_proj.weight"
    case k = "self_attn.k_proj.weight"
    case v = "self_attn.v_proj.weight"
    case o = "self_attn.o_proj.weight"
    case postNorm = "post_attention_layernorm.weight"
    case gate = "mlp.gate_proj.weight"
    case up = "mlp.up_proj.weight"
    case down = "mlp.down_proj.weight"

    /// The shape `config` implies, (out, in) for linears.
    package func shape(_ c: LlamaConfig) -> [Int] {
        switch self {
        case .inputNorm, .postNorm: [c.hidden]                    // (C)
        case .q: [c.heads * c.headDim, c.hidden]                  // (H·D, C)
        case .k, .v: [c.kvHeads * c.headDim, c.hidden]            // (K·D, C)
        case .o: [c.hidden, c.heads * c.headDim]                  // (C, H·D)
        case .gate, .up: [c.intermediate, c.hidden]               // (F, C)
        case .down: [c.hidden, c.intermediate]                    // (C, F)
        }
    }
}

/// The literal names of a LLaMA checkpoint.
package enum TensorNames {
    package static let embedding = "model.embed_tokens.weight"   // (V, C)
    package static let finalNorm = "model.norm.weight"           // (C)
    package static let lmHead = "lm_head.weight"                 // (V, C); absent when tied to the embedding

    /// `model.layers.{layer}.{suffix}`.
    package static func block(_ layer: Int, _ tensor: BlockTensor) -> String { "model.layers.\(layer).\(tensor.rawValue)" }
}
