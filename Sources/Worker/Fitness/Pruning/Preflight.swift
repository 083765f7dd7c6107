/// Cheap checks on a layer's metric values before any forward pass, so hopeless metrics fail in milliseconds.
///
/// A metric with NaN or ±Inf cannot be ranked meaningfully (the reference would sort NaN last and carry on); a
/// metric that is constant along every row leaves the mask to tie-breaking, i.e. "prune the first columns", which
/// says nothing about the metric. Both are reported so the worker can refuse them with a clear reason.
struct PreflightReport: Equatable {
    let rows: Int
    let cols: Int
    /// Entries that are NaN or ±Inf.
    let nonFinite: Int
    /// Rows whose entries are all equal.
    let constantRows: Int

    enum Verdict: Equatable {
        case usable
        case nonFinite(count: Int)
        /// Every row constant: the mask would be decided by column order alone.
        case rowConstant
    }

    var verdict: Verdict {
        if nonFinite > 0 { return .nonFinite(count: nonFinite) }
        if constantRows == rows { return .rowConstant }
        return .usable
    }

    init(metric: UnsafeBufferPointer<Float>, rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
        var nonFinite = 0, constantRows = 0
        for r in 0..<rows {
            let row = metric.baseAddress! + r * cols
            let first = row[0]
            var constant = true
            for c in 0..<cols {
                let v = row[c]
                if !v.isFinite { nonFinite += 1 }
                if v != first { constant = false }
            }
            // NaN != NaN, so a row holding NaN is never counted constant; it is counted non-finite instead.
            if constant { constantRows += 1 }
        }
        self.nonFinite = nonFinite
        self.constantRows = constantRows
    }
}
