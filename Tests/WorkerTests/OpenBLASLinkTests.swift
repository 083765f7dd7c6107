import COpenBLAS
import Testing

/// The OpenBLAS system-library target links and multiplies: a 2×3 by 3×2 product checked by hand.
@Test func sgemmMultipliesASmallProduct() {
    let a: [Float] = [1, 2, 3, 4, 5, 6]        // (2, 3) row-major
    let b: [Float] = [7, 8, 9, 10, 11, 12]     // (3, 2) row-major
    var c = [Float](repeating: 0, count: 4)    // (2, 2)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 3, 1, a, 3, b, 2, 0, &c, 2)
    #expect(c == [58, 64, 139, 154])
}
