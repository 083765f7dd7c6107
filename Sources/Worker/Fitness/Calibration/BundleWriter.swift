import Dataset
import Engine
import Foundation
import Model

/// Writes a calibrated bundle atomically: everything goes into a hidden sibling directory which is renamed into
/// place at the end, so a killed calibration leaves no half-written bundle (only a `.partial` directory, removed by
/// the next attempt).
package struct BundleWriter {
    /// Windows and where they came from.
    package struct Source {
        package var windows: Windows
        package var corpusPath: String
        package var seed: Int?

        package init(windows: Windows, corpusPath: String, seed: Int? = nil) {
            self.windows = windows; self.corpusPath = corpusPath; self.seed = seed
        }
    }

    /// The model calibrated: a Hugging Face directory or a GGUF file.
    package var model: ModelPath
    /// As recorded in the manifest (e.g. relative, as typed): a hint for workers.
    package var modelDirectoryAsGiven: String
    package var config: LlamaConfig
    package var seqlen: Int
    package var calibration: Source
    package var evaluation: Source
    package var test: Source?
    package var validation: Source?
    /// G and dense X per linear (`PrunableLinear.name(layer:)`).
    package var gradients: [String: [Float]]
    package var activations: [String: [Float]]
    /// Store G as float16, as the reference does (rounding flips a few mask entries); Float32 by default.
    package var gradientsAsFloat16 = false
    /// Further calibrations for ranking finalists (`BundleManifest.CalibrationDraw`), in the order given.
    package var validationDraws: [Draw] = []

    /// A calibration of the same model with another seed: its windows (drawn from the corpus with `seed`), G and X.
    package struct Draw {
        package var seed: Int
        package var windows: Windows
        package var corpusPath: String
        package var gradients: [String: [Float]]
        package var activations: [String: [Float]]

        package init(seed: Int, windows: Windows, corpusPath: String, gradients: [String: [Float]],
                     activations: [String: [Float]]) {
            self.seed = seed; self.windows = windows; self.corpusPath = corpusPath
            self.gradients = gradients; self.activations = activations
        }

        var source: Source { Source(windows: windows, corpusPath: corpusPath, seed: seed) }
    }

    @discardableResult
    package func write(to destination: URL, replace: Bool = false) throws -> BundleManifest {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination.path) && !replace { throw BundleError.alreadyExists(path: destination.path) }
        let partial = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).partial")
        try? fm.removeItem(at: partial)
        try fm.createDirectory(at: partial, withIntermediateDirectories: true)

        try writeStatistics(gradients: gradients, activations: activations, into: partial)
        func windowSet(_ source: Source, file: String) throws -> BundleManifest.WindowRecord {
            let data = source.windows.tokens.withUnsafeBufferPointer { Data(buffer: $0) }  // little-endian hosts
            try data.write(to: partial.appendingPathComponent(file))
            return BundleManifest.WindowRecord(
                source: source.corpusPath,
                sourceSHA256: try BundleManifest.FileDigest.of(URL(fileURLWithPath: source.corpusPath)).sha256,
                windows: source.windows.count, offsets: source.windows.offsets, seed: source.seed, file: file)
        }
        let calibrationSet = try windowSet(calibration, file: "calibration.bin")
        let evaluationSet = try windowSet(evaluation, file: "evaluation.bin")
        let testSet = try test.map { try windowSet($0, file: "test.bin") }
        let validationSet = try validation.map { try windowSet($0, file: "validation.bin") }

        var files: [String: BundleManifest.FileDigest] = [:]
        for name in try fm.contentsOfDirectory(atPath: partial.path) {
            files[name] = try .of(partial.appendingPathComponent(name))
        }
        // Each draw in its own directory; its files are the bundle's too (checked, hashed, part of the identity).
        let drawRecords = try validationDraws.map { draw -> BundleManifest.CalibrationDraw in
            let directory = BundleManifest.CalibrationDraw.directory(seed: draw.seed)
            try fm.createDirectory(at: partial.appendingPathComponent(directory), withIntermediateDirectories: true)
            try writeStatistics(gradients: draw.gradients, activations: draw.activations,
                                into: partial.appendingPathComponent(directory))
            let record = BundleManifest.CalibrationDraw(
                calibration: try windowSet(draw.source, file: directory + "/calibration.bin"),
                gradients: directory + "/gradients.safetensors", activations: directory + "/activations.safetensors")
            for name in [record.calibration.file, record.gradients, record.activations] {
                files[name] = try .of(partial.appendingPathComponent(name))
            }
            return record
        }
        let manifest = BundleManifest(
            modelDirectory: modelDirectoryAsGiven, modelFiles: try Self.modelFiles(model), seqlen: seqlen,
            calibration: calibrationSet, evaluation: evaluationSet, test: testSet, validation: validationSet,
            validationDraws: drawRecords.isEmpty ? nil : drawRecords, gradientDType: gradientsAsFloat16 ? "F16" : "F32", files: files)
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

    /// G (float32, or float16 when asked) and dense X per linear, as `gradients.safetensors` and
    /// `activations.safetensors` in `directory`.
    private func writeStatistics(gradients: [String: [Float]], activations: [String: [Float]], into directory: URL) throws {
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
        try statistics.write(to: directory.appendingPathComponent("gradients.safetensors"))
        try activationFile.write(to: directory.appendingPathComponent("activations.safetensors"))
    }

    /// The model files a fitness depends on (config, tokenizer, safetensors index and shards; or the GGUF file),
    /// by name in `model.filesDirectory`.
    package static func modelFiles(_ model: ModelPath) throws -> [String: BundleManifest.FileDigest] {
        var files: [String: BundleManifest.FileDigest] = [:]
        for name in try model.identifyingFiles() {
            files[name] = try .of(model.filesDirectory.appendingPathComponent(name))
        }
        return files
    }

    /// Memberwise, for the other worker modules (Swift's implicit one is internal).
    package init(model: ModelPath, modelDirectoryAsGiven: String, config: LlamaConfig, seqlen: Int, calibration: Source, evaluation: Source, test: Source? = nil, validation: Source? = nil, gradients: [String: [Float]], activations: [String: [Float]], gradientsAsFloat16: Bool = false) {
        self.model = model
        self.modelDirectoryAsGiven = modelDirectoryAsGiven
        self.config = config
        self.seqlen = seqlen
        self.calibration = calibration
        self.evaluation = evaluation
        self.test = test
        self.validation = validation
        self.gradients = gradients
        self.activations = activations
        self.gradientsAsFloat16 = gradientsAsFloat16
    }
}
