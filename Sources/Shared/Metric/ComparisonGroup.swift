/// Which metric values compete with each other when a mask is chosen.
///
/// - `row`: each output row (one output's weights) keeps its own ⌊in·ratio⌋ lowest entries — Wanda's and
///   Pruner-Zero's rule (REFERENCE-SEMANTICS.md rule 3), and the default for every metric.
/// - `layer`: the whole (out, in) matrix is thresholded at once — t = sorted(metric)[⌊numel·ratio⌋], prune every
///   value ≤ t — as the reference's magnitude baseline (rule 5) and RIA's official unstructured default do.
///
/// N:M patterns have their own group (M consecutive inputs of a row) and refuse `layer`. The group is part of what
/// a rank-canonical form may assume: a positive per-row factor cannot change a per-row mask, but can a per-layer one.
package enum ComparisonGroup: UInt8, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case row = 0
    case layer = 1

    /// `row` or `layer` (the command line's spelling), or nil.
    package init?(argument: String) {
        guard let group = Self.allCases.first(where: { $0.description == argument }) else { return nil }
        self = group
    }

    package var description: String {
        switch self {
        case .row: "row"
        case .layer: "layer"
        }
    }
}
