import ArgumentParser
import Dataset
import Fitness
import Foundation
import Model
import Shared

/// `prunerzero-worker calibrate`: the once-per-model step every worker then shares — G (gradient norms over
/// calibration windows), dense X, the calibration, fitness and test windows — written as a calibrated bundle.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Compute G and X over calibration windows and write a calibrated bundle.",
        discussion: """
            Calibration offsets are drawn as the reference draws them (Python's random.seed(S), then \
            random.randint(0, N − seqlen − 1) per window) or given explicitly, so runs can be matched with it.
            """)

    @Option(help: "Model: a directory (config.json, safetensors, tokenizer.json) or a GGUF file.")
    var model: String

    @Option(help: "Calibration corpus: text, JSON lines (.jsonl, .json.gz) or uint32 token ids (.bin).")
    var data: String

    @Option(help: "Number of calibration windows.")
    var nsamples: Int

    @Option(help: "Tokens per window, for calibration and evaluation.")
    var seqlen: Int

    @Option(help: "Seed of the calibration offsets (Python's random, as the reference).")
    var seed: Int?

    @Option(name: .customLong("calib-offsets"), help: "Explicit calibration window offsets, comma-separated.")
    var calibOffsets: String?

    @Option(name: .customLong("eval-data"), help: "Fitness corpus: consecutive windows, tail dropped.")
    var evalData: String

    @Option(name: .customLong("eval-windows"), help: "Keep at most this many fitness windows.")
    var evalWindows: Int?

    @Option(name: .customLong("test-data"), help: "Held-out test corpus for final reports.")
    var testData: String?

    @Option(name: .customLong("test-windows"), help: "Keep at most this many test windows.")
    var testWindows: Int?

    @Option(name: .customLong("validation-windows"), help: ArgumentHelp(
        "Held-out windows a search ranks its finalists on (default: none).",
        discussion: "Cut from --validation-data when given (its first N windows), else from --test-data: the N "
            + "consecutive windows after the test windows (so --test-windows is needed), disjoint from them."))
    var validationWindows: Int?

    @Option(name: .customLong("validation-data"), help: "A separate corpus for the validation windows (default: --test-data).")
    var validationData: String?

    @Option(name: .customLong("validation-seeds"), help: ArgumentHelp(
        "Comma-separated seeds of further calibration draws a search ranks its finalists with (default: none).",
        discussion: "Each seed draws other calibration windows from --data (as --seed does) and computes their own G "
            + "and X into the bundle (draws/seed-S); validation jobs prune with each draw and report the geometric "
            + "mean perplexity, so the answer is not chosen on the calibration the search fitted. Needs "
            + "--validation-windows; costs one calibration per seed. Keep the seeds out of later `rescore` seeds."))
    var validationSeeds: String?

    @Flag(name: .customLong("g-float16"), help: "Store G in float16, as the reference does (default float32).")
    var gFloat16 = false

    @Option(help: "Bundle directory to write.")
    var out: String

    @Flag(help: "Replace --out if it exists.")
    var force = false

    /// The parsed `--validation-seeds`: distinct, none the bundle's own seed.
    func drawSeeds() throws -> [Int] {
        guard let validationSeeds else { return [] }
        var seeds: [Int] = []
        for item in validationSeeds.split(separator: ",", omittingEmptySubsequences: false) {
            let text = item.trimmingCharacters(in: .whitespaces)
            guard let value = Int(text), value >= 0 else {
                throw ValidationError("--validation-seeds: '\(text)' is not a non-negative integer")
            }
            guard !seeds.contains(value) else { throw ValidationError("--validation-seeds: \(value) is given twice") }
            guard value != seed else { throw ValidationError("--validation-seeds: \(value) is the bundle's own --seed") }
            seeds.append(value)
        }
        return seeds
    }

    func validate() throws {
        if validationSeeds != nil {
            guard validationWindows != nil else { throw ValidationError("--validation-seeds needs --validation-windows") }
            _ = try drawSeeds()
        }
        guard nsamples > 0 else { throw ValidationError("--nsamples must be positive") }
        guard seqlen >= 2 else { throw ValidationError("--seqlen must be at least 2") }
        guard (seed == nil) != (calibOffsets == nil) else {
            throw ValidationError("give exactly one of --seed and --calib-offsets")
        }
        if let validationWindows, validationWindows <= 0 { throw ValidationError("--validation-windows must be positive") }
        if validationData != nil, validationWindows == nil { throw ValidationError("--validation-data needs --validation-windows") }
        if validationWindows != nil, validationData == nil {
            guard testData != nil else { throw ValidationError("--validation-windows needs --test-data or --validation-data") }
            guard testWindows != nil else {
                throw ValidationError("--validation-windows from the test corpus needs --test-windows (the validation "
                    + "windows are the ones after the test windows), or give --validation-data")
            }
        }
    }

    func run() throws {
        let modelURL = URL(fileURLWithPath: model)
        let modelPath = try ModelPath(modelURL)
        let weights = try modelPath.weights()
        let calibration = try Self.calibrationWindows(
            Corpus.stream(data, model: modelPath, weights: weights), seqlen: seqlen, nsamples: nsamples, seed: seed, offsets: calibOffsets)
        let evaluation = try Corpus.stream(evalData, model: modelPath, weights: weights).evaluationWindows(seqlen: seqlen, limit: evalWindows)
        let test = try testData.map { try Corpus.stream($0, model: modelPath, weights: weights).evaluationWindows(seqlen: seqlen, limit: testWindows) }
        let validation = try validationWindows.map { count -> (Windows, String) in
            if let validationData {
                return (try Corpus.stream(validationData, model: modelPath, weights: weights)
                    .evaluationWindows(seqlen: seqlen, limit: count), validationData)
            }
            // The same held-out corpus as the test windows, the windows right after them: same distribution as
            // test (so ranking on it predicts test), never the same tokens.
            let source = testData!
            let windows = try Corpus.stream(source, model: modelPath, weights: weights)
                .evaluationWindows(seqlen: seqlen, after: test?.count ?? 0, limit: count)
            return (windows, source)
        }
        if let validation, validation.0.count < validationWindows! {
            log("validation: only \(validation.0.count) of \(validationWindows!) windows fit in \(validation.1)")
        }
        log("calibration: \(calibration.count) windows × \(seqlen); fitness: \(evaluation.count) windows"
            + (test.map { "; test: \($0.count) windows" } ?? "") + (validation.map { "; validation: \($0.0.count) windows" } ?? ""))

        let start = Date()
        let (gradients, activations) = try CalibrationStatistics.compute(model: weights, windows: calibration) {
            ProgressLine.show($0, done: $1)
        }
        let drawSeeds = try drawSeeds()
        let calibrationStream = drawSeeds.isEmpty ? nil : try Corpus.stream(data, model: modelPath, weights: weights)
        let draws = try drawSeeds.enumerated().map { k, drawSeed -> BundleWriter.Draw in
            let tag = "draw seed \(drawSeed) (\(k + 1)/\(drawSeeds.count))"
            let windows = try calibrationStream!.calibrationWindows(seqlen: seqlen, nsamples: nsamples, seed: drawSeed)
            let (g, x) = try CalibrationStatistics.compute(model: weights, windows: windows) {
                ProgressLine.show("\(tag): \($0)", done: $1)
            }
            return BundleWriter.Draw(seed: drawSeed, windows: windows, corpusPath: data, gradients: g, activations: x)
        }
        var writer = BundleWriter(
            model: modelPath,
            modelDirectoryAsGiven: Self.relativePath(from: URL(fileURLWithPath: out).deletingLastPathComponent(), to: modelURL),
            config: weights.config, seqlen: seqlen,
            calibration: .init(windows: calibration, corpusPath: data, seed: seed),
            evaluation: .init(windows: evaluation, corpusPath: evalData),
            test: test.map { .init(windows: $0, corpusPath: testData!) },
            validation: validation.map { .init(windows: $0.0, corpusPath: $0.1) },
            gradients: gradients, activations: activations, gradientsAsFloat16: gFloat16)
        writer.validationDraws = draws
        let outURL = URL(fileURLWithPath: out)
        try writer.write(to: outURL, replace: force)
        log(String(format: "wrote %@ in %.1f s", out, Date().timeIntervalSince(start)))
        print("bundle \(out)\nidentity \(try BundleIdentity.of(directory: outURL))")
    }

    static func calibrationWindows(_ stream: TokenStream, seqlen: Int, nsamples: Int, seed: Int?,
                                   offsets: String?) throws -> Windows {
        if let offsets {
            let parsed = try CalibrationOffsets.parse(offsets)
            guard parsed.count == nsamples else {
                throw ValidationError("--calib-offsets has \(parsed.count) offsets, --nsamples says \(nsamples)")
            }
            return try stream.calibrationWindows(seqlen: seqlen, offsets: parsed)
        }
        return try stream.calibrationWindows(seqlen: seqlen, nsamples: nsamples, seed: seed ?? 0)
    }

    /// The model directory as seen from the bundle's parent, so a bundle and model that move together (e.g. in one
    /// checkout) keep finding each other; absolute when they share nothing but the root.
    static func relativePath(from base: URL, to target: URL) -> String {
        let from = base.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        let to = target.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        var common = 0
        while common < min(from.count, to.count) && from[common] == to[common] { common += 1 }
        guard common > 1 else { return target.standardizedFileURL.path }
        // Relative to the bundle directory itself (one level below `base`), as CalibratedBundle resolves it.
        let ups = Array(repeating: "..", count: from.count - common + 1)
        return (ups + to[common...]).joined(separator: "/")
    }

    private func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
