/// Opposing Operation Simplification (the paper's OOS): rewrites that remove opposing or redundant operator pairs,
/// applied to every offspring before it is evaluated or cached.
///
/// The reference never released its OOS code, so the rule set is ours. Each rule states what it preserves:
/// - `.bitExact`: the Float32 value of every element is unchanged.
/// - `.realExact`: equal in real arithmetic; Float32 results may differ in the last bits (and where noted, in
///   overflow/underflow or degenerate cases).
/// - `.approximate`: the paper's opposing pairs `exp∘log` and `log∘exp`, which under the reference's safe `log`
///   (log(|x|+0.001)) and clamped `exp` are *not* inverses; applied only at `.paper` level.
/// The rules strictly reduce the node count, or keep it and move a `neg` one level up or replace `pow` by `sqr`,
/// so rewriting always terminates (a fuel counter guards that too).
package struct Simplifier: Sendable {
    package enum Level: String, Sendable, Codable, CaseIterable {
        /// `.bitExact` and `.realExact` rules: the simplified metric computes the same values.
        case exact
        /// Also the approximate opposing pairs, as the paper's OOS treats them.
        case paper
    }

    package enum Preservation: String, Sendable {
        case bitExact, realExact, approximate
    }

    /// Every rule, named so a trace can say what fired. `rule.preservation` documents each.
    package enum Rule: String, Sendable, CaseIterable {
        case skipIsIdentity            // skp(x) → x
        case powIsSqr                  // pow(x) → sqr(x): the same function, one spelling
        case doubleNegation            // neg(neg(x)) → x
        case absOfAbsOrNeg             // abs(abs(x)), abs(neg(x)) → abs(x)
        case absOfNonNegative          // abs(x) → x when x ≥ 0 by sign analysis
        case evenFunctionDropsSign     // sqr, sqrt, log of abs(x) or neg(x) → of x (each is even in x)
        case normIgnoresSign           // div(x, neg(y)), div(x, abs(y)) → div(x, y): ‖−y‖ = ‖|y|‖ = ‖y‖
        case addNegationIsSubtraction  // add(x, neg(y)) → sub(x, y); add(neg(x), y) → sub(y, x); sub(x, neg(y)) → add(x, y)
        case negatedDifference         // neg(sub(a, b)) → sub(b, a)
        case negationsCancelInProduct  // mul(neg(a), neg(b)) → mul(a, b)
        case liftNegation              // mul(neg(a), b), div(neg(a), y), tanh(neg(x)), zsn/rown/coln(neg(x)) → neg(…)
        case sqrtOfSquare              // sqrt(sqr(x)) → abs(x)
        case squareOfSqrt              // sqr(sqrt(x)) → abs(x)
        case normalisationIsIdempotent // mms/zsn of mms/zsn(x) → outer(x): both are invariant to positive affine maps
        case normalisationDropsScale   // mms/zsn/rown/coln(… div(x, y) …) → …(… x …) along positively homogeneous paths
        case lineNormIsIdempotent      // rown(rown(x)) → rown(x), coln(coln(x)) → coln(x): a line of L1 norm 1 stays
        case expOfLog                  // exp(log(x)) → abs(x)  (true value |x| + 0.001)
        case logOfExp                  // log(exp(x)) → x       (true value log(e^min(x,100) + 0.001))

        package var preservation: Preservation {
            switch self {
            case .skipIsIdentity, .powIsSqr, .doubleNegation, .absOfAbsOrNeg, .absOfNonNegative,
                 .evenFunctionDropsSign, .normIgnoresSign, .addNegationIsSubtraction, .negatedDifference,
                 .negationsCancelInProduct, .liftNegation:
                return .bitExact
            // sqrt(x²) differs from |x| only where x² overflows or underflows; normalisation rules differ in the
            // last bits, and dropping div(·, y) differs only where ‖y‖ = 0 (an all-zero y).
            case .sqrtOfSquare, .squareOfSqrt, .normalisationIsIdempotent, .normalisationDropsScale,
                 .lineNormIsIdempotent:
                return .realExact
            case .expOfLog, .logOfExp:
                return .approximate
            }
        }
    }

    package let level: Level

    package init(level: Level = .exact) { self.level = level }

    /// The simplified expression.
    package func simplify(_ e: MetricExpression) -> MetricExpression {
        var trace: [Rule] = []
        return simplify(e, trace: &trace)
    }

    /// The simplified expression and the rules that fired, in order.
    package func simplify(_ e: MetricExpression, trace: inout [Rule]) -> MetricExpression {
        var fuel = 64 * e.nodeCount + 64
        return simplify(e, trace: &trace, fuel: &fuel)
    }

    private func simplify(_ e: MetricExpression, trace: inout [Rule], fuel: inout Int) -> MetricExpression {
        let node: MetricExpression
        switch e {
        case .terminal: return e
        case .unary(let op, let x): node = .unary(op, simplify(x, trace: &trace, fuel: &fuel))
        case .binary(let op, let a, let b):
            node = .binary(op, simplify(a, trace: &trace, fuel: &fuel), simplify(b, trace: &trace, fuel: &fuel))
        }
        guard fuel > 0, let (rule, rewritten) = rewrite(node) else { return node }
        fuel -= 1
        trace.append(rule)
        return simplify(rewritten, trace: &trace, fuel: &fuel)
    }

    /// One rule applied at the root of `e` (whose children are already simplified), or nil.
    func rewrite(_ e: MetricExpression) -> (Rule, MetricExpression)? {
        switch e {
        case .terminal:
            return nil
        case .unary(let op, let x):
            return rewriteUnary(op, x)
        case .binary(let op, let a, let b):
            return rewriteBinary(op, a, b)
        }
    }

    private func rewriteUnary(_ op: UnaryOperator, _ x: MetricExpression) -> (Rule, MetricExpression)? {
        switch (op, x) {
        case (.skp, _): return (.skipIsIdentity, x)
        case (.pow, _): return (.powIsSqr, .unary(.sqr, x))
        case (.neg, .unary(.neg, let inner)): return (.doubleNegation, inner)
        case (.neg, .binary(.sub, let a, let b)): return (.negatedDifference, .binary(.sub, b, a))
        case (.abs, .unary(.abs, let inner)), (.abs, .unary(.neg, let inner)):
            return (.absOfAbsOrNeg, .unary(.abs, inner))
        case (.abs, _) where x.isNonNegative: return (.absOfNonNegative, x)
        case (.sqr, .unary(.abs, let inner)), (.sqr, .unary(.neg, let inner)),
             (.sqrt, .unary(.abs, let inner)), (.sqrt, .unary(.neg, let inner)),
             (.log, .unary(.abs, let inner)), (.log, .unary(.neg, let inner)):
            return (.evenFunctionDropsSign, .unary(op, inner))
        case (.tanh, .unary(.neg, let inner)), (.zsn, .unary(.neg, let inner)),
             (.rown, .unary(.neg, let inner)), (.coln, .unary(.neg, let inner)):
            return (.liftNegation, .unary(.neg, .unary(op, inner)))
        case (.sqrt, .unary(.sqr, let inner)): return (.sqrtOfSquare, .unary(.abs, inner))
        case (.sqr, .unary(.sqrt, let inner)): return (.squareOfSqrt, .unary(.abs, inner))
        case (.mms, .unary(let innerOp, let inner)) where innerOp.isGlobal,
             (.zsn, .unary(let innerOp, let inner)) where innerOp.isGlobal:
            return (.normalisationIsIdempotent, .unary(op, inner))
        case (.rown, .unary(.rown, _)), (.coln, .unary(.coln, _)):
            return (.lineNormIsIdempotent, x)
        case (.mms, _), (.zsn, _), (.rown, _), (.coln, _):
            let unscaled = x.droppingPositiveScales()
            guard unscaled != x, unscaled.shape == x.shape else { return nil }
            return (.normalisationDropsScale, .unary(op, unscaled))
        case (.exp, .unary(.log, let inner)) where level == .paper: return (.expOfLog, .unary(.abs, inner))
        case (.log, .unary(.exp, let inner)) where level == .paper: return (.logOfExp, inner)
        default: return nil
        }
    }

    private func rewriteBinary(_ op: BinaryOperator, _ a: MetricExpression,
                               _ b: MetricExpression) -> (Rule, MetricExpression)? {
        switch (op, a, b) {
        case (.add, _, .unary(.neg, let y)): return (.addNegationIsSubtraction, .binary(.sub, a, y))
        case (.add, .unary(.neg, let x), _): return (.addNegationIsSubtraction, .binary(.sub, b, x))
        case (.sub, _, .unary(.neg, let y)): return (.addNegationIsSubtraction, .binary(.add, a, y))
        case (.mul, .unary(.neg, let x), .unary(.neg, let y)): return (.negationsCancelInProduct, .binary(.mul, x, y))
        case (.mul, .unary(.neg, let x), _): return (.liftNegation, .unary(.neg, .binary(.mul, x, b)))
        case (.mul, _, .unary(.neg, let y)): return (.liftNegation, .unary(.neg, .binary(.mul, a, y)))
        case (.div, _, .unary(.neg, let y)), (.div, _, .unary(.abs, let y)):
            return (.normIgnoresSign, .binary(.div, a, y))
        case (.div, .unary(.neg, let x), _): return (.liftNegation, .unary(.neg, .binary(.div, x, b)))
        default: return nil
        }
    }
}

extension MetricExpression {
    /// The expression with every division by a norm removed along positively homogeneous paths from the root
    /// (through `mul`, a `div` numerator, `neg`, `abs`, `sqr`, `pow`, `sqrt`, `skp`, and into `mms`/`zsn`/`rown`/`coln`: each
    /// operator's `scale` in OperatorTable.swift).
    ///
    /// Such a division scales its subtree by a positive constant, and along those paths a positive constant only
    /// scales the root (by a positive constant): so the result differs from `self` by a positive factor, which
    /// `mms` and `zsn` cancel and which no per-row ranking can see. The shape may change (div(X, W) is a matrix,
    /// X a row): callers that need the shape check it.
    package func droppingPositiveScales() -> MetricExpression {
        switch self {
        case .terminal: return self
        case .binary(let op, let a, let b):
            switch op.row.scale {
            case .scalesFirstOperand: return a.droppingPositiveScales()
            case .homogeneous: return .binary(op, a.droppingPositiveScales(), b.droppingPositiveScales())
            case .normalises, .absorbsScale, .breaks: return self
            }
        case .unary(let op, let x):
            switch op.row.scale {
            case .homogeneous: return .unary(op, x.droppingPositiveScales())
            // The normalisation absorbs the scale whatever the operand's shape below it.
            case .normalises, .absorbsScale:
                let inner = x.droppingPositiveScales()
                return inner.shape == x.shape ? .unary(op, inner) : self
            case .scalesFirstOperand, .breaks: return self
            }
        }
    }
}
