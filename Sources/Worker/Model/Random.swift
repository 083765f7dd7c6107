// Random: the trainer's seeded generator (SplitMix64) and the normal draws of the initialisation.
//
// Deterministic across machines and runs: a 64-bit state, no system entropy. The data order does not carry a
// generator from step to step: each step's windows come from a generator seeded by (seed, step), so a resumed run
// draws exactly the windows an uninterrupted one would, and the checkpoint needs only the step.

package struct SplitMix64 {
    package var state: UInt64

    package init(seed: UInt64) { state = seed }

    /// A generator for step `step` of a run seeded `seed`.
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

    /// Uniform in [0, 1) with 53 bits.
    package mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform integer in 0..<n (n > 0), by multiply-shift: bias below 2⁻⁴⁰ for the n we use.
    package mutating func below(_ n: Int) -> Int { Int((UInt128(next()) * UInt128(n)) >> 64) }

    /// A standard normal draw (Box–Muller, one of the pair).
    package mutating func normal() -> Float {
        let u1 = max(uniform(), 0x1.0p-60), u2 = uniform()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}

import Foundation
