/// A metric expression: a tree over W, G, X and the operators of `Operators.swift`.
///
/// Values are immutable and structurally compared, so they can key dictionaries (the search's evaluation cache) and
/// cross threads freely. Size is bounded by `MetricLimits` wherever a tree comes from outside or from an operator.
package indirect enum MetricExpression: Sendable, Hashable {
    case terminal(Terminal)
    case unary(UnaryOperator, MetricExpression)
    case binary(BinaryOperator, MetricExpression, MetricExpression)

    /// Number of nodes (terminals and operators).
    package var nodeCount: Int {
        switch self {
        case .terminal: 1
        case .unary(_, let x): 1 + x.nodeCount
        case .binary(_, let a, let b): 1 + a.nodeCount + b.nodeCount
        }
    }

    /// Edges on the longest root-to-leaf path: a terminal has depth 0 (the reference's convention, where random
    /// trees put terminals at `max_depth`).
    package var depth: Int {
        switch self {
        case .terminal: 0
        case .unary(_, let x): 1 + x.depth
        case .binary(_, let a, let b): 1 + Swift.max(a.depth, b.depth)
        }
    }

    /// `.row` when the value is a (1, in) row vector (only X leaves), else `.matrix`.
    package var shape: ValueShape {
        switch self {
        case .terminal(let t): t == .X ? .row : .matrix
        case .unary(_, let x): x.shape
        case .binary(_, let a, let b): .common(a.shape, b.shape)
        }
    }

    /// The terminals the expression reads.
    package var terminals: Set<Terminal> {
        switch self {
        case .terminal(let t): [t]
        case .unary(_, let x): x.terminals
        case .binary(_, let a, let b): a.terminals.union(b.terminals)
        }
    }

    /// The reference's label of the root node (`"mul"`, `"W"`, …).
    package var label: String {
        switch self {
        case .terminal(let t): t.rawValue
        case .unary(let op, _): op.rawValue
        case .binary(let op, _, _): op.rawValue
        }
    }
}

/// Bounds on expression size. Everything that builds a tree from outside (text, JSON, the wire) or by a genetic
/// operator checks them, so a hostile or runaway tree is an error, never a stack overflow or a hang.
package struct MetricLimits: Sendable, Hashable, Codable {
    /// Maximum depth (terminal = 0).
    package var maxDepth: Int
    /// Maximum number of nodes.
    package var maxNodes: Int

    package init(maxDepth: Int, maxNodes: Int) {
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }

    /// What parsers accept by default: far beyond what a search breeds (the paper's best metric has depth 3 and
    /// 6 nodes), small enough that evaluating any accepted tree stays cheap.
    package static let standard = MetricLimits(maxDepth: 16, maxNodes: 128)

    /// Whether `expression` fits; the error names the bound it breaks.
    package func check(_ expression: MetricExpression) throws(MetricError) {
        let depth = expression.depth
        if depth > maxDepth { throw .tooDeep(depth: depth, limit: maxDepth) }
        let nodes = expression.nodeCount
        if nodes > maxNodes { throw .tooManyNodes(nodes: nodes, limit: maxNodes) }
    }
}

/// What can be wrong with a metric expression that came from outside.
package enum MetricError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Text that does not parse: 1-based column, what was found, what was expected there.
    case syntax(column: Int, found: String, expected: String)
    case unknownSymbol(String, column: Int?)
    case wrongArity(symbol: String, expected: Int, found: Int)
    case tooDeep(depth: Int, limit: Int)
    case tooManyNodes(nodes: Int, limit: Int)
    /// JSON that is not the reference's tree format; `path` locates the node (e.g. `root.left.right`).
    case json(path: String, problem: String)

    package var description: String {
        switch self {
        case .syntax(let column, let found, let expected):
            "column \(column): expected \(expected), found \(found)"
        case .unknownSymbol(let symbol, let column):
            (column.map { "column \($0): " } ?? "")
                + "unknown symbol '\(symbol)'; terminals are W, G, X; operators are "
                + (UnaryOperator.allCases.map(\.rawValue) + BinaryOperator.allCases.map(\.rawValue))
                .joined(separator: ", ")
        case .wrongArity(let symbol, let expected, let found):
            "'\(symbol)' takes \(expected) argument\(expected == 1 ? "" : "s"), found \(found)"
        case .tooDeep(let depth, let limit):
            "expression depth \(depth) exceeds the limit \(limit)"
        case .tooManyNodes(let nodes, let limit):
            "expression has \(nodes) nodes, over the limit \(limit)"
        case .json(let path, let problem):
            "tree JSON at \(path): \(problem)"
        }
    }
}
