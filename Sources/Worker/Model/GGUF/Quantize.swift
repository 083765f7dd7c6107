// Quantize: Float32 → ggml tensor data for writing GGUF files: F32, F16, BF16 and Q8_0.
//
// F16 rounds to nearest even (Swift's `Float16` conversion, as numpy's `astype(float16)` and ggml's
// `GGML_FP32_TO_FP16`). BF16 follows ggml's `ggml_compute_fp32_to_bf16`: NaN keeps its top bits with the quiet bit
// forced on, everything else rounds to nearest even (overflowing to ±inf). Q8_0 follows `quantize_row_q8_0_ref`
// bit for bit: d = amax / 127 in float32, id = d ≠ 0 ? 1/d : 0 from that float32 d (not the stored fp16 one),
// q = roundf(x · id) (halves away from zero), d stored as fp16. A zero input gives q = 0, which widens back to
// exactly 0 · d = +0: a pruned model's zeros survive the round trip. The other quants' searches (K-quants' scale
// fitting) are not here.

/// Narrows Float32 to ggml tensor data.
package enum GGMLQuantizer {
    /// Writes `count` floats from `src` as `type` into `dst`, which must hold `type.byteCount(elements: count)`
    /// bytes. Throws `GGMLTypeError` for a type it cannot write, a count that is not a whole number of blocks, or a
    /// NaN or infinity bound for Q8_0.
    package static func quantize(_ type: GGMLType, from src: UnsafePointer<Float>, count: Int,
                         into dst: UnsafeMutableRawPointer) throws {
        guard let kernel = kernel(type) else { throw GGMLTypeError.cannotQuantize(type) }
        guard type.byteCount(elements: count) != nil else { throw GGMLTypeError.partialBlock(type, count: count) }
        if type == .q8_0, let bad = (0..<count).first(where: { !src[$0].isFinite }) {
            throw GGMLTypeError.nonFinite(type, index: bad, value: src[bad])
        }
        let blockSize = type.blockSize, typeSize = type.typeSize
        Parallel.chunked(count / blockSize, grain: max(1, 65_536 / blockSize)) { blocks in
            kernel(src + blocks.lowerBound * blockSize, dst + blocks.lowerBound * typeSize, blocks.count)
        }
    }

    /// Narrows `blocks` consecutive blocks from the first pointer into the second, like ggml's `quantize_row_*_ref`.
    package typealias Kernel = (_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) -> Void

    /// The kernel for `type`, or nil when it cannot be written (must agree with `GGMLType.canQuantize`).
    package static func kernel(_ type: GGMLType) -> Kernel? {
        switch type {
        case .f32: f32
        case .f16: f16
        case .bf16: bf16
        case .q8_0: q8_0
        default: nil
        }
    }

    package static func f32(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ n: Int) {
        dst.copyMemory(from: src, byteCount: 4 * n)
    }

    package static func f16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ n: Int) {
        for i in 0..<n {
            dst.storeBytes(of: Float16(src[i]).bitPattern.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
        }
    }

    package static func bf16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ n: Int) {
        for i in 0..<n { dst.storeBytes(of: bfloat16Bits(src[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
    }

    /// ggml's fp32 → bf16: a NaN keeps its top 16 bits and becomes quiet; otherwise round to nearest even.
    @inline(__always) package static func bfloat16Bits(_ x: Float) -> UInt16 {
        let u = x.bitPattern
        if u & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(u >> 16) | 0x0040 }
        // Cannot overflow: the largest non-NaN pattern, 0xFF80_0000, has room for + 0x8000.
        return UInt16((u + 0x7FFF + ((u >> 16) & 1)) >> 16)
    }

    /// Q8_0: per 32 floats, fp16 d then 32 int8 quants (layout in Dequantize.swift). Inputs must be finite (ggml's
    /// result for NaN or inf is undefined; `quantize` checks). A block with amax beyond 127 · 65504 stores d = inf,
    /// as ggml does.
    package static func q8_0(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 32 * b, y = dst + 34 * b
            var amax: Float = 0
            for j in 0..<32 { amax = max(amax, abs(x[j])) }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            y.storeBytes(of: Float16(d).bitPattern.littleEndian, toByteOffset: 0, as: UInt16.self)
            for j in 0..<32 {
                // roundf: halves away from zero. |x · id| ≤ 127 up to rounding, so the Int8 conversion cannot trap.
                let q = Int8((x[j] * id).rounded(.toNearestOrAwayFromZero))
                y.storeBytes(of: UInt8(bitPattern: q), toByteOffset: 2 + j, as: UInt8.self)
            }
        }
    }
}
