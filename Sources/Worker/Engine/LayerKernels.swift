// LayerKernels: the element-wise steps between matrix products, vectorized and spread over cores.
//
// Each follows transformers' LlamaModel in float32: RMSNorm as x · rsqrt(mean(x²) + eps) · w; SiLU as x·σ(x);
// softmax and log-sum-exp shifted by the row maximum. Every kernel that needs `exp` is C (CKernels), where the one
// Cephes-style polynomial lives (≤ 2 ulp on the range used; libm's scalar expf would dominate softmax and SiLU),
// compiled for AVX-512, AVX2 and the baseline and picked at run time — Swift's SIMD16 compiles for the baseline
// only, a quarter of this CPU's vector width. The other backward kernels below are Swift SIMD16 (calibration runs
// them once per model). Plain scalar twins live in the tests.
//
// Legend: B windows, T tokens per window, N = B·T rows, C hidden, H heads, K kv heads, D head dim,
// F intermediate, V vocab.

import CKernels
import Foundation
import Model

typealias F16 = SIMD16<Float>

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> F16 { UnsafeRawPointer(p).loadUnaligned(as: F16.self) }
@inline(__always) func store16(_ v: F16, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: F16.self) }

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
            let i = range.lowerBound
            pz_silu_mul_backward(dgate + i, dup + i, dh + i, gate + i, up + i, range.count)
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
