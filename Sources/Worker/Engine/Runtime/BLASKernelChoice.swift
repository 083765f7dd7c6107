/// Which OpenBLAS kernel family (`OPENBLAS_CORETYPE`) the worker should run, decided from the CPU's flags, the
/// family OpenBLAS picked itself and the environment. Pure, so it is tested on tables; `BLASRuntime` acts on it.
///
/// Why: Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) does not know recent Xeons (e.g. family 6 model 207) and falls back
/// to its SSE3 "Prescott" kernels, about 5× slower in sgemm than the SkylakeX/Cooperlake kernels those CPUs run.
/// OpenBLAS reads `OPENBLAS_CORETYPE` only while it loads (before `main`), hence a re-exec to change it.
package enum BLASKernelChoice: Equatable {
    /// Run as we are.
    case keep(KeepReason)
    /// Re-execute with `OPENBLAS_CORETYPE=coretype`; `defaultCorename` is what OpenBLAS picked on its own.
    case reexec(coretype: String, defaultCorename: String)
    /// We are the re-executed process: run the self-check on the kernel we chose.
    case verify(coretype: String)

    package enum KeepReason: Equatable {
        /// `PRUNERZERO_BLAS_SELECT=0`.
        case disabled
        /// `OPENBLAS_CORETYPE` was set by the user (some machines set it because other kernels crash there).
        case environment(String)
        /// Our choice failed its self-check and this process runs OpenBLAS's default instead.
        case fallback(rejected: String)
        /// OpenBLAS's own pick is as good as anything the CPU supports.
        case alreadyBest
        /// A corename this table does not rank (e.g. a newer OpenBLAS's): trust OpenBLAS.
        case unknownCorename(String)
    }

    /// Environment variables this decision reads and `BLASRuntime` writes.
    package enum Env {
        package static let coretype = "OPENBLAS_CORETYPE"
        /// "0" turns the selection off.
        package static let select = "PRUNERZERO_BLAS_SELECT"
        /// Set on re-exec, so the child neither loops nor mistakes our choice for the user's: "selected" or
        /// "fallback:<rejected coretype>".
        package static let marker = "PRUNERZERO_BLAS_REEXEC"
        /// OpenBLAS's own pick, handed to the re-executed process for its log line.
        package static let defaultCorename = "PRUNERZERO_BLAS_DEFAULT"
        /// For tests: the corename `BLASRuntime` passes here instead of OpenBLAS's answer.
        package static let pretendCorename = "PRUNERZERO_BLAS_PRETEND_CORENAME"
    }

    package static func decide(flags: Set<String>, corename: String, environment: [String: String]) -> BLASKernelChoice {
        if environment[Env.select] == "0" { return .keep(.disabled) }
        let marker = environment[Env.marker] ?? ""
        if marker.hasPrefix("fallback:") { return .keep(.fallback(rejected: String(marker.dropFirst(9)))) }
        if let set = environment[Env.coretype], !set.isEmpty {
            return marker == "selected" ? .verify(coretype: set) : .keep(.environment(set))
        }
        guard let current = rank(of: corename) else { return .keep(.unknownCorename(corename)) }
        guard let best = bestCoretype(flags: flags), let bestRank = rank(of: best), bestRank > current else {
            return .keep(.alreadyBest)
        }
        return .reexec(coretype: best, defaultCorename: corename)
    }

    /// The fastest family of Debian's OpenBLAS 0.3.21 that the flags allow, or nil below AVX2.
    package static func bestCoretype(flags: Set<String>) -> String? {
        let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains)
        if avx512 && flags.contains("avx512_bf16") { return "Cooperlake" }
        if avx512 { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The instruction-set tier of the CPUs an `openblas_get_corename()` family is for: 0 SSE-only, 1 AVX,
    /// 2 AVX2+FMA, 3 AVX-512, 4 AVX-512 BF16, 5 AMX. Nil for names not listed (the 0.3.21 names plus Sapphire Rapids).
    package static func rank(of corename: String) -> Int? {
        switch corename.lowercased() {
        case "unknown", "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn",
             "dunnington", "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat":
            return 0
        case "sandybridge", "bulldozer", "piledriver", "steamroller":
            return 1
        case "haswell", "zen", "excavator":  // Excavator has AVX2: OpenBLAS's pick for it is deliberate.
            return 2
        case "skylakex":
            return 3
        case "cooperlake":
            return 4
        case "sapphirerapids":
            return 5
        default:
            return nil
        }
    }
}
