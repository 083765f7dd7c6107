import Foundation
import Testing
@testable import Model
@testable import Tokenizer
@testable import Dataset
@testable import Engine
@testable import Training

/// The committed model: files laid out as transformers' LlamaForCausalLM expects (checked on the files, without
/// transformers), small, and reproducing its recorded validation perplexity on the recorded slice.
@Suite struct ShippedModelTests {
    static var dir: URL { ShippedModel.directory }

    static func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(name))) as! [String: Any]
    }

    /// The safetensors header, parsed here rather than by our reader: (8-byte little-endian length, JSON).
    static func header() throws -> (tensors: [String: [String: Any]], metadata: [String: String]?, dataBytes: Int) {
        let data = try Data(contentsOf: dir.appendingPathComponent("model.safetensors"))
        let length = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
        var all = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as! [String: Any]
        let metadata = all.removeValue(forKey: "__metadata__") as? [String: String]
        return (all.mapValues { $0 as! [String: Any] }, metadata, data.count - 8 - length)
    }

    @Test func configIsATransformersLlamaConfig() throws {
        let c = try Self.json("config.json")
        #expect(c["architectures"] as? [String] == ["LlamaForCausalLM"])
        #expect(c["model_type"] as? String == "llama")
        #expect(c["torch_dtype"] as? String == "bfloat16")
        #expect(c["hidden_act"] as? String == "silu")
        #expect(c["bos_token_id"] as? Int == 256 && c["eos_token_id"] as? Int == 257)
        #expect(c["tie_word_embeddings"] as? Bool == false)
        #expect(c["vocab_size"] as? Int == 258)
        let hidden = c["hidden_size"] as! Int, heads = c["num_attention_heads"] as! Int
        let kv = c["num_key_value_heads"] as! Int
        #expect(kv < heads && heads % kv == 0, "grouped-query attention: \(heads) heads, \(kv) kv heads")
        #expect(c["head_dim"] as? Int == hidden / heads)
        for key in ["intermediate_size", "num_hidden_layers", "rms_norm_eps", "rope_theta", "max_position_embeddings",
                    "attention_bias", "mlp_bias"] {
            #expect(c[key] != nil, "config.json lacks \(key)")
        }
        // Our loader accepts it too.
        _ = try LlamaConfig.load(Self.dir.appendingPathComponent("config.json"))
    }

    /// Exactly LlamaForCausalLM's state_dict (untied: with lm_head), nn.Linear (out, in) shapes, all in bf16.
    @Test func tensorsAreLlamaForCausalLMStateDict() throws {
        let c = try Self.json("config.json")
        let C = c["hidden_size"] as! Int, F = c["intermediate_size"] as! Int, V = c["vocab_size"] as! Int
        let H = c["num_attention_heads"] as! Int, K = c["num_key_value_heads"] as! Int, L = c["num_hidden_layers"] as! Int
        let D = C / H
        var expected: [String: [Int]] = [
            "model.embed_tokens.weight": [V, C], "model.norm.weight": [C], "lm_head.weight": [V, C],
        ]
        for l in 0..<L {
            let p = "model.layers.\(l)."
            expected[p + "input_layernorm.weight"] = [C]
            expected[p + "post_attention_layernorm.weight"] = [C]
            expected[p + "self_attn.q_proj.weight"] = [H * D, C]
            expected[p + "self_attn.k_proj.weight"] = [K * D, C]
            expected[p + "self_attn.v_proj.weight"] = [K * D, C]
            expected[p + "self_attn.o_proj.weight"] = [C, H * D]
            expected[p + "mlp.gate_proj.weight"] = [F, C]
            expected[p + "mlp.up_proj.weight"] = [F, C]
            expected[p + "mlp.down_proj.weight"] = [C, F]
        }
        let (tensors, metadata, dataBytes) = try Self.header()
        #expect(metadata?["format"] == "pt")
        #expect(Set(tensors.keys) == Set(expected.keys))
        var covered = 0
        for (name, shape) in expected {
            guard let t = tensors[name] else { continue }
            #expect(t["dtype"] as? String == "BF16", "\(name)")
            #expect(t["shape"] as? [Int] == shape, "\(name): \(t["shape"] ?? "nil") vs \(shape)")
            let offsets = t["data_offsets"] as! [Int]
            #expect(offsets[1] - offsets[0] == 2 * shape.reduce(1, *), "\(name)")
            covered += offsets[1] - offsets[0]
        }
        #expect(covered == dataBytes, "tensor data must tile the data section")
    }

    @Test func directoryStaysSmall() throws {
        let files = try FileManager.default.contentsOfDirectory(at: Self.dir, includingPropertiesForKeys: [.fileSizeKey])
        let bytes = try files.reduce(0) { $0 + (try $1.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0) }
        #expect(bytes < 10_500_000, "models/\(ShippedModel.name) holds \(bytes) bytes")
        for name in ["config.json", "model.safetensors", "tokenizer.json", "README.md", "results.json",
                     "train-config.json", "training-log.jsonl"] {
            #expect(files.contains { $0.lastPathComponent == name }, "missing \(name)")
        }
    }

    @Test func tokenizerIsTheByteVocabulary() throws {
        let shipped = try String(contentsOf: Self.dir.appendingPathComponent("tokenizer.json"), encoding: .utf8)
        #expect(shipped == ByteTokenizer.json())
    }

    /// The corpus split recorded at ship time is the one cut today, and the shipped bf16 weights give the
    /// recorded validation perplexity on the recorded slice.
    @Test(.enabled(if: ShippedModel.corpusRoot != nil)) func reproducesRecordedValidationPerplexity() throws {
        let results = try Self.json("results.json")
        let splits = try ShippedModel.splits()
        let recorded = results["splits"] as! [String: [String: Any]]
        for (name, record) in ShippedModel.records {
            #expect(recorded[name]?["file_list_sha256"] as? String == record.fileListSHA256, "\(name) split differs")
            #expect(recorded[name]?["bytes"] as? Int == record.bytes, "\(name) split size differs")
        }
        let slice = results["validation_slice"] as! [String: Any]
        let seqlen = slice["seqlen"] as! Int, windows = slice["windows"] as! Int
        let model = try ModelWeights(directory: Self.dir)
        // The slice's windows are the stream's first tokens, and a byte vocabulary's ids of a prefix are a prefix of
        // the ids: tokenizing just enough text keeps this test fast in debug builds.
        let text = try DatasetSource(path: splits.appendingPathComponent("validation.txt").path).readText()
        let tokenizer = try Tokenizer(contentsOf: Self.dir.appendingPathComponent("tokenizer.json"))
        let ids = tokenizer.encode(String(text.prefix(seqlen * windows + 1)))
        let r = try Perplexity.evaluate(model, tokens: ids, seqlen: seqlen, maxWindows: windows)
        let expected = slice["perplexity"] as! Double
        #expect(r.windows == windows)
        #expect(abs(r.perplexity - expected) / expected < 1e-4, "perplexity \(r.perplexity), recorded \(expected)")
    }
}
