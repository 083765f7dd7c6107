/// The kernels of `rown` and `coln`: each row (or column) of the operand divided by the sum of its absolute values.
///
/// Semantics (README, "Metric language"): a row is one output's weights (W, G are (out, in)); a (1, in) row value
/// such as X is its own one-row tensor, as torch would see it, so `rown(X) = X / Σ_j |X_j|` and `coln(X)_j =
/// X_j / |X_j|` (the sign of X_j: every column of a row value has one element). A row or column whose sum is 0 is
/// all zeros and gives 0 (torch would give 0/0 = NaN); any other value follows IEEE: NaN in a line makes the
/// whole line NaN, ±∞ makes its finite entries 0 and its infinite ones NaN. Sums accumulate in Float64 and are
/// rounded to Float once; the division is Float, as torch's is.
/// Loops are explicit SIMD with unaligned loads and stores: building a SIMD vector from a buffer's elements does
/// not compile to one load, and these loops are memory-bound only once it does.
extension Kernels {
    @inline(__always)
    private static func load16(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD16<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    private static func absolute(_ v: SIMD8<Float>) -> SIMD8<Float> {
        v.replacing(with: -v, where: v .< 0)
    }

    /// Σ |x| over `n` elements, in eight Float64 lanes.
    static func absoluteSum(_ x: UnsafePointer<Float>, count n: Int) -> Double {
        var lanes = SIMD8<Double>()
        var i = 0
        while i + 8 <= n {
            lanes += SIMD8<Double>(absolute(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)))
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

    /// Per-column Σ |x| of a (rows, cols) operand, accumulated down the rows eight columns at a time, in Float64
    /// and rounded once.
    static func columnAbsSums(_ x: UnsafePointer<Float>, rows: Int, cols: Int) -> Statistic {
        let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: cols)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0)
        let s = UnsafeMutableRawPointer(sums.baseAddress!)
        for r in 0..<rows {
            let row = x + r * cols
            var c = 0
            while c + 8 <= cols {
                let v = SIMD8<Double>(absolute(UnsafeRawPointer(row + c).loadUnaligned(as: SIMD8<Float>.self)))
                let acc = s.loadUnaligned(fromByteOffset: c * 8, as: SIMD8<Double>.self)
                s.storeBytes(of: acc + v, toByteOffset: c * 8, as: SIMD8<Double>.self)
                c += 8
            }
            while c < cols { sums[c] += Swift.abs(Double(row[c])); c += 1 }
        }
        return .columnSums(sums.map { Float($0) })
    }

    /// coln over whole rows of `sums.count` columns, from the column sums of the complete operand.
    static func columnNormalise(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int,
                                sums: [Float]) {
        let cols = sums.count
        sums.withUnsafeBufferPointer { s in
            let d = s.baseAddress!
            for start in stride(from: 0, to: n, by: cols) {
                let (row, out) = (x + start, UnsafeMutableRawPointer(y + start))
                var c = 0
                while c + 16 <= cols {
                    let divisor = load16(d, c)
                    var q = load16(row, c) / divisor
                    q.replace(with: 0, where: divisor .== 0)
                    out.storeBytes(of: q, toByteOffset: c * 4, as: SIMD16<Float>.self)
                    c += 16
                }
                while c < cols { y[start + c] = d[c] == 0 ? 0 : row[c] / d[c]; c += 1 }
            }
        }
    }

    /// y = x / sum, or 0 throughout when the sum is 0 (then every x is ±0).
    @inline(__always)
    private static func divide(_ x: UnsafePointer<Float>, by sum: Float, into y: UnsafeMutablePointer<Float>, count n: Int) {
        if sum == 0 { y.update(repeating: 0, count: n); return }
        let divisor = SIMD16<Float>(repeating: sum), out = UnsafeMutableRawPointer(y)
        var i = 0
        while i + 16 <= n {
            out.storeBytes(of: load16(x, i) / divisor, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] = x[i] / sum; i += 1 }
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
