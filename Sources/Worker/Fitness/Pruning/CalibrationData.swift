import Model
/// What a fitness evaluation needs besides the dense model, as a calibrated bundle provides it.
package struct CalibrationData {
    /// Tokens per window (T), for calibration and evaluation alike.
    package let seqlen: Int
    /// G per linear, keyed by `PrunableLinear.name(layer:)`: (out, in) row-major.
    package let gradients: GradientTable
    /// X of the dense model per linear (the `static` mode's X and the pre-flight's): (in).
    package let denseX: [String: [Float]]
    /// Calibration windows, (nsamples, T) flattened.
    package let calibrationTokens: [TokenID]
    /// Fitness windows, (n, T) flattened; a request may use the first k of them (the cheap fidelity).
    package let evaluationTokens: [TokenID]
    /// Held-out test windows, (m, T) flattened, for final reports; nil when the bundle has none.
    package var testTokens: [TokenID]? = nil
    /// Held-out validation windows, (v, T) flattened, on which a search ranks its finalists (disjoint from the
    /// fitness and test windows); nil when the bundle has none (bundles made before they existed).
    package var validationTokens: [TokenID]? = nil

    package var calibrationWindows: Int { calibrationTokens.count / seqlen }
    package var evaluationWindows: Int { evaluationTokens.count / seqlen }

    /// Windows a search scores children on first (the cheap fidelity) by default: the first quarter of the
    /// fitness windows, at least one. Always the first ones, so every worker uses the same and cheap scores are
    /// paired; a search may ask for another count (`screenWindows(_:)`).
    package var cheapWindows: Int { max(1, evaluationWindows / 4) }

    /// The cheap screen's window count for a request's `screenWindows` (nil: `cheapWindows`); a count outside
    /// 1 ... the fitness windows fails the job, saying why.
    package func screenWindows(_ requested: Int?) throws -> Int {
        guard let requested else { return cheapWindows }
        guard requested >= 1, requested <= evaluationWindows else {
            throw ScreenWindowsRefusal(requested: requested, available: evaluationWindows)
        }
        return requested
    }
}

/// A cheap screen asked for more windows than the bundle's fitness set has (or none).
package struct ScreenWindowsRefusal: Error, Equatable, CustomStringConvertible {
    package let requested: Int
    package let available: Int
    package var description: String {
        "a cheap screen of \(requested) windows was asked for; this bundle has \(available) fitness windows"
    }
}

/// G per linear. From a bundle it is read from the memory-mapped safetensors file one linear at a time, when a
/// metric asks for it: a 7B model's G is 13–26 GB, which held whole would not fit beside the model on a 24 GB node,
/// while one linear's is at most 180 MB. Tests and fixtures hold it in memory.
package struct GradientTable {
    private let file: SafeTensorsFile?
    private let values: [String: [Float]]

    package init(_ values: [String: [Float]]) {
        file = nil
        self.values = values
    }

    /// G read from `file` on demand (the bundle checks names and shapes when it opens).
    package init(file: SafeTensorsFile) {
        self.file = file
        values = [:]
    }

    /// G of linear `name` in Float32, or nil when there is none.
    package func values(of name: String) throws -> [Float]? {
        guard let file else { return values[name] }
        guard file.tensors[name] != nil else { return nil }
        return try file.float32(name)
    }
}
