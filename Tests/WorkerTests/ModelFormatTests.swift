import Foundation
import TestSupport
import Testing
@testable import Model
@testable import Engine
@testable import Fitness

/// config.json layouts and defaults, and the dtype widening of the safetensors reader.
@Suite("Model formats")
struct ModelFormatTests {
    static let base = #""architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":64,"intermediate_size":176,"num_attention_heads":4,"num_hidden_layers":2,"vocab_size":320,"rms_norm_eps":1e-6"#

    static func config(_ extra: String) throws -> LlamaConfig {
        try LlamaConfig.decode(Data(("{" + base + extra + "}").utf8), file: "config.json")
    }

    @Test func transformers5Layout() throws {
        let c = try Self.config(#","head_dim":32,"num_key_value_heads":2,"rope_parameters":{"rope_theta":500000.0,"rope_type":"default"},"tie_word_embeddings":true"#)
        #expect(c.ropeTheta == 500_000 && c.headDim == 32 && c.kvHeads == 2 && c.tiedEmbeddings)
    }

    @Test func transformers4LayoutAndDefaults() throws {
        let c = try Self.config(#","rope_theta":20000.0,"rope_scaling":null"#)
        #expect(c.ropeTheta == 20_000 && c.headDim == 16 && c.kvHeads == 4 && !c.tiedEmbeddings)
        #expect(try Self.config("").ropeTheta == 10_000)
    }

    @Test func inconsistentHeads() throws {
        #expect {
            _ = try Self.config(#","num_key_value_heads":3"#)
        } throws: { e in
            guard case .inconsistent(_, "num_key_value_heads", _) = e as? ConfigError else { return false }
            return true
        }
    }

    @Test func missingField() throws {
        #expect {
            _ = try LlamaConfig.decode(Data(#"{"architectures":["LlamaForCausalLM"]}"#.utf8), file: "c.json")
        } throws: { e in
            guard case let .invalidJSON(_, reason) = e as? ConfigError else { return false }
            return reason.contains("missing field")
        }
    }

    @Test func widensF16AndBF16() throws {
        let values: [Float] = [1, -2.5, 0.1, 65504, -0.0]
        let f16 = values.flatMap { v -> [UInt8] in let b = Float16(v).bitPattern; return [UInt8(b & 0xff), UInt8(b >> 8)] }
        let bf16 = values.flatMap { v -> [UInt8] in let b = UInt16(v.bitPattern >> 16); return [UInt8(b & 0xff), UInt8(b >> 8)] }
        let url = try MalformedInputTests.tempDir().appendingPathComponent("t.safetensors")
        try MalformedInputTests.write(
            url, header: #"{"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]},"b":{"dtype":"BF16","shape":[1,5],"data_offsets":[10,20]}}"#,
            data: Data(f16 + bf16))
        let file = try SafeTensorsFile(path: url.path)
        var h = [Float](repeating: 0, count: 5), b = h
        try h.withUnsafeMutableBufferPointer { try file.readFloat32("h", into: $0) }
        try b.withUnsafeMutableBufferPointer { try file.readRows("b", rows: [0], into: $0.baseAddress!) }
        #expect(h == values.map { Float(Float16($0)) })
        #expect(b == values.map { Float(bitPattern: $0.bitPattern & 0xffff_0000) })
    }
}

/// The eval command's computation and output on a fixture.
@Suite("Eval command", .enabled(if: EngineFixtures.available, "../shared/fixtures/hf-llama is absent"))
struct EvalCommandTests {
    @Test func jsonReportMatchesTheFixture() throws {
        let dir = EngineFixtures.directory("tiny")
        let report = try EvalReport.evaluate(
            model: dir, data: dir.appendingPathComponent("tokens.bin").path, seqlen: 64, maxWindows: nil)
        let object = try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as! [String: Any]
        let ppl = object["perplexity"] as! Double
        let expected = try EngineFixtures.expected("tiny").ppl
        #expect(abs(ppl - expected) / ppl < 1e-5)
        #expect(object["tokens"] as? Int == 64 && object["windows"] as? Int == 1)
        // The command is the executable's: its name checked through the built binary.
        let help = try BuiltBinary.run("prunerzero-worker", ["eval", "--help"])
        #expect(help.status == 0 && help.stdout.contains("prunerzero-worker eval"))
    }

    @Test func rejectsBadArguments() throws {
        let outcome = try BuiltBinary.run("prunerzero-worker", ["eval", "--model", "m", "--data", "t", "--seqlen", "1"])
        #expect(outcome.status != 0 && outcome.stderr.contains("--seqlen must be at least 2"))
    }
}
