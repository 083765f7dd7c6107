/// The package's one family of seeded pseudo-random generators, whose output is fixed by the seed on every machine
/// and every Swift version. Swift's `SystemRandomNumberGenerator` is not seedable, and the standard library's
/// `random(in:)` algorithms are not promised to stay the same across versions, so bounded integers, unit doubles
/// and signed floats are drawn here by fixed algorithms (`SeededGenerator`'s extension), whatever the generator:
/// - `SeededRandom`: xoshiro256** (Blackman & Vigna) seeded through SplitMix64: the search's generator (GP runs).
/// - `SplitMix64`: the trainer's (data order, initialisation) and a test's; one 64-bit state, cheap to seed per step.
/// - `Xorshift64`: test and benchmark data (`signedUnitFloat`), cheap enough for 200M weights.
/// Not here: `PythonRandom` (the worker's Data folder) reproduces CPython's Mersenne Twister bit for bit, because
/// the reference draws its calibration offsets with it; it is a copy of another system, not a choice of ours.
package protocol SeededGenerator: RandomNumberGenerator {}

extension SeededGenerator {
    /// Uniform in 0..<bound (bound > 0), unbiased (Lemire's multiply-and-reject). Without a rejection (probability
    /// below bound / 2⁶⁴ per draw) this is the multiply-shift `(next() · bound) >> 64`.
    package mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    /// Uniform in [0, 1) with 53 random bits.
    package mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [−1, 1) with 24 random bits (exact in Float).
    package mutating func signedUnitFloat() -> Float {
        Float(next() >> 40) / Float(1 << 24) * 2 - 1
    }

    /// True with probability `p`.
    package mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// A uniformly chosen element of a non-empty collection.
    package mutating func pick<C: RandomAccessCollection>(_ c: C) -> C.Element where C.Index == Int {
        c[c.startIndex + below(c.count)]
    }
}

/// xoshiro256**, seeded through SplitMix64 (as its authors recommend).
package struct SeededRandom: SeededGenerator, Sendable, Hashable {
    private var s0, s1, s2, s3: UInt64

    package init(seed: UInt64) {
        var mixer = SplitMix64(seed: seed)
        s0 = mixer.next(); s1 = mixer.next(); s2 = mixer.next(); s3 = mixer.next()
    }

    /// An independent generator for stream `stream` of `seed`: the search gives each birth its own stream, so any
    /// one individual can be regenerated from (seed, stream) alone.
    package init(seed: UInt64, stream: UInt64) {
        var mixer = SplitMix64(seed: seed)
        let base = mixer.next()
        self.init(seed: base ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    package mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

/// SplitMix64 (Steele, Lea & Flood): xoshiro's seeder, and a generator in its own right.
package struct SplitMix64: SeededGenerator, Sendable, Hashable {
    package var state: UInt64

    package init(seed: UInt64) { state = seed }

    /// A generator for stream `stream` of `seed` (the trainer's step `stream`, so a resumed run draws exactly the
    /// windows an uninterrupted one would).
    package init(seed: UInt64, stream: UInt64) {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD6E8_FEB8_6659_FD93))
        state = mixer.next()
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Marsaglia's xorshift64 (13, 7, 17): the cheapest generator here, for filling large test and benchmark tensors.
/// The seed is forced odd, so no seed gives the all-zero state.
package struct Xorshift64: SeededGenerator, Sendable, Hashable {
    private var state: UInt64

    package init(seed: UInt64) { state = seed | 1 }

    package mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }

    /// `count` values uniform in [−scale, scale).
    package static func floats(_ count: Int, scale: Float, seed: UInt64) -> [Float] {
        var generator = Xorshift64(seed: seed)
        return (0..<count).map { _ in generator.signedUnitFloat() * scale }
    }
}
