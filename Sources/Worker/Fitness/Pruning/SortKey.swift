/// Order-preserving integer keys for metric values, so selecting the lowest entries is integer selection.
///
/// The order is the reference's: torch's stable ascending sort, where NaN sorts after every number and equal values
/// keep column order. Mapping each Float to a `UInt32` that orders like the float (negative values bit-flipped,
/// positive ones with the sign bit set), then appending the column as the low 32 bits, makes every key distinct and
/// the keys' order *exactly* that stable sort, so the k smallest keys are the k entries the reference prunes.
enum SortKey {
    /// The value's order key: −0 and +0 are one key (they tie in torch), every NaN is the largest key.
    @inline(__always)
    static func key(_ value: Float) -> UInt32 {
        if value.isNaN { return .max }
        let bits = (value == 0 ? Float(0) : value).bitPattern
        return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    }

    /// Value key in the high half, column in the low half.
    @inline(__always)
    static func key(_ value: Float, column: Int) -> UInt64 {
        UInt64(key(value)) << 32 | UInt64(UInt32(truncatingIfNeeded: column))
    }
}
