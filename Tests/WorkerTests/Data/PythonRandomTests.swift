import Testing
@testable import Dataset

/// `PythonRandom` against CPython 3.11: each vector was printed by
/// `python3 -c 'import random; random.seed(S); print([random.randint(0,1983) for _ in range(8)],
///  [random.randint(0,1000000) for _ in range(3)], [random.randint(5,5) for _ in range(2)],
///  random.getrandbits(33), random.randint(0,2**40))'`.
@Suite struct PythonRandomTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let seed: Int
        let small: [Int], large: [Int]
        let bits33: UInt64
        let wide: Int
        var testDescription: String { "seed \(seed)" }
    }

    static let vectors: [Vector] = [
        Vector(seed: 0, small: [1729, 788, 1552, 1823, 861, 82, 530, 1977], large: [536110, 509532, 424604],
               bits33: 5_832_777_647, wide: 619_073_466_650),
        Vector(seed: 1, small: [275, 1165, 1735, 1643, 1564, 129, 522, 241], large: [519501, 797926, 471325],
               bits33: 3_387_541_014, wide: 1_069_849_980_556),
        Vector(seed: 42, small: [1309, 228, 51, 1518, 563, 501, 457, 285], large: [772246, 107473, 709570],
               bits33: 136_505_587, wide: 477_143_787_866),
        Vector(seed: -7, small: [663, 1941, 308, 808, 1333, 98, 148, 1681], large: [561913, 98702, 383452],
               bits33: 161_042_648, wide: 920_985_495_386),
        // Seeds past 32 bits seed with two key words.
        Vector(seed: 4_294_967_296, small: [231, 719, 855, 1914, 34, 46, 1252, 1794], large: [844782, 799364, 347614],
               bits33: 593_069_562, wide: 953_297_164_300),
        Vector(seed: 123_456_789_012_345, small: [1381, 451, 598, 840, 460, 1599, 1074, 1795],
               large: [120746, 650258, 712142], bits33: 4_863_960_169, wide: 596_769_474_441),
    ]

    @Test(arguments: vectors) func matchesCPython(_ v: Vector) {
        var random = PythonRandom(seed: v.seed)
        #expect((0..<8).map { _ in random.randint(0, 1983) } == v.small)
        #expect((0..<3).map { _ in random.randint(0, 1_000_000) } == v.large)
        // randint(5, 5) still draws a 1-bit word each time, as CPython does.
        #expect((0..<2).map { _ in random.randint(5, 5) } == [5, 5])
        #expect(random.getrandbits(33) == v.bits33)
        #expect(random.randint(0, 1 << 40) == v.wide)
    }

    /// The reference fixture's offsets (fixtures/prune-reference/README.md): seed 0, N = 2048, seqlen 64, 8 windows.
    @Test func referenceFixtureOffsets() {
        #expect(CalibrationOffsets.reference(seed: 0, count: 8, streamLength: 2048, seqlen: 64)
                == [1729, 788, 1552, 1823, 861, 82, 530, 1977])
    }
}
