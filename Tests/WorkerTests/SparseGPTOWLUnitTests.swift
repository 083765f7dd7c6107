import Foundation
import Testing
@testable import Shared
@testable import Model
@testable import Tokenizer
@testable import Dataset
@testable import Engine
@testable import Fitness
@testable import Serve
@testable import Training

/// SparseGPT's and OWL's parts on their own: arguments, the allocation's arithmetic, bad input, and SparseGPT's
/// reconstruction doing what it is for (a lower output error than the same sparsity without updates).
struct SparseGPTOWLUnitTests {
    @Test func layerSparsityArguments() throws {
        #expect(try LayerSparsity(argument: "uniform") == .uniform)
        #expect(try LayerSparsity(argument: "owl") == .owl(m: 5, lambda: 0.08))
        #expect(try LayerSparsity(argument: "owl:7,0.1") == .owl(m: 7, lambda: 0.1))
        #expect(LayerSparsity.owl(m: 5, lambda: 0.08).description == "owl:5,0.08")
        #expect(throws: LayerSparsityError.badM(0)) { try LayerSparsity(argument: "owl:0,0.08") }
        #expect(throws: LayerSparsityError.badM(-1)) { try LayerSparsity(argument: "owl:-1,0.08") }
        #expect(throws: LayerSparsityError.badLambda(0.9)) { try LayerSparsity(argument: "owl:5,0.9") }
        #expect(throws: LayerSparsityError.badLambda(-0.1)) { try LayerSparsity(argument: "owl:5,-0.1") }
        for bad in ["owl:5", "owl:a,b", "owl:5,0.1,2", "OWL", "owl:", ""] {
            #expect(throws: LayerSparsityError.unknown(bad)) { try LayerSparsity(argument: bad) }
        }
    }

    /// numpy 2.4.6's `np.sum` of the same float64 values (pairwise, 8 accumulators): not the naive left-to-right
    /// sum (…23 for n = 9, …69 for n = 200), so the allocation's mean is numpy's to the bit.
    @Test func numpySumIsPairwise() {
        let scale = [0.01, 0.1, 1.0, 10.0, 100.0]
        func values(_ n: Int) -> [Double] {
            (0..<n).map { (i: Int) -> Double in
                let numerator = Double((i * 37) % 101 - 50), denominator = Double(i % 7 + 3)
                return numerator / denominator * scale[i % 5]
            }
        }
        #expect(OWLAllocation.numpySum(values(9)[...]) == 6.8270238095238085)
        #expect(OWLAllocation.numpySum(values(200)[...]) == 870.7303373015873)
        #expect(OWLAllocation.numpySum(values(30)[...]) == -275.2925396825399)
        #expect(OWLAllocation.numpySum(values(5)[...]) == values(5).reduce(0, +))
    }

    @Test func allocationKeepsTheMeanAndItsRange() throws {
        let ratios = [0.3, 1.2, 0.7, 2.5, 0.1, 0.9, 1.4, 0.2, 0.5, 3.0]
        let a = try OWLAllocation(outlierRatios: ratios, target: 0.6, lambda: 0.08)
        let mean = a.blockSparsity.reduce(0, +) / Double(ratios.count)
        #expect(Swift.abs(mean - 0.6) < 1e-12)
        #expect(Swift.abs(a.blockSparsity.max()! - a.blockSparsity.min()! - 0.16) < 1e-12)
        // More outliers, less sparsity: block 9 (ratio 3.0) is kept densest, block 4 (0.1) pruned most.
        #expect(a.blockSparsity.firstIndex(of: a.blockSparsity.min()!) == 9)
        #expect(a.blockSparsity.firstIndex(of: a.blockSparsity.max()!) == 4)
        // Equal ratios: the official divides by zero; here, uniform.
        #expect(try OWLAllocation(outlierRatios: [1, 1, 1], target: 0.5, lambda: 0.08).blockSparsity == [0.5, 0.5, 0.5])
        // Clamped as the official: a block at or below 0 gets 0.01.
        #expect(try OWLAllocation(outlierRatios: [0, 1], target: 0.05, lambda: 0.1).blockSparsity[1] == 0.01)
        do {
            _ = try OWLAllocation(outlierRatios: [0, 1], target: 0.9, lambda: 0.2)
            Issue.record("a block sparsity of 1.1 was accepted")
        } catch let LayerSparsityError.blockOutOfRange(block, sparsity) {
            #expect(block == 0 && Swift.abs(sparsity - 1.1) < 1e-12)
        }
    }

    @Test func outlierRatioCountsScoresAboveMTimesTheMean() {
        // mean 1.725, 5 × mean = 8.625: one score of 20 (of 20 scores) above it.
        let scores: [Float] = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 20]
        #expect(OWLAllocation.outlierRatio(scores, m: 5) == 5)
        #expect(OWLAllocation.outlierRatio(scores, m: 20) == 0)
    }

    @Test func sparseGPTRefusesBadInput() throws {
        var w = [Float](repeating: 1, count: 4 * 12)
        var h = identity(12)
        #expect(throws: SparseGPTError.patternTooLarge(layer: "l", m: 12, blockSize: 128)) {
            try SparseGPT.prune(weights: &w, rows: 4, cols: 12, hessian: &h, pattern: .nOfM(n: 6, m: 12), layer: "l")
        }
        h = identity(12)
        h[5] = .nan
        #expect(throws: SparseGPTError.nonFiniteHessian(layer: "l")) {
            try SparseGPT.prune(weights: &w, rows: 4, cols: 12, hessian: &h, pattern: .unstructured(ratio: 0.5), layer: "l")
        }
        h = identity(12).map { -$0 }   // negative definite: damping by 1% of a negative mean cannot help
        #expect(throws: SparseGPTError.lapack(layer: "l", routine: "dpotrf (Cholesky of H)", info: 1)) {
            try SparseGPT.prune(weights: &w, rows: 4, cols: 12, hessian: &h, pattern: .unstructured(ratio: 0.5), layer: "l")
        }
    }

    /// Dead inputs (never active) are zeroed as the official does; the rest keep their share of the mask.
    @Test func deadInputsAreZeroed() throws {
        var rng = SplitMix(seed: 3)
        let rows = 8, cols = 16, tokens = 64
        var x = (0..<tokens * cols).map { _ in rng.normal() }
        for t in 0..<tokens { x[t * cols + 3] = 0 }
        var h = gram(x, tokens: tokens, cols: cols)
        var w = (0..<rows * cols).map { _ in rng.normal() }
        _ = try SparseGPT.prune(weights: &w, rows: rows, cols: cols, hessian: &h, pattern: .unstructured(ratio: 0.25), layer: "l")
        #expect((0..<rows).allSatisfy { w[$0 * cols + 3] == 0 })
    }

    /// The reason SparseGPT exists: with updates, ‖(W − Ŵ)·Xᵀ‖² on the calibration inputs is lower than pruning the
    /// same mask without updates, and lower than Wanda's mask at the same sparsity. Inputs with correlated features
    /// (x = z·A) and 300 columns (three 128-column blocks, the lazy update across blocks included).
    @Test(arguments: [SparsitySpec.unstructured(ratio: 0.5), .nOfM(n: 2, m: 4)])
    func reconstructionBeatsPruningWithoutUpdates(pattern: SparsitySpec) throws {
        var rng = SplitMix(seed: 11)
        let rows = 24, cols = 300, tokens = 600, rank = 40
        let z = (0..<tokens * rank).map { _ in rng.normal() }
        let a = (0..<rank * cols).map { _ in rng.normal() }
        var x = [Float](repeating: 0, count: tokens * cols)
        for t in 0..<tokens { for k in 0..<rank { for c in 0..<cols { x[t * cols + c] += z[t * rank + k] * a[k * cols + c] } } }
        for t in 0..<tokens { for c in 0..<cols { x[t * cols + c] += 0.1 * rng.normal() } }
        let w = (0..<rows * cols).map { _ in rng.normal() }
        var h = gram(x, tokens: tokens, cols: cols)
        var updated = w
        let mask = try SparseGPT.prune(weights: &updated, rows: rows, cols: cols, hessian: &h, pattern: pattern, layer: "l")
        #expect(Swift.abs(mask.sparsity - 0.5) < 0.01)
        #expect((0..<rows * cols).allSatisfy { !mask[$0 / cols, $0 % cols] || updated[$0] == 0 })
        var masked = w
        masked.withUnsafeMutableBufferPointer { mask.apply(to: $0.baseAddress!) }
        let xNorms = (0..<cols).map { c in (0..<tokens).reduce(Float(0)) { $0 + x[$1 * cols + c] * x[$1 * cols + c] } }
        let wanda = (0..<rows * cols).map { Swift.abs(w[$0]) * xNorms[$0 % cols].squareRoot() }
        var wandaPruned = w
        wanda.withUnsafeBufferPointer { MaskSelection.mask(metric: $0, rows: rows, cols: cols, pattern: pattern) }
            .apply(to: &wandaPruned)
        let withUpdates = outputError(w, updated, x, rows: rows, cols: cols, tokens: tokens)
        let without = outputError(w, masked, x, rows: rows, cols: cols, tokens: tokens)
        let wandaError = outputError(w, wandaPruned, x, rows: rows, cols: cols, tokens: tokens)
        print("\(pattern): output error with updates \(withUpdates), same mask without \(without), wanda \(wandaError)")
        #expect(withUpdates < 0.5 * without && withUpdates < 0.5 * wandaError)
    }

    // MARK: helpers

    private func identity(_ n: Int) -> [Double] { (0..<n * n).map { $0 / n == $0 % n ? 1 : 0 } }

    /// 2/1·Σ x xᵀ over the tokens, as HessianCollector with one window.
    private func gram(_ x: [Float], tokens: Int, cols: Int) -> [Double] {
        var h = [Double](repeating: 0, count: cols * cols)
        for t in 0..<tokens {
            for i in 0..<cols where x[t * cols + i] != 0 {
                for j in 0..<cols { h[i * cols + j] += 2 * Double(x[t * cols + i]) * Double(x[t * cols + j]) }
            }
        }
        return h
    }

    private func outputError(_ w: [Float], _ v: [Float], _ x: [Float], rows: Int, cols: Int, tokens: Int) -> Double {
        var total = 0.0
        for t in 0..<tokens {
            for r in 0..<rows {
                var d = 0.0
                for c in 0..<cols { d += Double(w[r * cols + c] - v[r * cols + c]) * Double(x[t * cols + c]) }
                total += d * d
            }
        }
        return total
    }
}

private extension PruningMask {
    func apply(to weights: inout [Float]) { weights.withUnsafeMutableBufferPointer { apply(to: $0.baseAddress!) } }
}

/// A small deterministic source of normal variates for the tests (SplitMix64, Box–Muller).
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func normal() -> Float {
        // u1 in (0, 1] so the log is finite; u2 in [0, 1). 53 random bits each, divided by 2^53.
        let u1 = (Double(next() >> 11) + 1) / 0x1p53, u2 = Double(next() >> 11) / 0x1p53
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }
}
