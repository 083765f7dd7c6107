import ArgumentParser
import Dataset

/// The command-line face of windowing, for any subcommand that calibrates or evaluates (`@OptionGroup var windows:
/// WindowOptions`). Defaults follow the reference: 128 calibration windows, seed 0; seqlen defaults to the model's
/// context length, which only the caller knows.
struct WindowOptions: ParsableArguments {
    @Option(help: "Tokens per window (default: the model's context length).")
    var seqlen: Int?

    @Option(help: "Number of calibration windows.")
    var nsamples = 128

    @Option(help: "Seed of the calibration offsets (Python's random.seed, as the reference).")
    var seed = 0

    @Option(name: .customLong("calib-offsets"), help: ArgumentHelp(
        "Explicit calibration window starts, comma-separated (overrides --nsamples and --seed).",
        valueName: "a,b,…"))
    var calibOffsets: String?

    @Option(name: .customLong("eval-windows"), help: "Evaluate on at most this many windows (default: all).")
    var evalWindows: Int?

    func validate() throws {
        if let seqlen, seqlen <= 0 { throw ValidationError("--seqlen must be positive, got \(seqlen)") }
        if nsamples <= 0 { throw ValidationError("--nsamples must be positive, got \(nsamples)") }
        if let evalWindows, evalWindows <= 0 {
            throw ValidationError("--eval-windows must be positive, got \(evalWindows)")
        }
        if let calibOffsets {
            do { _ = try CalibrationOffsets.parse(calibOffsets) } catch { throw ValidationError("\(error)") }
        }
    }

    /// Calibration windows: the explicit offsets if given, else the reference's draw.
    func calibrationWindows(_ stream: TokenStream, modelSeqlen: Int) throws -> Windows {
        let length = seqlen ?? modelSeqlen
        if let calibOffsets {
            return try stream.calibrationWindows(seqlen: length, offsets: try CalibrationOffsets.parse(calibOffsets))
        }
        return try stream.calibrationWindows(seqlen: length, nsamples: nsamples, seed: seed)
    }

    func evaluationWindows(_ stream: TokenStream, modelSeqlen: Int) throws -> Windows {
        try stream.evaluationWindows(seqlen: seqlen ?? modelSeqlen, limit: evalWindows)
    }
}
