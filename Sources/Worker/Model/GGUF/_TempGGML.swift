// TEMPORARY (not committed): replaced by the quants branch.
enum GGMLType: UInt32 {
    case f32 = 0, f16 = 1, q4_1 = 3, q8_0 = 8, bf16 = 30
    var name: String { "\(self)".uppercased() }
    var blockSize: Int { switch self { case .f32, .f16, .bf16: 1; default: 32 } }
    var typeSize: Int { switch self { case .f32: 4; case .f16, .bf16: 2; case .q4_1: 20; case .q8_0: 34 } }
    func byteCount(elements: Int) -> Int? { elements % blockSize == 0 ? elements / blockSize * typeSize : nil }
    var canDequantize: Bool { true }
}
enum GGMLDequantizer {
    static func dequantize(_ type: GGMLType, from src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) throws {
        func h(_ o: Int) -> Float { Float(Float16(bitPattern: src.loadUnaligned(fromByteOffset: o, as: UInt16.self))) }
        switch type {
        case .f32: for i in 0..<count { dst[i] = src.loadUnaligned(fromByteOffset: 4*i, as: Float.self) }
        case .f16: for i in 0..<count { dst[i] = h(2*i) }
        case .bf16: for i in 0..<count { dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2*i, as: UInt16.self)) << 16) }
        case .q8_0:
            for b in 0..<count/32 { let o = b*34; let d = h(o)
                for j in 0..<32 { dst[b*32+j] = Float(src.load(fromByteOffset: o+2+j, as: Int8.self)) * d } }
        case .q4_1:
            for b in 0..<count/32 { let o = b*20; let d = h(o), m = h(o+2)
                for j in 0..<16 { let q = src.load(fromByteOffset: o+4+j, as: UInt8.self)
                    dst[b*32+j] = Float(q & 0xF) * d + m; dst[b*32+j+16] = Float(q >> 4) * d + m } }
        }
    }
}
enum GGMLQuantizer {
    static func quantize(_ values: [Float], as type: GGMLType) throws -> [UInt8] {
        var out: [UInt8] = []
        switch type {
        case .f32: for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        case .f16: for v in values { withUnsafeBytes(of: Float16(v).bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        default: fatalError()
        }
        return out
    }
}
