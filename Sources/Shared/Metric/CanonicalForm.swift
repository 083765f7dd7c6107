/// Canonical forms and a stable structural hash, for recognising duplicates before spending an evaluation.
///
/// - `canonical`: the exact-level simplification with the operands of `add` and `mul` in a fixed order. Two
///   expressions with the same canonical form compute the same values (up to Float32 rounding, see `Simplifier`).
/// - `rankCanonical(for:)`: additionally strips what no ranking within the comparison group can see. Pruning keeps or drops weights by the
///   order of metric values within each output row, so a strictly increasing map applied to the whole metric, or a
///   positive constant factor, never changes a mask. Two expressions with the same rank-canonical form prune
///   identically, in real arithmetic; in Float32 a transform can merge values that differ by less than its
///   rounding (e.g. `sqr` underflowing two tiny values to 0), which changes a mask only among such near-ties.
extension MetricExpression {
    /// Simplified (exact level) with commutative operands sorted.
    package var canonical: MetricExpression {
        Simplifier(level: .exact).simplify(self).sortingCommutativeOperands()
    }

    /// The canonical form of the simplest expression known to induce the same per-row pruning masks.
    package var rankCanonical: MetricExpression { rankCanonical(for: .row) }

    /// The canonical form of the simplest expression known to induce the same masks when values compete within
    /// `group`: a per-row factor at the root (`rown`) is invisible per row, not per layer.
    package func rankCanonical(for group: ComparisonGroup) -> MetricExpression {
        let simplifier = Simplifier(level: .exact)
        var current = simplifier.simplify(self).sortingCommutativeOperands()
        // Each pass removes at least one node or stops, so nodeCount bounds the passes.
        for _ in 0...current.nodeCount {
            let next = simplifier.simplify(current.strippingRankPreservingRoot(group)).sortingCommutativeOperands()
            if next == current { break }
            current = next
        }
        return current
    }

    /// A 64-bit FNV-1a hash of the canonical text, as 16 hex digits: the same on every machine and build.
    package var structuralHash: String {
        var hash = FNV1a()
        hash.add(canonical.description.utf8)
        return hash.hex
    }

    /// Operands of `add`/`mul` ordered by their text (children first, so the order is canonical all the way down).
    func sortingCommutativeOperands() -> MetricExpression {
        switch self {
        case .terminal: return self
        case .unary(let op, let x): return .unary(op, x.sortingCommutativeOperands())
        case .binary(let op, let a, let b):
            let (sa, sb) = (a.sortingCommutativeOperands(), b.sortingCommutativeOperands())
            if op.isCommutative && sb.description < sa.description { return .binary(op, sb, sa) }
            return .binary(op, sa, sb)
        }
    }

    /// Removes one layer of rank-preserving transform at the root, if there is one:
    /// - `skp`, `mms`, `zsn`, `div(·, y)` (rank `.preserved` in their rows): positive affine maps of the whole tensor (NaN in degenerate cases, where
    ///   both forms give an arbitrary mask that the pruning pre-flight rejects);
    /// - `rown` (`.preservedWithinRows`): a positive factor per output row (1/Σ_row|x|, or 0 = x on an all-zero
    ///   row), removed only when `group` is `.row`; `coln` is a factor per column and changes row and layer masks;
    /// - `sqrt`, `sqr`, `pow`, `log` (`.byMagnitude`): strictly increasing in |x|, so they become `abs(x)` (simplified to `x` when
    ///   x ≥ 0); `mul(x, x)` is `sqr(x)`, `add(x, x)` is 2x;
    /// - positive constant factors anywhere along positively homogeneous paths (`droppingPositiveScales`).
    /// Every rule but `rown`'s is a map of the whole tensor that preserves its global order, so it holds for both
    /// groups.
    /// Not stripped, and why: `exp` is clamped at 100 (flat above it), `tanh` saturates to ±1 in Float32 for
    /// |x| > 9, `neg` reverses the order, `abs` of a signed value folds it.
    func strippingRankPreservingRoot(_ group: ComparisonGroup = .row) -> MetricExpression {
        let unscaled = droppingPositiveScales()
        if unscaled != self { return unscaled }
        switch self {
        case .unary(let op, let x) where op.row.rankAtRoot == .preserved: return x
        case .unary(let op, let x) where op.row.rankAtRoot == .preservedWithinRows && group == .row: return x
        case .binary(let op, let x, _) where op.row.rankAtRoot == .preserved: return x
        case .unary(let op, let x) where op.row.rankAtRoot == .byMagnitude: return .unary(.abs, x)
        case .binary(.mul, let a, let b) where a == b:
            return .unary(.abs, a)
        case .binary(.add, let a, let b) where a == b:
            return a
        default:
            return self
        }
    }
}
