import Testing
@testable import Shared
@testable import Fitness

/// The per-layer comparison group: one threshold over the whole matrix (torch's `W_metric <= sort(flat)[k]`,
/// NaN sorting last), and its refusal under N:M.
@Suite struct LayerGroupSelectionTests {
    /// torch's rule written plainly.
    func referenceLayerMask(_ metric: [Float], ratio: Double) -> [Bool] {
        let sorted = metric.sorted { a, b in a.isNaN ? false : (b.isNaN ? true : a < b) }
        let threshold = sorted[Int(Double(metric.count) * ratio)]
        return metric.map { $0 <= threshold }
    }

    @Test func layerMaskIsOneThresholdOverTheMatrix() {
        for seed in 0..<30 as Range<UInt64> {
            var rng = SeededRandom(seed: seed)
            let rows = 2 + Int(seed % 7), cols = 5 + Int(seed * 11 % 53)
            // Ties and signed zeros, finite (the pre-flight refuses NaN and infinities before selection).
            let palette: [Float] = [-1, -0.0, 0, 0.5, 2]
            let metric = (0..<rows * cols).map { _ in rng.chance(0.3) ? rng.pick(palette) : Float(rng.unit() * 4 - 2) }
            for ratio in [0.0, 0.3, 0.5, 0.75] {
                let mask = metric.withUnsafeBufferPointer { MaskSelection.layerMask(metric: $0, rows: rows, cols: cols, ratio: ratio) }
                let expected = referenceLayerMask(metric, ratio: ratio)
                #expect((0..<rows * cols).map { mask[$0 / cols, $0 % cols] } == expected, "seed \(seed) ratio \(ratio)")
            }
        }
    }

    /// A per-row factor cannot change per-row masks, but changes per-layer ones (the rank-canonical rule's reason).
    @Test func aPerRowFactorChangesOnlyTheLayerMask() {
        let rows = 4, cols = 8
        // Row r holds (r + 1) · [1…8]: per row the same order, per layer interleaved.
        let metric = (0..<rows * cols).map { Float(($0 / cols + 1) * ($0 % cols + 1)) }
        let normalised = (0..<rows * cols).map { Float($0 % cols + 1) / 36 }  // rown(metric)
        let perRow = [metric, normalised].map { m in
            m.withUnsafeBufferPointer { MaskSelection.mask(metric: $0, rows: rows, cols: cols, pattern: .unstructured(ratio: 0.5)) }
        }
        let perLayer = [metric, normalised].map { m in
            m.withUnsafeBufferPointer { MaskSelection.layerMask(metric: $0, rows: rows, cols: cols, ratio: 0.5) }
        }
        #expect(perRow[0] == perRow[1])
        #expect(perLayer[0] != perLayer[1])
    }

    @Test func groupsDefaultByMethodAndLayerRefusesNOfM() throws {
        #expect(PruningRequest(method: .magnitude, pattern: .unstructured(ratio: 0.5)).comparisonGroup == .layer)
        #expect(PruningRequest(method: .magnitude, pattern: .nOfM(n: 2, m: 4)).comparisonGroup == .row)
        #expect(PruningRequest(method: .wanda, pattern: .unstructured(ratio: 0.5)).comparisonGroup == .row)
        var request = PruningRequest(method: .ria, pattern: .nOfM(n: 2, m: 4))
        request.group = .layer
        var selector = MaskSelector()
        var clock = StageClock()
        let weights = [Float](repeating: 1, count: 32)
        #expect(throws: PruningError.layerGroupNeedsUnstructured("2:4")) {
            try selector.mask(for: .q, name: "q", weights: weights, shape: [4, 8], x: [Float](repeating: 1, count: 8),
                              g: nil, request: request, clock: &clock, inspector: nil)
        }
    }

    /// Constant rows that differ from each other rank per layer (whole rows are pruned), not per row.
    @Test func rowConstantMetricsAreRefusedOnlyPerRow() throws {
        let weights = (0..<32).map { Float($0 / 8 + 1) }  // (4, 8), row r all r + 1
        var clock = StageClock()
        var selector = MaskSelector()
        var request = PruningRequest(method: .metric(.terminal(.W)), pattern: .unstructured(ratio: 0.5))
        #expect(throws: FitnessFailure.rowConstantMetric(linear: "q")) {
            try selector.mask(for: .q, name: "q", weights: weights, shape: [4, 8], x: nil, g: nil, request: request,
                              clock: &clock, inspector: nil)
        }
        request.group = .layer
        let mask = try selector.mask(for: .q, name: "q", weights: weights, shape: [4, 8], x: nil, g: nil, request: request,
                                     clock: &clock, inspector: nil)
        // Threshold sorted[16] = 3: rows 0, 1 and 2 (values 1, 2, 3) are pruned, row 3 kept.
        #expect((0..<4).map { r in (0..<8).allSatisfy { mask[r, $0] } } == [true, true, true, false])
        let constant = [Float](repeating: 2, count: 32)
        #expect(throws: FitnessFailure.rowConstantMetric(linear: "q")) {
            try selector.mask(for: .q, name: "q", weights: constant, shape: [4, 8], x: nil, g: nil, request: request,
                              clock: &clock, inspector: nil)
        }
    }
}
