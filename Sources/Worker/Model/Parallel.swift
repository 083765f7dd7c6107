// Parallel: splits work over the machine's cores, two ways (`lanes` is Engine's: it needs BLAS).
//
// `chunked` splits one element-wise loop (norms, RoPE, softmax, SiLU) into contiguous ranges, one or a few per core,
// never smaller than `grain` items, so tiny tensors run inline without dispatch overhead.
// `lanes` runs independent streams of work side by side — the forward pass gives each lane its own windows, and
// every product in a lane is single-threaded sgemm (as is every token product outside lanes: BLAS.tokenGemm). Inside a lane, `chunked` runs inline: the lanes already fill
// the cores, and nesting would only add hand-offs.
import CKernels
import Dispatch
import Foundation
import Synchronization

/// Contiguous-range parallel loops and lanes over `DispatchQueue.concurrentPerform`.
package enum Parallel {
    /// How many ranges or lanes to run at once: the CPUs this process may run on, lowered by commands that measure
    /// single-threaded speed. Set it before any kernel runs.
    package static var workers: Int {
        get { workerCount.load(ordering: .relaxed) }
        set { workerCount.store(newValue, ordering: .relaxed) }
    }
    private static let workerCount = Atomic<Int>(Int(pz_usable_cpus()))

    /// The CPUs in this process's affinity mask (`taskset`, Slurm's binding), as OpenBLAS counts them; Foundation's
    /// `activeProcessorCount` reports every online CPU.
    package static var usableCPUs: Int { Int(pz_usable_cpus()) }

    /// The workers a loop may use from the calling thread: 1 inside a lane.
    package static var available: Int { isInsideLane ? 1 : workers }

    /// Calls `body` on disjoint ranges covering 0..<n, concurrently when each range can hold `grain` items.
    package static func chunked(_ n: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        guard n > 0 else { return }
        let pieces = min(available, max(1, n / max(1, grain)))
        if pieces == 1 { body(0..<n); return }
        perform(pieces) { p in body(n * p / pieces..<n * (p + 1) / pieces) }
    }

    /// `DispatchQueue.concurrentPerform` for the engine's loops: `body(i)` for i in 0..<iterations, concurrently,
    /// returning when all have finished. Every concurrent loop of the worker goes through here.
    package static func perform(_ iterations: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let unchecked = UncheckedBody(run: body)
            DispatchQueue.concurrentPerform(iterations: iterations) { unchecked.run($0) }
        }
    }

    /// The worker's one unchecked concurrency spot. `concurrentPerform` wants a `@Sendable` body; the engine's
    /// bodies capture raw buffers, which Swift cannot prove safe to share. They are, by construction of every
    /// caller: each iteration writes only its own disjoint range of the output buffers (rows, heads, tiles or
    /// lanes split by index) and only reads the shared inputs, and `concurrentPerform` returns only after every
    /// iteration has finished, so no buffer is used after its owner releases it (`withoutActuallyEscaping` checks
    /// that the closure does not outlive the call).
    private struct UncheckedBody: @unchecked Sendable {
        package let run: (Int) -> Void
    }

    /// Runs `body` marked as a lane: every `chunked` loop inside it runs inline. `Parallel.lanes` (Engine) calls
    /// it on each lane's thread, with OpenBLAS single-threaded around them.
    package static func asLane(_ body: () -> Void) {
        let outer = pthread_getspecific(laneKey)
        pthread_setspecific(laneKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(laneKey, outer) }
        body()
    }

    private static var isInsideLane: Bool { pthread_getspecific(laneKey) != nil }

    /// Marks the threads running a lane (non-nil while inside one).
    private static let laneKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}
