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

    /// The baseline called `name` (`magnitude`, `wanda`, `paper` or `pruner-zero`, `sparsegpt`), or nil.
    package static func baseline(named name: String) -> PruningMethod? {
        switch name {
        case "magnitude": .magnitude
        case "wanda": .wanda
        case "paper", "pruner-zero": .paper
        case "sparsegpt": .sparsegpt
        default: nil
        }
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
