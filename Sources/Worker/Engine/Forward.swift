// Forward: the LLaMA decoder, block by block over all windows at once.
//
// Order (transformers' LlamaDecoderLayer), for the rows of a chunk of windows, x (R, C) the residual stream:
//   xn = RMSNorm(x)·w_in;  q, k, v = xn·Wqᵀ, xn·Wkᵀ, xn·Wvᵀ;  RoPE(q), RoPE(k);  att = causal GQA attention;
//   x += att·Woᵀ;  xn = RMSNorm(x)·w_post;  x += (silu(xn·Wgᵀ) ⊙ xn·Wuᵀ)·Wdᵀ.
// `runBlock` takes the block's weights as an argument, so a pruning stage can substitute masked ones and observe
// each linear's input. Windows are processed in chunks sized by a memory budget; each product runs in
// BLAS.tokenGemm's fixed per-window blocks, so a window's bits do not depend on its chunk, lane or the core count
// (README, "Determinism"). The final norm and lm_head live in OutputHead.

import Foundation
import Model

/// The input a group of linears reads, for observers (calibration statistics).
package enum LinearInput: CaseIterable {
    case attention   // q, k, v read xn after input_layernorm (R, C)
    case output      // o_proj reads att (R, H·D)
    case mlp         // gate, up read xn after post_attention_layernorm (R, C)
    case down        // down_proj reads silu(gate)·up (R, F)
}

/// Sees every linear's input as the block runs: rows (count, width) holding whole windows, the first of them window
/// `firstWindow` of the pass. Lanes call it concurrently, for disjoint windows.
package protocol BlockObserver: AnyObject {
    func observe(layer: Int, input: LinearInput, rows: UnsafePointer<Float>, count: Int, width: Int, firstWindow: Int)
}

/// Runs decoder blocks over B windows of T tokens for one config.
package final class Forward {
    package let config: LlamaConfig
    package let seqlen: Int                 // T
    package let windowsPerChunk: Int
    package let rope: RopeTable
    /// One workspace per lane: lanes run chunks of windows side by side, each on single-threaded sgemm.
    private let lanes: [Workspace]
    package weak var observer: BlockObserver?

    /// Windows per chunk unless memory is short: 4 windows of 256 tokens make 1,024-row products, large enough for
    /// sgemm's best rate and small enough to stay in cache between the steps of a block.
    package static let chunkWindows = 4

    /// `windows` is the most windows one `Activations` will hold. A chunk is `chunkWindows` windows (fewer if one
    /// chunk's workspace would exceed `workspaceBytes`, or if the lanes would otherwise not all get one; at least
    /// one). Lanes run side by side while all their
    /// workspaces fit the budget; otherwise one lane runs, its products' blocks spread over the cores (large
    /// models). Neither choice changes a bit of the results: every product runs in BLAS.tokenGemm's per-window
    /// blocks, single-threaded, because OpenBLAS's Haswell/Zen kernels round a row by how many rows share its
    /// product and its threads split rows by the thread count.
    package init(config: LlamaConfig, seqlen: Int, windows: Int, workspaceBytes: Int = 1 << 30,
         lanes laneCount: Int = Parallel.workers, chunkWindows: Int = Forward.chunkWindows) {
        self.config = config
        self.seqlen = seqlen
        let perWindow = Workspace.floatsPerRow(config) * 4 * seqlen
        let chunk = Self.chunkSize(windows: windows, lanes: laneCount,
                                   at: min(chunkWindows, workspaceBytes / max(1, perWindow)))
        windowsPerChunk = chunk
        let wanted = max(1, min(laneCount, (windows + chunk - 1) / chunk))
        let laneCount = wanted * chunk * perWindow <= workspaceBytes ? wanted : 1
        rope = RopeTable(seqlen: seqlen, headDim: config.headDim, theta: config.ropeTheta)
        // Lane 0 also runs a pass of a single chunk alone, its attention spread over the cores: it gets a score
        // buffer per core (a (64, T) block each, 0.5 MB at T = 2048); the others run only inside lanes.
        lanes = (0..<laneCount).map { lane in
            Workspace(config: config, rows: chunk * seqlen, seqlen: seqlen,
                      scoreBuffers: lane == 0 ? Parallel.workers : 1)
        }
    }

    /// The embedding rows of `tokens` (B·T ids) as the residual stream (B, T, C).
    package func embed(_ model: ModelWeights, tokens: ArraySlice<TokenID>) throws -> Activations {
        precondition(tokens.count % seqlen == 0, "token count \(tokens.count) is not a multiple of T = \(seqlen)")
        var a = Activations(windows: tokens.count / seqlen, seqlen: seqlen, hidden: config.hidden)
        try a.x.withUnsafeMutableBufferPointer { try model.embed(tokens, into: $0.baseAddress!) }
        return a
    }

    /// Embeds `tokens` and runs every block; `progress(blocksDone)` after each block.
    package func run(_ model: ModelWeights, tokens: ArraySlice<TokenID>, progress: ((Int) -> Void)? = nil) throws -> Activations {
        var hidden = try embed(model, tokens: tokens)
        var w = BlockWeights(zeros: config)   // one block's Float32 weights, refilled per block
        for layer in 0..<config.layers {
            try model.block(layer, into: &w)
            runBlock(layer, weights: w, hidden: &hidden)
            progress?(layer + 1)
        }
        return hidden
    }

    /// Applies decoder block `layer` with `weights` to every window of `hidden`, in place.
    package func runBlock(_ layer: Int, weights w: BlockWeights, hidden: inout Activations) {
        precondition(hidden.seqlen == seqlen && hidden.hidden == config.hidden)
        let windows = hidden.windows
        hidden.x.withUnsafeMutableBufferPointer { xb in
            eachChunk(layer, w, x: xb.baseAddress!, windows: windows, observeOnly: false)
        }
    }

    /// Runs block `layer` over `hidden` just far enough for the observer to see every linear's input, leaving
    /// `hidden` as it was (it skips down_proj, and o_proj's residual add goes into a workspace copy): for passes
    /// whose output is thrown away, such as gathering X, without copying the activations first.
    package func observeBlock(_ layer: Int, weights w: BlockWeights, hidden: Activations) {
        precondition(hidden.seqlen == seqlen && hidden.hidden == config.hidden)
        hidden.x.withUnsafeBufferPointer { xb in
            // Never written through: blockChunk writes only to its workspace when observeOnly.
            eachChunk(layer, w, x: UnsafeMutablePointer(mutating: xb.baseAddress!), windows: hidden.windows, observeOnly: true)
        }
    }

    /// Windows per chunk: at most `limit`, and no more than an equal share of the windows per lane, so that few
    /// windows (2 of 2048 tokens, a 4-window screen) still fill every lane instead of one lane running them alone.
    private static func chunkSize(windows: Int, lanes: Int, at limit: Int) -> Int {
        let lanes = max(1, lanes)
        return max(1, min(limit, (windows + lanes - 1) / lanes))
    }

    /// blockChunk over every chunk of `windows` windows at x, chunk i in lane i mod L: a fixed assignment, and each
    /// window's arithmetic is the same in any lane. A pass over fewer windows than the lanes' capacity gets smaller
    /// chunks (`chunkSize`).
    private func eachChunk(_ layer: Int, _ w: BlockWeights, x: UnsafeMutablePointer<Float>, windows: Int, observeOnly: Bool) {
        let t = seqlen, c = config.hidden
        let perChunk = Self.chunkSize(windows: windows, lanes: lanes.count, at: windowsPerChunk)
        let chunks = (windows + perChunk - 1) / perChunk
        Parallel.lanes(min(lanes.count, chunks)) { lane in
            var chunk = lane
            while chunk < chunks {
                let b0 = chunk * perChunk, nb = min(perChunk, windows - b0)
                blockChunk(layer, w, lanes[lane], x: x + b0 * t * c, windows: nb, firstWindow: b0, observeOnly: observeOnly)
                chunk += lanes.count
            }
        }
    }

    /// One block on x (R, C) = `windows` whole windows, in place; with `observeOnly`, x is only read. silu·up is
    /// formed in gate's buffer (nothing here needs gate again).
    private func blockChunk(_ layer: Int, _ w: BlockWeights, _ ws: Workspace, x: UnsafeMutablePointer<Float>, windows: Int,
                            firstWindow: Int, observeOnly: Bool) {
        let buffers = DecoderBlockBuffers(xn: ws.xn, q: ws.q, k: ws.k, v: ws.v, att: ws.att, gate: ws.gate, up: ws.up,
                                          h: ws.gate, scores: ws.scores, scoreBuffers: ws.scoreBuffers, residual: ws.residual)
        DecoderBlock.forward(x, w, buffers, config: config, rope: rope, windows: windows, seqlen: seqlen,
                             observer: observer, layer: layer, firstWindow: firstWindow, observeOnly: observeOnly)
    }
}
