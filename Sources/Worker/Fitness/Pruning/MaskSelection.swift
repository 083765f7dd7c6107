import Shared

/// Masks from metric values, by the reference's rules (REFERENCE-SEMANTICS.md rules 3–5):
/// - unstructured: per output row, the ⌊in·ratio⌋ entries first in a stable ascending sort (NaN last);
/// - N:M: in every group of M consecutive inputs of a row, the N lowest (ties: lower column first, NaN largest —
///   the reference's torch.topk leaves exact ties unspecified; this is the documented choice);
/// - magnitude, and any metric with `ComparisonGroup.layer`: one threshold per matrix, t = sorted(values)
///   [⌊numel·ratio⌋], prune every value ≤ t (RIA's official unstructured rule is this one, `W_metric <= thresh`).
/// Selection is linear-time per row (quickselect over `SortKey`s), not a sort.
enum MaskSelection {
    /// The mask a metric (rows, cols, row-major) induces under `pattern`.
    static func mask(metric: UnsafeBufferPointer<Float>, rows: Int, cols: Int,
                     pattern: SparsitySpec) -> PruningMask {
        var mask = PruningMask(rows: rows, cols: cols)
        switch pattern {
        case .unstructured:
            let k = pattern.prunedPerRow(cols: cols)
            guard k > 0 else { return mask }
            let keys = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: cols)
            defer { keys.deallocate() }
            for r in 0..<rows {
                let row = metric.baseAddress! + r * cols
                for c in 0..<cols { keys[c] = SortKey.key(row[c], column: c) }
                Selection.partitionSmallest(keys, count: k)
                for key in keys.prefix(k) { mask[r, Int(UInt32(truncatingIfNeeded: key))] = true }
            }
        case .nOfM(let n, let m):
            var group = [UInt64](repeating: 0, count: m)
            for r in 0..<rows {
                let row = metric.baseAddress! + r * cols
                for start in stride(from: 0, to: cols - cols % m, by: m) {
                    for j in 0..<m { group[j] = SortKey.key(row[start + j], column: start + j) }
                    group.sort()
                    for key in group.prefix(n) { mask[r, Int(UInt32(truncatingIfNeeded: key))] = true }
                }
            }
        }
        return mask
    }

    /// The reference's magnitude pruning of one matrix: prune every |w| ≤ the ⌊numel·ratio⌋-th smallest |w|
    /// (so ⌊numel·ratio⌋ + 1 entries plus ties: 50% of a 128×128 matrix prunes 8193).
    static func magnitudeMask(weights: UnsafeBufferPointer<Float>, rows: Int, cols: Int, ratio: Double) -> PruningMask {
        layerMask(rows: rows, cols: cols, ratio: ratio) { Swift.abs(weights[$0]) }
    }

    /// A metric thresholded over the whole matrix, by the same rule as magnitude: prune every value ≤ the
    /// ⌊numel·ratio⌋-th smallest (torch.sort order: NaN largest, so a NaN is pruned only if the threshold is NaN).
    static func layerMask(metric: UnsafeBufferPointer<Float>, rows: Int, cols: Int, ratio: Double) -> PruningMask {
        layerMask(rows: rows, cols: cols, ratio: ratio) { metric[$0] }
    }

    private static func layerMask(rows: Int, cols: Int, ratio: Double, value: (Int) -> Float) -> PruningMask {
        var mask = PruningMask(rows: rows, cols: cols)
        let count = rows * cols
        let index = Int(Double(count) * ratio)
        guard index < count else { return mask }
        let keys = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: count)
        defer { keys.deallocate() }
        for i in 0..<count { keys[i] = UInt64(SortKey.key(value(i))) }
        Selection.partitionSmallest(keys, count: index + 1)
        let threshold = keys.prefix(index + 1).max()!
        for r in 0..<rows {
            for c in 0..<cols where UInt64(SortKey.key(value(r * cols + c))) <= threshold {
                mask[r, c] = true
            }
        }
        return mask
    }
}
