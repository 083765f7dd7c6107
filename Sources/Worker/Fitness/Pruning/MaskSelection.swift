import Model
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
    /// Rows are independent, so they are split over the cores (`Parallel.chunked`): each range of rows writes only
    /// its own mask words, and a row's selection does not depend on the split, so the mask is the same bits on any
    /// core count. Every pre-flight and every sequential-X block computes one mask per linear, and this selection
    /// (not the metric) was most of that time.
    static func mask(metric: UnsafeBufferPointer<Float>, rows: Int, cols: Int,
                     pattern: SparsitySpec) -> PruningMask {
        var mask = PruningMask(rows: rows, cols: cols)
        let wordsPerRow = mask.wordsPerRow
        // Rows per range: enough values that a hand-off to another core pays for itself.
        let grain = max(1, (1 << 15) / max(1, cols))
        switch pattern {
        case .unstructured:
            let k = pattern.prunedPerRow(cols: cols)
            guard k > 0 else { return mask }
            fillRows(&mask, grain: grain) { range, words in
                let keys = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: cols)
                defer { keys.deallocate() }
                for r in range {
                    let row = metric.baseAddress! + r * cols
                    for c in 0..<cols { keys[c] = SortKey.key(row[c], column: c) }
                    Selection.partitionSmallest(keys, count: k)
                    let out = words + r * wordsPerRow
                    for i in 0..<k { Self.set(out, column: Int(UInt32(truncatingIfNeeded: keys[i]))) }
                }
            }
        case .nOfM(let n, let m):
            fillRows(&mask, grain: grain) { range, words in
                var group = [UInt64](repeating: 0, count: m)
                for r in range {
                    let row = metric.baseAddress! + r * cols
                    let out = words + r * wordsPerRow
                    for start in stride(from: 0, to: cols - cols % m, by: m) {
                        for j in 0..<m { group[j] = SortKey.key(row[start + j], column: start + j) }
                        group.sort()
                        for key in group.prefix(n) { Self.set(out, column: Int(UInt32(truncatingIfNeeded: key))) }
                    }
                }
            }
        }
        return mask
    }

    /// Calls `body` on ranges of the mask's rows over the cores, with its words (each range writes only its rows').
    private static func fillRows(_ mask: inout PruningMask, grain: Int,
                                 _ body: (Range<Int>, UnsafeMutablePointer<UInt64>) -> Void) {
        let rows = mask.rows
        mask.withUnsafeMutableWords { words in
            Parallel.chunked(rows, grain: grain) { range in body(range, words.baseAddress!) }
        }
    }

    /// Marks `column` pruned in a row whose words start at `row`.
    @inline(__always)
    private static func set(_ row: UnsafeMutablePointer<UInt64>, column: Int) {
        row[column >> 6] |= 1 << UInt64(column & 63)
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
