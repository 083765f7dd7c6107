import Foundation
import Shared

/// `swift run -c release prunerzero-bench [ROWS COLS]`: throughput of compiled metric evaluation, in GB/s of input
/// read, next to a plain memory-bandwidth loop measured in the same run (this machine is shared and noisy, so only
/// the side-by-side ratio means something). Defaults to a 4096 × 4096 layer (64 MiB per matrix, far beyond cache).
@main
enum PrunerZeroBench {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
        let rows = arguments.count > 0 ? arguments[0] : 4096
        let cols = arguments.count > 1 ? arguments[1] : 4096
        let rounds = 5
        let layer = BenchLayer(rows: rows, cols: cols)
        print("prunerzero-bench \(prunerZeroVersion): metric evaluation on a \(rows) × \(cols) layer, best of \(rounds)")

        let metrics = [
            "W", "mul(W, sqrt(X))", "mul(abs(mul(W, W)), mms(G))", "div(add(W, G), X)",
            "zsn(mul(log(G), tanh(W)))", "mms(sub(sqr(G), mul(exp(W), sqrt(X))))",
            // RIA (a per-row and a per-column normalisation of W), and coln of a computed value (a second phase).
            "rown(W)", "coln(W)", "mul(add(coln(W), rown(W)), sqrt(sqrt(X)))", "coln(mul(W, sqrt(X)))",
        ].map { try! MetricExpression(parsing: $0) }

        // Reference loop: read two matrices, write one (what a binary metric must at least do).
        let bandwidth = best(of: rounds) { layer.streamAdd() } 
        let streamGBs = Double(2 * rows * cols * 4) / bandwidth / 1e9
        print(pad("memory loop y = a + b (reads 2 matrices)")
              + String(format: "%8.2f GB/s read  (%.1f ms)", streamGBs, bandwidth * 1e3))

        let evaluator = MetricEvaluator()
        for metric in metrics {
            let compiled = CompiledMetric(metric)
            let seconds = best(of: rounds) { layer.evaluate(compiled, evaluator) }
            // Bytes of input the metric reads once: each distinct matrix terminal plus X.
            let bytes = metric.terminals.reduce(0) { $0 + ($1 == .X ? cols : rows * cols) * 4 }
            let gbs = Double(bytes) / seconds / 1e9
            print(pad(metric.description) + String(
                format: "%8.2f GB/s read  (%.1f ms, %.2f× the memory loop, %d instructions, %d phases)",
                gbs, seconds * 1e3, gbs / streamGBs, compiled.instructionCount, compiled.phaseCount))
        }
    }

    static func pad(_ s: String, to width: Int = 44) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    static func best(of rounds: Int, _ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }
}

/// A layer's worth of random non-negative inputs and an output buffer, allocated once.
final class BenchLayer {
    let rows: Int, cols: Int
    var W: [Float], G: [Float], X: [Float], output: [Float]

    init(rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
        var rng = SeededRandom(seed: 1)
        W = (0..<rows * cols).map { _ in Float(rng.unit()) * 0.1 }
        G = (0..<rows * cols).map { _ in Float(rng.unit()) }
        X = (0..<cols).map { _ in Float(rng.unit()) * 10 }
        output = [Float](repeating: 0, count: rows * cols)
    }

    func streamAdd() {
        W.withUnsafeBufferPointer { a in
            G.withUnsafeBufferPointer { b in
                output.withUnsafeMutableBufferPointer { y in
                    for i in 0..<y.count { y[i] = a[i] + b[i] }
                }
            }
        }
    }

    func evaluate(_ metric: CompiledMetric, _ evaluator: MetricEvaluator) {
        W.withUnsafeBufferPointer { w in
            G.withUnsafeBufferPointer { g in
                X.withUnsafeBufferPointer { x in
                    let inputs = MetricInputs(rows: rows, cols: cols, W: w, G: g, X: x)!
                    output.withUnsafeMutableBufferPointer { evaluator.evaluate(metric, inputs: inputs, into: $0) }
                }
            }
        }
    }
}
