import Dataset
import Foundation
import Model
import Shared

/// A calibrated bundle on disk, opened and checked: the manifest, its identity, the dense model it was made from,
/// and the calibration data a fitness evaluation needs.
///
/// Layout of a bundle directory:
///
///     manifest.json              what, from what, how (its SHA-256 is the identity)
///     gradients.safetensors      G per linear: model.layers.I.self_attn.q_proj … (out, in)
///     activations.safetensors    dense X per linear (in)
///     calibration.bin            calibration windows, (nsamples, seqlen) uint32 little-endian
///     evaluation.bin             fitness windows
///     test.bin                   held-out test windows (optional)
///     validation.bin             held-out validation windows (optional; bundles since `--validation-windows`)
///     draws/seed-S/              another calibration draw (optional, `--validation-seeds`): calibration.bin,
///                                gradients.safetensors, activations.safetensors, as the bundle's own
///
/// Opening checks every bundle file's size, the model's files' sizes, and (for bundles and models under 1 GiB, or
/// when asked) their SHA-256, so a truncated, corrupt or swapped file is a clear error naming it.
package struct CalibratedBundle {
    package let directory: URL
    package let manifest: BundleManifest
    package let identity: String
    /// The model as found: a Hugging Face directory or a GGUF file.
    package let modelPath: ModelPath
    package var modelDirectory: URL { modelPath.url }
    package let model: ModelWeights
    package let data: CalibrationData
    package let testTokens: [TokenID]?
    /// nil for bundles without validation windows (older ones, or calibrated without `--validation-windows`).
    package let validationTokens: [TokenID]?
    /// The other calibration draws (`BundleManifest.CalibrationDraw`), each as pruning data with the bundle's
    /// held-out windows: what validation jobs prune with. Empty for bundles without them.
    package let validationDraws: [(seed: Int, data: CalibrationData)]

    package static let verifyAutomaticallyBelow = 1 << 30

    package init(directory: URL, model modelOverride: URL? = nil, verifyHashes: Bool? = nil) throws {
        self.directory = directory
        let manifestURL = directory.appendingPathComponent("manifest.json")
        guard let bytes = FileManager.default.contents(atPath: manifestURL.path) else {
            throw BundleError.missingFile(path: manifestURL.path)
        }
        let manifest: BundleManifest
        do { manifest = try JSONDecoder().decode(BundleManifest.self, from: bytes) } catch {
            throw BundleError.unreadableManifest(path: manifestURL.path, reason: "\(error)")
        }
        guard manifest.format == BundleManifest.currentFormat else {
            throw BundleError.unknownFormat(path: manifestURL.path, format: manifest.format)
        }
        self.manifest = manifest
        identity = BundleIdentity.of(manifestBytes: bytes)

        let modelURL = modelOverride ?? URL(fileURLWithPath: manifest.modelDirectory, relativeTo: directory).standardizedFileURL
        modelPath = try ModelPath(modelURL)
        try Self.check(manifest.files, in: directory, verify: verifyHashes)
        try Self.check(manifest.modelFiles, in: modelPath.filesDirectory, verify: verifyHashes)
        model = try modelPath.weights()

        let seqlen = manifest.seqlen
        func windows(_ set: BundleManifest.WindowRecord) throws -> [TokenID] {
            let url = directory.appendingPathComponent(set.file)
            let tokens = try DatasetSource(path: url.path, kind: .tokens).readTokens()
            guard tokens.count == set.windows * seqlen else {
                throw BundleError.windowsMismatch(path: url.path, expected: set.windows * seqlen, found: tokens.count)
            }
            return tokens
        }
        let (gradients, denseX) = try Self.readStatistics(directory, config: model.config)
        testTokens = try manifest.test.map(windows)
        validationTokens = try manifest.validation.map(windows)
        let evaluationTokens = try windows(manifest.evaluation)
        // The held-out windows go into the pruning data too: `prune --test` evaluates on them.
        data = CalibrationData(seqlen: seqlen, gradients: gradients, denseX: denseX,
                               calibrationTokens: try windows(manifest.calibration),
                               evaluationTokens: evaluationTokens, testTokens: testTokens,
                               validationTokens: validationTokens)
        let draws = manifest.validationDraws ?? []
        if !draws.isEmpty, validationTokens == nil {
            throw BundleError.unreadableManifest(path: manifestURL.path, reason: "validationDraws without validation windows")
        }
        let config = model.config, test = testTokens, validation = validationTokens
        var loaded: [(seed: Int, data: CalibrationData)] = []
        for draw in draws {
            guard let seed = draw.calibration.seed else {
                throw BundleError.unreadableManifest(path: manifestURL.path, reason: "a validation draw without its seed")
            }
            // Only files the manifest checks (size, hash) and inside the bundle.
            for file in [draw.calibration.file, draw.gradients, draw.activations]
            where manifest.files[file] == nil || file.split(separator: "/").contains("..") {
                throw BundleError.unreadableManifest(path: manifestURL.path,
                                                     reason: "validation draw file \(file) is not one of the bundle's files")
            }
            let (g, x) = try Self.readStatistics(gradients: directory.appendingPathComponent(draw.gradients),
                                                 activations: directory.appendingPathComponent(draw.activations),
                                                 config: config)
            loaded.append((seed, CalibrationData(seqlen: seqlen, gradients: g, denseX: x,
                                                 calibrationTokens: try windows(draw.calibration),
                                                 evaluationTokens: evaluationTokens, testTokens: test,
                                                 validationTokens: validation)))
        }
        validationDraws = loaded
    }

    /// Sizes always; hashes when asked, or by default when the files total under 1 GiB.
    package static func check(_ files: [String: BundleManifest.FileDigest], in directory: URL, verify: Bool?) throws {
        let total = files.values.reduce(0) { $0 + $1.bytes }
        let hash = verify ?? (total < verifyAutomaticallyBelow)
        for (name, digest) in files.sorted(by: { $0.key < $1.key }) {
            let url = directory.appendingPathComponent(name)
            guard let size = try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int else {
                throw BundleError.missingFile(path: url.path)
            }
            guard size == digest.bytes else { throw BundleError.sizeMismatch(path: url.path, expected: digest.bytes, found: size) }
            if hash {
                let found = Digest.hex(try Digest.sha256(fileAt: url))
                guard found == digest.sha256 else {
                    throw BundleError.hashMismatch(path: url.path, expected: digest.sha256, found: found)
                }
            }
        }
    }

    /// G (out, in), read on demand, and dense X (in) for every linear, checked against the model's shapes.
    package static func readStatistics(_ directory: URL, config: LlamaConfig) throws -> (GradientTable, [String: [Float]]) {
        try readStatistics(gradients: directory.appendingPathComponent("gradients.safetensors"),
                           activations: directory.appendingPathComponent("activations.safetensors"), config: config)
    }

    /// The same from two named files (a validation draw's).
    package static func readStatistics(gradients gURL: URL, activations xURL: URL,
                                       config: LlamaConfig) throws -> (GradientTable, [String: [Float]]) {
        let gFile = try SafeTensorsFile(path: gURL.path), xFile = try SafeTensorsFile(path: xURL.path)
        var activations: [String: [Float]] = [:]
        for layer in 0..<config.layers {
            for linear in PrunableLinear.allCases {
                let name = linear.name(layer: layer), shape = linear.tensor.shape(config)
                try checkShape(gFile, name, shape: shape)   // G is read when a metric asks; a bad file fails now
                activations[name] = try read(xFile, name, shape: [shape[1]])
            }
        }
        return (GradientTable(file: gFile), activations)
    }

    private static func checkShape(_ file: SafeTensorsFile, _ name: String, shape: [Int]) throws {
        guard let info = file.tensors[name] else { throw BundleError.missingTensor(path: file.path, tensor: name) }
        guard info.shape == shape else {
            throw BundleError.wrongShape(path: file.path, tensor: name, expected: shape, found: info.shape)
        }
    }

    private static func read(_ file: SafeTensorsFile, _ name: String, shape: [Int]) throws -> [Float] {
        try checkShape(file, name, shape: shape)
        return try file.float32(name)
    }
}
