import Engine
import Model
/// The seven linear layers of a LLaMA decoder block that pruning acts on, with the input each one reads.
package enum PrunableLinear: String, CaseIterable {
    case q = "self_attn.q_proj"
    case k = "self_attn.k_proj"
    case v = "self_attn.v_proj"
    case o = "self_attn.o_proj"
    case gate = "mlp.gate_proj"
    case up = "mlp.up_proj"
    case down = "mlp.down_proj"

    package var tensor: BlockTensor {
        switch self {
        case .q: .q
        case .k: .k
        case .v: .v
        case .o: .o
        case .gate: .gate
        case .up: .up
        case .down: .down
        }
    }

    /// The activation this linear multiplies: q, k, v share one; gate and up share one.
    package var input: LinearInput {
        switch self {
        case .q, .k, .v: .attention
        case .o: .output
        case .gate, .up: .mlp
        case .down: .down
        }
    }

    /// `model.layers.{layer}.self_attn.q_proj`: the key of this linear's G and X in a bundle.
    package func name(layer: Int) -> String { "model.layers.\(layer).\(rawValue)" }
}
