import Testing
@testable import Shared
@testable import Fitness

@Suite struct MaskSelectionTests {
    /// The reference's rule written plainly: stable ascending sort per row, NaN after every number.
    func referenceMask(_ metric: [Float], rows: Int, cols: Int, prune k: Int) -> [[Bool]] {
        (0..<rows).map { r in
            let row = Array(metric[r * cols..<(r + 1) * cols])
            let order = row.indices.sorted { i, j in
                let (a, b) = (row[i], row[j])
                if a.isNaN != b.isNaN { return b.isNaN }
                if a.isNaN || a == b { return i < j }
                return a < b
            }
            var mask = [Bool](repeating: false, count: cols)
            for i in order.prefix(k) { mask[i] = true }
            return mask
        }
    }

    func randomMetric(rows: Int, cols: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        // Few distinct values (many ties), signed zeros, infinities and NaN.
        let palette: [Float] = [-.infinity, -2, -1, -0.0, 0, 0.5, 1, 3, .infinity, .nan, -.nan]
        return (0..<rows * cols).map { _ in rng.chance(0.5) ? rng.pick(palette) : Float(rng.unit() * 4 - 2) }
    }

    @Test func unstructuredMatchesTheStableSortRule() {
        for seed in 0..<40 as Range<UInt64> {
            let rows = 3 + Int(seed % 5), cols = 7 + Int(seed * 13 % 61)
            let metric = randomMetric(rows: rows, cols: cols, seed: seed)
            for ratio in [0.1, 0.29, 0.5, 0.7] {
                let mask = metric.withUnsafeBufferPointer {
                    MaskSelection.mask(metric: $0, rows: rows, cols: cols, pattern: .unstructured(ratio: ratio))
                }
                let expected = referenceMask(metric, rows: rows, cols: cols, prune: Int(Double(cols) * ratio))
                for r in 0..<rows {
                    #expect((0..<cols).map { mask[r, $0] } == expected[r], "seed \(seed) ratio \(ratio) row \(r)")
                    #expect(mask.prunedCount(row: r) == Int(Double(cols) * ratio))
                }
            }
        }
    }

    /// Enough rows that the selection is split over the cores (ranges of 2048 rows of 16 at this width; on a
    /// one-CPU machine it runs as one range and the test still checks the rule): every row, on either side of a
    /// split, is the reference rule's, unstructured and N:M.
    @Test func rowsSplitOverTheCoresKeepTheRule() {
        let rows = 6_000, cols = 16
        let metric = randomMetric(rows: rows, cols: cols, seed: 91)
        let expected = referenceMask(metric, rows: rows, cols: cols, prune: 8)
        let mask = metric.withUnsafeBufferPointer {
            MaskSelection.mask(metric: $0, rows: rows, cols: cols, pattern: .unstructured(ratio: 0.5))
        }
        #expect((0..<rows).allSatisfy { r in (0..<cols).map { mask[r, $0] } == expected[r] })
        let nm = metric.withUnsafeBufferPointer {
            MaskSelection.mask(metric: $0, rows: rows, cols: cols, pattern: .nOfM(n: 2, m: 4))
        }
        let groups = (0..<rows).allSatisfy { r in
            stride(from: 0, to: cols, by: 4).allSatisfy { g in
                let group = Array(metric[r * cols + g..<r * cols + g + 4])
                return (g..<g + 4).map { nm[r, $0] } == referenceMask(group, rows: 1, cols: 4, prune: 2)[0]
            }
        }
        #expect(groups)
    }

    @Test func prunedCountTruncatesLikePython() {
        #expect(SparsitySpec.unstructured(ratio: 0.29).prunedPerRow(cols: 100) == 28)
        #expect(SparsitySpec.nOfM(n: 2, m: 4).prunedPerRow(cols: 128) == 64)
    }

    @Test func nOfMPrunesTheLowestInEveryGroup() {
        let rows = 4, cols = 32
        let metric = randomMetric(rows: rows, cols: cols, seed: 77)
        for (n, m) in [(2, 4), (4, 8)] {
            let mask = metric.withUnsafeBufferPointer {
                MaskSelection.mask(metric: $0, rows: rows, cols: cols, pattern: .nOfM(n: n, m: m))
            }
            for r in 0..<rows {
                for g in stride(from: 0, to: cols, by: m) {
                    let group = Array(metric[r * cols + g..<r * cols + g + m])
                    let expected = referenceMask(group, rows: 1, cols: m, prune: n)[0]
                    #expect((g..<g + m).map { mask[r, $0] } == expected)
                }
            }
        }
    }

    @Test func magnitudePrunesOneMoreThanTheIndexPlusTies() {
        var rng = SeededRandom(seed: 5)
        let weights = (0..<128 * 128).map { _ in Float(rng.unit() - 0.5) }
        let mask = weights.withUnsafeBufferPointer {
            MaskSelection.magnitudeMask(weights: $0, rows: 128, cols: 128, ratio: 0.5)
        }
        #expect(mask.prunedCount == 8193)  // REFERENCE-SEMANTICS rule 5: 0.50006 of a 128 × 128 matrix
        let threshold = weights.map(Swift.abs).sorted()[8192]
        for r in 0..<128 { for c in 0..<128 { #expect(mask[r, c] == (Swift.abs(weights[r * 128 + c]) <= threshold)) } }
    }

    @Test func maskAppliesAndFingerprintsStably() {
        var mask = PruningMask(rows: 2, cols: 70)
        mask[0, 3] = true
        mask[1, 69] = true
        var weights = [Float](repeating: 1, count: 140)
        weights.withUnsafeMutableBufferPointer { mask.apply(to: $0.baseAddress!) }
        #expect(weights.filter { $0 == 0 }.count == 2 && weights[3] == 0 && weights[139] == 0)
        #expect(mask.fingerprint == 3_173_172_713_220_610_313)  // frozen: fingerprints name masks in journals
        var other = mask
        other[0, 4] = true
        #expect(other.fingerprint != mask.fingerprint)
    }

    @Test func preflightFlagsNonFiniteAndRowConstantMetrics() {
        let usable: [Float] = [1, 2, 3, 3, 3, 3]
        let rowConstant: [Float] = [1, 1, 1, 2, 2, 2]
        let withNaN: [Float] = [1, .nan, 3, 3, .infinity, 3]
        func verdict(_ m: [Float]) -> PreflightReport.Verdict {
            m.withUnsafeBufferPointer { PreflightReport(metric: $0, rows: 2, cols: 3).verdict }
        }
        #expect(verdict(usable) == .usable)
        #expect(verdict(rowConstant) == .rowConstant)
        #expect(verdict(withNaN) == .nonFinite(count: 2))
    }

    @Test func patternsParseAndRejectNonsense() throws {
        #expect(try SparsitySpec(type: "2:4", ratio: 0) == .nOfM(n: 2, m: 4))
        #expect(try SparsitySpec(type: "unstructured", ratio: 0.5) == .unstructured(ratio: 0.5))
        #expect(throws: ProtocolError.self) { try SparsitySpec(type: "4:2", ratio: 0) }
        #expect(throws: ProtocolError.self) { try SparsitySpec(type: "unstructured", ratio: 1.5) }
    }
}
