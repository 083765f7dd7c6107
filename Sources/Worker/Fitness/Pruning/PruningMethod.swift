import Shared

/// How a fitness evaluation chooses weights to prune.
package enum PruningMethod: CustomStringConvertible {
    /// A symbolic metric over W, G, X (Pruner-Zero's search space; wanda is `mul(W, sqrt(X))`).
    case metric(MetricExpression)
    /// The reference's magnitude pruning: one |W| threshold per matrix (unstructured), or |W| per N:M group.
    case magnitude
    /// SparseGPT (Frantar & Alistarh 2023): masks chosen and the remaining weights updated from each linear's
    /// calibration Hessian (SparseGPT.swift). Not a metric: it changes weights, so it is a reference line only.
    case sparsegpt

    /// Wanda (Sun et al. 2023): |W| · sqrt(scaler_row), per output row — exactly this metric in our language.
    package static let wanda = PruningMethod.metric(.binary(.mul, .terminal(.W), .unary(.sqrt, .terminal(.X))))
    /// The metric Pruner-Zero published (its data/best_tree.json).
    package static let paper = PruningMethod.metric(.binary(.mul, .unary(.abs, .binary(.mul, .terminal(.W), .terminal(.W))),
                                                    .unary(.mms, .terminal(.G))))

    /// RIA (Zhang et al. 2024, "Plug-and-Play"), as its official code computes it (lib/prune.py, `prune_ria`):
    /// (|W| / Σ_dim0 |W| + |W| / Σ_dim1 |W|) · sqrt(scaler_row)^a with a = 0.5 — relative importance over the
    /// column and over the row, times scaler_row^¼. Its official unstructured default thresholds the whole layer
    /// (`officialGroup(named: "ria")`); `--per_outneuron` is the per-row rule.
    package static let ria = PruningMethod.metric(
        .binary(.mul, .binary(.add, .unary(.coln, .terminal(.W)), .unary(.rown, .terminal(.W))),
                .unary(.sqrt, .unary(.sqrt, .terminal(.X)))))

    /// Every named baseline, in the order `baselines` and help texts list them.
    package static let baselineNames = ["magnitude", "wanda", "paper", "ria", "sparsegpt"]

    /// The baseline called `name` (`magnitude`, `wanda`, `paper` or `pruner-zero`, `ria`, `sparsegpt`), or nil.
    package static func baseline(named name: String) -> PruningMethod? {
        switch name {
        case "magnitude": .magnitude
        case "wanda": .wanda
        case "ria": .ria
        case "paper", "pruner-zero": .paper
        case "sparsegpt": .sparsegpt
        default: nil
        }
    }

    /// The comparison group a named baseline's official code uses: the whole layer for magnitude (the reference's
    /// rule 5) and RIA (its unstructured default); per row for the others and for any formula.
    package static func officialGroup(named name: String) -> ComparisonGroup {
        name == "magnitude" || name == "ria" ? .layer : .row
    }

    /// The group a request without one uses: magnitude's per-layer threshold, else per row.
    package var defaultGroup: ComparisonGroup {
        if case .magnitude = self { return .layer }
        return .row
    }

    /// A baseline's name, or a formula.
    package init(parsing text: String, limits: MetricLimits = .standard) throws {
        self = try Self.baseline(named: text) ?? .metric(MetricExpression(parsing: text, limits: limits))
    }

    /// Whether masks depend on activation statistics (else no calibration pass is needed).
    package var readsX: Bool {
        if case .metric(let e) = self { return e.terminals.contains(.X) }
        return false
    }

    /// Whether each block needs its calibration inputs (through the pruned earlier blocks) for its Hessians.
    package var readsHessian: Bool {
        if case .sparsegpt = self { return true }
        return false
    }

    package var readsG: Bool {
        if case .metric(let e) = self { return e.terminals.contains(.G) }
        return false
    }

    package var description: String {
        switch self {
        case .metric(let e): e.description
        case .magnitude: "magnitude"
        case .sparsegpt: "sparsegpt"
        }
    }
}
