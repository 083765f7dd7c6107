import Foundation

/// The elementwise and reduction kernels behind `MetricEvaluator`, one per operator, over raw Float buffers.
///
/// Every kernel reads element i before writing element i, so a destination may alias a source. Loops are plain so
/// the compiler vectorises the arithmetic ones; transcendental ones call libm per element.
enum Kernels {
    static func unary(_ op: UnaryOperator, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        switch op {
        case .sqr, .pow: for i in 0..<n { y[i] = x[i] * x[i] }
        case .neg: for i in 0..<n { y[i] = -x[i] }
        case .abs: for i in 0..<n { y[i] = Swift.abs(x[i]) }
        case .log: for i in 0..<n { y[i] = Foundation.log(Swift.abs(x[i]) + 0.001) }
        // torch.clamp(max: 100) passes NaN through; Swift.min(NaN, 100) would give 100, hence the explicit test.
        case .exp: for i in 0..<n { y[i] = Foundation.exp(x[i] > 100 ? 100 : x[i]) }
        case .sqrt: for i in 0..<n { y[i] = Swift.abs(x[i]).squareRoot() }
        case .tanh: for i in 0..<n { y[i] = Foundation.tanh(x[i]) }
        case .skp: if UnsafePointer(y) != x { y.update(from: x, count: n) }
        case .mms: minMaxScale(x, y, count: n)
        case .zsn: zScore(x, y, count: n)
        }
    }

    /// `y = op(a, b)` over a (rows, cols) destination; a `.row` operand is broadcast down the rows.
    static func binary(_ op: BinaryOperator,
                       _ a: UnsafePointer<Float>, _ aShape: ValueShape,
                       _ b: UnsafePointer<Float>, _ bShape: ValueShape,
                       _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        var scale: Float = 1
        if op == .div {
            // ‖b broadcast to (rows, cols)‖: a row repeated `rows` times has rows·Σb² as its squared norm.
            let bRows = bShape == .matrix ? rows : 1
            let sumSquares = sumOfSquares(b, count: bRows * cols) * Double(rows / bRows)
            scale = Float(sumSquares.squareRoot())
        }
        for r in 0..<rows {
            let ar = aShape == .matrix ? a + r * cols : a
            let br = bShape == .matrix ? b + r * cols : b
            let yr = y + r * cols
            switch op {
            case .add: for i in 0..<cols { yr[i] = ar[i] + br[i] }
            case .sub: for i in 0..<cols { yr[i] = ar[i] - br[i] }
            case .mul: for i in 0..<cols { yr[i] = ar[i] * br[i] }
            case .div: for i in 0..<cols { yr[i] = ar[i] / scale }
            }
        }
    }

    static func sumOfSquares(_ x: UnsafePointer<Float>, count n: Int) -> Double {
        var total = 0.0
        for i in 0..<n { let v = Double(x[i]); total += v * v }
        return total
    }

    static func minMaxScale(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        var low = Float.infinity, high = -Float.infinity, sawNaN = false
        for i in 0..<n {
            let v = x[i]
            if v.isNaN { sawNaN = true }
            low = Swift.min(low, v)
            high = Swift.max(high, v)
        }
        let range = high - low
        guard !sawNaN, range != 0 else { return fill(y, .nan, count: n) }
        for i in 0..<n { y[i] = (x[i] - low) / range }
    }

    static func zScore(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        guard n > 1 else { return fill(y, .nan, count: n) }
        var sum = 0.0
        for i in 0..<n { sum += Double(x[i]) }
        let mean = sum / Double(n)
        var squares = 0.0
        for i in 0..<n { let d = Double(x[i]) - mean; squares += d * d }
        let std = (squares / Double(n - 1)).squareRoot()
        // NaN anywhere makes mean and std NaN; a zero std is defined as NaN rather than ±Inf noise.
        guard !std.isNaN, std != 0 else { return fill(y, .nan, count: n) }
        let m = Float(mean), s = Float(std)
        for i in 0..<n { y[i] = (x[i] - m) / s }
    }

    static func fill(_ y: UnsafeMutablePointer<Float>, _ value: Float, count n: Int) {
        y.update(repeating: value, count: n)
    }
}
