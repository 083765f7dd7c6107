// `prunerzero-worker bench-forward --model M`: the forward's tokens/s on a real model at several window lengths,
// and the ratio of the longest to the shortest (issue 13: tokens/s at 2048 ≥ 80% of tokens/s at 512).
//
// The same number of tokens at every length (random ids, fixed seed: the rate does not depend on the text), blocks
// plus lm_head NLL as `eval` runs them; lengths are interleaved round by round so machine load affects them alike,
// and the best round is reported, in wall time and in CPU time (user + system of the process: on a shared, loaded
// machine the wall time measures the neighbours as much as the engine, while the CPU time of a pass that never
// spins stays its own). Loading and dequantising the model is not timed.
import ArgumentParser
import Engine
import Foundation
import Model

extension BenchForwardCommand {
    func benchModel(_ path: String) throws {
        let lengths = try seqlenList()   // before the (slow) load, so a bad flag fails at once
        let weights = try ModelPath(path).weights()
        let c = weights.config
        let head = try OutputHead(weights)
        var ids = [TokenID](), state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<tokens {   // splitmix-style LCG: reproducible ids in [0, vocab)
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            ids.append(TokenID((state >> 33) % UInt64(c.vocab)))
        }
        let bodies: [() -> Void] = lengths.map { t in
            let windows = tokens / t, used = ids[0..<windows * t]
            let forward = Forward(config: c, seqlen: t, windows: windows)
            return {
                // Errors here are the model's (already loaded and checked): report and stop rather than time them.
                do { _ = head.windowNLL(try forward.run(weights, tokens: used), tokens: used) } catch {
                    FileHandle.standardError.write(Data("bench-forward: \(error)\n".utf8))
                    Foundation.exit(1)
                }
            }
        }
        for body in bodies { body() }   // warm-up
        var wall = [Double](repeating: .infinity, count: bodies.count), cpu = wall
        for _ in 0..<repeats {
            for (i, body) in bodies.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds, startCPU = Self.cpuSeconds()
                body()
                wall[i] = min(wall[i], Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                cpu[i] = min(cpu[i], Self.cpuSeconds() - startCPU)
            }
        }
        let name = URL(fileURLWithPath: path).lastPathComponent
        for (i, t) in lengths.enumerated() {
            let n = Double(tokens / t * t)
            print(String(format: "%@, %d windows × %d tokens: %.3f s, %.1f tokens/s; CPU %.3f s, %.1f tokens per CPU-second",
                         name as NSString, tokens / t, t, wall[i], n / wall[i], cpu[i], n / cpu[i]))
        }
        let n = lengths.map { Double(tokens / $0 * $0) }
        print(String(format: "tokens/s at %d / tokens/s at %d: %.3f (wall), %.3f (CPU)", lengths.last!, lengths[0],
                     n.last! / wall.last! / (n[0] / wall[0]), n.last! / cpu.last! / (n[0] / cpu[0])))
    }

    /// User + system CPU seconds of this process so far.
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    /// `--seqlens`, each at least 2 and at most `--tokens`.
    func seqlenList() throws -> [Int] {
        let list = seqlens.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !list.isEmpty, list.allSatisfy({ $0 != nil && $0! >= 2 && $0! <= tokens }) else {
            throw ValidationError("--seqlens must be a comma-separated list of lengths in 2...\(tokens) (--tokens)")
        }
        return list.map { $0! }
    }
}
