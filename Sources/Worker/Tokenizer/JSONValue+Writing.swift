// JSONValue+Writing: a JSONValue back to JSON text, members in their stored order and strings scalar for scalar
// (so a tokenizer document written here parses back to the same vocabulary), for `convert`'s tokenizer.json.
import Foundation

extension JSONValue {
    /// Compact JSON text (RFC 8259): non-ASCII written as itself, control characters escaped, integers without a
    /// fraction, other numbers with the digits Swift's shortest round-trip description gives.
    package var serialized: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(x):
            if x == x.rounded(), abs(x) < 1e15 { out += String(Int64(x)) } else if x.isFinite { out += "\(x)" } else { out += "null" }
        case let .string(s): Self.quote(s, into: &out)
        case let .array(items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case let .object(members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                Self.quote(member.key, into: &out)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }

    private static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
