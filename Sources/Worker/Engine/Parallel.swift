// Parallel: splits a loop over the machine's cores for the non-BLAS kernels.
//
// BLAS threads itself (OpenBLAS's own pool); the element-wise kernels (norms, RoPE, softmax, SiLU) use this so
// they do not become the bottleneck between matrix products. Work is cut into contiguous ranges, one or a few per
// core, never smaller than `grain` items, so tiny tensors run inline without dispatch overhead.
import Dispatch
import Foundation

/// Contiguous-range parallel loops over `DispatchQueue.concurrentPerform`.
enum Parallel {
    /// How many ranges to run at once: the cores available to this process (cgroup- and affinity-aware on Linux),
    /// lowered by commands that measure single-threaded speed. Set it before any kernel runs.
    static var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body` on disjoint ranges covering 0..<n, concurrently when each range can hold `grain` items.
    static func chunked(_ n: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        guard n > 0 else { return }
        let pieces = min(workers, max(1, n / max(1, grain)))
        if pieces == 1 { body(0..<n); return }
        DispatchQueue.concurrentPerform(iterations: pieces) { p in
            body(n * p / pieces..<n * (p + 1) / pieces)
        }
    }
}
