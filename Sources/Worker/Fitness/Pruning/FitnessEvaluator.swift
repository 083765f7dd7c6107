import Dispatch
import Engine
import Foundation
import Model
import Shared

/// One pruning evaluation's question (the worker's side of a wire `FitnessRequest`).
package struct PruningRequest {
    package var method: PruningMethod
    package var pattern: SparsitySpec
    /// sequential: X from calibration activations through the already-pruned blocks (the reference's); static:
    /// the bundle's dense X, no calibration pass.
    package var activationMode: XMode = .sequential
    /// Use the first k windows of the split (the same for every metric, so comparisons are paired); nil = all.
    package var evaluationWindows: Int?
    /// Leave out the first k of those windows: their result is already known (a full evaluation after its cheap
    /// screen measures only the windows the screen did not, `ScreenedFullEvaluation`). 0: none left out.
    package var skippedWindows = 0
    /// Fitness windows, or the held-out validation or test windows.
    package var split: Split = .fitness

    package enum Split { case fitness, validation, test }
    /// Refuse metrics that are non-finite or constant along every row before running the model.
    package var rejectDegenerate = true
    /// The target's spread over blocks: uniform, or OWL's allocation (unstructured only).
    package var layerSparsity: LayerSparsity = .uniform
    /// Which values compete for a mask; nil: the method's own (`PruningMethod.defaultGroup`) when unstructured,
    /// rows under N:M (whose groups of M lie in a row; `layer` is refused there).
    package var group: ComparisonGroup? = nil

    /// Whether the masks cannot depend on pruned activations (the method reads no X, or X is static): then a
    /// pre-flight's masks are the evaluation's (`Preflight.exact`), and a raced evaluation's stages reuse them.
    package var masksKnownBeforeForward: Bool { !method.readsX || activationMode == .static }

    package var comparisonGroup: ComparisonGroup {
        if let group { return group }
        if case .unstructured = pattern { return method.defaultGroup }
        return .row
    }

    /// Memberwise, for the other worker modules (Swift's implicit one is internal).
    package init(method: PruningMethod, pattern: SparsitySpec, activationMode: XMode = .sequential, evaluationWindows: Int? = nil, split: Split = .fitness, rejectDegenerate: Bool = true, layerSparsity: LayerSparsity = .uniform) {
        self.method = method
        self.pattern = pattern
        self.activationMode = activationMode
        self.evaluationWindows = evaluationWindows
        self.split = split
        self.rejectDegenerate = rejectDegenerate
        self.layerSparsity = layerSparsity
    }
}

/// One pruning evaluation's answer.
package struct PruningOutcome: Codable {
    package let perplexity: Double
    package let meanNLL: Double
    package let windows: Int
    /// Combined fingerprint of every matrix's mask, in model order: equal masks ⇔ (almost surely) equal values.
    package let maskFingerprint: UInt64
    /// Fraction pruned per linear, by name, in model order.
    package let layerSparsity: [String: Double]
    package let overallSparsity: Double
    /// Seconds per stage: calibration (dense passes for X), metric, masks, pruned calibration pass, evaluation
    /// pass, output head.
    package let stageSeconds: [String: Double]
    /// With OWL: each block's outlier ratio (percent) and the sparsity it was given.
    package var allocation: OWLAllocation? = nil
    /// The loss (mean NLL per token) of each window evaluated, in order.
    package var windowNLL: [Double] = []
}

/// Thrown by a fitness function that stopped because `FitnessProgress.shouldStop` became true.
package struct FitnessCancelled: Error, Equatable {
    package init() {}
}

/// Why a metric gets no fitness.
enum FitnessFailure: Error, Equatable, CustomStringConvertible {
    case nonFiniteMetric(linear: String, count: Int)
    case rowConstantMetric(linear: String)
    case missingGradient(linear: String)
    case missingActivations(linear: String)
    case nonFiniteLoss
    case noEvaluationWindows
    case noTestWindows
    case noValidationWindows

    var description: String {
        switch self {
        case let .nonFiniteMetric(linear, count): "metric is NaN or infinite at \(count) entries of \(linear)"
        case let .rowConstantMetric(linear):
            "metric is constant along every row of \(linear): the mask would be decided by column order alone"
        case let .missingGradient(linear): "the bundle has no gradient norms G for \(linear)"
        case let .missingActivations(linear): "the bundle has no activation statistics X for \(linear)"
        case .nonFiniteLoss: "the pruned model's loss is not finite"
        case .noEvaluationWindows: "no evaluation windows"
        case .noTestWindows: "the bundle has no held-out test windows (calibrate with --test-data)"
        case .noValidationWindows:
            "the bundle has no validation windows (calibrate with --validation-windows; made by an older version?)"
        }
    }
}

/// The fitness function: prune the model with a method, block by block, and measure perplexity.
///
/// Layer-streamed (REFERENCE-SEMANTICS.md rule 7): for each block, (sequential mode) run the calibration activations
/// through the dense block to gather X; compute the metric and masks of its seven linears; build the pruned block;
/// run the calibration and evaluation activations through it; go on. One block's Float32 weights exist at a time and
/// the dense model is never modified. Metrics that do not read X need no calibration pass at all.
package final class FitnessEvaluator {
    package let model: ModelWeights
    package let data: CalibrationData
    let forward: Forward
    private let head: OutputHead
    /// Sees every linear's X, metric and mask (tests compare them with the reference's).
    package var inspector: ((_ linear: String, _ x: [Float], _ metric: UnsafeBufferPointer<Float>, _ mask: PruningMask) -> Void)?
    /// Asked between blocks; true stops the evaluation with `FitnessCancelled` (lease lost, SIGTERM).
    package var shouldStop: (() -> Bool)?
    /// X of block 0's linears from the dense calibration pass: block 0 reads the embeddings, which no metric
    /// changes, so the first sequential evaluation computes it for all the others.
    private var firstBlockX: [LinearInput: [Float]]?
    /// OWL allocations already computed, by setting (`layerAllocation`).
    var owlAllocations: [OWLSetting: OWLAllocation] = [:]
    /// Receives every pruned block (`prune --save` writes them out).
    package var prunedBlockSink: ((_ layer: Int, _ weights: BlockWeights) throws -> Void)?
    /// Sees the evaluation windows' residual stream after every block (`DepthMonitor`); throwing `DepthAborted`
    /// stops the evaluation there, with the stage times so far.
    package var afterBlock: ((_ layer: Int, _ stream: Activations) throws -> Void)?

    package init(model: ModelWeights, data: CalibrationData) throws {
        self.model = model
        self.data = data
        forward = Forward(config: model.config, seqlen: data.seqlen,
                          windows: max(data.calibrationWindows, data.evaluationWindows))
        head = try OutputHead(model)
    }

    /// Perplexity of the dense model on the first `windows` windows of a split.
    package func densePerplexity(windows: Int? = nil, split: PruningRequest.Split = .fitness) throws -> PerplexityResult {
        let tokens = try evaluationTokens(windows, split: split)
        let hidden = try forward.run(model, tokens: tokens)
        return Perplexity.result(head.windowNLL(hidden, tokens: tokens), seqlen: data.seqlen)
    }

    /// `masks`: a pre-flight's exact masks (model order), used instead of recomputing them; its time is among the
    /// stages unless `reportPreflight` is false (a raced evaluation's later stages reuse the same pre-flight).
    package func evaluate(_ request: PruningRequest, masks precomputed: Preflight? = nil, reportPreflight: Bool = true,
                  progress: ((Int, Int) -> Void)? = nil) throws -> PruningOutcome {
        if let precomputed { precondition(precomputed.exact, "only exact pre-flight masks equal the evaluation's") }
        var clock = StageClock()
        let preflightSeconds = reportPreflight ? precomputed?.stageSeconds(metricAndMasks: "metric + masks (pre-flight)") : nil
        for (stage, seconds) in preflightSeconds ?? [:] {
            clock.add(stage, seconds: seconds)
        }
        let config = model.config
        let evalTokens = try evaluationTokens(request.evaluationWindows, split: request.split, skipping: request.skippedWindows)
        let allocation = try layerAllocation(request)
        if request.method.readsHessian && request.activationMode != .sequential { throw SparseGPTError.needsSequentialInputs }
        let needsCalibration = (request.method.readsX && request.activationMode == .sequential || request.method.readsHessian)
            && precomputed == nil
        let hessians = request.method.readsHessian ? SparseGPTBlock(config: config, seqlen: data.seqlen) : nil
        var calibration = needsCalibration
            ? try clock.time("embedding") { try forward.embed(model, tokens: data.calibrationTokens[...]) } : nil
        var evaluation = try clock.time("embedding") { try forward.embed(model, tokens: evalTokens) }
        let collector = ScalerRowCollector(config: config, seqlen: data.seqlen, windows: data.calibrationWindows)
        var selector = MaskSelector()
        var fingerprint = FNV1a()
        var layerSparsity: [String: Double] = [:]
        var pruned = 0, total = 0
        var dense = BlockWeights(zeros: config)

        for layer in 0..<config.layers {
            if shouldStop?() == true { throw FitnessCancelled() }
            // Reading (for GGUF: dequantizing) a block is per-evaluation work too: timed, so nothing hides.
            try clock.time("weights (read block)") { try model.block(layer, into: &dense) }
            var sequentialX: [LinearInput: [Float]] = [:]
            let layerRequest = blockRequest(request, layer: layer, allocation: allocation)
            if let hessians, let calibration {
                clock.time("calibration (dense, for H)") { hessians.observe(layer, weights: dense, calibration: calibration) }
            } else if let calibration {
                if layer == 0, let cached = firstBlockX {
                    sequentialX = cached
                } else {
                    // The dense block sees the pruned earlier blocks' activations; it leaves them unchanged.
                    collector.reset()
                    forward.observer = collector
                    defer { forward.observer = nil }
                    clock.time("calibration (dense, for X)") {
                        forward.observeBlock(layer, weights: dense, hidden: calibration)
                    }
                    for input in LinearInput.allCases { sequentialX[input] = collector.scalerRow(input) }
                    // Block 0 sees the embeddings whatever the metric, so its X is the same in every evaluation.
                    if layer == 0 { firstBlockX = sequentialX }
                }
            }
            var block = dense
            for (index, linear) in PrunableLinear.allCases.enumerated() {
                let name = linear.name(layer: layer)
                let mask: PruningMask
                if let hessians {
                    mask = try clock.time("sparsegpt") {
                        try hessians.prune(linear, name: name, block: &block, pattern: layerRequest.pattern)
                    }
                } else if let precomputed {
                    mask = precomputed.masks[layer * PrunableLinear.allCases.count + index]
                } else {
                    let x = try activationRow(linear, name: name, sequentialX: sequentialX, request: request)
                    let g = try clock.time("gradients (read)") { try gradient(name, request) }
                    mask = try selector.mask(for: linear, name: name, weights: dense[linear.tensor],
                                             shape: linear.tensor.shape(config), x: x, g: g, request: layerRequest,
                                             clock: &clock, inspector: inspector)
                }
                clock.time("masks (apply)") { block.withMutableBuffer(linear.tensor) { mask.apply(to: $0.baseAddress!) } }
                fingerprint.add(word: mask.fingerprint)
                layerSparsity[name] = mask.sparsity
                pruned += mask.prunedCount
                total += mask.rows * mask.cols
            }
            // The pruned block's calibration output feeds the next block's X; after the last block nothing reads it.
            if calibration != nil && layer + 1 < config.layers {
                clock.time("calibration (pruned)") { forward.runBlock(layer, weights: block, hidden: &calibration!) }
            }
            clock.time("evaluation") { forward.runBlock(layer, weights: block, hidden: &evaluation) }
            if let afterBlock {
                do { try clock.time("depth divergence") { try afterBlock(layer, evaluation) } } catch var stop as DepthAborted {
                    stop.stageSeconds = clock.seconds
                    throw stop
                }
            }
            try prunedBlockSink?(layer, block)
            progress?(layer + 1, config.layers)
        }
        let nll = clock.time("output head") { head.windowNLL(evaluation, tokens: evalTokens) }
        let result = Perplexity.result(nll, seqlen: data.seqlen)
        guard result.perplexity.isFinite else { throw FitnessFailure.nonFiniteLoss }
        return PruningOutcome(perplexity: result.perplexity, meanNLL: result.meanNLL, windows: result.windows,
                              maskFingerprint: fingerprint.value, layerSparsity: layerSparsity,
                              overallSparsity: Double(pruned) / Double(total), stageSeconds: clock.seconds,
                              allocation: allocation, windowNLL: result.windowNLL)
    }

    /// The pre-flight: every linear's metric and mask from the bundle's dense X, with no forward pass. Rejects
    /// degenerate metrics (as `evaluate` would at their first block) and fingerprints the masks. The fingerprint is
    /// `exact` — equal to what `evaluate` will report — when the masks cannot depend on pruned activations: the
    /// method reads no X, or X is static. The search uses an exact fingerprint to skip measuring masks it has seen.
    package func preflight(_ request: PruningRequest) throws -> Preflight {
        var staticRequest = request
        staticRequest.activationMode = .static
        let allocation = try layerAllocation(request)
        var selector = MaskSelector()
        var clock = StageClock()
        var fingerprint = FNV1a()
        var masks: [PruningMask] = []
        var dense = BlockWeights(zeros: model.config)
        var reading = StageClock()
        for layer in 0..<model.config.layers {
            if shouldStop?() == true { throw FitnessCancelled() }
            try reading.time("weights (read block)") { try model.block(layer, into: &dense) }
            let blockStatic = blockRequest(staticRequest, layer: layer, allocation: allocation)
            for linear in PrunableLinear.allCases {
                let name = linear.name(layer: layer)
                let x = request.method.readsX ? data.denseX[name] : nil
                if request.method.readsX && x == nil { throw FitnessFailure.missingActivations(linear: name) }
                let g = try reading.time("gradients (read)") { try gradient(name, blockStatic) }
                let mask = try selector.mask(for: linear, name: name, weights: dense[linear.tensor],
                                             shape: linear.tensor.shape(model.config), x: x,
                                             g: g, request: blockStatic, clock: &clock, inspector: nil)
                fingerprint.add(word: mask.fingerprint)
                masks.append(mask)
            }
        }
        return Preflight(fingerprint: fingerprint.value, exact: request.masksKnownBeforeForward,
                         masks: masks, seconds: clock.seconds.values.reduce(0, +),
                         readSeconds: reading.seconds)
    }

    private func evaluationTokens(_ windows: Int?, split: PruningRequest.Split = .fitness,
                                  skipping skipped: Int = 0) throws -> ArraySlice<TokenID> {
        let tokens: [TokenID]
        switch split {
        case .fitness: tokens = data.evaluationTokens
        case .validation: tokens = data.validationTokens ?? []
        case .test: tokens = data.testTokens ?? []
        }
        let available = tokens.count / data.seqlen
        let n = min(windows ?? available, available)
        let first = max(0, skipped)
        guard n > first else {
            switch split {
            case .fitness: throw FitnessFailure.noEvaluationWindows
            case .validation: throw FitnessFailure.noValidationWindows
            case .test: throw FitnessFailure.noTestWindows
            }
        }
        return tokens[first * data.seqlen..<n * data.seqlen]
    }

    private func activationRow(_ linear: PrunableLinear, name: String, sequentialX: [LinearInput: [Float]],
                               request: PruningRequest) throws -> [Float]? {
        guard request.method.readsX else { return nil }
        if request.activationMode == .sequential, let x = sequentialX[linear.input] { return x }
        guard let x = data.denseX[name] else { throw FitnessFailure.missingActivations(linear: name) }
        return x
    }

    private func gradient(_ name: String, _ request: PruningRequest) throws -> [Float]? {
        guard request.method.readsG else { return nil }
        guard let g = try data.gradients.values(of: name) else { throw FitnessFailure.missingGradient(linear: name) }
        return g
    }
}

/// What a pre-flight found: every linear's mask from the bundle's dense X, their combined fingerprint, and whether
/// they are exactly the masks an evaluation would use (then it may reuse them rather than compute them again).
package struct Preflight {
    package let fingerprint: UInt64
    package let exact: Bool
    package let masks: [PruningMask]
    /// Metric and mask time it took.
    package let seconds: Double
    /// Time spent reading (for GGUF: dequantizing) the blocks' weights and reading G, by stage name: stages of
    /// their own, as in `evaluate`.
    package var readSeconds: [String: Double] = [:]

    /// Its stage times, the metric and masks under `metricAndMasks` (whether its masks were reused is the
    /// caller's to say), the reads under their own stages.
    package func stageSeconds(metricAndMasks: String) -> [String: Double] {
        readSeconds.merging([metricAndMasks: seconds], uniquingKeysWith: +)
    }
}

/// Wall time per named stage.
struct StageClock {
    private(set) var seconds: [String: Double] = [:]

    mutating func add(_ stage: String, seconds value: Double) { seconds[stage, default: 0] += value }

    @discardableResult
    mutating func time<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { seconds[stage, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return try body()
    }
}
