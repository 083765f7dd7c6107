import CKernels
import Foundation
import Testing
@testable import Model
@testable import Dataset
@testable import Engine

/// Each vectorized kernel against a plain scalar twin written from the definition, on odd sizes that exercise
/// the SIMD tails. Tolerances are stated per kernel.
@Suite("Kernel twins")
struct KernelTwinTests {
    static func random(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        RandomModel.random(n, scale: scale, seed: seed)
    }

    static func maxRelative(_ a: [Float], _ b: [Float], floor: Float = 1e-3) -> Float {
        zip(a, b).map { abs($0 - $1) / max(abs($1), floor) }.max() ?? 0
    }

    /// The kernels' one exp (CKernels' polynomial), 16 lanes at a time.
    static func exp16(_ x: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        pz_exp(&out, x, x.count)
        return out
    }

    @Test func exp16MatchesLibmWithin2e7() {
        var worst: Float = 0, worstX: Float = 0
        var x: Float = -87
        while x + 16 * 0.0071 < 88 {   // the documented range [-87.3, 88]
            let v = Self.exp16((0..<16).map { x + Float($0) * 0.0071 })
            for i in 0..<16 {
                let e = Foundation.exp(x + Float(i) * 0.0071)
                if abs(v[i] - e) / e > worst { worst = abs(v[i] - e) / e; worstX = x + Float(i) * 0.0071 }
            }
            x += 0.113
        }
        #expect(worst < 2e-7, "exp16 max relative error \(worst) at \(worstX)")
    }

    @Test(arguments: [(5, 37), (3, 64), (1, 1)])
    func rmsNorm(rows: Int, width: Int) {
        let x = Self.random(rows * width, seed: 1, scale: 3), w = Self.random(width, seed: 2)
        var fast = [Float](repeating: 0, count: rows * width)
        LayerKernels.rmsNorm(&fast, x, w, rows: rows, width: width, eps: 1e-5)
        var plain = fast
        for r in 0..<rows {
            let row = x[r * width..<(r + 1) * width]
            let inv = 1 / (row.reduce(0) { $0 + $1 * $1 } / Float(width) + 1e-5).squareRoot()
            for i in 0..<width { plain[r * width + i] = x[r * width + i] * inv * w[i] }
        }
        #expect(Self.maxRelative(fast, plain) < 1e-5)
    }

    @Test func siluMul() {
        let n = 16 * 3 + 11
        let g = Self.random(n, seed: 3, scale: 12), u = Self.random(n, seed: 4)
        var fast = g
        LayerKernels.siluMul(&fast, u, count: n)
        let plain = (0..<n).map { g[$0] / (1 + Foundation.exp(-g[$0])) * u[$0] }
        #expect(Self.maxRelative(fast, plain) < 1e-6)
    }

    @Test(arguments: [1, 15, 16, 17, 300])
    func softmaxAndLogSumExp(n: Int) {
        let x = Self.random(n, seed: UInt64(n), scale: 20)
        var fast = x
        LayerKernels.softmax(&fast, count: n)
        let m = x.max()!
        let z = x.reduce(0.0) { $0 + Foundation.exp(Double($1 - m)) }
        let plain = x.map { Float(Foundation.exp(Double($0 - m)) / z) }
        #expect(Self.maxRelative(fast, plain, floor: 1e-6) < 1e-5)
        let lse = LayerKernels.logSumExp(x, count: n)
        #expect(abs(Double(lse) - (Double(m) + Foundation.log(z))) < 1e-5)
    }

    /// Causal GQA attention from its definition, one (window, head, query) at a time. Head dimensions that are
    /// multiples of 16 run the fused C kernel (on CPUs with FMA), with its own tiles (64 queries × 64 keys) and with
    /// 10 × 16 tiles, so that every window here spans several query blocks and key tiles (10 is not a multiple of
    /// the kernel's 4-row groups: each block ends in single rows); the test runs each case a second time with the
    /// baseline kernels, which send every head dimension down the sgemm path.
    /// Tolerance 1e-4 relative: float32 products of length ≤ max(D, T) ≤ 150 and a softmax with Cephes exp (2 ulp),
    /// rescaled once per key tile, are within ~(D + T + tiles)·u ≈ 2e-5 of the Double reference for these unit-scale
    /// inputs; 1e-4 leaves a factor 5 and fails on any mask or tile-edge error (those are O(1)).
    @Test(arguments: [(2, 7, 6, 2, 6), (1, 33, 4, 4, 8), (3, 5, 3, 1, 2), (2, 150, 4, 2, 4),   // 150 > 2 query blocks
                      (2, 37, 4, 2, 16), (1, 150, 2, 1, 32), (2, 70, 2, 2, 64), (1, 41, 2, 1, 80), (1, 23, 2, 1, 128),
                      (1, 150, 2, 1, 64), (1, 131, 2, 2, 128)])
    func attention(windows: Int, seqlen t: Int, heads: Int, kvHeads: Int, headDim d: Int) {
        let n = windows * t, hd = heads * d, kd = kvHeads * d
        let q = Self.random(n * hd, seed: 7), k = Self.random(n * kd, seed: 8), v = Self.random(n * kd, seed: 9)
        // One score buffer: the pairs run on this thread, under the variant chosen for it.
        func run(_ tiles: Attention.Tiles?) -> [(String, [Float])] {
            KernelVariantTests.underEachVariant { () -> [Float] in
                var out = [Float](repeating: 0, count: n * hd)
                var scores = [Float](repeating: 0, count: Attention.scoreFloats(seqlen: t, headDim: d, tiles: tiles))
                Attention.forward(&out, q: q, k: k, v: v, scores: &scores, scoreBuffers: 1, windows: windows, seqlen: t,
                                  heads: heads, kvHeads: kvHeads, headDim: d, tiles: tiles)
                return out
            }
        }
        let paths = run(nil), smallTiles = run(Attention.Tiles(queries: 10, keys: 16))
        var plain = paths[0].1
        let scale = 1 / Double(d).squareRoot()
        for b in 0..<windows {
            for h in 0..<heads {
                let g = h / (heads / kvHeads)
                for i in 0..<t {
                    let qi = (b * t + i) * hd + h * d
                    let s = (0...i).map { j -> Double in
                        let kj = (b * t + j) * kd + g * d
                        return (0..<d).reduce(0.0) { $0 + Double(q[qi + $1]) * Double(k[kj + $1]) } * scale
                    }
                    let m = s.max()!
                    let e = s.map { Foundation.exp($0 - m) }, z = e.reduce(0, +)
                    for c in 0..<d {
                        plain[qi + c] = Float((0...i).reduce(0.0) { $0 + e[$1] / z * Double(v[(b * t + $1) * kd + g * d + c]) })
                    }
                }
            }
        }
        for (variant, fast) in paths {
            #expect(Self.maxRelative(fast, plain) < 1e-4, "kernels \(variant)")
        }
        for (variant, fast) in smallTiles {
            #expect(Self.maxRelative(fast, plain) < 1e-4, "kernels \(variant), 10 × 16 tiles")
        }
        // Every variant with the fused kernel computes the same bits (FMA in key order), at either tile size.
        for (label, outputs) in [("own tiles", paths), ("10 × 16 tiles", smallTiles)] {
            let fused = outputs.filter { $0.0 != "baseline" }
            for (variant, out) in fused.dropFirst() {
                #expect(out.map(\.bitPattern) == fused[0].1.map(\.bitPattern), "\(label): kernels \(variant) differ from \(fused[0].0)")
            }
        }
    }
}

/// Window bookkeeping: windows are independent sequences, and chunking the workspace does not change results, bit
/// for bit on every OpenBLAS core type (each token product runs in per-window blocks: BLAS.tokenGemm).
@Suite("Windows", .enabled(if: EngineFixtures.available, "../shared/fixtures/hf-llama is absent"))
struct WindowTests {
    @Test func windowsTogetherEqualWindowsAloneAndChunksDoNotMatter() throws {
        let dir = EngineFixtures.directory("sharded")
        let model = try ModelWeights(directory: dir)
        let tokens = try EngineFixtures.tokens(dir.appendingPathComponent("eval.bin"))   // 1024 ids
        let together = try Perplexity.evaluate(model, tokens: tokens, seqlen: 128)
        #expect(together.windows == 8)
        // Workspace for a single window forces 8 chunks.
        let chunked = try Perplexity.evaluate(model, tokens: tokens, seqlen: 128, workspaceBytes: 1)
        #expect(chunked.windowNLL == together.windowNLL)
        for w in [0, 5] {
            let alone = try Perplexity.evaluate(model, tokens: Array(tokens[w * 128..<(w + 1) * 128]), seqlen: 128)
            #expect(alone.windowNLL[0] == together.windowNLL[w])   // per-window products: the same bits
        }
        let capped = try Perplexity.evaluate(model, tokens: tokens + [1, 2, 3], seqlen: 128, maxWindows: 3)
        #expect(capped.windows == 3 && capped.windowNLL == Array(together.windowNLL[0..<3]))
        #expect(abs(together.perplexity - Foundation.exp(together.windowNLL.reduce(0, +) / 8)) < 1e-9)
    }
}

/// Dense perplexity over 16 windows of 64 tokens of `sharded/eval.bin` against the prune-reference run
/// (`../shared/fixtures/prune-reference/results.jsonl`, method "dense"); disabled when that file is absent.
extension EngineFixtures {
    /// The "dense" line of the prune-reference results, or nil when absent (read at each use: a JSON object is
    /// not Sendable, so it cannot be a stored static).
    static var denseReference: [String: Any]? {
        guard let root = EngineFixtures.packageRoot,
              let text = try? String(contentsOf: root.appendingPathComponent("../shared/fixtures/prune-reference/results.jsonl"), encoding: .utf8)
        else { return nil }
        return text.split(separator: "\n").lazy
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .first { $0["method"] as? String == "dense" }
    }
}

@Suite("Dense reference perplexity", .enabled(if: EngineFixtures.denseReference != nil, "../shared/fixtures/prune-reference is absent"))
struct DenseReferenceTests {
    @Test func sixteenWindowsMatchTheReference() throws {
        let expected = EngineFixtures.denseReference!["ppl"] as! Double, seqlen = EngineFixtures.denseReference!["eval_seqlen"] as! Int
        let dir = EngineFixtures.directory("sharded")
        let result = try Perplexity.evaluate(
            ModelWeights(directory: dir), tokens: EngineFixtures.tokens(dir.appendingPathComponent("eval.bin")), seqlen: seqlen)
        #expect(result.windows == EngineFixtures.denseReference!["eval_windows"] as? Int)
        #expect(abs(result.perplexity - expected) / expected < 1e-5, "ppl \(result.perplexity) vs \(expected)")
    }
}
