import Foundation

/// Runs a `CompiledMetric` on one layer's tensors in Float32, matching the reference's torch semantics
/// (REFERENCE-SEMANTICS.md rule 2).
///
/// Non-finite values follow IEEE arithmetic as torch does, with two definitions the reference leaves to chance:
/// - `mms` of an operand whose max equals its min, and `zsn` of an operand whose standard deviation is 0, give NaN in
///   every element (torch gives 0/0 = NaN for mms; for zsn its float mean can leave rounding noise, we make it NaN).
/// - Any NaN in the operand of `mms` or `zsn` makes every element NaN (torch's min/max/mean propagate NaN).
/// Reductions (min/max exactly; mean, variance and norms accumulated in Float64) yield one Float scalar, then the
/// elementwise step runs in Float as torch's does. Norms are accumulated in Float64, so unlike torch's Float32 sum they
/// do not overflow for entries up to Float's maximum. The pruning pre-flight rejects metrics with non-finite values.
///
/// An evaluator owns its register buffers and reuses them across calls; use one per thread.
public final class MetricEvaluator {
    /// Register storage, grown to the largest layer seen and reused; owned here, freed in deinit.
    private var registers: [UnsafeMutableBufferPointer<Float>] = []

    public init() {}

    deinit {
        for buffer in registers { buffer.deallocate() }
    }

    /// Evaluates `metric` into `output` (rows × cols). A row-shaped result is broadcast to every row.
    public func evaluate(_ metric: CompiledMetric, inputs: MetricInputs, into output: UnsafeMutableBufferPointer<Float>) {
        let rows = inputs.rows, cols = inputs.cols
        precondition(output.count == rows * cols, "output buffer must hold rows × cols values")
        prepareRegisters(metric, rows: rows, cols: cols)

        // The result register, when it is a matrix, is the output buffer itself: no final copy.
        var resultRegister = -1
        if case .register(let r) = metric.result, metric.resultShape == .matrix { resultRegister = r }

        func storage(_ r: Int) -> UnsafeMutablePointer<Float> {
            r == resultRegister ? output.baseAddress! : registers[r].baseAddress!
        }
        func read(_ operand: CompiledMetric.Operand) -> UnsafePointer<Float> {
            switch operand {
            case .input(let t): inputs.buffer(t).baseAddress!
            case .register(let r): UnsafePointer(storage(r))
            }
        }
        for instruction in metric.instructions {
            switch instruction {
            case .unary(let op, let source, let destination, let shape):
                let count = shape == .matrix ? rows * cols : cols
                Kernels.unary(op, read(source), storage(destination), count: count)
            case .binary(let op, let left, let right, let destination, let shape):
                let leftShape = shapeOf(left, metric), rightShape = shapeOf(right, metric)
                Kernels.binary(op, read(left), leftShape, read(right), rightShape, storage(destination),
                               rows: shape == .matrix ? rows : 1, cols: cols)
            }
        }
        if resultRegister < 0 {
            let source = read(metric.result)
            for r in 0..<rows {
                let from = metric.resultShape == .matrix ? source + r * cols : source
                (output.baseAddress! + r * cols).update(from: from, count: cols)
            }
        }
    }

    /// Convenience for arrays (tests, tools): returns the (rows × cols) metric.
    public func evaluate(_ metric: CompiledMetric, rows: Int, cols: Int, W: [Float], G: [Float], X: [Float]) -> [Float]? {
        var output = [Float](repeating: 0, count: rows * cols)
        let ok: Bool = W.withUnsafeBufferPointer { w in
            G.withUnsafeBufferPointer { g in
                X.withUnsafeBufferPointer { x in
                    guard let inputs = MetricInputs(rows: rows, cols: cols, W: w, G: g, X: x) else { return false }
                    output.withUnsafeMutableBufferPointer { evaluate(metric, inputs: inputs, into: $0) }
                    return true
                }
            }
        }
        return ok ? output : nil
    }

    private func shapeOf(_ operand: CompiledMetric.Operand, _ metric: CompiledMetric) -> ValueShape {
        switch operand {
        case .input(let t): t == .X ? .row : .matrix
        case .register(let r): metric.registerShapes[r]
        }
    }

    private func prepareRegisters(_ metric: CompiledMetric, rows: Int, cols: Int) {
        while registers.count < metric.registerShapes.count { registers.append(.allocate(capacity: 0)) }
        for (r, shape) in metric.registerShapes.enumerated() {
            let count = shape == .matrix ? rows * cols : cols
            if registers[r].count < count {
                registers[r].deallocate()
                registers[r] = .allocate(capacity: count)
            }
        }
    }
}
