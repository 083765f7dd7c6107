/// The alphabet of the metric language: three terminals and fifteen operators, named as in the reference's
/// `lib/gptree.py` so that its JSON trees load unchanged. Adding an operator is one case here, one row in
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

    /// True when the operator needs a reduction over its whole operand before any element can be produced.
    package var isGlobal: Bool { row.statistic != nil }
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
