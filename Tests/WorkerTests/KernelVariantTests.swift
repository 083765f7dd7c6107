import CKernels
import Foundation
import Testing


/// The C kernels come in one variant per instruction set; the forward pass must not depend on which one a machine
/// picks. Every variant this CPU runs is checked bit for bit against the baseline, on sizes with SIMD tails.
/// Variants are chosen per thread, so these tests do not change what concurrently running tests compute.
@Suite("Kernel variants")
struct KernelVariantTests {
    /// Runs `body` on this thread under each variant this CPU supports (kernel calls `body` spreads over other
    /// threads use the default variant).
    static func underEachVariant<T>(_ body: () -> T) -> [(String, T)] {
        defer { pz_kernels_use_default_on_this_thread() }
        return [PZ_KERNELS_BASELINE, PZ_KERNELS_AVX2, PZ_KERNELS_AVX512].compactMap { isa in
            pz_kernels_use_on_this_thread(isa) == 1 ? (String(cString: pz_kernels_name(isa)), body()) : nil
        }
    }

    static func bits(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }

    @Test func everyVariantGivesTheBaselinesBits() {
        let n = 16 * 5 + 7, rows = 3, width = 16 * 2 + 9
        let g = KernelTwinTests.random(n, seed: 21, scale: 12), u = KernelTwinTests.random(n, seed: 22)
        let x = KernelTwinTests.random(rows * width, seed: 23, scale: 3), w = KernelTwinTests.random(width, seed: 24)
        let results = Self.underEachVariant { () -> [UInt32] in
            var silu = g
            pz_silu_mul(&silu, u, n)
            var soft = g
            pz_softmax(&soft, n - 20, n)
            var norm = [Float](repeating: 0, count: rows * width)
            pz_rms_norm(&norm, x, w, rows, width, 1e-5)
            return Self.bits(silu + soft + norm + [pz_log_sum_exp(g, n)])
        }
        #expect(results.count >= 1)
        for (name, bits) in results.dropFirst() {
            #expect(bits == results[0].1, "variant \(name) differs from the baseline")
        }
    }

    @Test func softmaxZeroesTheMaskedTailAndKeepsNaN() {
        for (name, row) in Self.underEachVariant({ () -> [Float] in
            var row: [Float] = (0..<40).map { Float($0) / 7 }
            pz_softmax(&row, 23, 40)
            return row
        }) {
            #expect(row[23...].allSatisfy { $0 == 0 }, "\(name): masked entries must be exact zeros")
            #expect(abs(row[..<23].reduce(0, +) - 1) < 1e-6, "\(name)")
        }
        for (name, row) in Self.underEachVariant({ () -> [Float] in
            var row = [Float](repeating: 1, count: 33)
            row[30] = .nan
            pz_softmax(&row, 33, 33)
            return row
        }) {
            #expect(row.allSatisfy { $0.isNaN }, "\(name): a NaN score must poison its row, not vanish")
        }
    }

    @Test func theWidestSupportedVariantIsActive() {
        defer { pz_kernels_use_default_on_this_thread() }
        let active = pz_kernels_active()
        #expect(pz_kernels_use_on_this_thread(PZ_KERNELS_BASELINE) == 1)
        #expect(pz_kernels_active() == PZ_KERNELS_BASELINE)
        // PRUNERZERO_KERNELS may choose a narrower one (the determinism runs do): then that one is active.
        if let asked = ProcessInfo.processInfo.environment["PRUNERZERO_KERNELS"] {
            #expect(String(cString: pz_kernels_name(active)) == asked)
            return
        }
        for wider in [PZ_KERNELS_AVX2, PZ_KERNELS_AVX512] where wider.rawValue > active.rawValue {
            #expect(pz_kernels_use_on_this_thread(wider) == 0, "\(String(cString: pz_kernels_name(wider))) is supported but not active")
        }
    }
}
