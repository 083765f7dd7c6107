import Foundation
import Testing
@testable import Engine

/// Each backward kernel against a plain twin written from its derivative in Double, on odd sizes that exercise the
/// SIMD tails. Tolerances are relative to the largest entry of the result (float32 sums of ≤ a few hundred terms:
/// ≈ 1e-6), stated per kernel.
@Suite("Backward kernel twins")
struct BackwardKernelTwinTests {
    static func random(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        // Small seeds start xorshift at tiny states (first value −scale); spread them first.
        RandomModel.random(n, scale: scale, seed: seed &* 0x9E37_79B9_7F4A_7C15)
    }

    /// max |a − b| / max |b|.
    static func scaledError(_ a: [Float], _ b: [Double]) -> Double {
        zip(a, b).map { abs(Double($0) - $1) }.max()! / max(b.map(abs).max()!, 1e-30)
    }

    @Test(arguments: [(5, 37), (3, 64), (1, 1), (7, 17)])
    func rmsNormBackward(rows: Int, width c: Int) {
        let x = Self.random(rows * c, seed: 1, scale: 3), w = Self.random(c, seed: 2), dy = Self.random(rows * c, seed: 3)
        let dx0 = Self.random(rows * c, seed: 4), dw0 = Self.random(c, seed: 5)
        var dx = dx0, dw = dw0
        LayerKernels.rmsNormBackward(&dx, &dw, dy, x, w, rows: rows, width: c, eps: 1e-5)
        var pdx = dx0.map(Double.init), pdw = dw0.map(Double.init)
        for r in 0..<rows {
            let xr = (0..<c).map { Double(x[r * c + $0]) }, dyr = (0..<c).map { Double(dy[r * c + $0]) }
            let ms = xr.reduce(0) { $0 + $1 * $1 } / Double(c), inv = 1 / (ms + 1e-5).squareRoot()
            // y_i = x_i·inv·w_i;  ∂inv/∂x_j = −inv³·x_j / C.
            let dot = (0..<c).reduce(0.0) { $0 + dyr[$1] * Double(w[$1]) * xr[$1] }
            for i in 0..<c {
                pdx[r * c + i] += dyr[i] * Double(w[i]) * inv - xr[i] * inv * inv * inv * dot / Double(c)
                pdw[i] += dyr[i] * xr[i] * inv
            }
        }
        #expect(Self.scaledError(dx, pdx) < 1e-5, "dx")
        #expect(Self.scaledError(dw, pdw) < 1e-5, "dw")
    }

    @Test(arguments: [1, 15, 16, 17, 59])
    func siluMulBackward(n: Int) {
        let g = Self.random(n, seed: 6, scale: 12), u = Self.random(n, seed: 7), dh = Self.random(n, seed: 8)
        var dg = [Float](repeating: 0, count: n), du = dg
        LayerKernels.siluMulBackward(&dg, &du, dh, g, u, count: n)
        var pdg = [Double](repeating: 0, count: n), pdu = pdg
        for i in 0..<n {
            let gi = Double(g[i]), ui = Double(u[i]), di = Double(dh[i])
            let s: Double = 1 / (1 + Foundation.exp(-gi))
            pdg[i] = di * ui * s * (1 + gi * (1 - s))
            pdu[i] = di * gi * s
        }
        #expect(Self.scaledError(dg, pdg) < 1e-6, "dgate")
        #expect(Self.scaledError(du, pdu) < 1e-6, "dup")
    }

    @Test(arguments: [1, 15, 16, 17, 300])
    func softmaxBackward(n: Int) {
        var p = Self.random(n, seed: UInt64(n), scale: 4)
        LayerKernels.softmax(&p, count: n)
        let dp = Self.random(n, seed: 9)
        var ds = dp
        LayerKernels.softmaxBackward(&ds, p, count: n)
        let dot = (0..<n).reduce(0.0) { $0 + Double(p[$1]) * Double(dp[$1]) }
        let plain = (0..<n).map { Double(p[$0]) * (Double(dp[$0]) - dot) }
        #expect(Self.scaledError(ds, plain) < 1e-5)
    }

    /// The rotation's backward is its transpose: ⟨apply(x), y⟩ = ⟨x, applyBackward(y)⟩, and it undoes apply.
    @Test func ropeBackwardIsTheTranspose() {
        let t = 7, heads = 3, d = 6, rows = 2 * t
        let table = RopeTable(seqlen: t, headDim: d, theta: 10_000)
        let x = Self.random(rows * heads * d, seed: 10), y = Self.random(rows * heads * d, seed: 11)
        var rx = x, ry = y
        table.apply(&rx, rows: rows, heads: heads)
        table.applyBackward(&ry, rows: rows, heads: heads)
        let lhs = zip(rx, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let rhs = zip(x, ry).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(lhs - rhs) < 1e-4, "⟨Rx, y⟩ = \(lhs), ⟨x, Rᵀy⟩ = \(rhs)")
        table.applyBackward(&rx, rows: rows, heads: heads)
        #expect(Self.scaledError(rx, x.map(Double.init)) < 1e-6)
    }

    @Test(arguments: [(5, 7, 3), (1, 1, 1), (4, 9, 2)])
    func linearBackward(rows m: Int, outputs n: Int, inputs k: Int) {
        let dy = Self.random(m * n, seed: 12), x = Self.random(m * k, seed: 13), w = Self.random(n * k, seed: 14)
        let dx0 = Self.random(m * k, seed: 15), dw0 = Self.random(n * k, seed: 16)
        var dx = dx0, dw = dw0
        BLAS.linearBackward(&dx, &dw, dy, x, w, rows: m, outputs: n, inputs: k, accumulate: true)
        var pdx = dx0.map(Double.init), pdw = dw0.map(Double.init)
        for r in 0..<m {
            for o in 0..<n {
                for i in 0..<k {
                    pdx[r * k + i] += Double(dy[r * n + o]) * Double(w[o * k + i])
                    pdw[o * k + i] += Double(dy[r * n + o]) * Double(x[r * k + i])
                }
            }
        }
        #expect(Self.scaledError(dx, pdx) < 1e-6, "dx")
        #expect(Self.scaledError(dw, pdw) < 1e-6, "dw")
    }

    /// Causal GQA attention's backward from its definition in Double, one (window, head, query) at a time;
    /// sizes beyond one query block (150 > 64) and with several heads per kv head.
    @Test(arguments: [(2, 7, 6, 2, 6), (1, 5, 3, 1, 2), (3, 9, 4, 4, 8), (1, 150, 4, 2, 4)])
    func attentionBackward(windows: Int, seqlen t: Int, heads: Int, kvHeads: Int, headDim d: Int) {
        let n = windows * t, hd = heads * d, kd = kvHeads * d
        let q = Self.random(n * hd, seed: 17, scale: 2), k = Self.random(n * kd, seed: 18, scale: 2)
        let v = Self.random(n * kd, seed: 19), dout = Self.random(n * hd, seed: 20)
        var dq = [Float](repeating: 0, count: n * hd), dk = [Float](repeating: 0, count: n * kd), dv = dk
        var scratch = [Float](repeating: 0, count: 3 * Attention.backwardScratchFloats(seqlen: t, headDim: d))
        Attention.backward(&dq, &dk, &dv, dout: dout, q: q, k: k, v: v, scratch: &scratch, scratchBuffers: 3,
                           windows: windows, seqlen: t, heads: heads, kvHeads: kvHeads, headDim: d)
        var pdq = [Double](repeating: 0, count: n * hd), pdk = [Double](repeating: 0, count: n * kd), pdv = pdk
        let scale = 1 / Double(d).squareRoot()
        for b in 0..<windows {
            for h in 0..<heads {
                let g = h / (heads / kvHeads)
                func qi(_ i: Int) -> Int { (b * t + i) * hd + h * d }
                func kj(_ j: Int) -> Int { (b * t + j) * kd + g * d }
                for i in 0..<t {
                    let s = (0...i).map { j in (0..<d).reduce(0.0) { $0 + Double(q[qi(i) + $1]) * Double(k[kj(j) + $1]) } * scale }
                    let m = s.max()!, e = s.map { Foundation.exp($0 - m) }, z = e.reduce(0, +), p = e.map { $0 / z }
                    // o_i = Σ_j p_ij v_j;  dp_ij = ⟨do_i, v_j⟩;  ds_ij = p_ij (dp_ij − Σ_l p_il dp_il).
                    let dp = (0...i).map { j in (0..<d).reduce(0.0) { $0 + Double(dout[qi(i) + $1]) * Double(v[kj(j) + $1]) } }
                    let dot = (0...i).reduce(0.0) { $0 + p[$1] * dp[$1] }
                    for j in 0...i {
                        let ds = p[j] * (dp[j] - dot) * scale
                        for c in 0..<d {
                            pdv[kj(j) + c] += p[j] * Double(dout[qi(i) + c])
                            pdq[qi(i) + c] += ds * Double(k[kj(j) + c])
                            pdk[kj(j) + c] += ds * Double(q[qi(i) + c])
                        }
                    }
                }
            }
        }
        #expect(Self.scaledError(dq, pdq) < 1e-5, "dq")
        #expect(Self.scaledError(dk, pdk) < 1e-5, "dk")
        #expect(Self.scaledError(dv, pdv) < 1e-5, "dv")
    }
}
