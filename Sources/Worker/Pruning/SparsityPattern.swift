/// Which weights a pruning pass may remove: a fraction of every output row, or N of every M consecutive inputs.
enum SparsityPattern: Hashable, CustomStringConvertible {
    /// In every output row, prune ⌊ratio · in⌋ weights (Python's `int(in * ratio)`), 0 ≤ ratio < 1.
    case unstructured(ratio: Double)
    /// In every group of `m` consecutive inputs of a row, prune `n` (e.g. 2:4, 4:8); `in` must be a multiple of m.
    case nOfM(n: Int, m: Int)

    /// Parses `unstructured` (with `ratio`), or `N:M`.
    init(type: String, ratio: Double) throws {
        if type == "unstructured" {
            guard ratio >= 0, ratio < 1 else { throw PruningError.badPattern("sparsity \(ratio) is not in [0, 1)") }
            self = .unstructured(ratio: ratio)
            return
        }
        let parts = type.split(separator: ":")
        guard parts.count == 2, let n = Int(parts[0]), let m = Int(parts[1]), n > 0, m > n, m <= 64 else {
            throw PruningError.badPattern("'\(type)' is neither 'unstructured' nor N:M with 0 < N < M ≤ 64")
        }
        self = .nOfM(n: n, m: m)
    }

    /// Weights pruned in a row of `cols` inputs.
    func prunedPerRow(cols: Int) -> Int {
        switch self {
        // Double(cols) * ratio truncated, exactly as Python's int(W.shape[1] * ratio): int(100 * 0.29) = 28.
        case .unstructured(let ratio): Int(Double(cols) * ratio)
        case .nOfM(let n, let m): cols / m * n
        }
    }

    var description: String {
        switch self {
        case .unstructured(let ratio): "unstructured \(ratio)"
        case .nOfM(let n, let m): "\(n):\(m)"
        }
    }
}

/// What can go wrong when pruning a layer.
enum PruningError: Error, Equatable, CustomStringConvertible {
    case badPattern(String)
    case shapeMismatch(layer: String, expected: [Int], found: [Int])
    case groupDoesNotDivide(layer: String, cols: Int, m: Int)

    var description: String {
        switch self {
        case .badPattern(let why): "pruning pattern: \(why)"
        case .shapeMismatch(let layer, let expected, let found): "\(layer): expected shape \(expected), found \(found)"
        case .groupDoesNotDivide(let layer, let cols, let m): "\(layer): \(cols) inputs are not a multiple of M = \(m)"
        }
    }
}
