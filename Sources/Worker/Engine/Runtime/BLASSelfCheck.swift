import COpenBLAS
import Shared

/// A quick correctness check of the running OpenBLAS sgemm: odd shapes, transposes, alpha and beta, against a plain
/// Float64 triple loop. Run after we switch kernels, because a kernel family the CPU claims to support but runs
/// wrongly (a hypervisor hiding state, a library bug) must not silently corrupt every fitness evaluation.
///
/// Tolerance: |c − ref| ≤ 2·(K + 2)·ε_f32 · (|α|·Σ_k |a_ik·b_kj| + |β·c0_ij|) per element, twice the textbook
/// worst-case bound γ_K of a K-term float32 dot product (ε_f32 = 2⁻²³), so any correct blocking or FMA order passes
/// and a wrong kernel (errors of order the values themselves) fails.
package enum BLASSelfCheck {
    package struct Case: CustomStringConvertible {
        package let m: Int, n: Int, k: Int
        package let transA: Bool, transB: Bool
        package var description: String { "\(m)×\(n)×\(k)\(transA ? " Aᵀ" : "")\(transB ? " Bᵀ" : "")" }
    }

    package struct Result: Sendable {
        package let passed: Bool
        /// Largest |c − ref| / tolerance over all cases (≤ 1 passes).
        package let worstRatio: Double
        package let worstCase: String
    }

    package static let cases = [
        Case(m: 37, n: 53, k: 29, transA: false, transB: false),
        Case(m: 29, n: 37, k: 53, transA: true, transB: true),
        Case(m: 256, n: 256, k: 256, transA: false, transB: false),
    ]

    package static func run() -> Result {
        var worst = (ratio: 0.0, name: "")
        for c in cases {
            let ratio = worstRatio(c)
            if !(ratio <= worst.ratio) { worst = (ratio, c.description) }  // NaN counts as worst
        }
        return Result(passed: worst.ratio <= 1, worstRatio: worst.ratio, worstCase: worst.name)
    }

    /// Row-major C (m, n) = α·op(A)·op(B) + β·C, op(A) (m, k), op(B) (k, n); A is stored (k, m) when transposed.
    private static func worstRatio(_ c: Case) -> Double {
        let (m, n, k) = (c.m, c.n, c.k)
        var generator = SplitMix64(seed: 12345)
        func next() -> Float { generator.signedUnitFloat() }  // in [-1, 1): deterministic, no Foundation
        let a = (0..<(m * k)).map { _ in next() }
        let b = (0..<(k * n)).map { _ in next() }
        let c0 = (0..<(m * n)).map { _ in next() }
        let alpha: Float = 1.5, beta: Float = -0.5
        var out = c0
        cblas_sgemm(CblasRowMajor, c.transA ? CblasTrans : CblasNoTrans, c.transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(c.transA ? m : k), b, Int32(c.transB ? k : n),
                    beta, &out, Int32(n))

        let epsilon = Double(Float.ulpOfOne)
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let x = Double(c.transA ? a[p * m + i] : a[i * k + p])
                    let y = Double(c.transB ? b[j * k + p] : b[p * n + j])
                    sum += x * y
                    magnitude += abs(x * y)
                }
                let reference = Double(alpha) * sum + Double(beta) * Double(c0[i * n + j])
                let scale = abs(Double(alpha)) * magnitude + abs(Double(beta) * Double(c0[i * n + j]))
                let tolerance = max(2 * Double(k + 2) * epsilon * scale, Double.leastNormalMagnitude)
                let ratio = abs(Double(out[i * n + j]) - reference) / tolerance
                if !(ratio <= worst) { worst = ratio }
            }
        }
        return worst
    }
}
