import Foundation
import TestSupport
import Testing
@testable import Shared
@testable import Model
@testable import Tokenizer
@testable import Dataset
@testable import Engine
@testable import Fitness

/// Calibrated bundles: written atomically, identical bytes for identical calibrations, every corruption named.
@Suite(.enabled(if: PruneReference.available, "../shared/fixtures/prune-reference is absent"), .serialized)
struct BundleTests {
    /// A bundle of the sharded fixture with the reference dump's G (the backward pass has its own tests).
    static func writeBundle(to url: URL) throws -> BundleManifest {
        let modelDir = EngineFixtures.directory("sharded")
        let model = try ModelWeights(directory: modelDir)
        let calibPath = modelDir.appendingPathComponent("calib.bin").path
        let evalPath = modelDir.appendingPathComponent("eval.bin").path
        let calib = try TokenStream(source: DatasetSource(path: calibPath)) { _ in [] }
            .calibrationWindows(seqlen: 64, offsets: PruneReference.offsets)
        let eval = try TokenStream(source: DatasetSource(path: evalPath)) { _ in [] }.evaluationWindows(seqlen: 64)
        let dump = try SafeTensorsFile(path: PruneReference.directory
            .appendingPathComponent("pruner-zero-unstructured.dump.safetensors").path)
        var gradients: [String: [Float]] = [:]
        for layer in 0..<model.config.layers {
            for linear in PrunableLinear.allCases { gradients[linear.name(layer: layer)] = try dump.float32(linear.name(layer: layer) + ".G") }
        }
        let writer = BundleWriter(
            model: try ModelPath(modelDir), modelDirectoryAsGiven: modelDir.path, config: model.config, seqlen: 64,
            calibration: .init(windows: calib, corpusPath: calibPath, seed: nil),
            evaluation: .init(windows: eval, corpusPath: evalPath), test: .init(windows: eval, corpusPath: evalPath),
            gradients: gradients,
            activations: try DenseActivations.compute(model: model, calibration: calib.tokens, seqlen: 64))
        return try writer.write(to: url)
    }

    static func scratch() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("bundle-\(UUID().uuidString)")
    }

    @Test func bundlesRoundTripAndScoreLikeTheReference() throws {
        let url = Self.scratch()
        defer { try? FileManager.default.removeItem(at: url) }
        let manifest = try Self.writeBundle(to: url)
        let bundle = try CalibratedBundle(directory: url)
        #expect(bundle.manifest == manifest)
        #expect(bundle.identity == (try BundleIdentity.of(directory: url)))
        #expect(bundle.data.calibrationWindows == 8 && bundle.data.evaluationWindows == 16 && bundle.testTokens?.count == 1024)
        #expect(bundle.data.testTokens == bundle.testTokens, "prune --test reads the test windows from data")
        let outcome = try FitnessEvaluator(model: bundle.model, data: bundle.data)
            .evaluate(PruningRequest(method: .wanda, pattern: .unstructured(ratio: 0.5)))
        try PruneReference.expectClose(outcome.perplexity, PruneReference.result("wanda", "unstructured").ppl)
        // No partial directory is left behind.
        let siblings = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        #expect(!siblings.contains(".\(url.lastPathComponent).partial"))
    }

    @Test func sameCalibrationSameIdentity() throws {
        let a = Self.scratch(), b = Self.scratch()
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        _ = try Self.writeBundle(to: a)
        _ = try Self.writeBundle(to: b)
        #expect(try BundleIdentity.of(directory: a) == BundleIdentity.of(directory: b))
        #expect(throws: BundleError.alreadyExists(path: a.path)) { _ = try Self.writeBundle(to: a) }
    }

    @Test func corruptionIsNamed() throws {
        let url = Self.scratch()
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try Self.writeBundle(to: url)
        let fm = FileManager.default

        // A flipped byte in G: same size, different hash.
        let g = url.appendingPathComponent("gradients.safetensors")
        var bytes = try Data(contentsOf: g)
        bytes[bytes.count - 3] ^= 0x40
        try bytes.write(to: g)
        #expect(throws: BundleError.self) { try CalibratedBundle(directory: url) }
        do { _ = try CalibratedBundle(directory: url) } catch {
            #expect("\(error)".contains("gradients.safetensors: SHA-256") && "\(error)".contains("corrupt or replaced"))
        }
        bytes[bytes.count - 3] ^= 0x40
        try bytes.write(to: g)

        // A truncated window file.
        let eval = url.appendingPathComponent("evaluation.bin")
        let original = try Data(contentsOf: eval)
        try original.prefix(100).write(to: eval)
        #expect(throws: BundleError.sizeMismatch(path: eval.path, expected: 4096, found: 100)) {
            try CalibratedBundle(directory: url)
        }
        try original.write(to: eval)

        // Another model than the one calibrated.
        #expect(throws: BundleError.self) {
            try CalibratedBundle(directory: url, model: EngineFixtures.directory("tiny"))
        }
        // A manifest of another format.
        let manifestURL = url.appendingPathComponent("manifest.json")
        let manifest = try String(contentsOf: manifestURL, encoding: .utf8)
        try manifest.replacingOccurrences(of: "prunerzero-bundle/1", with: "prunerzero-bundle/9")
            .write(to: manifestURL, atomically: true, encoding: .utf8)
        #expect(throws: BundleError.unknownFormat(path: manifestURL.path, format: "prunerzero-bundle/9")) {
            try CalibratedBundle(directory: url)
        }
        try fm.removeItem(at: manifestURL)
        #expect(throws: BundleError.missingFile(path: manifestURL.path)) { try CalibratedBundle(directory: url) }
    }

    @Test func pruneCommandReportsAsJSON() throws {
        let url = Self.scratch()
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try Self.writeBundle(to: url)
        let saved = Self.scratch()
        defer { try? FileManager.default.removeItem(at: saved) }
        let run = try BuiltBinary.run("prunerzero-worker", [
            "prune", "--bundle", url.path, "--metric", "magnitude", "--type", "2:4", "--json", "--save", saved.path])
        #expect(run.status == 0, "\(run.stderr)")
        let data = Data(run.stdout.utf8)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        try PruneReference.expectClose(object["perplexity"] as! Double, PruneReference.result("magnitude", "2:4").ppl)
        try PruneReference.expectClose(object["dense_perplexity"] as! Double, PruneReference.result("dense", "unstructured").ppl)
        #expect(object["overall_sparsity"] as? Double == 0.5)
        // The saved checkpoint is a model our loader reads, with the same perplexity as pruned.
        let pruned = try ModelWeights(directory: saved)
        let eval = try EngineFixtures.tokens(EngineFixtures.directory("sharded").appendingPathComponent("eval.bin"))
        let ppl = try Perplexity.evaluate(pruned, tokens: eval, seqlen: 64).perplexity
        try PruneReference.expectClose(ppl, PruneReference.result("magnitude", "2:4").ppl)
    }
}
