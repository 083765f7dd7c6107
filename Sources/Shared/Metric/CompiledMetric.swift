/// A metric expression compiled to a flat program of whole-tensor operations over Float registers.
///
/// Compilation walks the tree once in post-order, giving every intermediate value a register and returning a
/// register to a free list as soon as its last reader has run, so `mul(abs(mul(W, W)), mms(G))` needs two matrix
/// registers however deep the tree. Terminals are read in place, never copied. `MetricEvaluator` runs the program.
public struct CompiledMetric: Sendable {
    /// Where an instruction reads a value.
    public enum Operand: Sendable, Hashable {
        case input(Terminal)
        case register(Int)
    }

    /// One whole-tensor operation; `shape` is the shape of `destination`.
    public enum Instruction: Sendable, Hashable {
        case unary(UnaryOperator, Operand, destination: Int, shape: ValueShape)
        case binary(BinaryOperator, Operand, Operand, destination: Int, shape: ValueShape)
    }

    public let expression: MetricExpression
    public let instructions: [Instruction]
    /// Shape of each register; a register only ever holds values of its shape.
    public let registerShapes: [ValueShape]
    /// Where the result is after the last instruction, and its shape (a row result is broadcast to every row).
    public let result: Operand
    public let resultShape: ValueShape

    public init(_ expression: MetricExpression) {
        var builder = ProgramBuilder()
        let (result, shape) = builder.emit(expression)
        self.expression = expression
        instructions = builder.instructions
        registerShapes = builder.registerShapes
        self.result = result
        resultShape = shape
    }
}

/// Register allocation by liveness: a value's register is freed when the instruction consuming it is emitted.
private struct ProgramBuilder {
    var instructions: [CompiledMetric.Instruction] = []
    var registerShapes: [ValueShape] = []
    var free: [ValueShape: [Int]] = [:]

    mutating func emit(_ e: MetricExpression) -> (CompiledMetric.Operand, ValueShape) {
        switch e {
        case .terminal(let t):
            return (.input(t), e.shape)
        case .unary(let op, let x):
            let (source, shape) = emit(x)
            release(source, shape)
            let destination = allocate(shape)
            instructions.append(.unary(op, source, destination: destination, shape: shape))
            return (.register(destination), shape)
        case .binary(let op, let a, let b):
            let (left, leftShape) = emit(a)
            let (right, rightShape) = emit(b)
            release(left, leftShape)
            release(right, rightShape)
            let shape = ValueShape.common(leftShape, rightShape)
            let destination = allocate(shape)
            instructions.append(.binary(op, left, right, destination: destination, shape: shape))
            return (.register(destination), shape)
        }
    }

    /// Frees before allocating, so an operation may write over one of its own operands: every kernel reads
    /// element i (and global statistics computed beforehand) before writing element i.
    mutating func release(_ operand: CompiledMetric.Operand, _ shape: ValueShape) {
        if case .register(let r) = operand { free[shape, default: []].append(r) }
    }

    mutating func allocate(_ shape: ValueShape) -> Int {
        if let r = free[shape]?.popLast() { return r }
        registerShapes.append(shape)
        return registerShapes.count - 1
    }
}
