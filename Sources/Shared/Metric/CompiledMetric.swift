/// A metric expression compiled to a flat program of tensor operations over Float registers, scheduled to run
/// tile by tile so that intermediate values stay in cache.
///
/// Compilation (1) lists the tree's operations in post-order, one value each; (2) cuts the matrix-shaped
/// operations into *phases*: a phase ends where an operation needs a whole-tensor statistic (`mms`/`zsn` of its
/// operand, the norm of `div`'s divisor, the column sums of `coln`'s operand) of a value computed in that same
/// phase (`rown` needs none: a tile holds whole rows, so its kernel sums each row itself); (3) allocates registers by
/// liveness. A value used only inside its own phase lives in a small *tile register* (a few rows, cache-resident);
/// a value that crosses a phase needs a *full register* (rows × cols). Row-shaped values (X-only subtrees) are
/// computed whole, before any matrix work. The paper's metric `mul(abs(mul(W, W)), mms(G))` runs as one phase with
/// two tile registers, reading W and G from memory once (plus one read of G for its min/max).
package struct CompiledMetric: Sendable {
    /// Where an operation reads a value.
    enum Operand: Sendable, Hashable {
        case input(Terminal)
        case row(Int)       // a full (1, cols) register
        case full(Int)      // a full (rows, cols) register
        case tile(Int)      // a (tileRows, cols) register, valid for the current tile only
        case output         // the caller's output buffer (rows, cols)
    }

    enum Operation: Sendable, Hashable {
        case unary(UnaryOperator, Operand)
        case binary(BinaryOperator, Operand, Operand)
    }

    /// One operation writing `destination`; `shape` is the destination's.
    struct Instruction: Sendable, Hashable {
        let operation: Operation
        let destination: Operand
        let shape: ValueShape
    }

    package let expression: MetricExpression
    /// Row-shaped instructions, run whole and first.
    let rowInstructions: [Instruction]
    /// Matrix-shaped instructions by phase; each phase runs tile by tile.
    let phases: [[Instruction]]
    let rowRegisterCount: Int
    let fullRegisterCount: Int
    let tileRegisterCount: Int
    /// Where the result is; a row result is broadcast to every row.
    let result: Operand
    let resultShape: ValueShape

    package var instructionCount: Int { rowInstructions.count + phases.reduce(0) { $0 + $1.count } }
    /// Matrix phases (each one pass over the tiles), for the benchmark's report.
    package var phaseCount: Int { phases.count }

    package init(_ expression: MetricExpression) {
        let program = ValueProgram(expression)
        let allocator = RegisterAllocator(program)
        self.expression = expression
        rowInstructions = allocator.rowInstructions
        phases = allocator.phases
        rowRegisterCount = allocator.counts[.row] ?? 0
        fullRegisterCount = allocator.counts[.full] ?? 0
        tileRegisterCount = allocator.counts[.tile] ?? 0
        result = allocator.resultOperand
        resultShape = expression.shape
    }
}

/// The tree as a list of single-assignment values in post-order.
private struct ValueProgram {
    enum Source: Hashable {
        case input(Terminal)
        case value(Int)
    }

    struct Step {
        let op: Either
        let operands: [Source]
        let shape: ValueShape
    }

    enum Either: Hashable {
        case unary(UnaryOperator)
        case binary(BinaryOperator)
    }

    var steps: [Step] = []
    var result: Source = .input(.W)

    init(_ e: MetricExpression) { result = emit(e) }

    mutating func emit(_ e: MetricExpression) -> Source {
        switch e {
        case .terminal(let t): return .input(t)
        case .unary(let op, let x):
            let a = emit(x)
            steps.append(Step(op: .unary(op), operands: [a], shape: e.shape))
        case .binary(let op, let x, let y):
            let a = emit(x), b = emit(y)
            steps.append(Step(op: .binary(op), operands: [a, b], shape: e.shape))
        }
        return .value(steps.count - 1)
    }

    /// The operand whose whole-tensor statistic step `i` needs, if any.
    func statisticOperand(_ i: Int) -> Source? {
        switch steps[i].op {
        case .unary(let op): op.row.statistic == nil ? nil : steps[i].operands[0]
        case .binary(let op): op.row.divisorStatistic == nil ? nil : steps[i].operands[1]
        }
    }
}

/// Phases, register classes and liveness-based register allocation.
private struct RegisterAllocator {
    enum Pool: Hashable { case row, full, tile }

    var rowInstructions: [CompiledMetric.Instruction] = []
    var phases: [[CompiledMetric.Instruction]] = []
    var counts: [Pool: Int] = [:]
    var resultOperand: CompiledMetric.Operand = .input(.W)

    init(_ program: ValueProgram) {
        let steps = program.steps
        // Phase of every matrix step (row steps: -1), as early as its operands allow: no earlier than any
        // matrix operand's phase, and after the phase of an operand it needs a whole-tensor statistic of.
        var phase = [Int](repeating: -1, count: steps.count)
        for i in steps.indices where steps[i].shape == .matrix {
            var p = 0
            for case .value(let v) in steps[i].operands where steps[v].shape == .matrix {
                p = Swift.max(p, phase[v] + (program.statisticOperand(i) == .value(v) ? 1 : 0))
            }
            phase[i] = p
        }
        // Execution order: row steps first (they never read matrix values), then matrix steps by phase; post-order
        // is kept within a phase, so every operand is computed before it is read.
        let order = steps.indices.filter { steps[$0].shape == .row }
            + steps.indices.filter { steps[$0].shape == .matrix }.sorted { (phase[$0], $0) < (phase[$1], $1) }
        // Last reader of every value (in execution order), and whether a value must outlive its phase's tiles.
        var lastUse = [Int](repeating: -1, count: steps.count)
        var crossesPhase = [Bool](repeating: false, count: steps.count)
        for (position, i) in order.enumerated() {
            for case .value(let v) in steps[i].operands {
                lastUse[v] = position
                if phase[i] != phase[v] || program.statisticOperand(i) == .value(v) { crossesPhase[v] = true }
            }
        }
        let resultValue: Int? = if case .value(let v) = program.result { v } else { nil }
        func pool(_ v: Int) -> Pool {
            steps[v].shape == .row ? .row : (crossesPhase[v] ? .full : .tile)
        }

        var free: [Pool: [Int]] = [:]
        var location = [CompiledMetric.Operand](repeating: .output, count: steps.count)
        func operand(_ s: ValueProgram.Source) -> CompiledMetric.Operand {
            switch s {
            case .input(let t): .input(t)
            case .value(let v): location[v]
            }
        }
        phases = Array(repeating: [], count: (phase.max() ?? -1) + 1)
        for (position, i) in order.enumerated() {
            let operands = steps[i].operands.map(operand)
            // Free operands read for the last time (before allocating, so the destination may reuse one).
            for case .value(let v) in steps[i].operands where lastUse[v] == position && v != resultValue {
                switch location[v] {
                case .row(let r): free[.row, default: []].append(r)
                case .full(let r): free[.full, default: []].append(r)
                case .tile(let r): free[.tile, default: []].append(r)
                default: break
                }
            }
            let destination: CompiledMetric.Operand
            if i == resultValue && steps[i].shape == .matrix {
                destination = .output
            } else {
                let p = pool(i)
                let r = free[p]?.popLast() ?? { counts[p, default: 0] += 1; return counts[p]! - 1 }()
                destination = switch p { case .row: .row(r); case .full: .full(r); case .tile: .tile(r) }
            }
            location[i] = destination
            let operation: CompiledMetric.Operation = switch steps[i].op {
            case .unary(let op): .unary(op, operands[0])
            case .binary(let op): .binary(op, operands[0], operands[1])
            }
            let instruction = CompiledMetric.Instruction(operation: operation, destination: destination, shape: steps[i].shape)
            if steps[i].shape == .row { rowInstructions.append(instruction) } else { phases[phase[i]].append(instruction) }
        }
        resultOperand = operand(program.result)
    }
}
