import Dataset
import Foundation
import Model
import Shared

/// A bundle's calibration redone with another seed: new calibration windows drawn (the reference's way) from the
/// same corpus, hence new G and dense X, with the bundle's fitness, validation and test windows unchanged — so
/// metrics scored on several such calibrations are paired on identical held-out windows (`rescore`).
///
/// What it does not do: write a bundle (G stays in memory: one model's worth of floats) or change the seqlen, the
/// window count or the model.
package enum Recalibration {
    /// The bundle's calibration corpus: the path the manifest records if it still holds the same bytes, else the
    /// same relative path under the bundle's parent directories (a bundle calibrated in a checkout with a relative
    /// path), else `override`; checked against the manifest's SHA-256 in every case.
    package static func corpus(of bundle: CalibratedBundle, override: String? = nil) throws -> String {
        let record = bundle.manifest.calibration
        var candidates = override.map { [$0] } ?? [record.source]
        if override == nil, !record.source.hasPrefix("/") {
            var base = bundle.directory.standardizedFileURL
            for _ in 0..<3 {
                base = base.deletingLastPathComponent()
                candidates.append(base.appendingPathComponent(record.source).path)
            }
        }
        for path in candidates where FileManager.default.fileExists(atPath: path) {
            let found = Digest.hex(try Digest.sha256(fileAt: URL(fileURLWithPath: path)))
            if found == record.sourceSHA256 { return path }
            if override != nil { throw BundleError.hashMismatch(path: path, expected: record.sourceSHA256, found: found) }
        }
        throw BundleError.missingFile(path: "\(record.source) (the calibration corpus, with SHA-256 \(record.sourceSHA256.prefix(12))…; "
                                      + "give its path with --data)")
    }

    /// Calibration data with `seed`'s windows over `corpusPath` and G, X recomputed from them. G (a backward pass
    /// per window, the expensive part) only when `needsG`, X only when `needsX`: a statistic no method reads is
    /// left empty, so a method that did read it would fail loudly, never use the bundle's.
    package static func data(bundle: CalibratedBundle, corpusPath: String, seed: Int, needsG: Bool = true,
                             needsX: Bool = true, progress: ((String) -> Void)? = nil) throws -> CalibrationData {
        let stream = try Corpus.stream(corpusPath, model: bundle.modelPath, weights: bundle.model)
        let seqlen = bundle.manifest.seqlen
        let windows = try stream.calibrationWindows(seqlen: seqlen, nsamples: bundle.manifest.calibration.windows, seed: seed)
        let (gradients, activations) = try CalibrationStatistics.compute(
            model: bundle.model, windows: windows, needsG: needsG, needsX: needsX) { line, _ in progress?(line) }
        var data = bundle.data
        data = CalibrationData(seqlen: seqlen, gradients: GradientTable(gradients), denseX: activations,
                               calibrationTokens: windows.tokens, evaluationTokens: data.evaluationTokens,
                               testTokens: data.testTokens, validationTokens: data.validationTokens)
        return data
    }
}
