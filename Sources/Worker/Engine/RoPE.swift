// RoPE: rotary position embedding, transformers' "default" type with the rotate-half convention.
//
// inv_freq[i] = 1 / theta^(2i/D) for i < D/2, angle = position · inv_freq[i], all in float32 as transformers
// computes them, and for i < D/2:  x'[i] = x[i]·cos − x[i+D/2]·sin,  x'[i+D/2] = x[i+D/2]·cos + x[i]·sin.
// Positions restart at 0 in every window: the windows are independent sequences.
import Foundation
import Model

/// Cosines and sines for positions 0..<T, computed once per sequence length.
package struct RopeTable {
    package let seqlen: Int    // T
    package let half: Int      // D/2
    package let cos: [Float]   // (T, D/2)
    package let sin: [Float]   // (T, D/2)

    package init(seqlen: Int, headDim: Int, theta: Double) {
        self.seqlen = seqlen
        half = headDim / 2
        let invFreq = (0..<half).map { i in 1 / powf(Float(theta), Float(2 * i) / Float(headDim)) }
        var c = [Float](repeating: 0, count: seqlen * half), s = c
        for t in 0..<seqlen {
            for i in 0..<half {
                let angle = Float(t) * invFreq[i]
                c[t * half + i] = Foundation.cos(angle)
                s[t * half + i] = Foundation.sin(angle)
            }
        }
        cos = c
        sin = s
    }

    /// Rotates x (N, heads·D) in place; row n is at position n mod T.
    package func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int) {
        rotate(x, rows: rows, heads: heads, sign: 1)
    }

    /// The backward of `apply`, same arguments: the rotation is orthogonal, so dx is dy rotated by −angle:
    /// dx[i] = dy[i]·cos + dy[i+D/2]·sin,  dx[i+D/2] = dy[i+D/2]·cos − dy[i]·sin. In place on dy.
    package func applyBackward(_ dy: UnsafeMutablePointer<Float>, rows: Int, heads: Int) {
        rotate(dy, rows: rows, heads: heads, sign: -1)
    }

    /// x'[i] = x[i]·cos − x[i+D/2]·(sign·sin),  x'[i+D/2] = x[i+D/2]·cos + x[i]·(sign·sin).
    private func rotate(_ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, sign: Float) {
        let half = self.half, d = 2 * half, width = heads * d, t = seqlen
        cos.withUnsafeBufferPointer { cosB in
            sin.withUnsafeBufferPointer { sinB in
                let cp = cosB.baseAddress!, sp = sinB.baseAddress!
                Parallel.chunked(rows, grain: max(1, 4096 / width)) { range in
                    for r in range {
                        let cr = cp + (r % t) * half, sr = sp + (r % t) * half
                        for h in 0..<heads {
                            let a = x + r * width + h * d, b = a + half
                            for i in 0..<half {
                                let x1 = a[i], x2 = b[i], s = sign * sr[i]
                                a[i] = x1 * cr[i] - x2 * s
                                b[i] = x2 * cr[i] + x1 * s
                            }
                        }
                    }
                }
            }
        }
    }
}
