import Foundation

/// The reference's JSON tree format (`lib/gptree.py` `save_tree`/`load_tree`): every node is an object with `data`
/// (a terminal or operator name); unary nodes have `left`, binary nodes `left` and `right`:
///
///     {"data": "mul", "left": {"data": "W"}, "right": {"data": "mms", "left": {"data": "G"}}}
///
/// The reference's `data/best_tree.json` loads unchanged, and what we write loads in the reference.
extension MetricExpression {
    /// Largest JSON document accepted, in bytes; a tree within `MetricLimits.standard` needs a few kB.
    package static let maxJSONBytes = 1 << 20

    /// Reads a tree from the reference's JSON format.
    package init(referenceJSON data: Data, limits: MetricLimits = .standard) throws(MetricError) {
        guard data.count <= Self.maxJSONBytes else {
            throw .json(path: "root", problem: "document of \(data.count) bytes exceeds \(Self.maxJSONBytes)")
        }
        // Foundation's parser itself refuses nesting beyond a few hundred levels, so hostile depth cannot recurse
        // without bound there; our walk below stops at limits.maxDepth.
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw .json(path: "root", problem: "not valid JSON (\(error.localizedDescription))")
        }
        var nodes = 0
        self = try Self.node(from: object, path: "root", depth: 0, nodes: &nodes, limits: limits)
    }

    private static func node(
        from object: Any, path: String, depth: Int, nodes: inout Int, limits: MetricLimits
    ) throws(MetricError) -> MetricExpression {
        if depth > limits.maxDepth { throw .tooDeep(depth: depth, limit: limits.maxDepth) }
        nodes += 1
        if nodes > limits.maxNodes { throw .tooManyNodes(nodes: nodes, limit: limits.maxNodes) }
        guard let dictionary = object as? [String: Any] else {
            throw .json(path: path, problem: "expected an object with a \"data\" field")
        }
        guard let label = dictionary["data"] as? String else {
            throw .json(path: path, problem: "missing or non-string \"data\"")
        }
        if let extra = dictionary.keys.first(where: { !["data", "left", "right"].contains($0) }) {
            throw .json(path: path, problem: "unexpected field \"\(extra)\"")
        }
        guard let symbol = Symbol(label) else { throw .unknownSymbol(label, column: nil) }
        let children = [dictionary["left"], dictionary["right"]]
        let present = children.compactMap { $0 }.count
        // Children must be exactly `left` (unary) or `left` and `right` (binary).
        let shapeIsRight = present == symbol.arity && (symbol.arity == 0 || dictionary["left"] != nil)
        guard shapeIsRight else {
            throw .json(path: path, problem: "'\(label)' takes \(symbol.arity) child(ren) (" +
                        ["none", "\"left\"", "\"left\" and \"right\""][symbol.arity] + "), found \(present)")
        }
        func child(_ key: String) throws(MetricError) -> MetricExpression {
            try node(from: dictionary[key]!, path: path + "." + key, depth: depth + 1, nodes: &nodes, limits: limits)
        }
        switch symbol {
        case .terminal(let t): return .terminal(t)
        case .unary(let op): return .unary(op, try child("left"))
        case .binary(let op): return .binary(op, try child("left"), try child("right"))
        }
    }

    /// The tree as a JSON-compatible dictionary in the reference's format.
    package var referenceJSONObject: [String: Any] {
        switch self {
        case .terminal(let t): ["data": t.rawValue]
        case .unary(let op, let x): ["data": op.rawValue, "left": x.referenceJSONObject]
        case .binary(let op, let a, let b):
            ["data": op.rawValue, "left": a.referenceJSONObject, "right": b.referenceJSONObject]
        }
    }

    /// The tree serialised in the reference's format (keys sorted, so output is byte-stable).
    package func referenceJSON(pretty: Bool = true) -> Data {
        var options: JSONSerialization.WritingOptions = [.sortedKeys]
        if pretty { options.insert(.prettyPrinted) }
        // A dictionary of strings and dictionaries always serialises.
        return (try? JSONSerialization.data(withJSONObject: referenceJSONObject, options: options)) ?? Data()
    }
}
