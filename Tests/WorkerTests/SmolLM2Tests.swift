import Foundation
import Testing
import Shared
import TestSupport
@testable import Model
@testable import Tokenizer
@testable import Engine

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

    /// The WikiText-2 test ids (universal newlines, as the fixture), tokenized once per process by the GGUF's tokenizer.
    static let wikitextIDs = Result { () -> [TokenID] in
        let model = try ModelPath(SmolLM2.gguf)
        return try model.tokenizer().encode(try TokenizerWholeFileTests.wikitext(), addSpecialTokens: true)
    }

    /// The tokenizer read from the GGUF file gives transformers' ids for the whole file, bit for bit.
    @Test func wikitextIDsAreTransformers() throws {
        let ids = try Self.wikitextIDs.get(), e = try Self.expected().wikitext2_test
        #expect(ids.count == e.n_ids)
        #expect(ids.prefix(16).map(Int.init) == e.first16)
        let bytes = ids.flatMap { id in withUnsafeBytes(of: UInt32(id).littleEndian) { Array($0) } }
        #expect(Digest.hex(Digest.sha256(bytes)) == e.ids_sha256_u32le)
    }

    /// Logits of the first 64 ids as one window. Tolerance 1e-4 relative (of max(|logit|, 1)): the weights are
    /// bit-identical, so only float32 rounding differs — each dot product of length n ≤ 1536 is summed in another
    /// order by OpenBLAS than by torch, a relative difference of order √n · 2⁻²⁴ ≈ 2e-6 per product, which 60
    /// residual sub-layers add up (and softmax/RMSNorm can amplify a few-fold): a few 1e-5. Measured on an AVX-512
    /// Xeon: 1.9e-5 at position 0, 3.8e-6 at position 63. A wrong layer or a mis-permuted head moves logits by
    /// > 1e-2.
    @Test func logitsMatchTransformers() throws {
        let model = try Self.model(), e = try Self.expected().logits_first64
        let tokens = Array(try Self.wikitextIDs.get().prefix(64))
        let n = tokens.count, v = model.config.vocab
        let hidden = try Forward(config: model.config, seqlen: n, windows: 1).run(model, tokens: tokens[...])
        let head = try OutputHead(model)
        var logits = [Float](repeating: 0, count: n * v)
        logits.withUnsafeMutableBufferPointer { head.logits(hidden, rows: 0..<n, into: $0.baseAddress!) }
        func rel(_ a: ArraySlice<Float>, _ b: [Double]) -> Double {
            zip(a, b).map { abs(Double($0) - $1) / max(abs($1), 1) }.max() ?? 0
        }
        let first = rel(logits[0..<8], e.pos0_first8), last = rel(logits[(n - 1) * v..<(n - 1) * v + 8], e.pos63_first8)
        let sum = logits.reduce(0.0) { $0 + Double($1) }, absSum = logits.reduce(0.0) { $0 + abs(Double($1)) }
        let argmax = (0..<n).map { t in (0..<v).max { logits[t * v + $0] < logits[t * v + $1] }! }
        print("SmolLM2 logits: pos0 rel \(first), pos63 rel \(last), sum \(sum) vs \(e.sum)")
        #expect(first <= 1e-4 && last <= 1e-4)
        #expect(abs(sum - e.sum) <= 1e-4 * absSum, "sum \(sum) vs \(e.sum)")
        #expect(argmax == e.argmax)
    }

    /// Perplexity of consecutive windows, 8 × 256 and 2 × 2048 (the reference protocol's window), within 1e-4
    /// relative, for the reason above: a mean of per-token cross-entropies shares the logits' relative error.
    @Test(arguments: [(256, 8, "wikitext2_test_8x256"), (2048, 2, "wikitext2_test_2x2048")])
    func perplexityMatchesTransformers(_ seqlen: Int, _ windows: Int, _ key: String) throws {
        let expected = try #require(try Self.expected().perplexity[key])
        let r = try Perplexity.evaluate(try Self.model(), tokens: try Self.wikitextIDs.get(), seqlen: seqlen, maxWindows: windows)
        print("SmolLM2 perplexity \(windows)×\(seqlen): \(r.perplexity) vs transformers \(expected)")
        #expect(abs(r.perplexity - expected) / expected <= 1e-4)
    }
}
