// `prunerzero-worker bench-backward --bundle B`: G on a calibrated bundle's model and calibration windows, timed,
// for setting beside Benchmarks/Reference/backward_bench.py (PyTorch, same windows, same threads).
//
// G as `calibrate` computes it (GradientNorms, the plan that fits in memory), over the first `--calib-windows` of
// the bundle's calibration windows (all by default). Loading the model is not timed; the best of `--repeats` rounds
// is reported, with the engine's stage times of that round (Backward.StageTimes) so the cost can be placed.
import ArgumentParser
import Dataset
import Engine
import Fitness
import Foundation
import Model

extension BenchBackwardCommand {
    func benchBundle(_ dir: URL) throws {
        let manifestURL = dir.appendingPathComponent("manifest.json")
        guard let bytes = FileManager.default.contents(atPath: manifestURL.path) else {
            throw ValidationError("\(manifestURL.path): no such file (--bundle must be a calibrated bundle)")
        }
        let manifest: BundleManifest
        do { manifest = try JSONDecoder().decode(BundleManifest.self, from: bytes) } catch {
            throw ValidationError("\(manifestURL.path): not a bundle manifest: \(error)")
        }
        let modelURL = model.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: manifest.modelDirectory, relativeTo: dir).standardizedFileURL
        let weights = try ModelPath(modelURL).weights()
        let t = manifest.seqlen
        let calibration = dir.appendingPathComponent(manifest.calibration.file)
        let stream = try DatasetSource(path: calibration.path, kind: .tokens).readTokens()
        guard stream.count == manifest.calibration.windows * t else {
            throw ValidationError("\(calibration.path): \(stream.count) ids, expected \(manifest.calibration.windows) × \(t)")
        }
        let n = min(calibWindows ?? manifest.calibration.windows, manifest.calibration.windows)
        guard n >= 1 else { throw ValidationError("--calib-windows must be at least 1") }
        let windows = Windows(stream: stream, offsets: (0..<n).map { $0 * t }, seqlen: t)
        var best = Double.infinity, stages = Backward.StageTimes()
        for _ in 0..<max(1, repeats) {
            Backward.stageTimes = Backward.StageTimes()
            Backward.timingStages = true
            let s = try seconds { _ = try GradientNorms.compute(model: weights, windows: windows) }
            Backward.timingStages = false
            if s < best { best = s; stages = Backward.stageTimes }
        }
        print(String(format: "G on %@ (%d windows × %d tokens): %.3f s, %.0f tokens/s", modelURL.lastPathComponent as NSString,
                     n, t, best, Double(n * t) / best))
        print("  stages: " + stages.summary(total: best))
    }
}
