import Testing
@testable import Engine

/// The kernel decision on tables: CPU flags × OpenBLAS's own pick × environment.
@Suite struct BLASKernelChoiceTests {
    static let avx2: Set<String> = ["sse3", "avx", "avx2", "fma"]
    static let avx512 = avx2.union(["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"])
    static let avx512bf16 = avx512.union(["avx512_bf16", "amx_tile", "amx_bf16"])

    struct Row: Sendable, CustomTestStringConvertible {
        let flags: Set<String>
        let corename: String
        let environment: [String: String]
        let expected: BLASKernelChoice
        let testDescription: String
    }

    static let rows: [Row] = [
        // The compute nodes: Xeon family 6 model 207 (AVX-512 BF16 + AMX), unknown to OpenBLAS 0.3.21.
        Row(flags: avx512bf16, corename: "Prescott", environment: [:],
            expected: .reexec(coretype: "Cooperlake", defaultCorename: "Prescott"), testDescription: "EMR → Cooperlake"),
        Row(flags: avx512, corename: "Prescott", environment: [:],
            expected: .reexec(coretype: "SkylakeX", defaultCorename: "Prescott"), testDescription: "AVX-512 → SkylakeX"),
        Row(flags: avx512, corename: "Haswell", environment: [:],
            expected: .reexec(coretype: "SkylakeX", defaultCorename: "Haswell"), testDescription: "Haswell → SkylakeX"),
        Row(flags: avx2, corename: "Nehalem", environment: [:],
            expected: .reexec(coretype: "Haswell", defaultCorename: "Nehalem"), testDescription: "AVX2 → Haswell"),
        Row(flags: avx2, corename: "Sandybridge", environment: [:],
            expected: .reexec(coretype: "Haswell", defaultCorename: "Sandybridge"), testDescription: "AVX → Haswell"),
        // Already as good as the CPU allows, or better than our table knows.
        Row(flags: avx512, corename: "SkylakeX", environment: [:], expected: .keep(.alreadyBest),
            testDescription: "SkylakeX kept"),
        Row(flags: avx512, corename: "Cooperlake", environment: [:], expected: .keep(.alreadyBest),
            testDescription: "Cooperlake kept"),
        Row(flags: avx2, corename: "Zen", environment: [:], expected: .keep(.alreadyBest), testDescription: "Zen kept"),
        Row(flags: ["sse3"], corename: "Prescott", environment: [:], expected: .keep(.alreadyBest),
            testDescription: "old CPU kept"),
        Row(flags: [], corename: "Prescott", environment: [:], expected: .keep(.alreadyBest),
            testDescription: "no /proc/cpuinfo"),
        Row(flags: avx512bf16, corename: "SapphireRapids", environment: [:], expected: .keep(.alreadyBest),
            testDescription: "newer OpenBLAS kept"),
        Row(flags: avx512, corename: "NeoverseN2", environment: [:], expected: .keep(.unknownCorename("NeoverseN2")),
            testDescription: "unranked corename"),
        // The environment wins.
        Row(flags: avx512, corename: "Haswell", environment: ["OPENBLAS_CORETYPE": "Haswell"],
            expected: .keep(.environment("Haswell")), testDescription: "user's OPENBLAS_CORETYPE"),
        Row(flags: avx512, corename: "Prescott", environment: ["PRUNERZERO_BLAS_SELECT": "0"],
            expected: .keep(.disabled), testDescription: "switched off"),
        Row(flags: avx512, corename: "Prescott", environment: ["PRUNERZERO_BLAS_SELECT": "1"],
            expected: .reexec(coretype: "SkylakeX", defaultCorename: "Prescott"), testDescription: "switched on"),
        // After our re-exec: verify, never loop; after a failed self-check: stay on the default.
        Row(flags: avx512, corename: "SkylakeX",
            environment: ["OPENBLAS_CORETYPE": "SkylakeX", "PRUNERZERO_BLAS_REEXEC": "selected"],
            expected: .verify(coretype: "SkylakeX"), testDescription: "re-executed child verifies"),
        Row(flags: avx512, corename: "Prescott", environment: ["PRUNERZERO_BLAS_REEXEC": "fallback:SkylakeX"],
            expected: .keep(.fallback(rejected: "SkylakeX")), testDescription: "fallback does not retry"),
    ]

    @Test(arguments: rows) func decides(_ row: Row) {
        #expect(BLASKernelChoice.decide(flags: row.flags, corename: row.corename, environment: row.environment)
                == row.expected)
    }

    @Test func cpuinfoFlagsParse() {
        let cpuinfo = """
            processor\t: 0
            model\t\t: 207
            flags\t\t: fpu pni avx2 fma avx512f avx512bw avx512vl avx512dq avx512_bf16 amx_tile
            bugs\t\t: spectre_v1

            processor\t: 1
            flags\t\t: fpu
            """
        let flags = CPUFlags.parse(cpuinfo: cpuinfo)
        #expect(flags.contains("avx512_bf16") && flags.contains("sse3") && !flags.contains("spectre_v1"))
        #expect(BLASKernelChoice.bestCoretype(flags: flags) == "Cooperlake")
        #expect(CPUFlags.parse(cpuinfo: "processor : 0\n").isEmpty)
    }

    @Test func selfCheckPassesInThisProcess() {
        let result = BLASSelfCheck.run()
        #expect(result.passed, "worst case \(result.worstCase): \(result.worstRatio)× tolerance")
    }
}
