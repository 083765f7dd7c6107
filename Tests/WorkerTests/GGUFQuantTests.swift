import Foundation
import Testing
@testable import Model
@testable import Engine

/// One fixture written by Benchmarks/Reference/make_gguf_quant_fixtures.py (gguf-py 0.19.0): a quantized byte
/// string and its float32 values, in either direction.
struct GGUFQuantFixture {
    let type: GGMLType
    let count: Int
    let bytes: [UInt8]
    let floats: [Float]

    /// The committed fixtures, `<package root>/Tests/Fixtures/gguf-quants` (outside every target, so SwiftPM does
    /// not ask for them to be declared as resources).
    static let directory: URL? = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return dir.appendingPathComponent("Tests/Fixtures/gguf-quants")
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    /// Reads `<TYPE>.dequant.bin` (`quantize: false`) or `<TYPE>.quant.bin`. Layout: "PZGQ", uint32 version 1,
    /// type id, kind (0 dequant: bytes then floats; 1 quant: floats then bytes), element count, byte count.
    init(_ type: GGMLType, quantize: Bool = false) throws {
        let name = "\(type.name).\(quantize ? "quant" : "dequant").bin"
        let url = try #require(Self.directory?.appendingPathComponent(name))
        let data = try [UInt8](Data(contentsOf: url))
        try #require(data.count >= 24 && data[0..<4].elementsEqual("PZGQ".utf8), "\(name): not a fixture")
        let header = data.withUnsafeBytes { raw in
            (0..<5).map { raw.loadUnaligned(fromByteOffset: 4 + 4 * $0, as: UInt32.self) }
        }
        let count = Int(header[3]), byteCount = Int(header[4])
        try #require(header[0] == 1 && header[1] == type.rawValue && header[2] == (quantize ? 1 : 0), "\(name): header")
        try #require(data.count == 24 + byteCount + 4 * count, "\(name): \(data.count) bytes")
        let floatStart = quantize ? 24 : 24 + byteCount, byteStart = quantize ? 24 + 4 * count : 24
        self.type = type
        self.count = count
        bytes = Array(data[byteStart..<byteStart + byteCount])
        floats = data.withUnsafeBytes { raw in
            (0..<count).map { raw.loadUnaligned(fromByteOffset: floatStart + 4 * $0, as: Float.self) }
        }
    }
}

/// Widens `bytes` of `type` through the public entry point.
private func dequantize(_ type: GGMLType, _ bytes: [UInt8], count: Int) throws -> [Float] {
    var out = [Float](repeating: .nan, count: count)
    try bytes.withUnsafeBytes { src in
        try out.withUnsafeMutableBufferPointer {
            try GGMLDequantizer.dequantize(type, from: src.baseAddress!, count: count, into: $0.baseAddress!)
        }
    }
    return out
}

private func quantize(_ type: GGMLType, _ floats: [Float]) throws -> [UInt8] {
    // A partial block (the error cases) still gets room for the blocks around it.
    let byteCount = type.byteCount(elements: floats.count) ?? (floats.count / type.blockSize + 1) * type.typeSize
    var out = [UInt8](repeating: 0xAA, count: byteCount)
    try floats.withUnsafeBufferPointer { src in
        try out.withUnsafeMutableBytes {
            try GGMLQuantizer.quantize(type, from: src.baseAddress!, count: floats.count, into: $0.baseAddress!)
        }
    }
    return out
}

/// Records a failure naming the first differing element (values and bit patterns) and how many differ.
private func expectBitIdentical(_ actual: [Float], _ expected: [Float], _ what: String) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)")
    let n = min(actual.count, expected.count)
    let differing = (0..<n).filter { actual[$0].bitPattern != expected[$0].bitPattern }
    if let i = differing.first {
        let got = "\(actual[i]) (0x\(String(actual[i].bitPattern, radix: 16)))"
        let want = "\(expected[i]) (0x\(String(expected[i].bitPattern, radix: 16)))"
        Issue.record("\(what): \(differing.count) of \(n) values differ; first at \(i): \(got), expected \(want)")
    }
}

private func expectIdentical(_ actual: [UInt8], _ expected: [UInt8], _ what: String) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) bytes, expected \(expected.count)")
    if let i = (0..<min(actual.count, expected.count)).first(where: { actual[$0] != expected[$0] }) {
        Issue.record("\(what): first differing byte \(i): \(actual[i]), expected \(expected[i])")
    }
}

@Suite("GGUF quant types") struct GGUFQuantTests {
    static let dequantized: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0,
                                          .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K]

    @Test("dequantize is bit-identical to gguf-py", arguments: dequantized)
    func dequantizeMatchesGGUFPy(_ type: GGMLType) throws {
        #expect(type.canDequantize)
        let fixture = try GGUFQuantFixture(type)
        #expect(type.byteCount(elements: fixture.count) == fixture.bytes.count)
        expectBitIdentical(try dequantize(type, fixture.bytes, count: fixture.count), fixture.floats, type.name)
    }

    /// One byte off any alignment, and enough blocks (repeated) that `Parallel.chunked` splits the work (more than
    /// two ranges of its 64 K-element grain).
    @Test("unaligned and parallel dequantize agree with the fixture", arguments: dequantized)
    func unalignedParallel(_ type: GGMLType) throws {
        let fixture = try GGUFQuantFixture(type)
        let copies = 140_000 / fixture.count + 1
        let bytes = [0x5A] + Array([[UInt8]](repeating: fixture.bytes, count: copies).joined())
        let count = fixture.count * copies
        var out = [Float](repeating: .nan, count: count)
        try bytes.withUnsafeBytes { src in
            try out.withUnsafeMutableBufferPointer {
                try GGMLDequantizer.dequantize(type, from: src.baseAddress! + 1, count: count, into: $0.baseAddress!)
            }
        }
        expectBitIdentical(out, Array([[Float]](repeating: fixture.floats, count: copies).joined()), type.name)
    }

    @Test("quantize is bit-identical to gguf-py", arguments: [GGMLType.q8_0, .bf16, .f16])
    func quantizeMatchesGGUFPy(_ type: GGMLType) throws {
        #expect(type.canQuantize)
        let fixture = try GGUFQuantFixture(type, quantize: true)
        expectIdentical(try quantize(type, fixture.floats), fixture.bytes, type.name)
    }

    /// A pruned weight matrix, half zeros (both signs), through the writer and back.
    @Test("round trip keeps zeros exactly zero", arguments: [GGMLType.q8_0, .f16, .bf16])
    func roundTripKeepsZeros(_ type: GGMLType) throws {
        let weights: [Float] = (0..<4096).map { (i: Int) -> Float in
            if i % 2 == 1 { return 0.2 * Float(sin(Double(i))) }
            return i % 4 == 0 ? 0 : -0.0
        }
        let back = try dequantize(type, try quantize(type, weights), count: weights.count)
        for i in weights.indices where weights[i] == 0 {
            #expect(back[i] == 0, "\(type.name): element \(i) came back as \(back[i])")
        }
        // Every non-zero weight stays non-zero in Q8_0 only if it is at least half a step; here it just must not flip.
        for i in weights.indices where weights[i] != 0 {
            #expect(back[i] == 0 || (back[i] > 0) == (weights[i] > 0), "\(type.name): element \(i) changed sign")
        }
    }

    @Test("block and type sizes match gguf-py's GGML_QUANT_SIZES")
    func typeTable() throws {
        let url = try #require(GGUFQuantFixture.directory?.appendingPathComponent("sizes.json"))
        let table = try JSONDecoder().decode([String: [Int]].self, from: Data(contentsOf: url))
        #expect(table.count == GGMLType.allCases.count, "gguf-py lists \(table.count) types, we \(GGMLType.allCases.count)")
        for type in GGMLType.allCases {
            let row = try #require(table[type.name], "\(type.name) is not in gguf-py's table")
            #expect(row == [Int(type.rawValue), type.blockSize, type.typeSize], "\(type.name)")
        }
        #expect(Set(GGMLType.allCases.map(\.name)).count == GGMLType.allCases.count)
        for type in GGMLType.allCases {
            #expect(type.canDequantize == (GGMLDequantizer.kernel(type) != nil), "\(type.name)")
            #expect(type.canQuantize == (GGMLQuantizer.kernel(type) != nil), "\(type.name)")
        }
    }

    @Test("byteCount rejects partial blocks, negative counts and overflow")
    func byteCount() {
        #expect(GGMLType.q4_K.byteCount(elements: 512) == 288)
        #expect(GGMLType.q8_0.byteCount(elements: 0) == 0)
        #expect(GGMLType.bf16.byteCount(elements: 3) == 6)
        #expect(GGMLType.q4_K.byteCount(elements: 255) == nil)
        #expect(GGMLType.q4_0.byteCount(elements: 33) == nil)
        #expect(GGMLType.f32.byteCount(elements: -4) == nil)
        #expect(GGMLType.f64.byteCount(elements: Int.max / 4) == nil)
        #expect(GGMLType.q8_0.byteCount(elements: Int.max / 32 * 32) == nil)
    }

    @Test("unsupported types and partial blocks throw errors naming the type")
    func errors() throws {
        var out = [Float](repeating: 0, count: 256)
        let src = [UInt8](repeating: 0, count: 256)
        for type in GGMLType.allCases where !type.canDequantize {
            let error = #expect(throws: GGMLTypeError.self) {
                try GGMLDequantizer.dequantize(type, from: src, count: 256, into: &out)
            }
            #expect(error == .cannotDequantize(type))
            #expect(error?.description.contains(type.name) == true, "\(String(describing: error))")
        }
        #expect(throws: GGMLTypeError.partialBlock(.q4_K, count: 100)) {
            try GGMLDequantizer.dequantize(.q4_K, from: src, count: 100, into: &out)
        }
        let zeros = [Float](repeating: 0, count: 256)
        #expect(throws: GGMLTypeError.cannotQuantize(.q4_K)) { _ = try quantize(.q4_K, zeros) }
        #expect(throws: GGMLTypeError.partialBlock(.q8_0, count: 31)) { _ = try quantize(.q8_0, Array(zeros[..<31])) }
        var withNaN = [Float](repeating: 1, count: 64)
        withNaN[40] = .nan
        #expect(throws: GGMLTypeError.self) { _ = try quantize(.q8_0, withNaN) }
        #expect(GGMLTypeError.cannotDequantize(.iq2_xxs).description.contains("IQ2_XXS"))
        #expect(GGMLTypeError.nonFinite(.q8_0, index: 40, value: .nan).description.contains("element 40"))
    }

    @Test("unknown and removed type ids are named")
    func unknownIds() throws {
        #expect(try GGMLType(id: 12) == .q4_K)
        let removed = #expect(throws: GGMLTypeError.unknownType(id: 4)) { try GGMLType(id: 4) }
        #expect(removed?.description.contains("Q4_2") == true)
        #expect(GGMLTypeError.unknownType(id: 31).description.contains("Q4_0_4_4"))
        #expect(GGMLTypeError.unknownType(id: 999).description.contains("999"))
    }
}
