// Parallel.lanes: independent streams of work side by side (see Model's Parallel.swift), here because each lane's
// products must be single-threaded sgemm, and BLAS is the engine's.
import Dispatch
import Model

extension Parallel {
    /// Calls `body(lane)` for lanes 0..<count concurrently, with OpenBLAS single-threaded and every `chunked` loop
    /// inside a lane run inline.
    static func lanes(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1 else { body(0); return }
        BLAS.singleThreaded {
            Parallel.perform(count) { lane in
                asLane { body(lane) }
            }
        }
    }
}
