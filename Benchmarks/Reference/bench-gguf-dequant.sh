#!/bin/sh
# Single-core throughput of GGMLDequantizer, per type, on 16 M random elements (best of 5, this thread's CPU time, so
# a shared machine's neighbours do not count). The Worker target is an executable with OpenBLAS behind Parallel, so
# this compiles the three GGUF files alone with a one-range stand-in for Parallel.chunked, -O -wmo as a release
# build does (without -wmo the K-quant kernels cannot inline the byte loads from Dequantize.swift and run 4x slower).
#
#   sh Benchmarks/Reference/bench-gguf-dequant.sh        (from the package root)
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/Parallel.swift" <<'SWIFT'
enum Parallel { static func chunked(_ n: Int, grain: Int, _ body: (Range<Int>) -> Void) { if n > 0 { body(0..<n) } } }
SWIFT
cat > "$dir/main.swift" <<'SWIFT'
import Foundation
func cpuNanos() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}
let n = 1 << 24
var out = [Float](repeating: 0, count: n)
var state: UInt64 = 0x9E37_79B9_7F4A_7C15  // xorshift: random-looking bytes without a syscall each
for type in GGMLType.allCases where type.canDequantize {
    let src = (0..<type.byteCount(elements: n)! + 1).map { _ -> UInt8 in
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return UInt8(truncatingIfNeeded: state >> 32)
    }
    var best = UInt64.max
    for _ in 0..<5 {
        let start = cpuNanos()
        try src.withUnsafeBytes { s in
            try out.withUnsafeMutableBufferPointer {
                try GGMLDequantizer.dequantize(type, from: s.baseAddress! + 1, count: n, into: $0.baseAddress!)
            }
        }
        best = min(best, cpuNanos() - start)
    }
    print(type.name.padding(toLength: 6, withPad: " ", startingAt: 0), Int(Double(n) / Double(best) * 1000), "M elements/s")
}
SWIFT
g="$root/Sources/Worker/Model/GGUF"
swiftc -O -wmo -o "$dir/bench" "$g/GGMLType.swift" "$g/Dequantize.swift" "$g/Dequantize+KQuants.swift" \
    "$dir/Parallel.swift" "$dir/main.swift"
"$dir/bench"
