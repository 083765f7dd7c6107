import Shared

/// Computes one linear's mask for a pruning method: |W|, the metric (compiled once per method), the pre-flight
/// verdict, then the selection rule. Buffers are reused across the linears of a model.
struct MaskSelector {
    private let evaluator = MetricEvaluator()
    private var compiled: (MetricExpression, CompiledMetric)?
    private var absW: [Float] = []
    private var metric: [Float] = []

    mutating func mask(for linear: PrunableLinear, name: String, weights: [Float], shape: [Int], x: [Float]?,
                       g: [Float]?, request: PruningRequest, clock: inout StageClock,
                       inspector: ((String, [Float], UnsafeBufferPointer<Float>, PruningMask) -> Void)?) throws -> PruningMask {
        let rows = shape[0], cols = shape[1]
        if case .nOfM(_, let m) = request.pattern, cols % m != 0 {
            throw PruningError.groupDoesNotDivide(layer: name, cols: cols, m: m)
        }
        if let g, g.count != rows * cols {
            throw PruningError.shapeMismatch(layer: name + " G", expected: [rows, cols], found: [g.count])
        }
        if let x, x.count != cols { throw PruningError.shapeMismatch(layer: name + " X", expected: [cols], found: [x.count]) }
        let group = request.comparisonGroup
        if group == .layer, case .nOfM = request.pattern { throw PruningError.layerGroupNeedsUnstructured("\(request.pattern)") }
        switch request.method {
        case .sparsegpt:
            // Its masks come with its weight updates (SparseGPTBlock), from calibration inputs a pre-flight lacks.
            throw SparseGPTError.noMetric
        case .magnitude:
            return clock.time("masks") {
                weights.withUnsafeBufferPointer { w in
                    switch request.pattern {
                    case .unstructured(let ratio) where group == .layer:
                        return MaskSelection.magnitudeMask(weights: w, rows: rows, cols: cols, ratio: ratio)
                    case .unstructured, .nOfM:
                        let magnitudes = w.map { Swift.abs($0) }
                        return magnitudes.withUnsafeBufferPointer {
                            MaskSelection.mask(metric: $0, rows: rows, cols: cols, pattern: request.pattern)
                        }
                    }
                }
            }
        case .metric(let expression):
            if compiled?.0 != expression { compiled = (expression, CompiledMetric(expression)) }
            let program = compiled!.1
            let count = rows * cols
            if absW.count < count {
                absW = [Float](repeating: 0, count: count)
                metric = [Float](repeating: 0, count: count)
            }
            let xRow = x ?? [Float](repeating: 0, count: cols)   // unread when the metric has no X
            let verdict: PreflightReport.Verdict = clock.time("metric") {
                absW.withUnsafeMutableBufferPointer { a in
                    for i in 0..<count { a[i] = Swift.abs(weights[i]) }
                    let wBuffer = UnsafeBufferPointer(rebasing: a[0..<count])
                    return metric.withUnsafeMutableBufferPointer { out in
                        let output = UnsafeMutableBufferPointer(rebasing: out[0..<count])
                        (g ?? []).withUnsafeBufferPointer { gb in
                            xRow.withUnsafeBufferPointer { xb in
                                // G is unread when the metric has no G; W stands in for its buffer then.
                                let inputs = MetricInputs(rows: rows, cols: cols, W: wBuffer,
                                                          G: g == nil ? wBuffer : gb, X: xb)!
                                evaluator.evaluate(program, inputs: inputs, into: output)
                            }
                        }
                        return PreflightReport(metric: UnsafeBufferPointer(output), rows: rows, cols: cols).verdict
                    }
                }
            }
            if request.rejectDegenerate {
                switch verdict {
                case .usable: break
                case .nonFinite(let n): throw FitnessFailure.nonFiniteMetric(linear: name, count: n)
                // Per layer, rows that differ from each other still rank (whole rows go first); only a metric
                // constant over the whole matrix leaves the mask to index order.
                case .rowConstant where group == .row || metric[0..<count].allSatisfy({ $0 == metric[0] }):
                    throw FitnessFailure.rowConstantMetric(linear: name)
                case .rowConstant: break
                }
            }
            return clock.time("masks") {
                metric.withUnsafeBufferPointer { m in
                    let values = UnsafeBufferPointer(rebasing: m[0..<count])
                    let mask = if case .unstructured(let ratio) = request.pattern, group == .layer {
                        MaskSelection.layerMask(metric: values, rows: rows, cols: cols, ratio: ratio)
                    } else {
                        MaskSelection.mask(metric: values, rows: rows, cols: cols, pattern: request.pattern)
                    }
                    inspector?(name, xRow, values, mask)
                    return mask
                }
            }
        }
    }
}
