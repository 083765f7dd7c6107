// SparseGPT (Frantar & Alistarh 2023): prune one linear and update its remaining weights to reconstruct its output on
// the calibration inputs. Follows `SparseGPT.fasterprune` of github.com/IST-DASLab/sparsegpt (sparsegpt.py, the
// version github.com/pprp/Pruner-Zero carries in lib/sparsegpt.py), step for step:
//   dead inputs (H_jj = 0): H_jj = 1, W[:, j] = 0;  H += 1% of mean(diag H) on the diagonal;
//   U = upper Cholesky factor of H⁻¹;  for each block of 128 columns, left to right:
//     unstructured: the block's mask = entries with W²/U_jj² ≤ the ⌊numel·s⌋-th smallest over the whole block
//     (rows × 128 at once, not per row); N:M: at every M-th column, per row the N smallest W²/U_jj² of the group;
//     column by column: q = masked w → 0, err = (w − q)/U_ii, the block's later columns −= err ⊗ U[i, i:];
//   then the lazy update of every later column: W[:, i2:] −= Err · U[i1:i2, i2:].
// What it does not do: quantization (the official `quantizer`), the error sum it prints.
// Deviations: H and its factor are Float64 (the official float32; see InverseCholesky and the error analysis in
// SparseGPTReferenceTests), cast to Float32 for the column loop, which is Float32 as the official. N:M groups are the
// matrix's global groups of M columns; the official forms them by column index within a block, which is the same
// grouping whenever M divides 128 (2:4, 4:8); other M are refused. N:M ties: lower column first (torch.topk's tie
// order is unspecified), as MaskSelection does.
import Engine
import Model
import Shared

enum SparseGPT {
    static let blockSize = 128
    static let percentDamp = 0.01

    /// Prunes `weights` (rows, cols) row-major in place and returns which entries the algorithm zeroed.
    /// `hessian` (cols, cols) is 2/n·Σ x xᵀ over the calibration inputs (HessianCollector); it is consumed.
    static func prune(weights: inout [Float], rows: Int, cols: Int, hessian: inout [Double], pattern: SparsitySpec,
                      layer: String) throws -> PruningMask {
        precondition(weights.count == rows * cols && hessian.count == cols * cols)
        if case .nOfM(_, let m) = pattern, blockSize % m != 0 {
            throw SparseGPTError.patternTooLarge(layer: layer, m: m, blockSize: blockSize)
        }
        guard hessian.allSatisfy(\.isFinite) else { throw SparseGPTError.nonFiniteHessian(layer: layer) }
        // Dead inputs: never active in calibration, so their weights cannot matter there; the official zeroes them.
        var diagonalSum = 0.0
        for j in 0..<cols {
            if hessian[j * cols + j] == 0 {
                hessian[j * cols + j] = 1
                for r in 0..<rows { weights[r * cols + j] = 0 }
            }
            diagonalSum += hessian[j * cols + j]
        }
        let damp = percentDamp * diagonalSum / Double(cols)
        for j in 0..<cols { hessian[j * cols + j] += damp }
        try InverseCholesky.upperFactorOfInverse(&hessian, n: cols, layer: layer)
        let u = hessian.map { Float($0) }   // (cols, cols) upper
        hessian = []

        var mask = PruningMask(rows: rows, cols: cols)
        var errors = [Float](repeating: 0, count: rows * blockSize)   // (rows, count): err/U_ii of the current block
        var pruned = [Bool](repeating: false, count: rows * blockSize) // (rows, count): the current block's mask
        for i1 in stride(from: 0, to: cols, by: blockSize) {
            let i2 = min(i1 + blockSize, cols), count = i2 - i1
            pruned.withUnsafeMutableBufferPointer { $0.update(repeating: false) }
            if case .unstructured(let ratio) = pattern {
                blockMask(&pruned, weights: weights, u: u, rows: rows, cols: cols, i1: i1, i2: i2, ratio: ratio)
            }
            weights.withUnsafeMutableBufferPointer { w in
                errors.withUnsafeMutableBufferPointer { e in
                    pruned.withUnsafeMutableBufferPointer { p in
                        u.withUnsafeBufferPointer { ub in
                            let wp = w.baseAddress!, ep = e.baseAddress!, pp = p.baseAddress!, up = ub.baseAddress!
                            // Rows are independent within a block once its mask is known (N:M groups are per row).
                            Parallel.chunked(rows, grain: 16) { range in
                                for r in range {
                                    reconstructRow(wp + r * cols, errors: ep + r * count, pruned: pp + r * count,
                                                   u: up, cols: cols, i1: i1, i2: i2, pattern: pattern)
                                }
                            }
                            // W[:, i2:] (rows, cols − i2) −= Err (rows, count) · U[i1:i2, i2:] (count, cols − i2)
                            if i2 < cols {
                                BLAS.gemm(m: rows, n: cols - i2, k: count, alpha: -1, a: ep, lda: count,
                                          b: up + i1 * cols + i2, ldb: cols, transB: false, c: wp + i2, ldc: cols, beta: 1)
                            }
                        }
                    }
                }
            }
            for r in 0..<rows { for j in 0..<count where pruned[r * count + j] { mask[r, i1 + j] = true } }
        }
        return mask
    }

    /// The official unstructured rule: over the whole block (rows × count), W²/U_jj² ≤ the ⌊numel·ratio⌋-th smallest.
    private static func blockMask(_ pruned: inout [Bool], weights: [Float], u: [Float], rows: Int, cols: Int,
                                  i1: Int, i2: Int, ratio: Double) {
        let count = i2 - i1, numel = rows * count
        let index = Int(Double(numel) * ratio)
        guard index < numel else { return }
        var scores = [Float](repeating: 0, count: numel)
        for r in 0..<rows {
            for j in 0..<count { scores[r * count + j] = score(weights[r * cols + i1 + j], u[(i1 + j) * cols + i1 + j]) }
        }
        var keys = scores.map { UInt64(SortKey.key($0)) }
        let threshold: UInt64 = keys.withUnsafeMutableBufferPointer { k in
            Selection.partitionSmallest(k, count: index + 1)
            return k[0...index].max()!
        }
        for r in 0..<rows {
            for j in 0..<count where UInt64(SortKey.key(scores[r * count + j])) <= threshold { pruned[r * count + j] = true }
        }
    }

    /// W²/U_jj², in Float32 as torch evaluates `W1 ** 2 / (torch.diag(Hinv1).reshape((1, -1))) ** 2`.
    @inline(__always)
    private static func score(_ w: Float, _ d: Float) -> Float { (w * w) / (d * d) }

    /// One row of one block, column by column: choose N:M groups as they are reached, zero the masked weight, spread
    /// its error over the block's later columns; leaves err/U_ii per column in `errors` for the lazy update.
    private static func reconstructRow(_ w: UnsafeMutablePointer<Float>, errors: UnsafeMutablePointer<Float>,
                                       pruned: UnsafeMutablePointer<Bool>, u: UnsafePointer<Float>, cols: Int,
                                       i1: Int, i2: Int, pattern: SparsitySpec) {
        for i in i1..<i2 {
            if case .nOfM(let n, let m) = pattern, (i - i1) % m == 0 {
                // The group's current (already updated) weights, N smallest scores; ties by lower column.
                var group = (0..<m).map { j in SortKey.key(score(w[i + j], u[(i + j) * cols + i + j]), column: i + j) }
                group.sort()
                for key in group.prefix(n) { pruned[Int(UInt32(truncatingIfNeeded: key)) - i1] = true }
            }
            let d = u[i * cols + i]
            let value = w[i]
            let q: Float = pruned[i - i1] ? 0 : value
            let err = (value - q) / d
            w[i] = q
            errors[i - i1] = err
            let h = u + i * cols
            for j in (i + 1)..<i2 { w[j] -= err * h[j] }
        }
    }
}
