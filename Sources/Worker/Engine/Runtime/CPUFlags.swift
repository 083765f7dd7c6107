import Foundation

/// The CPU feature flags Linux reports in /proc/cpuinfo, which are what the kernel has enabled (it hides AVX-512
/// when it does not save the zmm registers), so they say which OpenBLAS kernels can run.
package enum CPUFlags {
    /// The flags that decide between OpenBLAS's x86-64 kernel families, in the order `blas-info` prints them.
    package static let relevant = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq",
                           "avx512_bf16", "amx_tile", "amx_bf16"]

    /// The flags of this machine's first processor; empty when /proc/cpuinfo cannot be read (not Linux, or a
    /// sandbox), which makes the kernel choice keep OpenBLAS's own.
    package static func current() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        return parse(cpuinfo: text)
    }

    /// The words of the first `flags : …` line.
    package static func parse(cpuinfo: String) -> Set<String> {
        for line in cpuinfo.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "flags" else { continue }
            var flags = Set(parts[1].split(separator: " ").map(String.init))
            if flags.contains("pni") { flags.insert("sse3") }  // Linux calls SSE3 "pni" (Prescott New Instructions)
            return flags
        }
        return []
    }
}
