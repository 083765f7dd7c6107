import Foundation

/// Writes a calibrated bundle atomically: everything goes into a hidden sibling directory which is renamed into
/// place at the end, so a killed calibration leaves no half-written bundle (only a `.partial` directory, removed by
/// the next attempt).
struct BundleWriter {
    /// Windows and where they came from.
    struct Source {
        var windows: Windows
        var corpusPath: String
        var seed: Int?
    }

    /// The model calibrated: a Hugging Face directory or a GGUF file.
    var model: ModelPath
    /// As recorded in the manifest (e.g. relative, as typed): a hint for workers.
    var modelDirectoryAsGiven: String
    var config: LlamaConfig
    var seqlen: Int
    var calibration: Source
    var evaluation: Source
    var test: Source?
    /// G and dense X per linear (`PrunableLinear.name(layer:)`).
    var gradients: [String: [Float]]
    var activations: [String: [Float]]
    /// Store G as float16, as the reference does (rounding flips a few mask entries); Float32 by default.
    var gradientsAsFloat16 = false

    @discardableResult
    func write(to destination: URL, replace: Bool = false) throws -> BundleManifest {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination.path) && !replace { throw BundleError.alreadyExists(path: destination.path) }
        let partial = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).partial")
        try? fm.removeItem(at: partial)
        try fm.createDirectory(at: partial, withIntermediateDirectories: true)

        var statistics = SafeTensorsWriter(), activationFile = SafeTensorsWriter()
        for layer in 0..<config.layers {
            for linear in PrunableLinear.allCases {
                let name = linear.name(layer: layer), shape = linear.tensor.shape(config)
                if gradientsAsFloat16 {
                    statistics.add(name, float16: gradients[name]!, shape: shape)
                } else {
                    statistics.add(name, float32: gradients[name]!, shape: shape)
                }
                activationFile.add(name, float32: activations[name]!, shape: [shape[1]])
            }
        }
        try statistics.write(to: partial.appendingPathComponent("gradients.safetensors"))
        try activationFile.write(to: partial.appendingPathComponent("activations.safetensors"))

        func windowSet(_ source: Source, file: String) throws -> BundleManifest.WindowSet {
            let data = source.windows.tokens.withUnsafeBufferPointer { Data(buffer: $0) }  // little-endian hosts
            try data.write(to: partial.appendingPathComponent(file))
            return BundleManifest.WindowSet(
                source: source.corpusPath,
                sourceSHA256: try BundleManifest.FileDigest.of(URL(fileURLWithPath: source.corpusPath)).sha256,
                windows: source.windows.count, offsets: source.windows.offsets, seed: source.seed, file: file)
        }
        let calibrationSet = try windowSet(calibration, file: "calibration.bin")
        let evaluationSet = try windowSet(evaluation, file: "evaluation.bin")
        let testSet = try test.map { try windowSet($0, file: "test.bin") }

        var files: [String: BundleManifest.FileDigest] = [:]
        for name in try fm.contentsOfDirectory(atPath: partial.path) {
            files[name] = try .of(partial.appendingPathComponent(name))
        }
        let manifest = BundleManifest(
            modelDirectory: modelDirectoryAsGiven, modelFiles: try Self.modelFiles(model), seqlen: seqlen,
            calibration: calibrationSet, evaluation: evaluationSet, test: testSet,
            gradientDType: gradientsAsFloat16 ? "F16" : "F32", files: files)
        try manifest.encoded().write(to: partial.appendingPathComponent("manifest.json"))

        if fm.fileExists(atPath: destination.path) {
            let old = destination.deletingLastPathComponent().appendingPathComponent(".\(destination.lastPathComponent).old")
            try? fm.removeItem(at: old)
            try fm.moveItem(at: destination, to: old)
            try fm.moveItem(at: partial, to: destination)
            try? fm.removeItem(at: old)
        } else {
            try fm.moveItem(at: partial, to: destination)
        }
        return manifest
    }

    /// The model files a fitness depends on (config, tokenizer, safetensors index and shards; or the GGUF file),
    /// by name in `model.filesDirectory`.
    static func modelFiles(_ model: ModelPath) throws -> [String: BundleManifest.FileDigest] {
        var files: [String: BundleManifest.FileDigest] = [:]
        for name in try model.identifyingFiles() {
            files[name] = try .of(model.filesDirectory.appendingPathComponent(name))
        }
        return files
    }
}
