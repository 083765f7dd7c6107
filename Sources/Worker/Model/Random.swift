// Random: the normal draws of the initialisation, over the package's seeded generators (Shared's SeededRandom.swift;
// the trainer uses SplitMix64).
//
// Deterministic across machines and runs: a 64-bit state, no system entropy. The data order does not carry a
// generator from step to step: each step's windows come from a generator seeded by (seed, step), so a resumed run
// draws exactly the windows an uninterrupted one would, and the checkpoint needs only the step.

import Foundation
import Shared

extension SeededGenerator {
    /// A standard normal draw (Box–Muller, one of the pair).
    package mutating func normal() -> Float {
        let u1 = max(unit(), 0x1.0p-60), u2 = unit()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}

extension SplitMix64 {
    /// Uniform integer in 0..<n (n > 0) by multiply-shift, without `below`'s rejection step: bias below n / 2⁶⁴,
    /// and kept because the committed model's data order (models/pz-llama-4m, trained with these draws) must stay
    /// reproducible bit for bit. `below` agrees with it except on a rejection (probability < n / 2⁶⁴ per draw).
    package mutating func windowOffset(below n: Int) -> Int { Int((UInt128(next()) * UInt128(n)) >> 64) }
}
