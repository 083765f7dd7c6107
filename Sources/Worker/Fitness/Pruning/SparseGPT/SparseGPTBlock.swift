import Engine
import Model
import Shared

/// One block of SparseGPT inside a fitness evaluation: the Hessians of its linears from the calibration activations
/// it receives (the pruned, updated earlier blocks' outputs, as the official `llama_sequential` feeds them), then
/// each linear pruned and updated from its input's Hessian. As the official default (not `--true-sequential`), all
/// seven linears' Hessians come from one dense pass of the block, before any of them is pruned.
final class SparseGPTBlock {
    private let config: LlamaConfig
    /// One lane, so the collector sees windows in order (its sums are then independent of the core count).
    private let forward: Forward
    private let collector: HessianCollector

    init(config: LlamaConfig, seqlen: Int) {
        self.config = config
        forward = Forward(config: config, seqlen: seqlen, windows: Forward.chunkWindows, lanes: 1)
        collector = HessianCollector(config: config, seqlen: seqlen)
    }

    /// Gathers block `layer`'s Hessians: the dense block over the calibration activations, which stay unchanged.
    func observe(_ layer: Int, weights: BlockWeights, calibration: Activations) {
        collector.reset()
        forward.observer = collector
        defer { forward.observer = nil }
        forward.observeBlock(layer, weights: weights, hidden: calibration)
    }

    /// Prunes and updates `linear` in `block` from the last observed Hessians; returns its mask.
    func prune(_ linear: PrunableLinear, name: String, block: inout BlockWeights, pattern: SparsitySpec) throws -> PruningMask {
        let shape = linear.tensor.shape(config)
        if case .nOfM(_, let m) = pattern, shape[1] % m != 0 {
            throw PruningError.groupDoesNotDivide(layer: name, cols: shape[1], m: m)
        }
        var hessian = collector.hessian(linear.input)
        var weights = block[linear.tensor]
        let mask = try SparseGPT.prune(weights: &weights, rows: shape[0], cols: shape[1], hessian: &hessian,
                                       pattern: pattern, layer: name)
        block.withMutableBuffer(linear.tensor) { _ = $0.update(fromContentsOf: weights) }
        return mask
    }
}
