/// What a worker is asked to measure for one metric: how to prune, how to feed activations, on which windows.
/// The same request for two metrics gives paired, comparable perplexities.
package struct FitnessRequest: Sendable, Hashable, Codable {
    package var sparsity: SparsitySpec
    package var xMode: XMode
    package var windows: WindowSet
    /// How the target is spread over decoder blocks (OWL needs unstructured sparsity). Since protocol version 3.
    package var layerSparsity: LayerSparsity
    /// What prunes: the job's metric, or a reference baseline named here (its metric text is then only a label).
    /// Since protocol version 3.
    package var method: FitnessMethod
    /// Which metric values compete for a mask: each output row, or the whole layer (unstructured only). Since
    /// protocol version 3.
    package var group: ComparisonGroup
    /// How many of the fitness windows the cheap screen runs (always the first ones, so a screen's windows are
    /// the first of a full evaluation's); nil: the bundle's default, a quarter of them. A search's setting, sent
    /// with its cheap jobs and with its full ones (whose screen reuse skips these windows); a worker refuses a
    /// count its bundle cannot supply. Since protocol version 5.
    package var screenWindows: Int?

    package init(sparsity: SparsitySpec, xMode: XMode = .sequential, windows: WindowSet,
                 layerSparsity: LayerSparsity = .uniform, method: FitnessMethod = .metric, group: ComparisonGroup = .row,
                 screenWindows: Int? = nil) {
        self.sparsity = sparsity
        self.xMode = xMode
        self.windows = windows
        self.layerSparsity = layerSparsity
        self.method = method
        self.group = group
        self.screenWindows = screenWindows
    }

    /// The same request on another window set (multi-fidelity promotion, final test).
    package func on(_ windows: WindowSet) -> FitnessRequest {
        var copy = self
        copy.windows = windows
        return copy
    }
}

/// Which weights are pruned: a fraction of each output row, or N of every M consecutive inputs.
package enum SparsitySpec: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 0 ≤ ratio < 1.
    case unstructured(ratio: Double)
    /// 0 < n < m ≤ 64 (e.g. 2:4).
    case nOfM(n: Int, m: Int)

    /// Parses the command line's `--type unstructured|N:M` with `--sparsity RATIO` (ignored for N:M).
    package init(type: String, ratio: Double) throws(ProtocolError) {
        if type == "unstructured" {
            guard ratio >= 0, ratio < 1 else {
                throw ProtocolError(offset: 0, .badValue(field: "sparsity", detail: "\(ratio) is not in [0, 1)"))
            }
            self = .unstructured(ratio: ratio)
            return
        }
        let parts = type.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let n = Int(parts[0]), let m = Int(parts[1]), n > 0, m > n, m <= 64 else {
            throw ProtocolError(offset: 0, .badValue(
                field: "type", detail: "'\(type)' is neither 'unstructured' nor N:M with 0 < N < M ≤ 64"))
        }
        self = .nOfM(n: n, m: m)
    }

    package var description: String {
        switch self {
        case .unstructured(let ratio): "unstructured \(ratio)"
        case .nOfM(let n, let m): "\(n):\(m)"
        }
    }
}

/// How the activation statistic X is collected: layer by layer through the already-pruned model (`sequential`, as
/// Wanda and SparseGPT do) or once from the dense model (`static`, cheaper).
package enum XMode: UInt8, Sendable, Hashable, Codable, CaseIterable {
    case sequential = 0
    case `static` = 1
}

/// Whether a job prunes with its metric (every search individual) or runs a reference baseline that is not a
/// metric of the language: SparseGPT updates the weights it keeps, so it is a reference line, never bred.
package enum FitnessMethod: UInt8, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case metric = 0
    case sparsegpt = 1

    package var description: String {
        switch self {
        case .metric: "metric"
        case .sparsegpt: "sparsegpt"
        }
    }
}

/// Evaluation windows: a cheap subset for screening, the full set every population member is ranked on, the
/// validation set the search's finalists are ranked on (never searched on), and the held-out test set the chosen
/// metric and the baselines are measured on once at the end.
package enum WindowSet: UInt8, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case cheap = 0
    case full = 1
    case test = 2
    /// Since bundles made with `calibrate --validation-windows`; a worker on an older bundle fails such a job.
    case validation = 3

    package var description: String {
        switch self {
        case .cheap: "cheap"
        case .full: "full"
        case .test: "test"
        case .validation: "validation"
        }
    }

    /// The held-out sets, evaluated only after evolution.
    package var isHeldOut: Bool { self == .test || self == .validation }

    /// The sets a screen size describes (`FitnessRequest.screenWindows`): the cheap windows, and the full ones
    /// whose screen reuse skips them.
    package var carriesScreenSize: Bool { !isHeldOut }
}

extension FitnessRequest {
    func encode(into w: inout WireWriter) {
        switch sparsity {
        case .unstructured(let ratio): w.u8(0); w.f64(ratio)
        case .nOfM(let n, let m): w.u8(1); w.u8(UInt8(clamping: n)); w.u8(UInt8(clamping: m))
        }
        w.u8(xMode.rawValue)
        w.u8(windows.rawValue)
        layerSparsity.encode(into: &w)
        w.u8(method.rawValue)
        w.u8(group.rawValue)
        w.u16(UInt16(clamping: screenWindows ?? 0))  // 0: the bundle's default
    }

    init(from r: inout WireReader) throws(ProtocolError) {
        let at = r.offset
        switch try r.u8("sparsity kind") {
        case 0:
            let ratio = try r.f64("sparsity ratio")
            guard ratio >= 0, ratio < 1 else {
                throw ProtocolError(offset: at + 1, .badValue(field: "sparsity ratio", detail: "\(ratio) not in [0, 1)"))
            }
            sparsity = .unstructured(ratio: ratio)
        case 1:
            let n = Int(try r.u8("N")), m = Int(try r.u8("M"))
            guard n > 0, m > n, m <= 64 else {
                throw ProtocolError(offset: at + 1, .badValue(field: "N:M", detail: "\(n):\(m) needs 0 < N < M ≤ 64"))
            }
            sparsity = .nOfM(n: n, m: m)
        case let kind:
            throw ProtocolError(offset: at, .badValue(field: "sparsity kind", detail: "unknown tag \(kind)"))
        }
        let xAt = r.offset
        guard let x = XMode(rawValue: try r.u8("X mode")) else {
            throw ProtocolError(offset: xAt, .badValue(field: "X mode", detail: "unknown tag"))
        }
        let wAt = r.offset
        guard let windows = WindowSet(rawValue: try r.u8("window set")) else {
            throw ProtocolError(offset: wAt, .badValue(field: "window set", detail: "unknown tag"))
        }
        xMode = x
        self.windows = windows
        let layersAt = r.offset
        layerSparsity = try LayerSparsity(from: &r)
        if case .owl = layerSparsity, case .nOfM = sparsity {
            throw ProtocolError(offset: layersAt, .badValue(
                field: "layer sparsity", detail: "\(LayerSparsityError.needsUnstructured(sparsity.description))"))
        }
        let methodAt = r.offset
        guard let method = FitnessMethod(rawValue: try r.u8("method")) else {
            throw ProtocolError(offset: methodAt, .badValue(field: "method", detail: "unknown tag"))
        }
        // SparseGPT's Hessians come from each block's inputs through the pruned earlier blocks (the official code).
        if method == .sparsegpt && x != .sequential {
            throw ProtocolError(offset: methodAt, .badValue(field: "method", detail: "sparsegpt needs sequential X"))
        }
        self.method = method
        let gAt = r.offset
        guard let group = ComparisonGroup(rawValue: try r.u8("comparison group")) else {
            throw ProtocolError(offset: gAt, .badValue(field: "comparison group", detail: "unknown tag"))
        }
        if group == .layer, case .nOfM = sparsity {
            throw ProtocolError(offset: gAt, .badValue(field: "comparison group", detail: "N:M patterns compare within their groups"))
        }
        self.group = group
        let screenAt = r.offset
        switch try r.u16("screen windows") {
        case 0: screenWindows = nil
        case let count:
            guard windows.carriesScreenSize else {
                throw ProtocolError(offset: screenAt, .badValue(
                    field: "screen windows", detail: "\(count) screen windows on a \(windows)-window request"))
            }
            screenWindows = Int(count)
        }
    }
}
