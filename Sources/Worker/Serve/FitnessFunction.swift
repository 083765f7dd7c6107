import Engine
import Foundation
import Shared

/// What `serve` needs from the evaluation engine: prune the bundle's model with a metric and measure perplexity.
/// The real implementation (LLaMA pruning + perplexity) is another module's; `FitnessFunctions.make` is the one
/// place that will construct it.
package protocol FitnessFunction: AnyObject {
    /// Must equal the coordinator's `BundleIdentity.of(directory:)` for the same bundle.
    var bundleIdentity: String { get }
    /// The bound on |Δ ln perplexity| between two correct workers on this bundle, whatever their CPUs
    /// (`DeterminismBound.fitness`): sent in the hello so the coordinator ties fitnesses within it.
    var fitnessBound: Double { get }
    /// Evaluates `method` as `request` says, stopping early by depth where `abortThresholds` says and evaluating
    /// only the windows after the cheap ones when `screenPerplexity` gives their result, racing them against a
    /// rival when `race` says (`Job`). Throws to report a failed evaluation (the message becomes the failure
    /// reason); throws `FitnessCancelled` when `progress.shouldStop` asked it to stop.
    func evaluate(_ request: FitnessRequest, method: JobMethod, abortThresholds: [Double], screenPerplexity: Double?,
                  race: Race?, progress: FitnessProgress) throws -> FitnessOutcome
}

extension FitnessFunction {
    /// An evaluation without a race.
    package func evaluate(_ request: FitnessRequest, method: JobMethod, abortThresholds: [Double],
                          screenPerplexity: Double?, progress: FitnessProgress) throws -> FitnessOutcome {
        try evaluate(request, method: method, abortThresholds: abortThresholds, screenPerplexity: screenPerplexity,
                     race: nil, progress: progress)
    }
}

/// What a job prunes with: its parsed metric, or the reference baseline its request names (`FitnessMethod`).
package enum JobMethod: Equatable {
    case metric(MetricExpression)
    case sparsegpt

    /// The job's method: a baseline from its request's tag, else its metric text parsed with `limits`.
    package init(_ job: Job, limits: MetricLimits) throws(MetricError) {
        switch job.request.method {
        case .metric: self = .metric(try job.metric(limits: limits))
        case .sparsegpt: self = .sparsegpt
        }
    }
}

/// A successful evaluation.
package struct FitnessOutcome: Equatable {
    package var perplexity: Double
    /// All layers' masks together (equal masks, equal fingerprints).
    package var maskFingerprint: UInt64
    package var layerSparsity: [Double] = []
    package var stageTimes: [StageTime] = []
    /// The cheap windows' divergence from the dense model after each block evaluated (empty: not measured).
    package var divergence: [Double] = []
    /// Stopped by depth after this many blocks (`perplexity` is then NaN).
    package var abortedAfter: Int? = nil
    /// Each evaluated window's loss, in order (`JobResult.windowLoss`).
    package var windowLoss: [Double] = []
    /// Stopped by its race after this many full windows (`perplexity` is then the race's estimate).
    package var racedAfter: Int? = nil

    /// The result's status for this outcome.
    package var status: JobStatus {
        if let blocks = abortedAfter { return .aborted(blocks: blocks) }
        if let windows = racedAfter { return .raced(windows: windows) }
        return .ok
    }
}

/// Shared between the evaluating thread and the heartbeat thread: progress out, stop requests and mask-reuse
/// answers in.
package final class FitnessProgress: @unchecked Sendable {
    // @unchecked: every field is behind `lock`.
    private let lock = NSLockLike()
    private var stop = false
    private var fingerprint: UInt64?
    private var known: Double?

    /// True once the lease was lost or the worker is terminating: stop at the next layer boundary.
    package var shouldStop: Bool { lock.with { stop } }
    package func requestStop() { lock.with { stop = true } }

    /// Call when all masks are computed; the next heartbeat reports the fingerprint. If the coordinator already
    /// knows the perplexity of these masks, `knownPerplexity` becomes non-nil and the evaluation may return it.
    package func masksReady(fingerprint: UInt64) { lock.with { self.fingerprint = fingerprint } }
    package var reportedFingerprint: UInt64? { lock.with { fingerprint } }
    package var knownPerplexity: Double? { lock.with { known } }
    package func setKnownPerplexity(_ value: Double) { lock.with { known = value } }
}

/// The fitness functions this build can construct.
package enum FitnessFunctions {
    /// The calibrated bundle's fitness function (its model is found through the manifest, or `model`).
    package static func make(bundle: String, model: String? = nil, threads: Int?) throws -> FitnessFunction? {
        if let threads { BLAS.setThreads(threads) }
        return try BundleFitnessFunction(directory: URL(fileURLWithPath: bundle),
                                         model: model.map { URL(fileURLWithPath: $0) })
    }
}
