/// The `decoder` section: turns token strings back into text. Each step maps a list of token strings to a new
/// list (HF `decode_chain`); the final text is their concatenation.
///
/// Implemented: `Sequence`, `Replace` (string patterns), `ByteFallback`, `Fuse`, `Strip`, `ByteLevel`. All string
/// work is scalar by scalar, never by Swift's canonical-equivalence `String` comparison.
package indirect enum Decoder: Equatable {
    case sequence([Decoder])
    case replace(Replacement)
    /// Runs of `<0xHH>` tokens become their bytes as UTF-8, or one U+FFFD per byte when invalid.
    case byteFallback
    /// Joins all tokens into one.
    case fuse
    /// Removes up to `start` leading and `stop` trailing `content` scalars from each token.
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    /// Maps byte-level characters back to bytes and decodes them as UTF-8 (invalid bytes become U+FFFD).
    case byteLevel

    /// The factory keyed on `type`.
    package init(json: JSONField) throws {
        switch try json.type() {
        case "Sequence":
            self = .sequence(try json.field("decoders").array().map(Decoder.init(json:)))
        case "Replace":
            self = .replace(try Replacement(json: json))
        case "ByteFallback":
            self = .byteFallback
        case "Fuse":
            self = .fuse
        case "Strip":
            let contentField = try json.field("content")
            let content = Array(try contentField.string().unicodeScalars)
            guard content.count == 1 else { throw contentField.wrongType("a single character") }
            self = .strip(content: content[0], start: try json.field("start").int(), stop: try json.field("stop").int())
        case "ByteLevel":
            self = .byteLevel
        case let other:
            throw json.unknownType(other)
        }
    }

    package func decode(_ tokens: [String]) -> String {
        decodeChain(tokens).joined()
    }

    package func decodeChain(_ tokens: [String]) -> [String] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(tokens) { $1.decodeChain($0) }
        case .replace(let replacement):
            return tokens.map { Self.string(replacement.apply(to: Array($0.unicodeScalars))) }
        case .byteFallback:
            return Self.byteFallback(tokens)
        case .fuse:
            return [tokens.joined()]
        case let .strip(content, start, stop):
            return tokens.map { token in
                let scalars = Array(token.unicodeScalars)
                var lower = 0
                while lower < min(start, scalars.count), scalars[lower] == content { lower += 1 }
                var upper = scalars.count
                while scalars.count - upper < stop, upper > lower, scalars[upper - 1] == content { upper -= 1 }
                return Self.string(scalars[lower..<upper])
            }
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens {
                let mapped = token.unicodeScalars.map(ByteLevel.byte(for:))
                // A token with any unmapped character (an added token, say) contributes its own UTF-8 bytes.
                if mapped.allSatisfy({ $0 != nil }) { bytes += mapped.map { $0! } } else { bytes += Array(token.utf8) }
            }
            return [String(decoding: bytes, as: UTF8.self)]
        }
    }

    package static func byteFallback(_ tokens: [String]) -> [String] {
        var result: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let text = String(validating: pending, as: UTF8.self) {
                result.append(text)
            } else {
                result += Array(repeating: "\u{FFFD}", count: pending.count)
            }
            pending.removeAll()
        }
        for token in tokens {
            if let byte = byteToken(token) {
                pending.append(byte)
            } else {
                flush()
                result.append(token)
            }
        }
        flush()
        return result
    }

    /// The byte of a `<0xHH>` token (either hex case, as Rust's `from_str_radix` accepts), else nil.
    package static func byteToken(_ token: String) -> UInt8? {
        let utf8 = Array(token.utf8)
        guard utf8.count == 6, utf8[0] == UInt8(ascii: "<"), utf8[1] == UInt8(ascii: "0"),
              utf8[2] == UInt8(ascii: "x"), utf8[5] == UInt8(ascii: ">"),
              let high = hexDigit(utf8[3]), let low = hexDigit(utf8[4]) else { return nil }
        return high << 4 | low
    }

    package static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    package static func string<S: Sequence>(_ scalars: S) -> String where S.Element == Unicode.Scalar {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
