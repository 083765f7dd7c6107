// OWL's per-block sparsity (Yin et al., ICML 2024), as `prune_wanda_outlier` in github.com/luuyin/OWL
// (lib/prune_all.py) computes it before pruning anything:
//   per block, the Wanda scores |W|·sqrt(X) of its seven linears, X from the dense model (its first pass prunes
//   nothing, so this is the bundle's dense X), flattened together; outlier ratio D = 100 · share of scores
//   > M · their mean (`check_outlier_mean`);
//   D ← (D − min D) · (1/(max D − min D) · λ · 2);  density = D − mean(D) + (1 − target);
//   block sparsity = 1 − density, or 0.01 where that is ≤ 0.
// Float32 where torch computes (scores, their mean, the threshold, the comparison), Float64 where numpy does (the
// rest), with numpy's pairwise summation for the mean, so the values are the official's bit for bit when the
// float32 mean agrees (torch sums float32 in a cascade; we sum in Float64 and round: a few ulps at most, which moves
// the count only for a score within those ulps of the threshold). The official computes scores in the model's dtype
// (fp16 on its GPUs); ours are float32. Deviation: when every block has the same outlier ratio the official divides
// by zero (NaN sparsities, then an error); here the allocation is uniform.
import Foundation
import Shared
import Model

package struct OWLAllocation: Equatable, Codable {
    /// Outlier ratio per block, in percent.
    package let outlierRatios: [Double]
    /// Sparsity per block; their mean is the target (unless a block was clamped at 0.01).
    package let blockSparsity: [Double]

    /// The allocation for `model` at `target` sparsity with outlier factor `m` and half range `lambda`.
    package init(model: ModelWeights, denseX: [String: [Float]], target: Double, m: Double, lambda: Double) throws {
        var ratios: [Double] = []
        var block = BlockWeights(zeros: model.config)
        for layer in 0..<model.config.layers {
            try model.block(layer, into: &block)
            var scores: [Float] = []
            for linear in PrunableLinear.allCases {
                let name = linear.name(layer: layer)
                guard let x = denseX[name] else { throw FitnessFailure.missingActivations(linear: name) }
                let shape = linear.tensor.shape(model.config)
                let w = block[linear.tensor]
                guard x.count == shape[1] else { throw PruningError.shapeMismatch(layer: name + " X", expected: [shape[1]], found: [x.count]) }
                let root = x.map { $0.squareRoot() }
                scores.reserveCapacity(scores.count + w.count)
                for r in 0..<shape[0] { for c in 0..<shape[1] { scores.append(Swift.abs(w[r * shape[1] + c]) * root[c]) } }
            }
            ratios.append(Self.outlierRatio(scores, m: m))
        }
        try self.init(outlierRatios: ratios, target: target, lambda: lambda)
    }

    /// The allocation from given outlier ratios (the numpy half of the official code).
    package init(outlierRatios: [Double], target: Double, lambda: Double) throws {
        self.outlierRatios = outlierRatios
        guard let low = outlierRatios.min(), let high = outlierRatios.max(), high > low else {
            blockSparsity = outlierRatios.map { _ in target }
            return
        }
        let scaled = outlierRatios.map { ($0 - low) * (1 / (high - low) * lambda * 2) }
        let mean = Self.numpySum(scaled[...]) / Double(scaled.count)
        blockSparsity = scaled.map { 1 - ($0 - mean + (1 - target)) }.map { $0 <= 0 ? 0.01 : $0 }
        for (block, s) in blockSparsity.enumerated() where !(s < 1) {
            throw LayerSparsityError.blockOutOfRange(block: block, sparsity: s)
        }
    }

    /// `check_outlier_mean`: 100 · (number of scores > M · mean) / count; the mean rounded to Float32 and the
    /// product in Float32, as torch's `torch.mean(W) * threshold` on a float32 tensor.
    package static func outlierRatio(_ scores: [Float], m: Double) -> Double {
        let mean = Float(scores.reduce(0.0) { $0 + Double($1) } / Double(scores.count))
        let threshold = mean * Float(m)
        let count = scores.reduce(0) { $0 + ($1 > threshold ? 1 : 0) }
        return Double(count) / Double(scores.count) * 100
    }

    /// numpy's pairwise summation of float64 (`pairwise_sum_DOUBLE`): 8 accumulators below 128 elements, halves above.
    package static func numpySum(_ a: ArraySlice<Double>) -> Double {
        let n = a.count, base = a.startIndex
        if n < 8 { return a.reduce(0, +) }
        if n <= 128 {
            var r = (0..<8).map { a[base + $0] }
            var i = 8
            while i < n - n % 8 {
                for j in 0..<8 { r[j] += a[base + i + j] }
                i += 8
            }
            var result = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n { result += a[base + i]; i += 1 }
            return result
        }
        var half = n / 2
        half -= half % 8
        return numpySum(a[base..<base + half]) + numpySum(a[(base + half)...])
    }
}
