/// The alphabet of the metric language: three terminals and fifteen operators, named as in the reference's
/// `lib/gptree.py` so that its JSON trees load unchanged, plus two of ours (`rown`, `coln`: per-row and per-column
/// normalisation, which the reference lacks; trees using them are our extension of its JSON format). Adding an operator is one case here, one row in
/// OperatorTable.swift (its evaluation, statistic, sign and rewrite facts; the compiler asks for it), and one test.

/// A leaf: one of the per-layer tensors a metric is computed from.
package enum Terminal: String, CaseIterable, Sendable, Hashable, Codable {
    /// |weight|, shape (out, in).
    case W
    /// Gradient L2 norm over calibration windows, shape (out, in).
    case G
    /// Activation statistic `scaler_row` (Σ x² per input feature), a (1, in) row vector.
    case X
}

/// Operators of one argument. Semantics are the reference's (REFERENCE-SEMANTICS.md rule 2).
package enum UnaryOperator: String, CaseIterable, Sendable, Hashable, Codable {
    case sqr    // x²
    case neg    // −x
    case abs    // |x|
    case log    // log(|x| + 0.001)
    case exp    // exp(min(x, 100))
    case sqrt   // √|x|
    case tanh   // tanh(x)
    case pow    // x², kept for compatibility with the reference's trees
    case skp    // identity
    case mms    // (x − min) / (max − min) over the whole operand
    case zsn    // (x − mean) / std over the whole operand, std with N − 1 (torch's default)
    case rown   // x / Σ_row |x|: each row divided by its L1 norm (0 where the row is all zero); ours, not the paper's
    case coln   // x / Σ_column |x|: each column divided by its L1 norm (0 where it is all zero); ours

    /// The reference's eleven unary operators (the paper's search space).
    package static let paperSet: [UnaryOperator] = allCases.filter { $0 != .rown && $0 != .coln }

    /// True when the operator is a positive affine map of its whole operand (mms, zsn): such a map absorbs any
    /// other one below it.
    package var isGlobal: Bool { row.scale == .normalises }
}

/// Operators of two arguments; a (1, in) row vector broadcasts against an (out, in) matrix.
package enum BinaryOperator: String, CaseIterable, Sendable, Hashable, Codable {
    case add
    case sub
    case mul
    /// x / ‖y‖_F, the Frobenius norm of y taken after y is broadcast to the common shape (as torch does).
    case div

    /// Operands can be swapped without changing the value (used by the canonical form).
    package var isCommutative: Bool { row.isCommutative }
}

/// The shape class of a value: every metric value is either a full (out, in) matrix or a (1, in) row.
package enum ValueShape: Sendable, Hashable {
    case matrix
    case row

    /// Broadcasting: a row against a matrix gives a matrix.
    static func common(_ a: ValueShape, _ b: ValueShape) -> ValueShape {
        a == .row && b == .row ? .row : .matrix
    }
}
