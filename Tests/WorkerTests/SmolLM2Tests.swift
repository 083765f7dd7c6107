import Foundation
import Testing
import TestSupport
@testable import Worker

/// SmolLM2-135M-Instruct read from its GGUF file against what transformers computes from the same file
/// (`../shared/fixtures/smollm2-135m/expected.json`): config, every tensor, logits and perplexities.
@Suite("SmolLM2 from GGUF", .enabled(if: SmolLM2.available, "SmolLM2's GGUF (deploy/fetch-smollm2.sh) or ../shared/fixtures/smollm2-135m is absent"))
struct SmolLM2Tests {
    struct Expected: Decodable {
        struct Tensor: Decodable {
            let shape: [Int]
            let sum: Double
            let abs_sum: Double
            let first8: [Double]
            let row1_first8: [Double]?
        }
        struct Logits: Decodable {
            let pos0_first8: [Double]
            let pos63_first8: [Double]
            let sum: Double
            let argmax: [Int]
        }
        struct Text: Decodable {
            let n_ids: Int
            let ids_sha256_u32le: String
            let first16: [Int]
        }
        let n_parameters: Int
        let tensors: [String: Tensor]
        let wikitext2_test: Text
        let logits_first64: Logits
        let perplexity: [String: Double]
    }

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: SmolLM2.fixture.appendingPathComponent("expected.json")))
    }

    static func model() throws -> ModelWeights { try ModelPath(SmolLM2.gguf).weights() }

    @Test func configIsTransformers() throws {
        let data = try Data(contentsOf: SmolLM2.fixture.appendingPathComponent("expected.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let e = try #require(root["config"] as? [String: Any])
        let c = try Self.model().config
        func int(_ k: String) -> Int? { (e[k] as? NSNumber)?.intValue }
        #expect(c.hidden == int("hidden_size") && c.intermediate == int("intermediate_size"))
        #expect(c.layers == int("num_hidden_layers") && c.heads == int("num_attention_heads"))
        #expect(c.kvHeads == int("num_key_value_heads") && c.headDim == int("head_dim") && c.vocab == int("vocab_size"))
        #expect(c.maxPositionEmbeddings == int("max_position_embeddings"))
        #expect(c.rmsNormEps == (e["rms_norm_eps"] as? NSNumber)?.doubleValue)
        #expect(c.ropeTheta == ((e["rope_parameters"] as? [String: Any])?["rope_theta"] as? NSNumber)?.doubleValue)
        #expect(c.tiedEmbeddings == (e["tie_word_embeddings"] as? Bool))
    }

    /// Every tensor under its Hugging Face name: shape, Float64 sum and absolute sum (relative 1e-6: the values are
    /// bit-exact, so only summation order differs, ≲ n·2⁻⁵³ relative), and the first values of rows 0 and 1 exactly.
    @Test func everyTensorMatches() throws {
        let model = try Self.model(), e = try Self.expected()
        var parameters = 0
        for (name, t) in e.tensors.sorted(by: { $0.key < $1.key }) {
            let shape = try #require(model.store.shape(of: name), "\(name) missing")
            #expect(shape == t.shape, "\(name): shape \(shape) vs \(t.shape)")
            let values = try model.float32(name)
            parameters += values.count
            var sum = 0.0, absSum = 0.0
            for v in values { sum += Double(v); absSum += abs(Double(v)) }
            #expect(abs(sum - t.sum) <= 1e-6 * max(t.abs_sum, 1e-30), "\(name): sum \(sum) vs \(t.sum)")
            #expect(abs(absSum - t.abs_sum) <= 1e-6 * t.abs_sum, "\(name): abs sum \(absSum) vs \(t.abs_sum)")
            #expect(values.prefix(8).map(Double.init) == t.first8, "\(name): first values")
            if let row1 = t.row1_first8, shape.count == 2 {
                #expect(values[shape[1]..<shape[1] + 8].map(Double.init) == row1, "\(name): row 1")
            }
        }
        #expect(parameters == e.n_parameters)
    }
}
