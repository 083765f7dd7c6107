// RandomModel: small LLaMA configurations and deterministic random weights, for benchmarks, the determinism
// check and the tests (cheap enough for 200M weights; not a model initialisation: see Model's Initialization).
import Foundation
import Model
import Shared

package enum RandomModel {
    package static func config(hidden: Int, intermediate: Int, heads: Int, kvHeads: Int, layers: Int, vocab: Int) -> LlamaConfig {
        let json = """
            {"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":\(hidden),
             "intermediate_size":\(intermediate),"num_attention_heads":\(heads),"num_key_value_heads":\(kvHeads),
             "num_hidden_layers":\(layers),"vocab_size":\(vocab),"rms_norm_eps":1e-5,"rope_theta":10000.0}
            """
        return try! LlamaConfig.decode(Data(json.utf8), file: "bench")
    }

    /// Deterministic uniform values in [−scale, scale) (Shared's Xorshift64), cheap enough for 200M weights.
    package static func random(_ count: Int, scale: Float, seed: UInt64) -> [Float] {
        Xorshift64.floats(count, scale: scale, seed: seed)
    }

    package static func randomBlock(_ c: LlamaConfig, seed: UInt64) -> BlockWeights {
        var w = BlockWeights(zeros: c)
        for (i, t) in BlockTensor.allCases.enumerated() {
            let shape = t.shape(c)
            w[t] = shape.count == 1
                ? [Float](repeating: 1, count: shape[0])
                : random(shape[0] * shape[1], scale: 1 / Float(shape[1]).squareRoot(), seed: seed &+ UInt64(i) &* 7919)
        }
        return w
    }
}
