// The factor SparseGPT's updates read: U upper triangular with H⁻¹ = Uᵀ·U, as the official code computes it
// (`torch.linalg.cholesky(H)`, `torch.cholesky_inverse`, `torch.linalg.cholesky(·, upper=True)`), here with LAPACK's
// dpotrf/dpotri from the OpenBLAS the engine already links. Float64 throughout (the official code uses float32):
// the error analysis in SparseGPTReferenceTests is why.
import COpenBLAS

enum InverseCholesky {
    /// Replaces the symmetric positive definite (n, n) matrix `h` (row-major; symmetric, so layout-free) by the
    /// upper factor U of its inverse, row-major, zeros below the diagonal.
    ///
    /// LAPACK is column-major: a column-major lower triangle is the row-major upper one. dpotrf('L') then dpotri('L')
    /// leave H⁻¹ in that triangle; mirroring it makes the matrix whole again; dpotrf('L') of H⁻¹ = L·Lᵀ leaves L in
    /// the column-major lower triangle, which read row-major is Lᵀ = U with H⁻¹ = Uᵀ·U.
    static func upperFactorOfInverse(_ h: inout [Double], n: Int, layer: String) throws {
        precondition(h.count == n * n)
        guard n > 0 else { return }
        try lapack(dpotrf_, "dpotrf (Cholesky of H)", &h, n, layer)
        try lapack(dpotri_, "dpotri (inverse of H)", &h, n, layer)
        mirrorUpperToLower(&h, n: n)
        try lapack(dpotrf_, "dpotrf (Cholesky of H⁻¹)", &h, n, layer)
        for r in 1..<n { for c in 0..<r { h[r * n + c] = 0 } }
    }

    private typealias Routine = (UnsafePointer<CChar>?, UnsafePointer<Int32>?, UnsafeMutablePointer<Double>?,
                                 UnsafePointer<Int32>?, UnsafeMutablePointer<Int32>?, Int) -> Void

    private static func lapack(_ routine: Routine, _ what: String, _ a: inout [Double], _ n: Int, _ layer: String) throws {
        var order = Int32(n), lda = Int32(n), info: Int32 = 0
        let uplo: CChar = 0x4C   // "L"
        withUnsafePointer(to: uplo) { u in
            a.withUnsafeMutableBufferPointer { routine(u, &order, $0.baseAddress!, &lda, &info, 1) }
        }
        if info != 0 { throw SparseGPTError.lapack(layer: layer, routine: what, info: Int(info)) }
    }

    /// Row-major: copies the upper triangle onto the lower one.
    private static func mirrorUpperToLower(_ a: inout [Double], n: Int) {
        for r in 1..<n { for c in 0..<r { a[r * n + c] = a[c * n + r] } }
    }
}

/// What can go wrong in SparseGPT's reconstruction of one linear.
package enum SparseGPTError: Error, Equatable, CustomStringConvertible {
    /// info > 0 from dpotrf: the leading minor of that order is not positive definite (non-finite inputs, or a
    /// Hessian damping could not rescue); info < 0: an argument was wrong.
    case lapack(layer: String, routine: String, info: Int)
    case nonFiniteHessian(layer: String)
    case needsSequentialInputs
    case noMetric
    case patternTooLarge(layer: String, m: Int, blockSize: Int)

    package var description: String {
        switch self {
        case let .lapack(layer, routine, info):
            info > 0 ? "\(layer): \(routine) failed: the leading minor of order \(info) is not positive definite"
                     : "\(layer): \(routine) rejected argument \(-info)"
        case let .nonFiniteHessian(layer): "\(layer): the calibration Hessian has non-finite entries"
        case .needsSequentialInputs:
            "sparsegpt reconstructs each block from the pruned earlier blocks' outputs: it needs --x-mode sequential"
        case .noMetric: "sparsegpt has no metric: its masks come with its weight updates (no pre-flight, no X modes)"
        case let .patternTooLarge(layer, m, blockSize):
            "\(layer): N:M groups of M = \(m) must divide SparseGPT's block of \(blockSize) columns"
        }
    }
}
