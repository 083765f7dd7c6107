// LayerKernels: the element-wise steps between matrix products, vectorized and spread over cores.
//
// Each follows transformers' LlamaModel in float32: RMSNorm as x · rsqrt(mean(x²) + eps) · w; SiLU as x·σ(x);
// softmax and log-sum-exp shifted by the row maximum. `exp` is a Cephes-style polynomial (≤ 2 ulp on the range
// used), because libm's scalar expf would dominate softmax and SiLU. The forward pass's kernels are C (CKernels),
// compiled for AVX-512, AVX2 and the baseline and picked at run time — Swift's SIMD16 compiles for the baseline
// only, a quarter of this CPU's vector width; the backward's kernels below are Swift SIMD16 (calibration runs them
// once per model). Plain scalar twins live in the tests.
//
// Legend: B windows, T tokens per window, N = B·T rows, C hidden, H heads, K kv heads, D head dim,
// F intermediate, V vocab.

import CKernels
import Foundation
import Model

typealias F16 = SIMD16<Float>

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> F16 { UnsafeRawPointer(p).loadUnaligned(as: F16.self) }
@inline(__always) func store16(_ v: F16, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: F16.self) }

/// Loads `n` < 16 floats, filling the other lanes with `fill`.
@inline(__always) func loadPartial(_ p: UnsafePointer<Float>, _ n: Int, fill: Float = 0) -> F16 {
    var v = F16(repeating: fill)
    for i in 0..<n { v[i] = p[i] }
    return v
}

@inline(__always) func storePartial(_ v: F16, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n { p[i] = v[i] }
}

/// Lane-wise max and min through compare-and-replace: Swift's `pointwiseMax`/`clamped` compile to scalar loops
/// (they order NaNs lane by lane), this form to vector compare and blend.
@inline(__always) func vmax(_ a: F16, _ b: F16) -> F16 { a.replacing(with: b, where: a .< b) }
@inline(__always) func vmin(_ a: F16, _ b: F16) -> F16 { a.replacing(with: b, where: a .> b) }

/// e^x per lane: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 polynomial (Cephes expf), 2^n through the
/// exponent bits. Inputs are clamped to [-87.3, 88] so 2^n stays a normal float.
@inline(__always) func exp16(_ x: F16) -> F16 {
    let x = vmin(vmax(x, F16(repeating: -87.3)), F16(repeating: 88))
    // Adding 1.5·2²³ rounds to the nearest integer and leaves it in the low mantissa bits.
    let magic: Float = 12_582_912
    let shifted = x * 1.442_695_04 + magic
    let n = shifted - magic
    var r = x - n * 0.693_359_375
    r = r + n * 2.121_944_40e-4
    var p = F16(repeating: 1.987_569_150_0e-4)
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    p = p * (r * r) + r + 1
    let ni = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(F16(repeating: magic), to: SIMD16<Int32>.self)
    let scale = unsafeBitCast((ni &+ 127) &<< 23, to: F16.self)
    return p * scale
}

/// The element-wise kernels of the forward pass.
package enum LayerKernels {
    /// out (N, C) = x / sqrt(mean(x²) + eps) · weight (C), per row. `out` may equal `x`.
    package static func rmsNorm(
        _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
        rows: Int, width c: Int, eps: Float
    ) {
        Parallel.chunked(rows, grain: max(1, 8192 / c)) { range in
            pz_rms_norm(out + range.lowerBound * c, x + range.lowerBound * c, weight, range.count, c, eps)
        }
    }

    /// The backward of `rmsNorm`, same argument order: with y = x·r·w, r = (mean(x²) + eps)^−½, per row
    ///   dx += r·(dy ⊙ w) − x·r³·⟨dy ⊙ w, x⟩ / C,   dw += Σ_rows dy ⊙ x·r   (dw nil: skipped).
    /// Both accumulate. r is recomputed from x rather than saved.
    package static func rmsNormBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dw: UnsafeMutablePointer<Float>?,
        _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
        rows: Int, width c: Int, eps: Float
    ) {
        let full = c & ~15
        // dx: rows are independent.
        Parallel.chunked(rows, grain: max(1, 4096 / c)) { range in
            for r in range {
                let xr = x + r * c, dyr = dy + r * c, dxr = dx + r * c
                var ss = F16(), dot = F16()
                var i = 0
                while i < full {
                    let v = load16(xr + i)
                    ss += v * v; dot += load16(dyr + i) * load16(weight + i) * v; i += 16
                }
                var s = ss.sum(), d = dot.sum()
                while i < c { s += xr[i] * xr[i]; d += dyr[i] * weight[i] * xr[i]; i += 1 }
                let inv = 1 / (s / Float(c) + eps).squareRoot()
                let k = inv * inv * inv * d / Float(c)
                i = 0
                while i < full {
                    store16(load16(dxr + i) + inv * load16(dyr + i) * load16(weight + i) - k * load16(xr + i), dxr + i)
                    i += 16
                }
                while i < c { dxr[i] += inv * dyr[i] * weight[i] - k * xr[i]; i += 1 }
            }
        }
        // dw: a sum over rows, kept serial so no two threads write one channel.
        guard let dw else { return }
        for r in 0..<rows {
            let xr = x + r * c, dyr = dy + r * c
            var ss = F16()
            var i = 0
            while i < full { let v = load16(xr + i); ss += v * v; i += 16 }
            var s = ss.sum()
            while i < c { s += xr[i] * xr[i]; i += 1 }
            let inv = 1 / (s / Float(c) + eps).squareRoot()
            i = 0
            while i < full { store16(load16(dw + i) + load16(dyr + i) * load16(xr + i) * inv, dw + i); i += 16 }
            while i < c { dw[i] += dyr[i] * xr[i] * inv; i += 1 }
        }
    }

    /// gate (count) ← silu(gate) · up = gate / (1 + e^−gate) · up: the MLP's gated activation, (N, F) flat.
    package static func siluMul(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        Parallel.chunked(count, grain: 1 << 14) { range in
            pz_silu_mul(gate + range.lowerBound, up + range.lowerBound, range.count)
        }
    }

    /// The backward of `siluMul`, same argument order: for h = silu(g)·u with σ = 1/(1 + e^−g),
    ///   dgate = dh·u·σ·(1 + g·(1 − σ)),   dup = dh·g·σ   (written, not accumulated).
    package static func siluMulBackward(
        _ dgate: UnsafeMutablePointer<Float>, _ dup: UnsafeMutablePointer<Float>,
        _ dh: UnsafePointer<Float>, _ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>, count: Int
    ) {
        Parallel.chunked(count, grain: 1 << 14) { range in
            var i = range.lowerBound
            while i < range.upperBound {
                let n = min(16, range.upperBound - i)
                let g = n == 16 ? load16(gate + i) : loadPartial(gate + i, n)
                let u = n == 16 ? load16(up + i) : loadPartial(up + i, n)
                let d = n == 16 ? load16(dh + i) : loadPartial(dh + i, n)
                let s = 1 / (1 + exp16(-g))
                let dg = d * u * s * (1 + g * (1 - s)), du = d * g * s
                if n == 16 { store16(dg, dgate + i); store16(du, dup + i) } else {
                    storePartial(dg, dgate + i, n); storePartial(du, dup + i, n)
                }
                i += n
            }
        }
    }

    /// row (n) ← softmax(row) in place, shifted by the maximum for stability, and zeros in row[n..<width] (the
    /// masked positions a causal block multiplies by). Single-threaded: called per row.
    @inline(__always)
    package static func softmax(_ row: UnsafeMutablePointer<Float>, count n: Int, zeroingTo width: Int? = nil) {
        pz_softmax(row, n, width ?? n)
    }

    /// The backward of `softmax` on one row: dp (n) ← p ⊙ (dp − ⟨p, dp⟩), the gradient of the scores given
    /// p = softmax(scores) and dp = ∂L/∂p. Single-threaded: called per row.
    @inline(__always)
    package static func softmaxBackward(_ dp: UnsafeMutablePointer<Float>, _ p: UnsafePointer<Float>, count n: Int) {
        var acc = F16()
        var i = 0
        while i + 16 <= n { acc += load16(p + i) * load16(dp + i); i += 16 }
        var dot = acc.sum()
        let tail = i
        while i < n { dot += p[i] * dp[i]; i += 1 }
        i = 0
        while i < tail { store16(load16(p + i) * (load16(dp + i) - dot), dp + i); i += 16 }
        while i < n { dp[i] = p[i] * (dp[i] - dot); i += 1 }
    }

    /// log Σ exp(row) for a row of n logits, shifted by the maximum (the log-softmax denominator).
    package static func logSumExp(_ row: UnsafePointer<Float>, count n: Int) -> Float { pz_log_sum_exp(row, n) }
}
