import Foundation

/// Runs a `CompiledMetric` on one layer's tensors in Float32, matching the reference's torch semantics
/// (REFERENCE-SEMANTICS.md rule 2).
///
/// Non-finite values follow IEEE arithmetic as torch does, with two definitions the reference leaves to chance:
/// - `mms` of an operand whose max equals its min, and `zsn` of an operand whose standard deviation is 0, give NaN in
///   every element (torch gives 0/0 = NaN for mms; for zsn its float mean can leave rounding noise, we make it NaN).
/// - Any NaN in the operand of `mms` or `zsn` makes every element NaN (torch's min/max/mean propagate NaN).
/// - `rown`/`coln` of an all-zero row/column give 0 there (torch: 0/0 = NaN); otherwise IEEE (LineNormalisation.swift).
/// Reductions (min/max exactly; mean, variance and norms accumulated in Float64) yield Float scalars, then the
/// elementwise step runs in Float as torch's does. Norms accumulated in Float64 do not overflow for entries up to
/// Float's maximum, unlike torch's Float32 sum. The pruning pre-flight rejects metrics with non-finite values.
///
/// An evaluator owns its registers and reuses them across calls: use one per thread.
package final class MetricEvaluator {
    /// Rows per tile: about 16 K floats (64 KiB) per tile register, so a phase's working set stays in L2.
    static let tileElements = 16_384

    private var rowRegisters = RegisterFile()
    private var fullRegisters = RegisterFile()
    private var tileRegisters = RegisterFile()

    package init() {}

    /// Evaluates `metric` into `output` (rows × cols). A row-shaped result is broadcast to every row.
    package func evaluate(_ metric: CompiledMetric, inputs: MetricInputs, into output: UnsafeMutableBufferPointer<Float>) {
        let rows = inputs.rows, cols = inputs.cols
        precondition(output.count == rows * cols, "output buffer must hold rows × cols values")
        let tileRows = Swift.max(1, Swift.min(rows, Self.tileElements / cols))
        rowRegisters.prepare(count: metric.rowRegisterCount, capacity: cols)
        fullRegisters.prepare(count: metric.fullRegisterCount, capacity: rows * cols)
        tileRegisters.prepare(count: metric.tileRegisterCount, capacity: tileRows * cols)

        // Pointer to an operand's first element for the rows starting at `row`; rows broadcast.
        func pointer(_ operand: CompiledMetric.Operand, row: Int) -> UnsafeMutablePointer<Float> {
            switch operand {
            case .input(.X): UnsafeMutablePointer(mutating: inputs.X.baseAddress!)
            case .input(let t): UnsafeMutablePointer(mutating: inputs.buffer(t).baseAddress! + row * cols)
            case .row(let r): rowRegisters[r]
            case .full(let r): fullRegisters[r] + row * cols
            case .tile(let r): tileRegisters[r]
            case .output: output.baseAddress! + row * cols
            }
        }
        func isRow(_ operand: CompiledMetric.Operand) -> Bool {
            if case .row = operand { return true }
            return operand == .input(.X)
        }

        // Row values: whole, in order; their statistics are over the (1, cols) row.
        for instruction in metric.rowInstructions {
            let statistic = statistic(for: instruction.operation, rows: 1, cols: cols, isRow: isRow) { pointer($0, row: 0) }
            run(instruction, statistic, rows: 1, cols: cols, isRow: isRow) { pointer($0, row: 0) }
        }
        // Matrix values: per phase, statistics first (their operands are complete), then tile by tile.
        for phase in metric.phases {
            let statistics = phase.map { statistic(for: $0.operation, rows: rows, cols: cols, isRow: isRow) { pointer($0, row: 0) } }
            for start in stride(from: 0, to: rows, by: tileRows) {
                let count = Swift.min(tileRows, rows - start)
                for (instruction, statistic) in zip(phase, statistics) {
                    run(instruction, statistic, rows: count, cols: cols, isRow: isRow) { operand in
                        if case .tile = operand { return pointer(operand, row: 0) }
                        return pointer(operand, row: start)
                    }
                }
            }
        }
        if metric.result != .output {
            let source = pointer(metric.result, row: 0)
            for r in 0..<rows {
                (output.baseAddress! + r * cols).update(from: source + (metric.resultShape == .row ? 0 : r * cols), count: cols)
            }
        }
    }

    /// Convenience for arrays (tests, tools): the (rows × cols) metric, or nil when a buffer does not fit the shape.
    package func evaluate(_ metric: CompiledMetric, rows: Int, cols: Int, W: [Float], G: [Float], X: [Float]) -> [Float]? {
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

    /// The whole-tensor statistic an operation needs, from its complete operand.
    private func statistic(for operation: CompiledMetric.Operation, rows: Int, cols: Int,
                           isRow: (CompiledMetric.Operand) -> Bool,
                           pointer: (CompiledMetric.Operand) -> UnsafeMutablePointer<Float>) -> Kernels.Statistic {
        switch operation {
        case .unary(let op, let x):
            guard let statistic = op.row.statistic else { return .none }
            return statistic(pointer(x), isRow(x) ? 1 : rows, cols)
        case .binary(let op, _, let y):
            guard let statistic = op.row.divisorStatistic else { return .none }
            return statistic(pointer(y), isRow(y) ? 1 : rows, rows, cols)
        }
    }

    private func run(_ instruction: CompiledMetric.Instruction, _ statistic: Kernels.Statistic, rows: Int, cols: Int,
                     isRow: (CompiledMetric.Operand) -> Bool,
                     pointer: (CompiledMetric.Operand) -> UnsafeMutablePointer<Float>) {
        let y = pointer(instruction.destination)
        switch instruction.operation {
        case .unary(let op, let x):
            // A row operand under a matrix destination cannot occur: a unary step keeps its operand's shape.
            Kernels.unary(op, statistic, pointer(x), y, count: rows * cols, cols: cols)
        case .binary(let op, let a, let b):
            Kernels.binary(op, statistic, pointer(a), isRow(a), pointer(b), isRow(b), y, rows: rows, cols: cols)
        }
    }
}

/// Registers of one size class, grown to the largest layer seen and reused; owned, freed in deinit.
private struct RegisterFile: ~Copyable {
    private var buffers: [UnsafeMutableBufferPointer<Float>] = []

    mutating func prepare(count: Int, capacity: Int) {
        while buffers.count < count { buffers.append(.allocate(capacity: 0)) }
        for r in 0..<count where buffers[r].count < capacity {
            buffers[r].deallocate()
            buffers[r] = .allocate(capacity: capacity)
        }
    }

    subscript(r: Int) -> UnsafeMutablePointer<Float> { buffers[r].baseAddress! }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }
}
