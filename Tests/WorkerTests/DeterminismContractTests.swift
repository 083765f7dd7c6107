import CKernels
import Foundation
import Testing
import TestSupport
@testable import Worker

/// The determinism contract (README, "Determinism") under every OpenBLAS core type and kernel variant this CPU can
/// run: `prunerzero-worker determinism-check` as a child process per environment, since OpenBLAS reads
/// OPENBLAS_CORETYPE only while loading. Each child checks the bit-identity properties itself; these tests check
/// that they held everywhere, that the AVX2 and AVX-512 kernels agree bit for bit, and that core types and variants
/// agree within the stated rounding bound.
@Suite("Determinism contract", .enabled(if: DeterminismRuns.worker != nil, "prunerzero-worker is not built"))
struct DeterminismContractTests {
    typealias Run = DeterminismRuns.Run
    static var runs: [Run] { DeterminismRuns.runs }
    static var coretypes: [String] { DeterminismRuns.coretypes }
    static func run(coretype: String, kernels: String, extra: [String] = []) -> Run {
        DeterminismRuns.run(coretype: coretype, kernels: kernels, extra: extra)
    }

    @Test func bitIdentityHoldsUnderEveryCoretypeAndVariant() {
        #expect(Self.runs.count >= 1)
        for r in Self.runs {
            // OpenBLAS falls back to its own detection for a core type this CPU cannot run; the list above avoids it.
            #expect(r.report?.corename == r.coretype && r.report?.kernels == r.kernels,
                    "\(r.coretype)/\(r.kernels) ran \(r.report?.corename ?? "?")/\(r.report?.kernels ?? "?")")
            #expect(r.status == 0 && r.report?.failures == [],
                    "\(r.coretype)/\(r.kernels): \(r.report?.failures ?? []) \(r.stderr.suffix(400))")
        }
    }

    /// The fused attention's FMA order is the same in the AVX2 and AVX-512 builds, and the element-wise kernels are
    /// the same in all three: on one core type, AVX2 and AVX-512 give the same bits everywhere.
    @Test func avx2AndAvx512GiveTheSameBits() {
        for coretype in Self.coretypes {
            let fused = Self.runs.filter { $0.coretype == coretype && $0.kernels != "baseline" }.compactMap(\.report)
            for r in fused.dropFirst() {
                #expect(r.hiddenDigest == fused[0].hiddenDigest && r.gDigest == fused[0].gDigest,
                        "\(coretype): \(r.kernels) differs from \(fused[0].kernels)")
            }
        }
    }

    /// Across core types and variants the summation order differs, so the bits do; the per-window NLL and
    /// perplexity must stay within the bound README, "Determinism" derives, and G within its norm-wise bound.
    @Test func coretypesAndVariantsAgreeWithinTheStatedBound() throws {
        let reports = Self.runs.compactMap(\.report)
        let first = try #require(reports.first)
        let c = DeterminismCheckCommand.config()
        let nllBound = DeterminismBound.meanNLL(c, seqlen: DeterminismCheckCommand.seqlen, logitScale: first.logitScale)
        let gBound = DeterminismBound.gradientNormwise(c, seqlen: DeterminismCheckCommand.seqlen)
        // The bound the worker sends the coordinator (tighter: probabilistic accumulation) must hold too.
        let p = LlamaParameters(initialized: c, std: 0.1, seed: 5)
        let fitnessBound = DeterminismBound.fitness(c, seqlen: DeterminismCheckCommand.seqlen, headRowNorm:
            DeterminismBound.headRowNorm(projection: p.lmHead.isEmpty ? p.embedding : p.lmHead, norm: p.finalNorm))
        var worstNLL = 0.0, worstG = 0.0
        for r in reports.dropFirst() {
            let nll = zip(r.windowNLL, first.windowNLL).map { abs($0 - $1) }.max()!
            let ppl = abs(r.perplexity - first.perplexity) / first.perplexity
            let g = normwise(r.gSample, first.gSample)
            worstNLL = max(worstNLL, nll); worstG = max(worstG, g)
            #expect(nll <= nllBound && ppl <= nllBound, "\(r.corename)/\(r.kernels): ΔNLL \(nll), Δppl/ppl \(ppl), bound \(nllBound)")
            #expect(nll <= fitnessBound && ppl <= fitnessBound,
                    "\(r.corename)/\(r.kernels): ΔNLL \(nll), Δppl/ppl \(ppl), fitness bound \(fitnessBound)")
            #expect(g <= gBound, "\(r.corename)/\(r.kernels): ‖ΔG‖/‖G‖ = \(g), bound \(gBound)")
        }
        print("determinism: \(reports.count) core type × variant runs; worst |Δ window NLL| \(worstNLL) (bound \(nllBound), "
              + "fitness bound \(fitnessBound)), "
              + "worst ‖ΔG‖/‖G‖ \(worstG) (bound \(gBound))")
    }

    /// The check is not vacuous: with every token product one sgemm over its chunk (the engine before issue 11),
    /// it fails on Haswell's kernels.
    @Test(.enabled(if: DeterminismRuns.coretypes.contains("Haswell")))
    func theCheckCatchesChunkWideProductsOnHaswell() {
        let r = Self.run(coretype: "Haswell", kernels: "avx2", extra: ["--chunk-wide-sgemm"])
        #expect(r.status == 1 && !(r.report?.failures ?? []).isEmpty, "\(r.report?.failures ?? [])")
    }

    func normwise(_ a: [Float], _ b: [Float]) -> Double {
        let d = zip(a, b).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) }
        let n = b.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (d / n).squareRoot()
    }
}

/// The child runs behind the suite, made once per test process.
enum DeterminismRuns {
    static let worker: URL? = {
        let url = BuiltBinary.directory.appendingPathComponent("prunerzero-worker")
        return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
    }()

    /// The OpenBLAS 0.3.21 families this CPU can run: Zen and Haswell share kernels, but both are listed because
    /// a Zen node picks Zen.
    static var coretypes: [String] {
        let flags = CPUFlags.current()
        let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains)
        var names: [String] = []
        if flags.contains("avx") { names.append("Sandybridge") }
        if flags.contains("avx2") && flags.contains("fma") { names += ["Haswell", "Zen"] }
        if avx512 { names.append("SkylakeX") }
        if avx512 && flags.contains("avx512_bf16") { names.append("Cooperlake") }
        return names
    }

    static var kernelVariants: [String] {
        defer { pz_kernels_use_default_on_this_thread() }
        return [PZ_KERNELS_BASELINE, PZ_KERNELS_AVX2, PZ_KERNELS_AVX512].compactMap {
            pz_kernels_use_on_this_thread($0) == 1 ? String(cString: pz_kernels_name($0)) : nil
        }
    }

    struct Run {
        let coretype: String
        let kernels: String
        let status: Int32
        let report: DeterminismCheckCommand.Report?
        let stderr: String
    }

    static func run(coretype: String, kernels: String, extra: [String] = []) -> Run {
        var environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("OPENBLAS_") && !$0.key.hasPrefix("PRUNERZERO_BLAS") && $0.key != "PRUNERZERO_KERNELS"
        }
        environment["OPENBLAS_CORETYPE"] = coretype
        environment["PRUNERZERO_KERNELS"] = kernels
        guard let outcome = try? BuiltBinary.run("prunerzero-worker", ["determinism-check"] + extra, environment: environment)
        else { return Run(coretype: coretype, kernels: kernels, status: -1, report: nil, stderr: "could not start") }
        return Run(coretype: coretype, kernels: kernels, status: outcome.status,
                   report: try? JSONDecoder().decode(DeterminismCheckCommand.Report.self, from: Data(outcome.stdout.utf8)),
                   stderr: outcome.stderr)
    }

    /// Every (core type, variant), run two at a time (a few seconds each in a debug build).
    static let runs: [Run] = {
        let pairs = coretypes.flatMap { c in kernelVariants.map { (c, $0) } }
        var results = [Run?](repeating: nil, count: pairs.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for i in stride(from: worker, to: pairs.count, by: 2) {
                let r = run(coretype: pairs[i].0, kernels: pairs[i].1)
                lock.lock(); results[i] = r; lock.unlock()
            }
        }
        return results.map { $0! }
    }()
}
