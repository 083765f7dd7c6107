import Foundation

// The operator table: one row per operator holding every fact about it that a consumer needs — its evaluation in
// Float32 (the compiled evaluator's kernel) and in Float64 (the plain twin), the whole-operand statistic it needs
// first, its sign rule, and what the canonical form and simplifier may assume of it. The name (and so the text
// and JSON forms) is the enum's raw value, the arity is which enum it is in, and generation draws from `allCases`.
//
// Adding an operator is one case in Operators.swift and one row here: `row` is an exhaustive switch on purpose,
// so the compiler refuses an operator without one. The simplifier's rewrites stay pattern matches in
// Simplification.swift: each is a fact about a *pair* of operators (sqrt of sqr, neg of sub), not about one row.

/// Whole-tensor statistics a step needs before any element can be produced; see `Kernels.Statistic`. The operand
/// is (rows, cols), rows = 1 for a row value.
typealias UnaryStatistic = @Sendable (_ x: UnsafePointer<Float>, _ rows: Int, _ cols: Int) -> Kernels.Statistic
/// The divisor statistic of a binary step: `y` has `operandRows` rows (1 for a row broadcast to `rows`).
typealias BinaryStatistic = @Sendable (_ y: UnsafePointer<Float>, _ operandRows: Int, _ rows: Int, _ cols: Int)
    -> Kernels.Statistic

/// How an operator treats a positive constant factor c on its operand(s); the canonical form and the
/// normalisation rules drop such factors along the paths this allows.
enum ScaleBehaviour: Sendable {
    /// f(c·x) = c'·f(x) with c' > 0 (neg, abs, sqr, sqrt, skp; mul in each operand): a scale passes through.
    case homogeneous
    /// f(c·x) = f(x), and f(a·x + b) = f(x) for a > 0 (mms, zsn): a scale below is absorbed.
    case normalises
    /// f(c·x) = f(x) for c > 0, but not f(x + b) (rown, coln: x / an L1 norm): a scale below is absorbed.
    case absorbsScale
    /// div: x / ‖y‖ is a positive constant times x, so the node itself is a scale of its first operand.
    case scalesFirstOperand
    /// Anything else (log, exp, tanh, add, sub): a scale below changes more than a factor.
    case breaks
}

/// What the canonical form may do with the operator at the root of a metric, where only the per-row ranking of
/// the values matters.
enum RankAtRoot: Sendable {
    /// A positive affine map of the first operand (skp, mms, zsn, div): the root can be removed.
    case preserved
    /// A positive factor per output row (rown): the root can be removed when masks compare within rows only
    /// (`ComparisonGroup.row`), not when the whole layer is thresholded at once.
    case preservedWithinRows
    /// Strictly increasing in |x| (sqrt, sqr, pow, log): the root becomes `abs(x)`.
    case byMagnitude
    /// Neither (or not safely: exp is flat above its clamp, tanh saturates, neg reverses, abs folds signs).
    case changed
}

struct UnaryRow: Sendable {
    /// The whole-operand statistic the kernel needs, computed before it runs (nil: purely elementwise).
    let statistic: UnaryStatistic?
    /// y = op(x) over `count` elements in Float32 — whole rows of `cols`, from the operand's first column — given
    /// `statistic`'s result (`.none` when it has none).
    let kernel: @Sendable (_ statistic: Kernels.Statistic, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                           _ count: Int, _ cols: Int) -> Void
    /// The same in Float64 over the whole operand, rows of `cols` (the plain twin).
    let twin: @Sendable (_ x: [Double], _ cols: Int) -> [Double]
    /// The sign of the result from the operand's.
    let sign: @Sendable (Sign) -> Sign
    let scale: ScaleBehaviour
    let rankAtRoot: RankAtRoot
}

struct BinaryRow: Sendable {
    /// Operands can be swapped without changing the value (the canonical form orders them).
    let isCommutative: Bool
    /// The statistic of the second operand the kernel needs (nil: purely elementwise).
    let divisorStatistic: BinaryStatistic?
    /// y = op(a, b) over `count` elements of equal shape in Float32 (broadcasting is the caller's).
    let kernel: @Sendable (_ statistic: Kernels.Statistic, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                           _ y: UnsafeMutablePointer<Float>, _ count: Int) -> Void
    /// The same in Float64 over whole operands already broadcast to one shape (the plain twin).
    let twin: @Sendable (_ a: [Double], _ b: [Double]) -> [Double]
    let sign: @Sendable (Sign, Sign) -> Sign
    let scale: ScaleBehaviour
    let rankAtRoot: RankAtRoot
}

extension UnaryOperator {
    /// This operator's row. Semantics are the reference's (REFERENCE-SEMANTICS.md rule 2); NaN rules in
    /// `MetricEvaluator`'s header.
    var row: UnaryRow {
        switch self {
        case .sqr, .pow:  // x² (pow is the reference's second spelling of it)
            UnaryRow(statistic: nil, kernel: { _, x, y, n, _ in for i in 0..<n { y[i] = x[i] * x[i] } },
                     twin: { x, _ in x.map { $0 * $0 } }, sign: { _ in .nonNegative },
                     scale: .homogeneous, rankAtRoot: .byMagnitude)
        case .neg:
            UnaryRow(statistic: nil, kernel: { _, x, y, n, _ in for i in 0..<n { y[i] = -x[i] } },
                     twin: { x, _ in x.map { -$0 } }, sign: { $0.negated }, scale: .homogeneous, rankAtRoot: .changed)
        case .abs:
            UnaryRow(statistic: nil, kernel: { _, x, y, n, _ in for i in 0..<n { y[i] = Swift.abs(x[i]) } },
                     twin: { x, _ in x.map { Swift.abs($0) } }, sign: { _ in .nonNegative },
                     scale: .homogeneous, rankAtRoot: .changed)
        case .log:  // log(|x| + 0.001), the reference's safe log
            UnaryRow(statistic: nil,
                     kernel: { _, x, y, n, _ in for i in 0..<n { y[i] = Foundation.log(Swift.abs(x[i]) + 0.001) } },
                     twin: { x, _ in x.map { Foundation.log(Swift.abs($0) + 0.001) } }, sign: { _ in .unknown },
                     scale: .breaks, rankAtRoot: .byMagnitude)
        case .exp:  // exp(min(x, 100)); torch.clamp(max: 100) passes NaN through, Swift.min(NaN, 100) would not
            UnaryRow(statistic: nil,
                     kernel: { _, x, y, n, _ in for i in 0..<n { y[i] = Foundation.exp(x[i] > 100 ? 100 : x[i]) } },
                     twin: { x, _ in x.map { Foundation.exp($0 > 100 ? 100 : $0) } }, sign: { _ in .nonNegative },
                     scale: .breaks, rankAtRoot: .changed)
        case .sqrt:  // √|x|
            UnaryRow(statistic: nil, kernel: { _, x, y, n, _ in for i in 0..<n { y[i] = Swift.abs(x[i]).squareRoot() } },
                     twin: { x, _ in x.map { Swift.abs($0).squareRoot() } }, sign: { _ in .nonNegative },
                     scale: .homogeneous, rankAtRoot: .byMagnitude)
        case .tanh:
            UnaryRow(statistic: nil, kernel: { _, x, y, n, _ in for i in 0..<n { y[i] = Foundation.tanh(x[i]) } },
                     twin: { x, _ in x.map { Foundation.tanh($0) } }, sign: { $0 }, scale: .breaks, rankAtRoot: .changed)
        case .skp:  // identity
            UnaryRow(statistic: nil, kernel: { _, x, y, n, _ in if UnsafePointer(y) != x { y.update(from: x, count: n) } },
                     twin: { x, _ in x }, sign: { $0 }, scale: .homogeneous, rankAtRoot: .preserved)
        case .mms:  // (x − min) / (max − min) over the whole operand
            UnaryRow(statistic: { Kernels.minMax($0, count: $1 * $2) },
                     kernel: { statistic, x, y, n, _ in
                         guard case .minMax(let low, let range) = statistic else { return y.update(repeating: .nan, count: n) }
                         for i in 0..<n { y[i] = (x[i] - low) / range }
                     },
                     twin: { x, _ in
                         guard !x.contains(where: \.isNaN), let low = x.min(), let high = x.max(), high != low else {
                             return x.map { _ in .nan }
                         }
                         return x.map { ($0 - low) / (high - low) }
                     },
                     sign: { _ in .nonNegative }, scale: .normalises, rankAtRoot: .preserved)
        case .zsn:  // (x − mean) / std over the whole operand, std with N − 1 (torch's default)
            UnaryRow(statistic: { Kernels.moments($0, count: $1 * $2) },
                     kernel: { statistic, x, y, n, _ in
                         guard case .moments(let mean, let std) = statistic else { return y.update(repeating: .nan, count: n) }
                         for i in 0..<n { y[i] = (x[i] - mean) / std }
                     },
                     twin: { x, _ in
                         let n = Double(x.count)
                         let mean = x.reduce(0, +) / n
                         let std = (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
                         guard x.count > 1, !std.isNaN, std != 0 else { return x.map { _ in .nan } }
                         return x.map { ($0 - mean) / std }
                     },
                     sign: { _ in .unknown }, scale: .normalises, rankAtRoot: .preserved)
        case .rown:  // x / Σ_row |x| (0/0 = 0); a tile holds whole rows, so the sums need no earlier pass
            UnaryRow(statistic: nil, kernel: { _, x, y, n, cols in Kernels.rowNormalise(x, y, count: n, cols: cols) },
                     twin: { x, cols in Kernels.normaliseTwin(x, cols: cols, alongRows: true) },
                     sign: { $0 }, scale: .absorbsScale, rankAtRoot: .preservedWithinRows)
        case .coln:  // x / Σ_column |x| (0/0 = 0); the column sums need the whole operand first
            UnaryRow(statistic: { Kernels.columnAbsSums($0, rows: $1, cols: $2) },
                     kernel: { statistic, x, y, n, cols in
                         guard case .columnSums(let sums) = statistic else { preconditionFailure("coln without its sums") }
                         Kernels.columnNormalise(x, y, count: n, sums: sums)
                     },
                     twin: { x, cols in Kernels.normaliseTwin(x, cols: cols, alongRows: false) },
                     sign: { $0 }, scale: .absorbsScale, rankAtRoot: .changed)
        }
    }
}

extension BinaryOperator {
    /// This operator's row; a (1, in) row operand is broadcast against an (out, in) matrix by the caller.
    var row: BinaryRow {
        switch self {
        case .add:
            BinaryRow(isCommutative: true, divisorStatistic: nil,
                      kernel: { _, a, b, y, n in for i in 0..<n { y[i] = a[i] + b[i] } },
                      twin: { zip($0, $1).map { $0 + $1 } }, sign: { $0 == $1 ? $0 : .unknown },
                      scale: .breaks, rankAtRoot: .changed)
        case .sub:
            BinaryRow(isCommutative: false, divisorStatistic: nil,
                      kernel: { _, a, b, y, n in for i in 0..<n { y[i] = a[i] - b[i] } },
                      twin: { zip($0, $1).map { $0 - $1 } },
                      sign: { sa, sb in sa != .unknown && sb == sa.negated ? sa : .unknown },
                      scale: .breaks, rankAtRoot: .changed)
        case .mul:
            BinaryRow(isCommutative: true, divisorStatistic: nil,
                      kernel: { _, a, b, y, n in for i in 0..<n { y[i] = a[i] * b[i] } },
                      twin: { zip($0, $1).map { $0 * $1 } },
                      sign: { sa, sb in sa == .unknown || sb == .unknown ? .unknown : (sa == sb ? .nonNegative : .nonPositive) },
                      scale: .homogeneous, rankAtRoot: .changed)
        case .div:  // x / ‖y‖_F, the norm of y taken after y is broadcast to the common shape (as torch does)
            BinaryRow(isCommutative: false,
                      divisorStatistic: { y, yRows, rows, cols in
                          // A row repeated `rows` times has rows·Σy² as its squared norm.
                          let sumSquares = Kernels.sumOfSquares(y, count: yRows * cols) * Double(rows / yRows)
                          return .scale(Float(sumSquares.squareRoot()))
                      },
                      kernel: { statistic, a, _, y, n in
                          guard case .scale(let s) = statistic else { preconditionFailure("div without its norm") }
                          for i in 0..<n { y[i] = a[i] / s }
                      },
                      twin: { x, y in
                          let norm = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
                          return x.map { $0 / norm }
                      },
                      sign: { sa, _ in sa },  // divided by a norm, which is ≥ 0
                      scale: .scalesFirstOperand, rankAtRoot: .preserved)
        }
    }
}
