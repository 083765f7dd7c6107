/// The kernels of `rown` and `coln`: each row (or column) of the operand divided by the sum of its absolute values.
///
/// Semantics (README, "Metric language"): a row is one output's weights (W, G are (out, in)); a (1, in) row value
/// such as X is its own one-row tensor, as torch would see it, so `rown(X) = X / Σ_j |X_j|` and `coln(X)_j =
/// X_j / |X_j|` (the sign of X_j: every column of a row value has one element). A row or column whose sum is 0 is
/// all zeros and gives 0 (torch would give 0/0 = NaN); any other value follows IEEE: NaN in a line makes the
/// whole line NaN, ±∞ makes its finite entries 0 and its infinite ones NaN. Sums accumulate in Float64 and are
/// rounded to Float once; the division is Float, as torch's is.
extension Kernels {
    /// Σ |x| over `n` elements, in eight Float64 lanes.
    static func absoluteSum(_ x: UnsafePointer<Float>, count n: Int) -> Double {
        var lanes = SIMD8<Double>()
        var i = 0
        while i + 8 <= n {
            let v = SIMD8<Double>(SIMD8<Float>(UnsafeBufferPointer(start: x + i, count: 8)))
            lanes += v.replacing(with: -v, where: v .< 0)
            i += 8
        }
        var total = lanes.sum()
        while i < n { total += Swift.abs(Double(x[i])); i += 1 }
        return total
    }

    /// rown over whole rows: `count` is a multiple of `cols`. Reads a row's sum before writing it, so y may alias x.
    static func rowNormalise(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int, cols: Int) {
        for start in stride(from: 0, to: n, by: cols) {
            let sum = Float(absoluteSum(x + start, count: cols))
            divide(x + start, by: sum, into: y + start, count: cols)
        }
    }

    /// Per-column Σ |x| of a (rows, cols) operand, accumulated down the rows (the inner loop runs along a row,
    /// so it vectorises), in Float64 and rounded once.
    static func columnAbsSums(_ x: UnsafePointer<Float>, rows: Int, cols: Int) -> Statistic {
        var sums = [Double](repeating: 0, count: cols)
        sums.withUnsafeMutableBufferPointer { s in
            for r in 0..<rows {
                let row = x + r * cols
                for c in 0..<cols { s[c] += Swift.abs(Double(row[c])) }
            }
        }
        return .columnSums(sums.map { Float($0) })
    }

    /// coln over whole rows of `sums.count` columns, from the column sums of the complete operand.
    static func columnNormalise(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int,
                                sums: [Float]) {
        let cols = sums.count
        sums.withUnsafeBufferPointer { s in
            for start in stride(from: 0, to: n, by: cols) {
                for c in 0..<cols {
                    let v = x[start + c], d = s[c]
                    y[start + c] = d == 0 ? 0 : v / d
                }
            }
        }
    }

    /// y = x / sum, or 0 throughout when the sum is 0 (then every x is ±0).
    @inline(__always)
    private static func divide(_ x: UnsafePointer<Float>, by sum: Float, into y: UnsafeMutablePointer<Float>, count n: Int) {
        if sum == 0 { y.update(repeating: 0, count: n); return }
        for i in 0..<n { y[i] = x[i] / sum }
    }

    /// The Float64 twin of both: `x` holds rows of `cols`; `alongRows` divides by row sums, else by column sums.
    static func normaliseTwin(_ x: [Double], cols: Int, alongRows: Bool) -> [Double] {
        let rows = x.count / cols
        var sums = [Double](repeating: 0, count: alongRows ? rows : cols)
        for r in 0..<rows {
            for c in 0..<cols { sums[alongRows ? r : c] += Swift.abs(x[r * cols + c]) }
        }
        return x.indices.map { i in
            let sum = sums[alongRows ? i / cols : i % cols]
            return sum == 0 ? 0 : x[i] / sum
        }
    }
}
