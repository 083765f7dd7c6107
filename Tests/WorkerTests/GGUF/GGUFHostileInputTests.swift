import Foundation
import Testing
import Shared
@testable import Model
@testable import Tokenizer
@testable import Engine

/// Bad GGUF files, each a clear error naming what is wrong, never a crash; and a fuzzer over the header.
@Suite("GGUF hostile input")
struct GGUFHostileInputTests {
    /// The error a parse of `bytes` throws, or nil when it parses.
    static func parseError(_ bytes: [UInt8]) -> GGUFError? {
        do { _ = try TinyGGUF.parse(bytes); return nil } catch let e as GGUFError { return e } catch {
            Issue.record("not a GGUFError: \(error)"); return nil
        }
    }

    /// The error opening `bytes` as a model throws.
    static func modelError(_ bytes: [UInt8]) throws -> String {
        let url = TinyGGUF.temporaryFile("bad.gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(bytes).write(to: url)
        do { _ = try ModelPath(url).weights(); return "" } catch { return "\(error)" }
    }

    /// Byte offset of the first occurrence of `needle`.
    static func offset(of needle: String, in bytes: [UInt8]) -> Int {
        let n = Array(needle.utf8)
        return (0...(bytes.count - n.count)).first { bytes[$0..<$0 + n.count].elementsEqual(n) }!
    }

    static func poke<T: FixedWidthInteger>(_ bytes: inout [UInt8], at offset: Int, _ value: T) {
        withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
    }

    @Test func theTinyFileReadsBack() throws {
        let url = TinyGGUF.temporaryFile("tiny.gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try TinyGGUF.write(to: url)
        let model = try ModelPath(url).weights()
        #expect(model.config.layers == 1 && model.config.kvHeads == 1 && model.config.tiedEmbeddings)
        // Not permuted: read back exactly; q rows un-permuted: row r of the file is row unpermutedRow(r).
        let gate = try model.float32(TensorNames.block(0, .gate))
        #expect(gate == TinyGGUF.values("blk.0.ffn_gate.weight", count: gate.count))
        let q = try model.float32(TensorNames.block(0, .q)), stored = TinyGGUF.values("blk.0.attn_q.weight", count: q.count)
        let c = TinyGGUF.hidden
        for r in 0..<(TinyGGUF.heads * TinyGGUF.headDim) {
            let hf = GGUFLlama.unpermutedRow(r, headDim: TinyGGUF.headDim)
            #expect(Array(q[hf * c..<(hf + 1) * c]) == Array(stored[r * c..<(r + 1) * c]))
        }
    }

    @Test func wrongMagic() throws {
        var b = try TinyGGUF.bytes()
        b[0] = UInt8(ascii: "X")
        guard case .notGGUF? = Self.parseError(b) else { Issue.record("expected notGGUF"); return }
        #expect(try Self.modelError(b).contains("neither a model directory nor a GGUF file"))
    }

    @Test(arguments: [UInt32(1), 4, 0xFFFF_FFFF])
    func unknownVersion(_ version: UInt32) throws {
        var b = try TinyGGUF.bytes()
        Self.poke(&b, at: 4, version)
        guard case let .unsupportedVersion(_, v)? = Self.parseError(b) else { Issue.record("expected unsupportedVersion"); return }
        #expect(v == version)
    }

    /// Every cut inside the header is a truncation error naming what it was reading.
    @Test func truncatedHeader() throws {
        let b = try TinyGGUF.bytes()
        let header = try TinyGGUF.parse(b).dataOffset
        for cut in stride(from: 0, to: header, by: 7) {
            let e = Self.parseError(Array(b[..<cut]))
            switch e {
            case .truncated?, .absurdCount?: continue
            default: Issue.record("cut at \(cut): \(String(describing: e))")
            }
        }
    }

    @Test func truncatedData() throws {
        let b = try TinyGGUF.bytes()
        let e = Self.parseError(Array(b.dropLast(100)))
        guard case let .tensorOutOfRange(_, tensor, _, _, _)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(tensor == "output_norm.weight")
    }

    @Test func tensorOffsetPastTheFile() throws {
        var b = try TinyGGUF.bytes()
        // The tensor entry: name, n_dims u32, ne u64 × n, type u32, offset u64.
        let name = "blk.0.ffn_up.weight"
        let at = Self.offset(of: name, in: b) + name.utf8.count + 4 + 2 * 8 + 4
        Self.poke(&b, at: at, UInt64(1) << 40)
        let e = Self.parseError(b)
        guard case let .tensorOutOfRange(_, tensor, _, _, _)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(tensor == name)
    }

    @Test func overlappingTensors() throws {
        var b = try TinyGGUF.bytes()
        let name = "blk.0.ffn_up.weight"
        let at = Self.offset(of: name, in: b) + name.utf8.count + 4 + 2 * 8 + 4
        Self.poke(&b, at: at, UInt64(0))   // on top of token_embd.weight
        guard case .tensorsOverlap? = Self.parseError(b) else { Issue.record("expected overlap"); return }
    }

    @Test func absurdArrayLength() throws {
        var b = try TinyGGUF.bytes()
        // tokens: key, u32 type 9, u32 element type 8, u64 count.
        let at = Self.offset(of: "tokenizer.ggml.tokens", in: b) + "tokenizer.ggml.tokens".utf8.count + 4 + 4
        Self.poke(&b, at: at, UInt64(1) << 61)
        let e = Self.parseError(b)
        guard case let .absurdCount(_, _, field, count, _)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(field.contains("tokenizer.ggml.tokens") && count == 1 << 61)
    }

    @Test func unknownTensorType() throws {
        var b = try TinyGGUF.bytes()
        let name = "blk.0.ffn_gate.weight"
        let at = Self.offset(of: name, in: b) + name.utf8.count + 4 + 2 * 8
        Self.poke(&b, at: at, UInt32(77))
        let e = Self.parseError(b)
        guard case let .unknownTensorType(_, tensor, type)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(tensor == name && type == 77)
    }

    @Test func shapesThatDisagreeWithTheMetadata() throws {
        let b = try TinyGGUF.bytes { w in w.set("llama.feed_forward_length", .unsigned(96, .uint32)) }
        let message = try Self.modelError(b)
        #expect(message.contains("mlp.gate_proj.weight") && message.contains("[128, 64]") && message.contains("[96, 64]"), "\(message)")
    }

    @Test func aNonLlamaArchitecture() throws {
        let url = TinyGGUF.temporaryFile("qwen.gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        var w = GGUFWriter()
        for (k, v) in TinyGGUF.metadata(architecture: "qwen2") { w.set(k, v) }
        try w.write(to: url)
        let message = try Self.modelError([UInt8](Data(contentsOf: url)))
        #expect(message.contains("general.architecture = qwen2 is not supported"), "\(message)")
    }

    @Test func ropeScalingAndBiasesAreRefused() throws {
        let scaled = try Self.modelError(try TinyGGUF.bytes { $0.set("llama.rope.scaling.type", .string("linear")) })
        #expect(scaled.contains("llama.rope.scaling.type = linear"), "\(scaled)")
        let biased = try Self.modelError(try TinyGGUF.bytes { w in
            w.add(.init(name: "blk.0.attn_q.bias", dims: [64], type: .f32, bytes: { [UInt8](repeating: 0, count: 256) }))
        })
        #expect(biased.contains("blk.0.attn_q.bias") && biased.contains("biases"), "\(biased)")
    }

    @Test func aMissingTensorIsNamed() throws {
        let url = TinyGGUF.temporaryFile("missing.gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        var w = GGUFWriter()
        for (k, v) in TinyGGUF.metadata() { w.set(k, v) }
        for (name, dims) in TinyGGUF.tensorShapes where name != "blk.0.ffn_down.weight" {
            w.add(.init(name: name, dims: dims, type: .f32, bytes: { [UInt8](repeating: 0, count: dims.reduce(4, *)) }))
        }
        try w.write(to: url)
        let message = try Self.modelError([UInt8](Data(contentsOf: url)))
        #expect(message.contains("model.layers.0.mlp.down_proj.weight is missing"), "\(message)")
    }

    @Test func wrongMetadataTypesAreNamed() throws {
        let message = try Self.modelError(try TinyGGUF.bytes { $0.set("llama.block_count", .string("one")) })
        #expect(message.contains("llama.block_count is string"), "\(message)")
    }

    /// Why a header error does not say where the problem is, or nil when it does: a byte offset inside the file
    /// (its end included: a truncation is found there) and the field it was reading.
    static func unlocated(_ e: GGUFError, size: Int) -> String? {
        switch e {
        case let .truncated(_, offset, field, _, _), let .absurdCount(_, offset, field, _, _),
             let .invalidUTF8(_, offset, field):
            if !(0...size).contains(offset) { return "offset \(offset) outside the \(size)-byte file" }
            return field.isEmpty ? "no field named" : nil
        case let .unknownValueType(_, offset, _, _), let .invalidValue(_, offset, _, _):
            return (0...size).contains(offset) ? nil : "offset \(offset) outside the \(size)-byte file"
        default:
            return nil  // the rest name a key, a tensor or a value rather than an offset
        }
    }

    /// 100,000 mutated headers: each parse succeeds or throws a GGUFError naming the file (and, for a malformed
    /// header, the byte offset and field); a parse that succeeds
    /// hands out only tensors inside the data section that do not overlap, and metadata it can re-encode.
    @Test func fuzzTheHeader() throws {
        // The tiny model's header over tensors of one block each, so a mutated copy costs little beyond the header.
        let original = try TinyGGUF.bytes { w in
            let names = w.tensors.map(\.name)
            w = GGUFWriter()
            for (k, v) in TinyGGUF.metadata() { w.set(k, v) }
            for name in names { w.add(.init(name: name, dims: [32], type: .f32, bytes: { [UInt8](repeating: 0, count: 128) })) }
        }
        let headerEnd = try TinyGGUF.parse(original).dataOffset
        var entropy = SystemRandomNumberGenerator()
        let seed = entropy.next() as UInt64
        print("GGUF fuzz seed \(seed)")
        var generator = SplitMix64(seed: seed)
        func next() -> UInt64 { generator.next() }
        var parsed = 0, refused = 0
        var violations: [String] = []
        for _ in 0..<100_000 {
            var b = original
            switch next() % 4 {
            case 0:   // flip a few header bytes
                for _ in 0..<(1 + next() % 4) { b[Int(next() % UInt64(headerEnd))] ^= UInt8(truncatingIfNeeded: next() | 1) }
            case 1:   // a random u64 somewhere in the header
                Self.poke(&b, at: Int(next() % UInt64(headerEnd - 8)), next() >> (next() % 64))
            case 2:   // truncate
                b = Array(b[..<Int(next() % UInt64(b.count))])
            default:  // a small count somewhere
                Self.poke(&b, at: Int(next() % UInt64(headerEnd - 4)), UInt32(next() % 300))
            }
            do {
                let h = try TinyGGUF.parse(b)
                parsed += 1
                let spans = h.tensors.values.map { ($0.offset, $0.offset + $0.byteCount) }.sorted { $0 < $1 }
                for (i, s) in spans.enumerated() where s.0 < h.dataOffset || s.1 > b.count || (i > 0 && s.0 < spans[i - 1].1) {
                    violations.append("tensor span \(s) of a \(b.count)-byte file (data at \(h.dataOffset))")
                }
                if h.keys.count != h.metadata.count { violations.append("keys and metadata disagree") }
            } catch let e as GGUFError {
                refused += 1
                if !e.description.hasPrefix("test.gguf: ") { violations.append("unnamed error: \(e)") }
                if let why = Self.unlocated(e, size: b.count) { violations.append("\(e): \(why)") }
            }
        }
        #expect(violations.isEmpty, "\(violations.prefix(5))")
        print("GGUF fuzz: \(parsed) parsed, \(refused) refused")
        #expect(parsed > 0 && refused > 0)
    }
}
