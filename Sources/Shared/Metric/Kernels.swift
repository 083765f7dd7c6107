import Foundation

/// The elementwise kernels and whole-tensor statistics behind `MetricEvaluator`, over raw Float buffers. Each
/// operator's loop is its row in OperatorTable.swift; here are the dispatch, the broadcasting and the statistics.
///
/// Every kernel reads element i before writing element i, so a destination may alias a source. Loops are plain so
/// the compiler vectorises the arithmetic ones; transcendental ones call libm per element.  A row's kernel is one
/// indirect call per tile and instruction (a tile holds up to 16 K elements), the loop inside it as before.
enum Kernels {
    /// A whole-tensor scalar an elementwise step needs, computed before the step runs.
    enum Statistic {
        case none
        /// mms: (x − low) / range.
        case minMax(low: Float, range: Float)
        /// zsn: (x − mean) / std.
        case moments(mean: Float, std: Float)
        /// div: x / scale.
        case scale(Float)
        /// coln: each column's Σ |x| (LineNormalisation.swift).
        case columnSums([Float])
        /// A degenerate mms/zsn (constant operand, or NaN in it): every element is NaN.
        case undefined
    }

    /// `y = op(x)` over `count` elements, whole rows of `cols`.
    static func unary(_ op: UnaryOperator, _ statistic: Statistic,
                      _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int, cols: Int) {
        op.row.kernel(statistic, x, y, n, cols)
    }

    /// `y = op(a, b)` over a (rows, cols) destination; a row operand is broadcast down the rows.
    static func binary(_ op: BinaryOperator, _ statistic: Statistic,
                       _ a: UnsafePointer<Float>, _ aIsRow: Bool, _ b: UnsafePointer<Float>, _ bIsRow: Bool,
                       _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        if !aIsRow && !bIsRow { return elementwise(op, statistic, a, b, y, count: rows * cols) }
        for r in 0..<rows {
            elementwise(op, statistic, aIsRow ? a : a + r * cols, bIsRow ? b : b + r * cols, y + r * cols, count: cols)
        }
    }

    private static func elementwise(_ op: BinaryOperator, _ statistic: Statistic, _ a: UnsafePointer<Float>,
                                    _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        op.row.kernel(statistic, a, b, y, n)
    }

    /// Σ x², accumulated in Float64 (eight lanes, so the loop vectorises).
    static func sumOfSquares(_ x: UnsafePointer<Float>, count n: Int) -> Double {
        var lanes = SIMD8<Double>()
        var i = 0
        while i + 8 <= n {
            let v = SIMD8<Double>(SIMD8<Float>(UnsafeBufferPointer(start: x + i, count: 8)))
            lanes += v * v
            i += 8
        }
        var total = lanes.sum()
        while i < n { let v = Double(x[i]); total += v * v; i += 1 }
        return total
    }

    /// min and max, exactly; NaN anywhere or a zero range is `.undefined`.
    static func minMax(_ x: UnsafePointer<Float>, count n: Int) -> Statistic {
        // Sixteen lanes of running min/max; a NaN fails both comparisons, so it is caught by `x != x` instead.
        var low = SIMD16<Float>(repeating: .infinity), high = SIMD16<Float>(repeating: -.infinity)
        var nan = SIMDMask<SIMD16<Float>.MaskStorage>(repeating: false)
        var i = 0
        while i + 16 <= n {
            let v = SIMD16<Float>(UnsafeBufferPointer(start: x + i, count: 16))
            low.replace(with: v, where: v .< low)
            high.replace(with: v, where: v .> high)
            nan .|= v .!= v
            i += 16
        }
        var lo = low.min(), hi = high.max(), sawNaN = any(nan)
        while i < n {
            let v = x[i]
            sawNaN = sawNaN || v.isNaN
            if v < lo { lo = v }
            if v > hi { hi = v }
            i += 1
        }
        let range = hi - lo
        return sawNaN || range == 0 ? .undefined : .minMax(low: lo, range: range)
    }

    /// Mean and unbiased standard deviation, two passes in Float64; NaN or a zero std is `.undefined`.
    static func moments(_ x: UnsafePointer<Float>, count n: Int) -> Statistic {
        guard n > 1 else { return .undefined }
        let mean = sum(x, count: n, shift: 0, squared: false) / Double(n)
        let std = (sum(x, count: n, shift: mean, squared: true) / Double(n - 1)).squareRoot()
        return std.isNaN || std == 0 ? .undefined : .moments(mean: Float(mean), std: Float(std))
    }

    /// Σ (x − shift) or Σ (x − shift)², in eight Float64 lanes.
    private static func sum(_ x: UnsafePointer<Float>, count n: Int, shift: Double, squared: Bool) -> Double {
        var lanes = SIMD8<Double>()
        let s = SIMD8<Double>(repeating: shift)
        var i = 0
        while i + 8 <= n {
            let d = SIMD8<Double>(SIMD8<Float>(UnsafeBufferPointer(start: x + i, count: 8))) - s
            lanes += squared ? d * d : d
            i += 8
        }
        var total = lanes.sum()
        while i < n { let d = Double(x[i]) - shift; total += squared ? d * d : d; i += 1 }
        return total
    }
}
