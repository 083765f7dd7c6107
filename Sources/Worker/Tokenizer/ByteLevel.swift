/// GPT-2's reversible byte ↔ printable-character table (`bytes_to_unicode`), used by the `ByteLevel`
/// pre-tokenizer (text → mapped characters) and decoder (mapped characters → bytes).
///
/// Printable bytes 0x21–0x7E, 0xA1–0xAC and 0xAE–0xFF stand for themselves; the other 68 bytes take
/// U+0100, U+0101, … in byte order, so that no mapped character is whitespace or a control character.
package enum ByteLevel {
    /// `characters[b]` is the character standing for byte `b`.
    package static let characters: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The inverse of `characters`: the byte a mapped character stands for, or nil for any other character.
    package static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = Int(scalar.value)
        guard value < inverse.count, inverse[value] >= 0 else { return nil }
        return UInt8(inverse[value])
    }

    /// Indexed by scalar value up to U+0143 (the last mapped character); -1 where no byte maps.
    private static let inverse: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in characters.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// The mapped characters for the UTF-8 bytes of `text`.
    package static func encode(_ text: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var mapped: [Unicode.Scalar] = []
        mapped.reserveCapacity(text.count)
        var bytes: [UInt8] = []
        for scalar in text {
            // ASCII (most text) is one byte; only other scalars go through UTF-8.
            if scalar.value < 0x80 {
                mapped.append(characters[Int(scalar.value)])
                continue
            }
            bytes.removeAll(keepingCapacity: true)
            appendUTF8(scalar, to: &bytes)
            for byte in bytes { mapped.append(characters[Int(byte)]) }
        }
        return mapped
    }
}
