/// The character classes the pre-tokenizer regexes use, as Oniguruma (Hugging Face's regex engine) defines
/// them in Unicode mode, computed once per scalar so the hand-written matchers only test bits.
///
/// - `\p{L}`: General_Category L* (Lu, Ll, Lt, Lm, Lo).
/// - `\p{N}`: General_Category N* (Nd, Nl, No).
/// - `\s`: the White_Space property (U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028,
///   U+2029, U+202F, U+205F, U+3000). Zero-width space U+200B is *not* whitespace (it is Cf).
package struct ScalarClass: OptionSet {
    package let rawValue: UInt8
    package init(rawValue: UInt8) { self.rawValue = rawValue }
    package static let letter = ScalarClass(rawValue: 1)
    package static let number = ScalarClass(rawValue: 2)
    package static let whitespace = ScalarClass(rawValue: 4)
    /// CR or LF, which the LLaMA-3 regex treats apart from other whitespace.
    package static let lineBreak = ScalarClass(rawValue: 8)

    /// A plain bit test. It shadows `SetAlgebra`'s generic `contains`, which unoptimized builds call through
    /// protocol witnesses, several times per scalar in the split regexes.
    package func contains(_ member: ScalarClass) -> Bool { rawValue & member.rawValue == member.rawValue }

    /// ASCII answers from a table; everything else asks the Unicode property tables.
    package static func of(_ scalar: Unicode.Scalar) -> ScalarClass {
        let value = scalar.value
        if value < 0x80 { return asciiTable[Int(value)] }
        if scalar.properties.isWhitespace { return .whitespace }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return []
        }
    }

    private static let asciiTable: [ScalarClass] = (0..<128).map { value -> ScalarClass in
        switch value {
        case 0x0A, 0x0D: return [.whitespace, .lineBreak]
        case 0x09, 0x0B, 0x0C, 0x20: return .whitespace
        case 0x30...0x39: return .number
        case 0x41...0x5A, 0x61...0x7A: return .letter
        default: return []
        }
    }

    /// Classes of every scalar of a piece, in order.
    package static func classify(_ scalars: ArraySlice<Unicode.Scalar>) -> [ScalarClass] {
        scalars.map(of)
    }
}
