import Engine
import Fitness
import Foundation
import Shared

/// The real fitness function behind `serve`: a calibrated bundle's model pruned with the job's metric, scored by
/// perplexity on the windows the job names (cheap subset, full fitness set, or held-out test set).
final class BundleFitnessFunction: FitnessFunction {
    let bundle: CalibratedBundle
    private let evaluator: FitnessEvaluator

    let fitnessBound: Double

    var bundleIdentity: String { bundle.identity }

    init(directory: URL, model: URL? = nil) throws {
        bundle = try CalibratedBundle(directory: directory, model: model)
        evaluator = try FitnessEvaluator(model: bundle.model, data: bundle.data)
        // From the model's sizes and output head only: every worker on this bundle computes the same value.
        fitnessBound = try DeterminismBound.fitness(bundle.model, seqlen: bundle.manifest.seqlen)
        depthProbe = DepthProbeCache(evaluator: evaluator)
        drawValidation = DrawValidation(bundle: bundle)
    }

    /// Validation jobs on a bundle with calibration draws (`calibrate --validation-seeds`).
    let drawValidation: DrawValidation

    /// The dense states of the cheap windows, computed at the first cheap screen that asks for the depth probe.
    let depthProbe: DepthProbeCache

    /// Stage times as the result reports them; a non-exact pre-flight (its masks are not reused) and the once-only
    /// dense pass for the depth probe are compute too, so they are counted.
    private func stageTimes(_ seconds: [String: Double], preflight: Preflight?) -> [StageTime] {
        var all = seconds
        if let preflight, !preflight.exact {
            all.merge(preflight.stageSeconds(metricAndMasks: "metric + masks (pre-flight, not reused)"), uniquingKeysWith: +)
        }
        if let once = depthProbe.takeFirstUseSeconds() { all["dense states (once per worker)"] = once }
        return all.sorted { $0.key < $1.key }.map { StageTime(name: $0.key, seconds: $0.value) }
    }

    func evaluate(_ request: FitnessRequest, method: JobMethod, abortThresholds: [Double], screenPerplexity: Double?,
                  race: Race?, progress: FitnessProgress) throws -> FitnessOutcome {
        let pruningMethod: PruningMethod
        switch method {
        case .metric(let metric): pruningMethod = .metric(metric)
        case .sparsegpt: pruningMethod = .sparsegpt
        }
        // Thresholds a job may not carry fail it before any work.
        let probing = try DepthProbeCache.probes(abortThresholds, windows: request.windows,
                                                 isMetric: method != .sparsegpt, blocks: bundle.model.config.layers)
        let screenWindows = try bundle.data.screenWindows(request.screenWindows)
        var pruning = PruningRequest(method: pruningMethod, pattern: request.sparsity, activationMode: request.xMode,
                                     layerSparsity: request.layerSparsity)
        pruning.group = request.group
        switch request.windows {
        case .cheap: pruning.evaluationWindows = screenWindows
        case .full: break
        case .validation: pruning.split = .validation
        case .test: pruning.split = .test
        }
        if request.windows == .validation, !bundle.validationDraws.isEmpty {
            return try drawValidation.evaluate(pruning, progress: progress)
        }
        let screened = try screenedEvaluation(screenPerplexity, request: request, screenWindows: screenWindows,
                                              isMetric: method != .sparsegpt)
        if let screened { pruning.skippedWindows = screened.screenWindows }
        let racing = try race.map { try checkedRace($0, screened: screened, pruning: pruning) }
        // Stop between blocks when the lease is lost, or when the coordinator already knows these masks' fitness.
        evaluator.shouldStop = { progress.shouldStop || progress.knownPerplexity != nil }
        defer { evaluator.shouldStop = nil }
        // The pre-flight rejects degenerate metrics before any forward pass; when its masks are exact (no X, or
        // static X) the coordinator learns their fingerprint at once and the evaluation reuses them. SparseGPT has
        // none: its masks come from Hessians of the pruned model's activations, and its kept weights change, so no
        // other evaluation's perplexity may stand for its masks.
        var fingerprint: UInt64?
        var preflight: Preflight?
        if case .metric = method {
            let found = try evaluator.preflight(pruning)
            preflight = found
            if found.exact {
                fingerprint = found.fingerprint
                progress.masksReady(fingerprint: found.fingerprint)
            }
        }
        // Cheap screens whose job asks for it measure their divergence from the dense model block by block, and
        // stop early by depth; without thresholds no dense states are built and nothing is measured.
        let depth = probing ? try depthProbe.monitor(abortThresholds, windows: screenWindows) : nil
        evaluator.afterBlock = depth.map { monitor in { try monitor.observe(layer: $0, $1) } }
        defer { evaluator.afterBlock = nil }
        do {
            if let racing, let preflight {
                return try racedEvaluation(racing.race, screened: racing.screened, pruning: pruning,
                                           preflight: preflight)
            }
            let outcome = try evaluator.evaluate(pruning, masks: preflight?.exact == true ? preflight : nil)
            let layers = outcome.sparsityInModelOrder(layers: bundle.model.config.layers)
            let perplexity = screened.map { $0.perplexity(restMeanNLL: outcome.meanNLL, restWindows: outcome.windows) }
                ?? outcome.perplexity
            return FitnessOutcome(
                perplexity: perplexity, maskFingerprint: outcome.maskFingerprint, layerSparsity: layers,
                stageTimes: stageTimes(outcome.stageSeconds, preflight: preflight),
                divergence: depth?.divergence ?? [], windowLoss: outcome.windowNLL)
        } catch let stop as DepthAborted {
            // No fingerprint: an aborted evaluation's masks are not all known (sequential X), and nothing is measured.
            return FitnessOutcome(perplexity: .nan, maskFingerprint: 0,
                                  stageTimes: stageTimes(stop.stageSeconds, preflight: preflight),
                                  divergence: stop.divergence, abortedAfter: stop.blocks)
        } catch is FitnessCancelled {
            // Masks already measured elsewhere: their perplexity is this metric's (same masks, same windows).
            if let known = progress.knownPerplexity, let fingerprint {
                return FitnessOutcome(perplexity: known, maskFingerprint: fingerprint)
            }
            throw FitnessCancelled()
        }
    }
}

extension PruningOutcome {
    /// Each linear's sparsity, block by block in `PrunableLinear` order: the result's `layerSparsity` list.
    func sparsityInModelOrder(layers: Int) -> [Double] {
        (0..<layers).flatMap { layer in PrunableLinear.allCases.map { layerSparsity[$0.name(layer: layer)] ?? 0 } }
    }
}

extension BundleFitnessFunction {
    /// A full-window job of a metric that carries its cheap screen's perplexity runs only the other windows; the
    /// value on any other job fails it before any work (it would be a coordinator's bug, or a hostile message).
    func screenedEvaluation(_ screenPerplexity: Double?, request: FitnessRequest, screenWindows: Int,
                            isMetric: Bool) throws -> ScreenedFullEvaluation?
    {
        guard let screenPerplexity else { return nil }
        guard request.windows == .full, isMetric else {
            throw ScreenPerplexityRefusal(windows: request.windows, isMetric: isMetric)
        }
        return ScreenedFullEvaluation(screenPerplexity: screenPerplexity, screenWindows: screenWindows,
                                      fullWindows: bundle.data.evaluationWindows)
    }
}

extension BundleFitnessFunction {
    /// A race this job can run, checked before any work: it continues a reused screen, its stages can reuse the
    /// pre-flight's masks, and its window counts are this bundle's (not a coordinator's on another bundle, nor a
    /// hostile message's).
    func checkedRace(_ race: Race, screened: ScreenedFullEvaluation?,
                     pruning: PruningRequest) throws -> (race: Race, screened: ScreenedFullEvaluation) {
        guard let screened else { throw RaceRefusal.noScreen }
        guard pruning.masksKnownBeforeForward else { throw RaceRefusal.masksNotExact }
        let full = bundle.data.evaluationWindows
        guard race.rivalLoss.count == full, race.screenLoss.count == screened.screenWindows else {
            throw RaceRefusal.windowCounts(rival: race.rivalLoss.count, screen: race.screenLoss.count,
                                           full: full, screenWindows: screened.screenWindows)
        }
        return (race, screened)
    }

    /// The windows after the screen in stages ending at the race's checkpoints, then the rest; after each
    /// checkpoint `PairedRace` decides. Every stage reuses the pre-flight's exact masks, so a stage costs its
    /// windows' forward plus one read of the blocks and the masks' application (per-window losses do not depend
    /// on how windows are batched: `DeterminismCheck`). A child that is never stopped gets the value one pass
    /// over its windows would give, up to the joining's rounding.
    func racedEvaluation(_ race: Race, screened: ScreenedFullEvaluation, pruning: PruningRequest,
                         preflight: Preflight) throws -> FitnessOutcome {
        let full = race.rivalLoss.count
        var request = pruning
        var losses: [Double] = []
        var seconds: [String: Double] = [:]
        var start = screened.screenWindows
        // Every stage prunes with the same masks: the fingerprint and sparsities are any stage's.
        func outcome(_ stage: PruningOutcome, perplexity: Double, racedAfter: Int?) -> FitnessOutcome {
            FitnessOutcome(perplexity: perplexity, maskFingerprint: stage.maskFingerprint,
                           layerSparsity: stage.sparsityInModelOrder(layers: bundle.model.config.layers),
                           stageTimes: stageTimes(seconds, preflight: preflight),
                           windowLoss: losses, racedAfter: racedAfter)
        }
        for end in race.checkpoints + [full] {
            request.skippedWindows = start
            request.evaluationWindows = end
            // The pre-flight's time is reported once, with the first stage.
            let stage = try evaluator.evaluate(request, masks: preflight, reportPreflight: losses.isEmpty)
            seconds.merge(stage.stageSeconds, uniquingKeysWith: +)
            losses += stage.windowNLL
            start = end
            if end == full {
                let mean = losses.reduce(0, +) / Double(losses.count)
                return outcome(stage, perplexity: screened.perplexity(restMeanNLL: mean, restWindows: losses.count),
                               racedAfter: nil)
            }
            if case .stop(let estimate) = PairedRace.verdict(child: race.screenLoss + losses, race: race) {
                return outcome(stage, perplexity: estimate, racedAfter: end)
            }
        }
        preconditionFailure("the last stage ends at the full windows")  // `Race`'s decoder keeps checkpoints below it
    }
}

/// A race on a job that cannot run one (`Job.race`).
enum RaceRefusal: Error, Equatable, CustomStringConvertible {
    case noScreen
    case masksNotExact
    case windowCounts(rival: Int, screen: Int, full: Int, screenWindows: Int)

    var description: String {
        switch self {
        case .noScreen: "a race was sent with a job that carries no screen perplexity"
        case .masksNotExact:
            "a race needs masks known before the forward (static X, or a metric without X): its stages reuse them"
        case let .windowCounts(rival, screen, full, screenWindows):
            "a race with \(rival) rival and \(screen) screen losses on a bundle of \(full) fitness windows, \(screenWindows) screened"
        }
    }
}

/// A screen perplexity on a job that cannot use it (`Job.screenPerplexity`).
struct ScreenPerplexityRefusal: Error, CustomStringConvertible {
    let windows: WindowSet
    let isMetric: Bool
    var description: String {
        isMetric ? "a screen perplexity was sent with a \(windows)-window job; only full-window jobs take one"
            : "a screen perplexity was sent with a reference method's job; only a metric's full-window job takes one"
    }
}

/// The worker's dense trajectory, made at first use (a worker that only runs test jobs, or only jobs without abort
/// thresholds, never pays for it); the seconds it took are reported once, with the job that made it. It covers the
/// screen's windows; a job with another screen size (another search) makes it again for its own.
final class DepthProbeCache {
    private let evaluator: FitnessEvaluator
    private var trajectory: (windows: Int, states: DenseTrajectory)?
    private var unreported: Double?

    init(evaluator: FitnessEvaluator) {
        self.evaluator = evaluator
    }

    /// True once the dense states exist.
    var isBuilt: Bool { trajectory != nil }

    /// Whether a job's `thresholds` ask for the depth probe (`Job.abortThresholds`): not when they are empty.
    /// Throws (the job fails, saying why) for thresholds on a job that is not a metric's cheap screen, or more of
    /// them than the model's `blocks`; fewer are fine (a missing entry is +inf, `DepthMonitor`).
    static func probes(_ thresholds: [Double], windows: WindowSet, isMetric: Bool, blocks: Int) throws -> Bool {
        guard !thresholds.isEmpty else { return false }
        guard windows == .cheap, isMetric else {
            throw DepthProbeRefusal.notACheapScreen(job: isMetric ? "a metric on the \(windows) windows" : "a reference method")
        }
        guard thresholds.count <= blocks else {
            throw DepthProbeRefusal.tooManyThresholds(count: thresholds.count, blocks: blocks)
        }
        return true
    }

    /// A monitor over the first `windows` windows stopping where `thresholds` say; the dense states are made at
    /// the first call (and again when the window count changes).
    func monitor(_ thresholds: [Double], windows: Int) throws -> DepthMonitor {
        if trajectory?.windows != windows {
            trajectory = nil  // released before the next is made: one set in memory at a time
            let made = try evaluator.denseTrajectory(windows: windows)
            trajectory = (windows, made)
            unreported = (unreported ?? 0) + made.seconds
        }
        return DepthMonitor(trajectory: trajectory!.states, thresholds: thresholds)
    }

    func takeFirstUseSeconds() -> Double? {
        defer { unreported = nil }
        return unreported
    }
}

/// Abort thresholds a job may not carry (`Job.abortThresholds`).
enum DepthProbeRefusal: Error, Equatable, CustomStringConvertible {
    /// `job` says what the job is instead.
    case notACheapScreen(job: String)
    case tooManyThresholds(count: Int, blocks: Int)

    var description: String {
        switch self {
        case .notACheapScreen(let job):
            "abort thresholds are for a metric's cheap screen only, not for \(job)"
        case .tooManyThresholds(let count, let blocks):
            "\(count) abort thresholds for a model of \(blocks) blocks"
        }
    }
}
