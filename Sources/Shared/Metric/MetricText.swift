/// The text form of a metric: a functional formula such as `mul(abs(mul(W, W)), mms(G))`.
///
/// Printing and parsing are inverses: `try MetricExpression(parsing: e.description) == e` for every tree.
/// The parser is a recursive descent that checks depth before it descends and node count as it goes, so no input
/// can overflow the stack or make it work for long; errors give the 1-based column and what was expected.

extension MetricExpression: CustomStringConvertible {
    package var description: String {
        switch self {
        case .terminal(let t): t.rawValue
        case .unary(let op, let x): "\(op.rawValue)(\(x))"
        case .binary(let op, let a, let b): "\(op.rawValue)(\(a), \(b))"
        }
    }
}

extension MetricExpression {
    /// Parses the text form, enforcing `limits`.
    package init(parsing text: String, limits: MetricLimits = .standard) throws(MetricError) {
        var parser = MetricParser(text: text, limits: limits)
        self = try parser.parseWhole()
    }
}

/// Resolves a node label (text or JSON) to what it names.
enum Symbol {
    case terminal(Terminal)
    case unary(UnaryOperator)
    case binary(BinaryOperator)

    init?(_ name: String) {
        if let t = Terminal(rawValue: name) { self = .terminal(t) }
        else if let op = UnaryOperator(rawValue: name) { self = .unary(op) }
        else if let op = BinaryOperator(rawValue: name) { self = .binary(op) }
        else { return nil }
    }

    var arity: Int {
        switch self {
        case .terminal: 0
        case .unary: 1
        case .binary: 2
        }
    }
}

private struct MetricParser {
    let scalars: [Unicode.Scalar]
    let limits: MetricLimits
    var position = 0
    var nodes = 0

    init(text: String, limits: MetricLimits) {
        scalars = Array(text.unicodeScalars)
        self.limits = limits
    }

    mutating func parseWhole() throws(MetricError) -> MetricExpression {
        let expression = try parseExpression(depth: 0)
        skipSpaces()
        if position < scalars.count { throw syntaxError(expected: "end of expression") }
        return expression
    }

    mutating func parseExpression(depth: Int) throws(MetricError) -> MetricExpression {
        if depth > limits.maxDepth { throw .tooDeep(depth: depth, limit: limits.maxDepth) }
        skipSpaces()
        let column = position + 1
        let name = readIdentifier()
        if name.isEmpty { throw syntaxError(expected: "a terminal (W, G, X) or an operator name") }
        guard let symbol = Symbol(name) else { throw .unknownSymbol(name, column: column) }
        nodes += 1
        if nodes > limits.maxNodes { throw .tooManyNodes(nodes: nodes, limit: limits.maxNodes) }

        skipSpaces()
        let hasArguments = peek == "("
        if case .terminal(let t) = symbol {
            if hasArguments { throw syntaxError(expected: "',' or ')' after terminal \(name)") }
            return .terminal(t)
        }
        guard hasArguments else { throw syntaxError(expected: "'(' after \(name)") }
        position += 1
        var arguments: [MetricExpression] = []
        while true {
            arguments.append(try parseExpression(depth: depth + 1))
            skipSpaces()
            if peek == "," {
                position += 1
                if arguments.count == symbol.arity {
                    throw .wrongArity(symbol: name, expected: symbol.arity, found: arguments.count + 1)
                }
                continue
            }
            if peek == ")" { position += 1; break }
            throw syntaxError(expected: "',' or ')'")
        }
        switch symbol {
        case .unary(let op) where arguments.count == 1:
            return .unary(op, arguments[0])
        case .binary(let op) where arguments.count == 2:
            return .binary(op, arguments[0], arguments[1])
        default:
            throw .wrongArity(symbol: name, expected: symbol.arity, found: arguments.count)
        }
    }

    var peek: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    mutating func skipSpaces() {
        while let c = peek, c.properties.isWhitespace { position += 1 }
    }

    mutating func readIdentifier() -> String {
        var name = String.UnicodeScalarView()
        while let c = peek, c.isASCII, c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" {
            name.append(c)
            position += 1
        }
        return String(name)
    }

    func syntaxError(expected: String) -> MetricError {
        let found = peek.map { "'\(Character($0))'" } ?? "end of input"
        return .syntax(column: position + 1, found: found, expected: expected)
    }
}
