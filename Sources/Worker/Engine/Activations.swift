import Model
// Activations and Workspace: the forward pass's memory, allocated once.
//
// `Activations` is the residual stream of every window, (B, T, C), held between decoder blocks so each block's
// weights are widened once per pass over all windows. `Workspace` holds one chunk's intermediates; its size bounds
// the peak memory independent of how many windows are evaluated.

/// The residual stream of B windows × T tokens × C channels, row-major (B·T, C).
package struct Activations {
    package let windows: Int   // B
    package let seqlen: Int    // T
    package let hidden: Int    // C
    package var x: [Float]     // (B, T, C)

    package var tokens: Int { windows * seqlen }

    package init(windows: Int, seqlen: Int, hidden: Int) {
        self.windows = windows
        self.seqlen = seqlen
        self.hidden = hidden
        x = [Float](repeating: 0, count: windows * seqlen * hidden)
    }
}

/// Scratch for one chunk of R = (windows per chunk)·T rows. Owns raw buffers so the hot loop makes no arrays.
package final class Workspace {
    package let rows: Int          // R
    package let xn: UnsafeMutablePointer<Float>      // (R, C) normed input of the current sub-layer
    package let residual: UnsafeMutablePointer<Float> // (R, C) the residual stream after attention, in observe-only passes
    package let q: UnsafeMutablePointer<Float>       // (R, H·D)
    package let k: UnsafeMutablePointer<Float>       // (R, K·D)
    package let v: UnsafeMutablePointer<Float>       // (R, K·D)
    package let att: UnsafeMutablePointer<Float>     // (R, H·D) attention output, o_proj's input
    package let gate: UnsafeMutablePointer<Float>    // (R, F), then silu(gate)·up: down_proj's input
    package let up: UnsafeMutablePointer<Float>      // (R, F)
    package let scores: UnsafeMutablePointer<Float>  // (scoreBuffers, Attention.scoreFloats), one per lane or core
    package let scoreBuffers: Int
    private var all: [UnsafeMutablePointer<Float>] = []

    /// Floats per row, for sizing chunks against a memory budget.
    package static func floatsPerRow(_ c: LlamaConfig) -> Int {
        2 * c.hidden + 2 * c.heads * c.headDim + 2 * c.kvHeads * c.headDim + 2 * c.intermediate
    }

    package init(config c: LlamaConfig, rows: Int, seqlen: Int, scoreBuffers: Int = Parallel.workers) {
        self.rows = rows
        func make(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n))
            p.initialize(repeating: 0, count: max(1, n))
            return p
        }
        xn = make(rows * c.hidden)
        residual = make(rows * c.hidden)
        q = make(rows * c.heads * c.headDim)
        k = make(rows * c.kvHeads * c.headDim)
        v = make(rows * c.kvHeads * c.headDim)
        att = make(rows * c.heads * c.headDim)
        gate = make(rows * c.intermediate)
        up = make(rows * c.intermediate)
        self.scoreBuffers = scoreBuffers
        scores = make(scoreBuffers * Attention.scoreFloats(seqlen: seqlen, headDim: c.headDim))
        all = [xn, residual, q, k, v, att, gate, up, scores]
    }

    deinit { for p in all { p.deallocate() } }
}
