import Foundation
import Shared
@testable import Model
@testable import Engine

/// A small, valid llama GGUF written by GGUFWriter: one block, width 64, 2 query heads over 1 key/value head,
/// SwiGLU 128, a 40-token byte-level vocabulary; F32 norms, F16 or another type for the matrices. Tests mutate its
/// bytes to make every kind of bad file.
enum TinyGGUF {
    static let hidden = 64, heads = 2, kvHeads = 1, headDim = 32, ffn = 128, vocab = 40, layers = 1

    /// Deterministic weights per tensor (Shared's SplitMix64 seeded by the name), so a read-back can be checked
    /// value by value: multiples of 1/4096 in [−1000, 1000]/4096, exact in F16.
    static func values(_ name: String, count: Int) -> [Float] {
        var generator = SplitMix64(seed: UInt64(truncatingIfNeeded: name.hashValueStable))
        return (0..<count).map { _ in Float(Int(generator.next() >> 40) % 2001 - 1000) / 4096 }
    }

    static func metadata(architecture: String = "llama") -> [(String, GGUFValue)] {
        let tokens = ["<|endoftext|>", "<|im_start|>"] + (0..<(vocab - 2)).map { "t\($0)" }
        return [
            ("general.architecture", .string(architecture)),
            ("general.name", .string("tiny")),
            ("\(architecture).block_count", .unsigned(UInt64(layers), .uint32)),
            ("\(architecture).context_length", .unsigned(256, .uint32)),
            ("\(architecture).embedding_length", .unsigned(UInt64(hidden), .uint32)),
            ("\(architecture).feed_forward_length", .unsigned(UInt64(ffn), .uint32)),
            ("\(architecture).attention.head_count", .unsigned(UInt64(heads), .uint32)),
            ("\(architecture).attention.head_count_kv", .unsigned(UInt64(kvHeads), .uint32)),
            ("\(architecture).rope.freq_base", .float(10_000, .float32)),
            ("\(architecture).attention.layer_norm_rms_epsilon", .float(1e-5, .float32)),
            ("\(architecture).vocab_size", .unsigned(UInt64(vocab), .uint32)),
            ("\(architecture).rope.dimension_count", .unsigned(UInt64(headDim), .uint32)),
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string("default")),
            ("tokenizer.ggml.tokens", .array(tokens.map { .string($0) }, element: .string)),
            ("tokenizer.ggml.token_type", .array(tokens.indices.map { .signed($0 < 2 ? 3 : 1, .int32) }, element: .int32)),
            ("tokenizer.ggml.merges", .array([.string("t 1")], element: .string)),
            ("tokenizer.ggml.bos_token_id", .unsigned(1, .uint32)),
            ("tokenizer.ggml.eos_token_id", .unsigned(0, .uint32)),
        ]
    }

    /// The tensors of the tiny model under llama.cpp's names with their `ne` (fastest first).
    static var tensorShapes: [(name: String, dims: [Int])] {
        var out: [(String, [Int])] = [("token_embd.weight", [hidden, vocab])]
        for l in 0..<layers {
            out += [
                ("blk.\(l).attn_norm.weight", [hidden]), ("blk.\(l).attn_q.weight", [hidden, heads * headDim]),
                ("blk.\(l).attn_k.weight", [hidden, kvHeads * headDim]), ("blk.\(l).attn_v.weight", [hidden, kvHeads * headDim]),
                ("blk.\(l).attn_output.weight", [heads * headDim, hidden]), ("blk.\(l).ffn_norm.weight", [hidden]),
                ("blk.\(l).ffn_gate.weight", [hidden, ffn]), ("blk.\(l).ffn_up.weight", [hidden, ffn]),
                ("blk.\(l).ffn_down.weight", [ffn, hidden]),
            ]
        }
        out.append(("output_norm.weight", [hidden]))
        return out
    }

    /// Writes the tiny model; `edit` may change the writer first (drop a tensor, change metadata).
    static func write(to url: URL, matrices: GGMLType = .f32, edit: (inout GGUFWriter) -> Void = { _ in }) throws {
        var w = GGUFWriter()
        for (k, v) in metadata() { w.set(k, v) }
        for (name, dims) in tensorShapes {
            let type: GGMLType = dims.count == 1 ? .f32 : matrices
            let values = Self.values(name, count: dims.reduce(1, *))
            w.add(.init(name: name, dims: dims, type: type, bytes: { try GGMLQuantizer.quantize(values, as: type) }))
        }
        edit(&w)
        try w.write(to: url)
    }

    static func bytes(matrices: GGMLType = .f32, edit: (inout GGUFWriter) -> Void = { _ in }) throws -> [UInt8] {
        let url = temporaryFile("tiny.gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try write(to: url, matrices: matrices, edit: edit)
        return [UInt8](try Data(contentsOf: url))
    }

    static func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("pz-\(UUID().uuidString)-\(name)")
    }

    /// Parses bytes as GGUFFile.parse does for a mapped file.
    static func parse(_ bytes: [UInt8]) throws -> GGUFFile.Header {
        try bytes.withUnsafeBytes { try GGUFFile.parse(base: $0.baseAddress!, size: $0.count, file: "test.gguf") }
    }
}

extension String {
    /// FNV-1a of the UTF-8 bytes: a hash that is the same in every process (String.hashValue is seeded).
    var hashValueStable: UInt64 { utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 } }
}
