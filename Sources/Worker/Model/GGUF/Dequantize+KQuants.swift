// Dequantize+KQuants: the K-quant kernels (Q2_K … Q6_K, Q8_K), 256-element super-blocks of 16 or 8 sub-blocks.
//
// Each kernel walks its super-block in sub-blocks, forms the sub-block's scale (and min) once as ggml's
// `dequantize_row_q*_K` and gguf-py do — `dl = d · sc`, then `x = dl · q − ml`, each step rounded to float32 — and
// finds every element's bits where the reference puts them. Byte layouts (offsets within one super-block) are in
// each kernel's comment; "element e" counts 0..<256 within the super-block.

extension GGMLDequantizer {
    /// Q2_K, 84 bytes: scales[16] @0 (low nibble scale, high nibble min, per 16 elements), qs[64] @16, fp16 d @80,
    /// fp16 dmin @82. Element e = 128h + 32j + l has 2 bits at qs[32h + l] >> 2j. x = (d·sc) · q − (dmin·m).
    static func q2_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 84 * b, y = dst + 256 * b
            let d = half(x, 80), dmin = half(x, 82)
            for sub in 0..<16 {
                let sc = byte(x, sub)
                let dl = d * Float(sc & 0x0F), ml = dmin * Float(sc >> 4)
                let h = sub / 8, shift = 2 * ((sub % 8) / 2), l0 = 16 * (sub % 2)
                for t in 0..<16 {
                    let q = (byte(x, 16 + 32 * h + l0 + t) >> shift) & 3
                    y[16 * sub + t] = dl * Float(q) - ml
                }
            }
        }
    }

    /// Q3_K, 110 bytes: hmask[32] @0, qs[64] @32, scales[12] @96 (sixteen 6-bit scales: low 4 bits from bytes 0–7,
    /// low then high nibble; high 2 bits from bytes 8–11), fp16 d @108. Element e = 128h + 32j + l has 2 low bits at
    /// qs[32h + l] >> 2j and a high bit at hmask[l] >> (e / 32); a clear high bit subtracts 4.
    /// x = (d · (sc − 32)) · q.
    static func q3_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 110 * b, y = dst + 256 * b
            let d = half(x, 108)
            for sub in 0..<16 {
                let low = sub < 8 ? byte(x, 96 + sub) & 0x0F : byte(x, 96 + sub - 8) >> 4
                let high = (byte(x, 104 + sub % 4) >> (2 * (sub / 4))) & 3
                let dl = d * Float(Int32(low | high << 4) - 32)
                let h = sub / 8, j = (sub % 8) / 2, l0 = 16 * (sub % 2)
                let maskBit = 4 * h + j  // e / 32
                for t in 0..<16 {
                    let l = l0 + t
                    let q = Int32((byte(x, 32 + 32 * h + l) >> (2 * j)) & 3)
                    let offset: Int32 = (byte(x, l) >> maskBit) & 1 == 1 ? 0 : 4
                    y[16 * sub + t] = dl * Float(q - offset)
                }
            }
        }
    }

    /// The 6-bit scale and min of sub-block `j` (0..<8) from the 12 packed bytes at `p` (ggml's
    /// `get_scale_min_k4`): sub-blocks 0–3 in the low 6 bits of bytes 0–3 (scales) and 4–7 (mins); sub-blocks 4–7
    /// take their low 4 bits from the nibbles of bytes 8–11 and their high 2 bits from the top of bytes 0–7.
    @inline(__always) static func scaleMinK4(_ p: UnsafeRawPointer, _ j: Int) -> (scale: UInt8, min: UInt8) {
        if j < 4 { return (byte(p, j) & 0x3F, byte(p, j + 4) & 0x3F) }
        let packed = byte(p, j + 4)
        return ((packed & 0x0F) | (byte(p, j - 4) >> 6) << 4, (packed >> 4) | (byte(p, j) >> 6) << 4)
    }

    /// Q4_K, 144 bytes: fp16 d @0, fp16 dmin @2, scales[12] @4 (eight 6-bit scale/min pairs), qs[128] @16. Element
    /// e = 32s + l (sub-block s) has 4 bits at qs[32(s / 2) + l] >> 4(s % 2). x = (d·sc) · q − (dmin·m).
    static func q4_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 144 * b, y = dst + 256 * b
            let d = half(x, 0), dmin = half(x, 2)
            for s in 0..<8 {
                let (sc, m) = scaleMinK4(x + 4, s)
                let d1 = d * Float(sc), m1 = dmin * Float(m)
                let qs = x + 16 + 32 * (s / 2), shift = 4 * (s % 2)
                for l in 0..<32 { y[32 * s + l] = d1 * Float((byte(qs, l) >> shift) & 0x0F) - m1 }
            }
        }
    }

    /// Q5_K, 176 bytes: fp16 d @0, fp16 dmin @2, scales[12] @4, qh[32] @16, qs[128] @48. Low 4 bits as Q4_K, the
    /// fifth bit of element e = 32s + l at qh[l] >> s. x = (d·sc) · q − (dmin·m).
    static func q5_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 176 * b, y = dst + 256 * b
            let d = half(x, 0), dmin = half(x, 2)
            for s in 0..<8 {
                let (sc, m) = scaleMinK4(x + 4, s)
                let d1 = d * Float(sc), m1 = dmin * Float(m)
                let qs = x + 48 + 32 * (s / 2), shift = 4 * (s % 2)
                for l in 0..<32 {
                    let q = (byte(qs, l) >> shift) & 0x0F | ((byte(x, 16 + l) >> s) & 1) << 4
                    y[32 * s + l] = d1 * Float(q) - m1
                }
            }
        }
    }

    /// Q6_K, 210 bytes: ql[128] @0, qh[64] @128, int8 scales[16] @192, fp16 d @208. Element e = 128h + r has its low
    /// 4 bits at ql[64h + r % 64] >> 4(r / 64) and its high 2 bits at qh[32h + r % 32] >> 2(r / 32).
    /// x = (d · sc) · (q − 32).
    static func q6_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 210 * b, y = dst + 256 * b
            let d = half(x, 208)
            for sub in 0..<16 {
                let dl = d * Float(Int8(bitPattern: byte(x, 192 + sub)))
                let h = sub / 8, r0 = 16 * (sub % 8)
                for t in 0..<16 {
                    let r = r0 + t
                    let low = (byte(x, 64 * h + r % 64) >> (4 * (r / 64))) & 0x0F
                    let high = (byte(x, 128 + 32 * h + r % 32) >> (2 * (r / 32))) & 3
                    y[16 * sub + t] = dl * Float(Int32(low | high << 4) - 32)
                }
            }
        }
    }

    /// Q8_K, 292 bytes: float32 d @0, int8 qs[256] @4, int16 bsums[16] @260 (unused here). x = d · q. gguf-py has
    /// no Q8_K dequantizer; this follows ggml's `dequantize_row_q8_K`.
    static func q8_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 292 * b, y = dst + 256 * b
            let d = Float(bitPattern: UInt32(littleEndian: x.loadUnaligned(as: UInt32.self)))
            for j in 0..<256 { y[j] = d * Float(Int8(bitPattern: byte(x, 4 + j))) }
        }
    }
}
