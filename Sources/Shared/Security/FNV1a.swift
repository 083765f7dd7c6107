/// 64-bit FNV-1a: a fast, stable, non-cryptographic hash for names (metric hashes, mask fingerprints). The same
/// value on every machine and release, which Swift's `Hasher` (seeded per process) does not promise.
package struct FNV1a: Sendable {
    package private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    package init() {}

    package mutating func add(byte: UInt8) {
        value ^= UInt64(byte)
        value = value &* 0x0000_0100_0000_01b3
    }

    package mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { add(byte: byte) }
    }

    /// A 64-bit word, little-endian byte by byte.
    package mutating func add(word: UInt64) {
        var w = word
        for _ in 0..<8 {
            add(byte: UInt8(truncatingIfNeeded: w))
            w >>= 8
        }
    }

    /// The hash as 16 lowercase hex digits.
    package var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
