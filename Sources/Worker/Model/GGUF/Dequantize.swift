// Dequantize: widens ggml tensor data (F32, F16, BF16, the 32-element quants, the K-quants) to Float32.
//
// Bit-exact to gguf-py's numpy dequantizers (gguf 0.19.0, `gguf.quants.dequantize`), which follow ggml's reference
// `dequantize_row_*` (ggml-quants.c) op for op, every product and sum rounded to float32 on its own, in the same order
// (e.g. Q4_1's `x·d + m`, Q4_K's `(d·sc)·q − dmin·m`). Could an fma part them? The C is built without a contraction
// guarantee (`-ffp-contract=fast` under `-march=native` may fuse), numpy never fuses, and Swift does not contract.
// It does not matter here: every product is of an fp16 scale (11 significant bits) and small integers (at most 12
// more bits: Q6_K's int8 scale times q − 32, 11 + 7 + 5 = 23), so it is exact in float32 and the only rounding is
// the final add, fused or not. (Q8_K's float32 d times q rounds, but nothing is added to it.) The K-quants live in
// Dequantize+KQuants.swift; each kernel's comment gives its block layout. Source bytes are read with unaligned loads
// (GGUF aligns tensor data to 32, but nothing here relies on it), little-endian as GGUF is. Shifts by a computed
// amount are masking shifts (`&>>`, amounts always in range): Swift's checked `>>` keeps loops from vectorising.

/// Widens ggml tensor data to Float32.
enum GGMLDequantizer {
    /// Widens `count` elements of `type` at `src` (`type.byteCount(elements: count)` bytes) into `dst`, in parallel
    /// over blocks when the tensor is large. Throws `GGMLTypeError` for a type it cannot widen or a count that is not
    /// a whole number of blocks.
    static func dequantize(_ type: GGMLType, from src: UnsafeRawPointer, count: Int,
                           into dst: UnsafeMutablePointer<Float>) throws {
        guard let kernel = kernel(type) else { throw GGMLTypeError.cannotDequantize(type) }
        guard type.byteCount(elements: count) != nil else { throw GGMLTypeError.partialBlock(type, count: count) }
        let blockSize = type.blockSize, typeSize = type.typeSize
        // ~64 K elements per range: large enough that the dispatch costs nothing next to the work.
        Parallel.chunked(count / blockSize, grain: max(1, 65_536 / blockSize)) { blocks in
            kernel(src + blocks.lowerBound * typeSize, dst + blocks.lowerBound * blockSize, blocks.count)
        }
    }

    /// A row kernel: widens `blocks` consecutive blocks from the first pointer into the second, like ggml's
    /// `dequantize_row_*`.
    typealias Kernel = (_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) -> Void

    /// The kernel for `type`, or nil when it cannot be widened (must agree with `GGMLType.canDequantize`).
    static func kernel(_ type: GGMLType) -> Kernel? {
        switch type {
        case .f32: f32
        case .f16: f16
        case .bf16: bf16
        case .q4_0: q4_0
        case .q4_1: q4_1
        case .q5_0: q5_0
        case .q5_1: q5_1
        case .q8_0: q8_0
        case .q2_K: q2_K
        case .q3_K: q3_K
        case .q4_K: q4_K
        case .q5_K: q5_K
        case .q6_K: q6_K
        case .q8_K: q8_K
        default: nil
        }
    }

    // MARK: Plain types

    static func f32(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: 4 * n)
    }

    static func f16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { dst[i] = half(src, 2 * i) }
    }

    /// BF16 is the top half of a float32: widening is a shift, NaN payloads included.
    static func bf16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n {
            dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i,
                                                                                      as: UInt16.self))) << 16)
        }
    }

    // MARK: 32-element blocks

    /// Q4_0, 18 bytes: fp16 d, 16 bytes of nibbles (element j in the low nibble of byte j, element j+16 in the high
    /// nibble). x = d · (q − 8).
    static func q4_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 18 * b, y = dst + 32 * b
            let d = half(x, 0)
            for j in 0..<16 {
                let q = byte(x, 2 + j)
                y[j] = d * Float(Int32(q & 0x0F) - 8)
                y[j + 16] = d * Float(Int32(q >> 4) - 8)
            }
        }
    }

    /// Q4_1, 20 bytes: fp16 d, fp16 m, nibbles as Q4_0. x = d · q + m (product rounded, then sum; see the header).
    static func q4_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 20 * b, y = dst + 32 * b
            let d = half(x, 0), m = half(x, 2)
            for j in 0..<16 {
                let q = byte(x, 4 + j)
                y[j] = d * Float(q & 0x0F) + m
                y[j + 16] = d * Float(q >> 4) + m
            }
        }
    }

    /// Q5_0, 22 bytes: fp16 d, 32-bit little-endian qh (bit j = element j's fifth bit), nibbles as Q4_0.
    /// x = d · (q − 16).
    static func q5_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 22 * b, y = dst + 32 * b
            let d = half(x, 0)
            let qh = UInt32(littleEndian: x.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            for j in 0..<16 {
                let q = UInt32(byte(x, 6 + j))
                let q0 = (q & 0x0F) | ((qh &>> j) & 1) << 4
                let q1 = (q >> 4) | ((qh &>> (j + 16)) & 1) << 4
                y[j] = d * Float(Int32(q0) - 16)
                y[j + 16] = d * Float(Int32(q1) - 16)
            }
        }
    }

    /// Q5_1, 24 bytes: fp16 d, fp16 m, qh and nibbles as Q5_0. x = d · q + m.
    static func q5_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 24 * b, y = dst + 32 * b
            let d = half(x, 0), m = half(x, 2)
            let qh = UInt32(littleEndian: x.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            for j in 0..<16 {
                let q = UInt32(byte(x, 8 + j))
                let q0 = (q & 0x0F) | ((qh &>> j) & 1) << 4
                let q1 = (q >> 4) | ((qh &>> (j + 16)) & 1) << 4
                y[j] = d * Float(q0) + m
                y[j + 16] = d * Float(q1) + m
            }
        }
    }

    /// Q8_0, 34 bytes: fp16 d, 32 int8 quants. x = d · q.
    static func q8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 34 * b, y = dst + 32 * b
            let d = half(x, 0)
            for j in 0..<32 { y[j] = d * Float(Int8(bitPattern: byte(x, 2 + j))) }
        }
    }

    // MARK: Loads

    @inline(__always) static func byte(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        p.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// The little-endian IEEE half at `p + offset`, widened exactly. Integer arithmetic rather than `Float16`, so
    /// NaN payloads (signalling ones too) come through bit for bit whatever the CPU's F16C would do, as numpy's do.
    @inline(__always) static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        halfToFloat(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    @inline(__always) static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F, mantissa = UInt32(h & 0x03FF)
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }  // inf, NaN
        if exponent != 0 { return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13) }
        // Zero or subnormal: mantissa · 2⁻²⁴, exact in float32.
        return Float(bitPattern: sign | (Float(mantissa) * 0x1p-24).bitPattern)
    }
}
