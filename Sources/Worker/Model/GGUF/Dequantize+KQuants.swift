// Dequantize+KQuants: the K-quant kernels (Q2_K … Q6_K, Q8_K), 256-element super-blocks of 16 or 8 sub-blocks.
//
// Each kernel forms a sub-block's scale (and min) once, as ggml's `dequantize_row_q*_K` and gguf-py do —
// `dl = d · sc`, then `x = dl · q − ml`, each step rounded to float32 — and walks the quant bytes in ggml's order:
// one pass over a run of 32 bytes writes the 2, 4 or 8 elements packed in each byte, so every shift is a constant
// and the loops vectorise. Byte layouts (offsets within one super-block) are in each kernel's comment; "element e"
// counts 0..<256 within the super-block.

extension GGMLDequantizer {
    /// Q2_K, 84 bytes: scales[16] @0 (per 16 elements: low nibble scale, high nibble min), qs[64] @16, fp16 d @80,
    /// fp16 dmin @82. Element e = 128h + 32j + l has 2 bits at qs[32h + l] >> 2j. x = (d·sc) · q − (dmin·m).
    static func q2_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 84 * b
            let d = half(x, 80), dmin = half(x, 82)
            for h in 0..<2 {
                let qs = x + 16 + 32 * h, y = dst + 256 * b + 128 * h
                for part in 0..<2 {  // l = 16·part + t: the elements of sub-blocks 8h + 2j + part
                    let sc = x + 8 * h + part
                    let (d0, m0) = (d * Float(byte(sc, 0) & 0x0F), dmin * Float(byte(sc, 0) >> 4))
                    let (d1, m1) = (d * Float(byte(sc, 2) & 0x0F), dmin * Float(byte(sc, 2) >> 4))
                    let (d2, m2) = (d * Float(byte(sc, 4) & 0x0F), dmin * Float(byte(sc, 4) >> 4))
                    let (d3, m3) = (d * Float(byte(sc, 6) & 0x0F), dmin * Float(byte(sc, 6) >> 4))
                    for l in 16 * part..<16 * part + 16 {
                        let q = byte(qs, l)
                        y[l] = d0 * Float(q & 3) - m0
                        y[l + 32] = d1 * Float((q >> 2) & 3) - m1
                        y[l + 64] = d2 * Float((q >> 4) & 3) - m2
                        y[l + 96] = d3 * Float(q >> 6) - m3
                    }
                }
            }
        }
    }

    /// Q3_K, 110 bytes: hmask[32] @0, qs[64] @32, scales[12] @96, fp16 d @108. Element e = 128h + 32j + l has 2 low
    /// bits at qs[32h + l] >> 2j and a high bit at hmask[l] >> (e / 32); a clear high bit subtracts 4.
    /// x = (d · (sc − 32)) · q.
    static func q3_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 110 * b
            let d = half(x, 108)
            for h in 0..<2 {
                let qs = x + 32 + 32 * h, y = dst + 256 * b + 128 * h
                let (k0, k1, k2, k3) = (UInt8(1) << (4 * h), UInt8(2) << (4 * h), UInt8(4) << (4 * h), UInt8(8) << (4 * h))
                for part in 0..<2 {
                    let sub = 8 * h + part
                    let d0 = d * Float(scale3K(x + 96, sub)), d1 = d * Float(scale3K(x + 96, sub + 2))
                    let d2 = d * Float(scale3K(x + 96, sub + 4)), d3 = d * Float(scale3K(x + 96, sub + 6))
                    for l in 16 * part..<16 * part + 16 {
                        let q = byte(qs, l), hm = byte(x, l)
                        y[l] = d0 * Float(Int32(q & 3) - (hm & k0 != 0 ? 0 : 4))
                        y[l + 32] = d1 * Float(Int32((q >> 2) & 3) - (hm & k1 != 0 ? 0 : 4))
                        y[l + 64] = d2 * Float(Int32((q >> 4) & 3) - (hm & k2 != 0 ? 0 : 4))
                        y[l + 96] = d3 * Float(Int32(q >> 6) - (hm & k3 != 0 ? 0 : 4))
                    }
                }
            }
        }
    }

    /// Q3_K's scale `i` (0..<16) minus 32, from the 12 bytes at `p`: its low 4 bits are the low (i < 8) or high
    /// nibble of byte i % 8, its high 2 bits are bits 2(i / 4) of byte 8 + i % 4.
    @inline(__always) static func scale3K(_ p: UnsafeRawPointer, _ i: Int) -> Int32 {
        let low = i < 8 ? byte(p, i) & 0x0F : byte(p, i - 8) >> 4
        let high = (byte(p, 8 + i % 4) &>> (2 * (i / 4))) & 3
        return Int32(low | high << 4) - 32
    }

    /// The 6-bit scale and min of sub-block `j` (0..<8) from the 12 packed bytes at `p` (ggml's
    /// `get_scale_min_k4`): sub-blocks 0–3 in the low 6 bits of bytes 0–3 (scales) and 4–7 (mins); sub-blocks 4–7
    /// take their low 4 bits from the nibbles of bytes 8–11 and their high 2 bits from the top of bytes 0–7.
    @inline(__always) static func scaleMinK4(_ p: UnsafeRawPointer, _ j: Int) -> (scale: UInt8, min: UInt8) {
        if j < 4 { return (byte(p, j) & 0x3F, byte(p, j + 4) & 0x3F) }
        let packed = byte(p, j + 4)
        return ((packed & 0x0F) | (byte(p, j - 4) >> 6) << 4, (packed >> 4) | (byte(p, j) >> 6) << 4)
    }

    /// Q4_K, 144 bytes: fp16 d @0, fp16 dmin @2, scales[12] @4 (eight 6-bit scale/min pairs), qs[128] @16. Sub-blocks
    /// 2c and 2c + 1 (elements 64c + l and 64c + 32 + l) are the low and high nibbles of qs[32c + l].
    /// x = (d·sc) · q − (dmin·m).
    static func q4_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 144 * b
            let d = half(x, 0), dmin = half(x, 2)
            for c in 0..<4 {
                let qs = x + 16 + 32 * c, y = dst + 256 * b + 64 * c
                let (sc0, mn0) = scaleMinK4(x + 4, 2 * c), (sc1, mn1) = scaleMinK4(x + 4, 2 * c + 1)
                let d0 = d * Float(sc0), m0 = dmin * Float(mn0), d1 = d * Float(sc1), m1 = dmin * Float(mn1)
                for l in 0..<32 {
                    let q = byte(qs, l)
                    y[l] = d0 * Float(q & 0x0F) - m0
                    y[l + 32] = d1 * Float(q >> 4) - m1
                }
            }
        }
    }

    /// Q5_K, 176 bytes: fp16 d @0, fp16 dmin @2, scales[12] @4, qh[32] @16, qs[128] @48. Low 4 bits as Q4_K; the
    /// fifth bit of element e = 32s + l is qh[l] >> s. x = (d·sc) · q − (dmin·m).
    static func q5_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 176 * b
            let d = half(x, 0), dmin = half(x, 2)
            for c in 0..<4 {
                let qs = x + 48 + 32 * c, y = dst + 256 * b + 64 * c
                let (sc0, mn0) = scaleMinK4(x + 4, 2 * c), (sc1, mn1) = scaleMinK4(x + 4, 2 * c + 1)
                let d0 = d * Float(sc0), m0 = dmin * Float(mn0), d1 = d * Float(sc1), m1 = dmin * Float(mn1)
                let u0 = UInt8(1) << (2 * c), u1 = UInt8(2) << (2 * c)
                for l in 0..<32 {
                    let q = byte(qs, l), qh = byte(x, 16 + l)
                    y[l] = d0 * Float((q & 0x0F) | (qh & u0 != 0 ? 16 : 0)) - m0
                    y[l + 32] = d1 * Float((q >> 4) | (qh & u1 != 0 ? 16 : 0)) - m1
                }
            }
        }
    }

    /// Q6_K, 210 bytes: ql[128] @0, qh[64] @128, int8 scales[16] @192, fp16 d @208. Element e = 128h + 32j + l
    /// (l < 32) has its low 4 bits in ql[64h + l] (j = 0, 2: low, high nibble) or ql[64h + 32 + l] (j = 1, 3) and its
    /// high 2 bits at qh[32h + l] >> 2j. x = (d · sc) · (q − 32).
    static func q6_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = src + 210 * b
            let d = half(x, 208)
            for h in 0..<2 {
                let ql = x + 64 * h, qh = x + 128 + 32 * h, sc = x + 192 + 8 * h, y = dst + 256 * b + 128 * h
                for part in 0..<2 {  // l = 16·part + t: sub-blocks 8h + 2j + part
                    let d0 = d * Float(Int8(bitPattern: byte(sc, part)))
                    let d1 = d * Float(Int8(bitPattern: byte(sc, part + 2)))
                    let d2 = d * Float(Int8(bitPattern: byte(sc, part + 4)))
                    let d3 = d * Float(Int8(bitPattern: byte(sc, part + 6)))
                    for l in 16 * part..<16 * part + 16 {
                        let a = byte(ql, l), c = byte(ql, l + 32), hi = byte(qh, l)
                        y[l] = d0 * Float(Int32((a & 0x0F) | (hi & 3) << 4) - 32)
                        y[l + 32] = d1 * Float(Int32((c & 0x0F) | ((hi >> 2) & 3) << 4) - 32)
                        y[l + 64] = d2 * Float(Int32((a >> 4) | ((hi >> 4) & 3) << 4) - 32)
                        y[l + 96] = d3 * Float(Int32((c >> 4) | (hi >> 6) << 4) - 32)
                    }
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
