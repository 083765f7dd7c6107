import Foundation
import Testing
@testable import Model
@testable import Engine
@testable import Training

/// The engine's analytic gradients (Float32) against central differences of the plain Double model
/// (ReferenceLlama) on a tiny random GQA model: hidden 16, 2 blocks, 4 heads, 2 kv heads, intermediate 24,
/// vocab 40, 2 windows of 6 tokens. The differences are taken in Double with ε = 1e-4, so their own error
/// (truncation O(ε²·L‴) ≈ 1e-8, rounding 1e-16/ε ≈ 1e-12) is far below the Float32 gradient's (≈ 1e-6 of the
/// tensor's largest entry, from float32 sums of a few dozen terms): what is measured is the Float32 backward's
/// error, which must stay under 1e-4 of the tensor's largest gradient (seen: ≤ 6e-6) — a wrong term (a missing
/// transpose, a sign, a lost residual) is off by O(1).
@Suite("Backward finite differences")
struct BackwardFiniteDifferenceTests {
    static let seqlen = 6, windows = 2

    struct Check { var worstScaled = 0.0; var worstRelative = 0.0; var entries = 0 }

    /// For each parameter tensor: the 3 largest |analytic| entries and 5 spread over those above 5% of the largest.
    static func check(tied: Bool, seed: UInt64) throws -> [ParameterTensor: Check] {
        let c = TinyModels.config(tied: tied)
        let p = TinyModels.parameters(c, seed: seed)
        let tokens = TinyModels.tokens(windows: windows, seqlen: seqlen, vocab: c.vocab, seed: seed &+ 1)
        let engine = Backward(config: c, seqlen: seqlen, windows: windows)
        let loss = try engine.forward(p, tokens: tokens[...])
        var g = LlamaParameters(zeros: c)
        try engine.backward(p, into: &g)

        var reference = ReferenceLlama(p)
        let ids = tokens.map(Int.init)
        let exact = reference.loss(tokens: ids, seqlen: seqlen)
        #expect(abs(Double(loss) - exact) / exact < 1e-5, "Float32 loss \(loss) vs Double \(exact)")

        var results: [ParameterTensor: Check] = [:]
        for t in p.tensors {
            let analytic = g[t].map(Double.init)
            let largest = analytic.map(abs).max()!
            #expect(largest > 0, "\(t.name): gradient is identically zero")
            let ranked = analytic.indices.sorted { abs(analytic[$0]) > abs(analytic[$1]) }
            let significant = ranked.filter { abs(analytic[$0]) > 0.05 * largest }
            var sample = Array(ranked.prefix(3))
            for k in 0..<5 { sample.append(significant[k * significant.count / 5]) }   // spread over the ranking
            var result = Check()
            let eps = 1e-4
            for i in Set(sample) {
                let original = reference.tensors[t]![i]
                reference.tensors[t]![i] = original + eps
                let plus = reference.loss(tokens: ids, seqlen: seqlen)
                reference.tensors[t]![i] = original - eps
                let minus = reference.loss(tokens: ids, seqlen: seqlen)
                reference.tensors[t]![i] = original
                let fd = (plus - minus) / (2 * eps)
                let diff = abs(analytic[i] - fd)
                result.worstScaled = max(result.worstScaled, diff / largest)
                result.worstRelative = max(result.worstRelative, diff / abs(fd))
                result.entries += 1
            }
            results[t] = result
        }
        return results
    }

    static func report(_ results: [ParameterTensor: Check], _ label: String) {
        let worstScaled = results.values.map(\.worstScaled).max()!, worstRelative = results.values.map(\.worstRelative).max()!
        print("backward FD (\(label)): \(results.values.map(\.entries).reduce(0, +)) entries of \(results.count) tensors; "
              + "max |analytic − fd| / max|grad| = \(worstScaled), max per-entry relative = \(worstRelative)")
        for (t, r) in results.sorted(by: { $0.key.name < $1.key.name }) {
            #expect(r.worstScaled < 1e-4, "\(t.name): |analytic − fd| reaches \(r.worstScaled) of the largest gradient")
            // Sampled entries are ≥ 5% of the largest, so their own relative error stays below 1e-4 / 5% = 2e-3.
            #expect(r.worstRelative < 2e-3, "\(t.name): per-entry relative difference \(r.worstRelative)")
        }
    }

    @Test func untiedGradientsMatchCentralDifferences() throws {
        Self.report(try Self.check(tied: false, seed: 17), "untied")
    }

    @Test func tiedGradientsMatchCentralDifferences() throws {
        Self.report(try Self.check(tied: true, seed: 29), "tied")
    }

    /// Two windows in one call give the mean of each window's gradients; `backwardBlocks` hands out the same
    /// block gradients as `backward(into:)`.
    @Test func windowsAverageAndBlockGradientsAgree() throws {
        let c = TinyModels.config(tied: false)
        let p = TinyModels.parameters(c, seed: 5)
        let tokens = TinyModels.tokens(windows: 2, seqlen: Self.seqlen, vocab: c.vocab, seed: 6)
        let engine = Backward(config: c, seqlen: Self.seqlen, windows: 2)
        _ = try engine.forward(p, tokens: tokens[...])
        var both = LlamaParameters(zeros: c)
        try engine.backward(p, into: &both)
        var single = LlamaParameters(zeros: c)
        for w in 0..<2 {
            _ = try engine.forward(p, tokens: tokens[w * Self.seqlen..<(w + 1) * Self.seqlen])
            try engine.backward(p, into: &single)   // accumulates
        }
        for t in p.tensors {
            let a = both[t], b = single[t].map { $0 / 2 }
            let scale = b.map(abs).max()!
            let worst = zip(a, b).map { abs($0 - $1) }.max()! / scale
            #expect(worst < 1e-5, "\(t.name): two windows together vs the mean of each alone differ by \(worst) of max")
        }
        // The last forward was window 1 alone: its block gradients both ways.
        var blocks: [Int: BlockWeights] = [:]
        try engine.backwardBlocks(p) { layer, window, grads in
            #expect(window == nil)
            blocks[layer] = grads
        }
        var alone = LlamaParameters(zeros: c)
        try engine.backward(p, into: &alone)
        #expect(blocks.keys.sorted() == Array(0..<c.layers))
        for l in 0..<c.layers { for t in BlockTensor.allCases { #expect(blocks[l]![t] == alone.blocks[l][t]) } }
    }

    /// Per-window block gradients of a batched call equal each window's gradients computed alone.
    @Test func perWindowGradientsOfABatchEqualWindowsAlone() throws {
        let c = TinyModels.config(tied: false)
        let p = TinyModels.parameters(c, seed: 21)
        let tokens = TinyModels.tokens(windows: 3, seqlen: Self.seqlen, vocab: c.vocab, seed: 22)
        let batched = Backward(config: c, seqlen: Self.seqlen, windows: 3)
        _ = try batched.forward(p, tokens: tokens[...])
        var perWindow: [[Int: BlockWeights]] = Array(repeating: [:], count: 3)
        try batched.backwardBlocks(p, perWindow: true) { layer, window, grads in perWindow[window!][layer] = grads }
        let single = Backward(config: c, seqlen: Self.seqlen, windows: 1)
        for w in 0..<3 {
            _ = try single.forward(p, tokens: tokens[w * Self.seqlen..<(w + 1) * Self.seqlen])
            try single.backwardBlocks(p) { layer, _, grads in
                for t in BlockTensor.allCases {
                    let scale = grads[t].map(abs).max()!
                    let worst = zip(perWindow[w][layer]![t], grads[t]).map { abs($0 - $1) }.max()! / scale
                    #expect(worst < 1e-5, "window \(w) layer \(layer) \(t): \(worst) of max")
                }
            }
        }
    }

    /// Recomputing each block's forward in the backward gives the same gradients as saving every block.
    @Test func recomputedBlocksGiveTheSameGradients() throws {
        let c = TinyModels.config(tied: true, layers: 3)
        let p = TinyModels.parameters(c, seed: 13)
        let tokens = TinyModels.tokens(windows: 2, seqlen: Self.seqlen, vocab: c.vocab, seed: 14)
        var saved = LlamaParameters(zeros: c), recomputed = saved
        let a = Backward(config: c, seqlen: Self.seqlen, windows: 2)
        let b = Backward(config: c, seqlen: Self.seqlen, windows: 2, recomputeBlocks: true)
        #expect(try a.forward(p, tokens: tokens[...]) == b.forward(p, tokens: tokens[...]))
        try a.backward(p, into: &saved)
        try b.backward(p, into: &recomputed)
        #expect(b.tapeBytes < a.tapeBytes)
        for t in p.tensors { #expect(saved[t] == recomputed[t], "\(t.name)") }
    }

    /// The training forward repeats Forward's block and OutputHead's NLL: same loss.
    @Test func trainingForwardMatchesInferenceForward() throws {
        let c = TinyModels.config(tied: false)
        let p = TinyModels.parameters(c, seed: 9)
        let tokens = TinyModels.tokens(windows: 2, seqlen: Self.seqlen, vocab: c.vocab, seed: 10)
        let engine = Backward(config: c, seqlen: Self.seqlen, windows: 2)
        let loss = try engine.forward(p, tokens: tokens[...])
        let forward = Forward(config: c, seqlen: Self.seqlen, windows: 2)
        var hidden = Activations(windows: 2, seqlen: Self.seqlen, hidden: c.hidden)
        for (r, id) in tokens.enumerated() {
            for i in 0..<c.hidden { hidden.x[r * c.hidden + i] = p.embedding[Int(id) * c.hidden + i] }
        }
        for l in 0..<c.layers { forward.runBlock(l, weights: p.blocks[l], hidden: &hidden) }
        let head = OutputHead(config: c, norm: p.finalNorm, projection: p.lmHead)
        let nll = head.windowNLL(hidden, tokens: tokens[...]).reduce(0, +) / 2
        #expect(abs(Double(loss) - nll) / nll < 1e-6, "training forward \(loss) vs inference \(nll)")
    }
}
