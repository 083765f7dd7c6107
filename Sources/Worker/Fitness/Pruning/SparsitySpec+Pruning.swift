import Shared

/// How many weights a row loses under a sparsity spec (the wire's `SparsitySpec`, shared with the coordinator).
extension SparsitySpec {
    /// Weights pruned in a row of `cols` inputs: Python's `int(in * ratio)` for unstructured (int(100 * 0.29) = 28),
    /// N per group of M for N:M.
    func prunedPerRow(cols: Int) -> Int {
        switch self {
        case .unstructured(let ratio): Int(Double(cols) * ratio)
        case .nOfM(let n, let m): cols / m * n
        }
    }
}

/// What can go wrong when pruning a layer.
package enum PruningError: Error, Equatable, CustomStringConvertible {
    case shapeMismatch(layer: String, expected: [Int], found: [Int])
    case groupDoesNotDivide(layer: String, cols: Int, m: Int)
    /// A per-layer comparison group asked of an N:M pattern (whose group is M inputs of a row).
    case layerGroupNeedsUnstructured(String)

    package var description: String {
        switch self {
        case .shapeMismatch(let layer, let expected, let found): "\(layer): expected shape \(expected), found \(found)"
        case .groupDoesNotDivide(let layer, let cols, let m): "\(layer): \(cols) inputs are not a multiple of M = \(m)"
        case .layerGroupNeedsUnstructured(let pattern):
            "the comparison group 'layer' needs unstructured sparsity: \(pattern) compares within its groups of M inputs"
        }
    }
}
