// SparseGPT's Hessian of each linear's reconstruction loss: H = 2/n · Σ_windows Σ_tokens x xᵀ (in, in), n the
// number of calibration windows, as the official `SparseGPT.add_batch` accumulates it one window (batch of 1) at a
// time (its running form H ← H·n/(n+1) + 2/(n+1)·x xᵀ equals this sum in exact arithmetic).
//
// Attached to a one-lane `Forward` as its observer for a block's dense pass, it sees the four distinct linear inputs
// (q/k/v share one, gate/up share one) window after window in order. Each window's Gram matrix is computed in fixed
// blocks of 128 output rows by single-threaded sgemm spread over the cores, and added into a Float64 sum in window
// order, so H does not depend on the core count (README, "Determinism"). The official code accumulates in float32.
import Engine
import Foundation
import Model

final class HessianCollector: BlockObserver {
    let seqlen: Int
    private let widths: [LinearInput: Int]
    private var sums: [LinearInput: [Double]] = [:]   // (in, in) per input, Σ x xᵀ
    private var windows: [LinearInput: Int] = [:]
    /// Output rows per sgemm: fixed, so a row's rounding never depends on how the rows were split over cores.
    static let rowBlock = 128

    init(config c: LlamaConfig, seqlen: Int) {
        self.seqlen = seqlen
        widths = [.attention: c.hidden, .output: c.heads * c.headDim, .mlp: c.hidden, .down: c.intermediate]
        reset()
    }

    func reset() {
        for (input, width) in widths { sums[input] = [Double](repeating: 0, count: width * width); windows[input] = 0 }
    }

    func observe(layer: Int, input: LinearInput, rows: UnsafePointer<Float>, count: Int, width: Int, firstWindow: Int) {
        precondition(width == widths[input] && count % seqlen == 0)
        precondition(firstWindow == windows[input], "HessianCollector needs windows in order (a one-lane Forward)")
        let blocks = (width + Self.rowBlock - 1) / Self.rowBlock
        sums[input]!.withUnsafeMutableBufferPointer { sum in
            let h = sum.baseAddress!
            BLAS.singleThreaded {
                Parallel.chunked(blocks, grain: 1) { range in
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Self.rowBlock * width)
                    defer { scratch.deallocate() }
                    for w in 0..<count / seqlen {
                        let x = rows + w * seqlen * width   // (T, in)
                        for block in range {
                            let r0 = block * Self.rowBlock, nr = min(Self.rowBlock, width - r0)
                            // scratch (nr, in) = x[:, r0..<r0+nr]ᵀ (nr, T) · x (T, in)
                            BLAS.gemm(m: nr, n: width, k: seqlen, a: x + r0, lda: width, transA: true,
                                      b: x, ldb: width, transB: false, c: scratch, ldc: width)
                            let target = h + r0 * width
                            for i in 0..<nr * width { target[i] += Double(scratch[i]) }
                        }
                    }
                }
            }
        }
        windows[input]! += count / seqlen
    }

    /// H = 2/n · Σ x xᵀ (in, in) row-major for linears reading `input`.
    func hessian(_ input: LinearInput) -> [Double] {
        let n = Double(max(1, windows[input]!))
        return sums[input]!.map { 2 * $0 / n }
    }
}
