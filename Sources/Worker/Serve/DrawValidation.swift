import Fitness
import Foundation
import Shared

/// Validation jobs on a bundle with further calibration draws (`BundleManifest.CalibrationDraw`): the job's
/// method pruned with each draw's G and X (not the bundle's, which the search fitted) and measured on the
/// validation windows. The perplexity is the geometric mean over the draws — exp of the mean NLL, since every
/// draw is measured on the same windows — and the fingerprint one of all the draws' masks, so the coordinator's
/// mask cache (keyed by fingerprint and window set) can only match a job whose masks agree on every draw.
///
/// No pre-flight fingerprint is announced while the job runs: the coordinator's known values for a fingerprint
/// are of the bundle's own masks, which these are not. The draws' evaluators are made at the first validation job
/// (a worker that never gets one never pays their output heads).
final class DrawValidation {
    private let bundle: CalibratedBundle
    private var evaluators: [FitnessEvaluator]?

    init(bundle: CalibratedBundle) {
        self.bundle = bundle
    }

    func evaluate(_ pruning: PruningRequest, progress: FitnessProgress) throws -> FitnessOutcome {
        let evaluators = try self.evaluators ?? bundle.validationDraws.map {
            try FitnessEvaluator(model: bundle.model, data: $0.data)
        }
        self.evaluators = evaluators
        var nll = 0.0
        var fingerprint: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over the draws' fingerprints, in draw order
        var seconds: [String: Double] = [:]
        var layers: [Double] = []
        for (k, evaluator) in evaluators.enumerated() {
            evaluator.shouldStop = { progress.shouldStop }
            defer { evaluator.shouldStop = nil }
            let outcome = try evaluator.evaluate(pruning)
            nll += outcome.meanNLL
            fingerprint = (fingerprint ^ outcome.maskFingerprint) &* 0x0000_0100_0000_01b3
            seconds.merge(outcome.stageSeconds, uniquingKeysWith: +)
            if k == 0 { layers = outcome.sparsityInModelOrder(layers: bundle.model.config.layers) }
        }
        let meanNLL = nll / Double(evaluators.count)
        return FitnessOutcome(
            perplexity: exp(meanNLL), maskFingerprint: fingerprint == 0 ? 1 : fingerprint, layerSparsity: layers,
            stageTimes: seconds.sorted { $0.key < $1.key }.map { StageTime(name: "\($0.key) (\(evaluators.count) draws)", seconds: $0.value) })
    }
}
