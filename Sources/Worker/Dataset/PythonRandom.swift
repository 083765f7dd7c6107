/// CPython's `random.Random`, reduced to what the reference's data loader calls: `seed(int)`, `getrandbits(k)` and
/// `randint(a, b)`, bit for bit.
///
/// The reference draws calibration window offsets with `random.seed(seed)` then `random.randint(0, N − seqlen − 1)`
/// per window (REFERENCE-SEMANTICS rule 8); matching its windows means matching its generator exactly. Follows
/// CPython's `Modules/_randommodule.c` (MT19937: `init_genrand`, `init_by_array`, `genrand_uint32`,
/// `random_seed` for ints, `getrandbits`) and `Lib/random.py` (`_randbelow_with_getrandbits`, `randrange`).
/// Not here: `random()` floats, `shuffle`, string/bytes seeds, seeds beyond 64 bits.
///
/// Deliberately outside the package's one seeded family (Shared's SeededRandom.swift): it exists to reproduce
/// another system bit for bit, so its algorithm is CPython's, not ours to choose.
struct PythonRandom {
    private static let n = 624
    private static let m = 397
    private var state = [UInt32](repeating: 0, count: PythonRandom.n)
    private var index = PythonRandom.n + 1

    /// `random.seed(seed)` for an int: CPython seeds with |seed| split into 32-bit words, least significant first
    /// (at least one word, so 0 seeds as `[0]`).
    init(seed: Int) {
        var magnitude = seed.magnitude
        var key: [UInt32] = []
        repeat {
            key.append(UInt32(truncatingIfNeeded: magnitude))
            magnitude >>= 32
        } while magnitude != 0
        initByArray(key)
    }

    private mutating func initGenrand(_ s: UInt32) {
        state[0] = s
        for i in 1..<Self.n {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
        index = Self.n
    }

    private mutating func initByArray(_ key: [UInt32]) {
        initGenrand(19_650_218)
        var i = 1, j = 0
        for _ in 0..<max(Self.n, key.count) {
            state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
            i += 1; j += 1
            if i >= Self.n { state[0] = state[Self.n - 1]; i = 1 }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<(Self.n - 1) {
            state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= Self.n { state[0] = state[Self.n - 1]; i = 1 }
        }
        state[0] = 0x8000_0000  // MSB is 1, assuring a non-zero initial array
    }

    /// The next raw 32-bit output of MT19937 (`genrand_uint32`).
    mutating func nextUInt32() -> UInt32 {
        if index >= Self.n { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        let upper: UInt32 = 0x8000_0000, lower: UInt32 = 0x7fff_ffff, matrixA: UInt32 = 0x9908_b0df
        for k in 0..<Self.n {
            let y = (state[k] & upper) | (state[(k + 1) % Self.n] & lower)
            state[k] = state[(k + Self.m) % Self.n] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : matrixA)
        }
        index = 0
    }

    /// `getrandbits(k)` for 0 ≤ k ≤ 64: whole 32-bit words least significant first, the last word's surplus low bits
    /// dropped by a right shift, as CPython assembles them.
    mutating func getrandbits(_ k: Int) -> UInt64 {
        precondition((0...64).contains(k), "getrandbits supports 0...64 bits")  // callers pass bit lengths of Int
        if k == 0 { return 0 }
        if k <= 32 { return UInt64(nextUInt32() >> UInt32(32 - k)) }
        let low = UInt64(nextUInt32())
        let high = UInt64(nextUInt32() >> UInt32(64 - k))
        return low | (high << 32)
    }

    /// `_randbelow_with_getrandbits(n)`: rejection sampling on `n.bit_length()` bits (not `(n − 1)`'s, as CPython).
    mutating func randbelow(_ n: Int) -> Int {
        precondition(n > 0, "randbelow needs a positive bound")
        let k = Int.bitWidth - n.leadingZeroBitCount
        var r = getrandbits(k)
        while r >= UInt64(n) { r = getrandbits(k) }
        return Int(r)
    }

    /// `randint(a, b)`: a uniform integer in the closed range a...b.
    mutating func randint(_ a: Int, _ b: Int) -> Int {
        precondition(a <= b, "randint needs a <= b")
        return a + randbelow(b - a + 1)
    }
}
