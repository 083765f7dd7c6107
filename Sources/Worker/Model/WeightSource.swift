// WeightSource: where the training engine (Backward) reads Float32 weights from.
//
// Two sources: `LlamaParameters`, the whole model in memory (what a training loop updates), and `StreamedWeights`,
// which widens one block at a time from the checkpoint's memory map each time the engine asks for it, so G on a
// 7B model needs one block of Float32 weights (≈ 0.8 GB) instead of the whole model (27 GB). The final norm and
// the output projection (V, C) are held in Float32 by both.

/// Float32 weights, by tensor group, for one forward/backward.
package protocol WeightSource {
    var config: LlamaConfig { get }
    /// x (ids.count, C) = the embedding rows of `ids` (already checked against the vocabulary).
    func embed(_ ids: [Int], into x: UnsafeMutablePointer<Float>) throws
    /// Runs `body` with block `layer`'s weights, valid during the call.
    func withBlock(_ layer: Int, _ body: (BlockWeights) throws -> Void) throws
    /// Runs `body` with the final norm's weight (C).
    func withFinalNorm(_ body: (UnsafePointer<Float>) -> Void)
    /// Runs `body` with the output projection (V, C): lm_head, or the embedding when tied.
    func withOutputProjection(_ body: (UnsafePointer<Float>) -> Void)
}

extension LlamaParameters: WeightSource {
    package func embed(_ ids: [Int], into x: UnsafeMutablePointer<Float>) throws {
        let c = config.hidden
        embedding.withUnsafeBufferPointer { e in
            for (r, id) in ids.enumerated() { (x + r * c).update(from: e.baseAddress! + id * c, count: c) }
        }
    }

    package func withBlock(_ layer: Int, _ body: (BlockWeights) throws -> Void) throws { try body(blocks[layer]) }

    package func withFinalNorm(_ body: (UnsafePointer<Float>) -> Void) {
        finalNorm.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    package func withOutputProjection(_ body: (UnsafePointer<Float>) -> Void) {
        (config.tiedEmbeddings ? embedding : lmHead).withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// A checkpoint's weights widened on demand: one block's Float32 buffers, refilled at every `withBlock`.
package final class StreamedWeights: WeightSource {
    package let model: ModelWeights
    package let finalNorm: [Float]     // (C)
    package let projection: [Float]    // (V, C)
    private var block: BlockWeights

    package var config: LlamaConfig { model.config }

    package init(_ model: ModelWeights) throws {
        self.model = model
        finalNorm = try model.finalNorm()
        projection = try model.outputProjection()
        block = BlockWeights(zeros: model.config)
    }

    package func embed(_ ids: [Int], into x: UnsafeMutablePointer<Float>) throws {
        try model.embed(ids.map { TokenID($0) }[...], into: x)
    }

    package func withBlock(_ layer: Int, _ body: (BlockWeights) throws -> Void) throws {
        try model.block(layer, into: &block)
        try body(block)
    }

    package func withFinalNorm(_ body: (UnsafePointer<Float>) -> Void) { finalNorm.withUnsafeBufferPointer { body($0.baseAddress!) } }

    package func withOutputProjection(_ body: (UnsafePointer<Float>) -> Void) {
        projection.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
