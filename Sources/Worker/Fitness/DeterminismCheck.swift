// DeterminismCheck: the determinism contract (README, "Determinism") on a small random model, under whatever
// OpenBLAS core type (OPENBLAS_CORETYPE) and kernel variant (PRUNERZERO_KERNELS) this process runs.
//
// Checks, bit for bit, the properties that must hold on every core type: a window's hidden state and the X
// statistics do not depend on the lane count or chunk size; a window's NLL does not depend on which windows share
// its pass; G does not depend on how many windows go through the engine together or on recomputing blocks. The
// `determinism-check` command prints its report; here because it drives the engine and the calibration (G, X).
import CKernels
import COpenBLAS
import Dataset
import Engine
import Foundation
import Model
import Shared

package enum DeterminismCheck {
    package struct Report: Codable {
        package var corename: String
        package var kernels: String
        package var failures: [String]
        /// Per-window mean NLL, and its perplexity (the search's fitness).
        package var windowNLL: [Double]
        package var perplexity: Double
        /// max over rows and vocabulary of Σ_c |W_head[v, c]·xn[c]|: the logit magnitude the cross-CPU bound scales.
        package var logitScale: Double
        /// Bit digests of the final hidden state and of all of G (equal digests: identical bits).
        package var hiddenDigest: UInt64
        package var gDigest: UInt64
        /// G of layer 0's q_proj and down_proj, for element-wise comparison across core types.
        package var gSample: [Float]

        /// Memberwise, for the other worker modules (Swift's implicit one is internal).
        package init(corename: String, kernels: String, failures: [String], windowNLL: [Double], perplexity: Double, logitScale: Double, hiddenDigest: UInt64, gDigest: UInt64, gSample: [Float]) {
            self.corename = corename
            self.kernels = kernels
            self.failures = failures
            self.windowNLL = windowNLL
            self.perplexity = perplexity
            self.logitScale = logitScale
            self.hiddenDigest = hiddenDigest
            self.gDigest = gDigest
            self.gSample = gSample
        }
    }

    // The model: GQA, several heads, and a window length (37) that leaves partial register tiles on every kernel.
    package static let windows = 5, seqlen = 37

    package static func config() -> LlamaConfig {
        RandomModel.config(hidden: 64, intermediate: 96, heads: 4, kvHeads: 2, layers: 2, vocab: 50)
    }

    package static func check() -> Report {
        let c = config(), t = seqlen
        let p = LlamaParameters(initialized: c, std: 0.1, seed: 5)
        var rng = SplitMix64(seed: 9, stream: 0)
        let tokens = (0..<windows * t).map { _ in TokenID(rng.next() % UInt64(c.vocab)) }
        var failures: [String] = []

        // Lanes and chunks: every (chunk size, lane count) gives the bits of (5 windows per chunk, 1 lane).
        let reference = forward(p, tokens[...], chunkWindows: windows, lanes: 1)
        for chunk in [1, 2, 5] {
            for lanes in [1, 2, 3] where (chunk, lanes) != (windows, 1) {
                let other = forward(p, tokens[...], chunkWindows: chunk, lanes: lanes)
                let hidden = zip(other.hidden, reference.hidden).filter { $0 != $1 }.count
                let x = zip(other.x, reference.x).filter { $0 != $1 }.count
                if hidden + x > 0 {
                    failures.append("\(chunk) windows per chunk, \(lanes) lanes: \(hidden) hidden and \(x) X values differ")
                }
            }
        }

        // Windows alone and together: the same NLL bits.
        let head = OutputHead(config: c, norm: p.finalNorm, projection: p.lmHead.isEmpty ? p.embedding : p.lmHead)
        let together = head.windowNLL(reference.activations, tokens: tokens[...])
        for w in [0, 3] {
            let slice = tokens[w * t..<(w + 1) * t]
            let alone = head.windowNLL(forward(p, slice, chunkWindows: 1, lanes: 1).activations, tokens: slice)
            if alone[0].bitPattern != together[w].bitPattern {
                failures.append("window \(w) alone: NLL \(alone[0]) vs \(together[w]) together")
            }
        }

        // G: batched, one window per call, and with blocks recomputed.
        let windowSet = Windows(stream: tokens, offsets: (0..<windows).map { $0 * t }, seqlen: t)
        var g: [String: [Float]] = [:]
        do {
            g = try GradientNorms.compute(source: p, windows: windowSet, batchWindows: windows)
            for (label, recompute, batch) in [("one window per call", false, 1), ("blocks recomputed", true, 2)] {
                let other = try GradientNorms.compute(source: p, windows: windowSet, recomputeBlocks: recompute, batchWindows: batch)
                let differ = g.keys.filter { other[$0]!.map(\.bitPattern) != g[$0]!.map(\.bitPattern) }.sorted()
                if !differ.isEmpty { failures.append("G \(label): \(differ.count) linears differ, first \(differ[0])") }
            }
        } catch {
            failures.append("G: \(error)")
        }

        let names = g.keys.sorted()
        return Report(
            corename: String(cString: openblas_get_corename()),
            kernels: String(cString: pz_kernels_name(pz_kernels_active())),
            failures: failures, windowNLL: together,
            perplexity: Perplexity.result(together, seqlen: t).perplexity,
            logitScale: logitScale(head, reference.activations),
            hiddenDigest: digest(reference.hidden), gDigest: digest(names.flatMap { g[$0]!.map(\.bitPattern) }),
            gSample: (g[PrunableLinear.q.name(layer: 0)] ?? []) + (g[PrunableLinear.down.name(layer: 0)] ?? []))
    }

    /// All blocks over `tokens` (whole windows), with X gathered: the hidden state's and X's bits.
    package static func forward(_ p: LlamaParameters, _ tokens: ArraySlice<TokenID>, chunkWindows: Int, lanes: Int)
        -> (activations: Activations, hidden: [UInt32], x: [UInt32])
    {
        let c = p.config, t = seqlen, b = tokens.count / t
        let engine = Forward(config: c, seqlen: t, windows: b, lanes: lanes, chunkWindows: chunkWindows)
        let collector = ScalerRowCollector(config: c, seqlen: t, windows: b)
        engine.observer = collector
        var hidden = Activations(windows: b, seqlen: t, hidden: c.hidden)
        for (r, id) in tokens.enumerated() {
            for i in 0..<c.hidden { hidden.x[r * c.hidden + i] = p.embedding[Int(id) * c.hidden + i] }
        }
        var x: [Float] = []
        for (layer, w) in p.blocks.enumerated() {
            collector.reset()
            engine.runBlock(layer, weights: w, hidden: &hidden)
            for input in LinearInput.allCases { x += collector.scalerRow(input) }
        }
        return (hidden, hidden.x.map(\.bitPattern), x.map(\.bitPattern))
    }

    /// max over rows r and vocabulary entries v of Σ_c |W[v, c]·xn_r[c]|, xn the final norm's output.
    package static func logitScale(_ head: OutputHead, _ hidden: Activations) -> Double {
        let c = head.config.hidden
        var xn = [Float](repeating: 0, count: hidden.tokens * c)
        xn.withUnsafeMutableBufferPointer { o in
            hidden.x.withUnsafeBufferPointer { x in
                head.norm.withUnsafeBufferPointer { LayerKernels.rmsNorm(o.baseAddress!, x.baseAddress!, $0.baseAddress!, rows: hidden.tokens, width: c, eps: head.config.epsilon) }
            }
        }
        var scale = 0.0
        for r in 0..<hidden.tokens {
            for v in 0..<head.config.vocab {
                var s = 0.0
                for i in 0..<c { s += abs(Double(head.projection[v * c + i]) * Double(xn[r * c + i])) }
                scale = max(scale, s)
            }
        }
        return scale
    }

    /// FNV-1a over the bit patterns.
    package static func digest(_ bits: [UInt32]) -> UInt64 {
        bits.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}
