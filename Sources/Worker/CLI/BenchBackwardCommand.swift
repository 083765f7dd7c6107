// `prunerzero-worker bench-backward`: throughput of the backward pass and of G, next to the forward, in one run.
//
// On the small GQA model of bench-forward (6 blocks, C 256, H 8, K 4, F 688, V 1024; random weights) over
// 32 windows × 256 tokens, timed round by round so machine load affects all alike:
//   forward   — Forward blocks + OutputHead NLL over all windows at once (the inference path);
//   train fwd — Backward.forward, one window at a time, saving activations;
//   G         — GradientNorms: forward + backward per window, (100·g)² accumulated (what calibration runs),
//               with every block's activations saved one window at a time, then 8 windows per call (the
//               in-memory plan's engine), then with blocks recomputed (the lean plan's engine);
//   batched   — Backward.forward + backward(into:) over all 32 windows in one call (a training step's shape).
// With `--model DIR` it also times G on that model's `calib.bin` at the given offsets (the sharded fixture's by
// default). With `--bundle B` instead: G on a calibrated bundle's model and calibration windows, with the stage
// times (BenchBackwardBundle.swift), for comparing with Benchmarks/Reference/backward_bench.py.
import ArgumentParser
import COpenBLAS
import Dataset
import Engine
import Fitness
import Foundation
import Model

/// The `bench-backward` subcommand.
struct BenchBackwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-backward", abstract: "Time forward+backward and G against the forward on a small GQA model.")

    @Option(help: "Threads for OpenBLAS and the element-wise kernels (default: all cores).")
    var threads: Int?
    @Option(help: "Timed repetitions (best is reported).") var repeats = 2
    @Option(help: "Windows for the small model.") var windows = 32
    @Option(help: "Tokens per window for the small model.") var seqlen = 256
    @Option(help: "Also time G on this model directory's calib.bin (e.g. the sharded fixture).") var model: String?
    @Option(help: "Calibration offsets for --model.") var offsets = "1729,788,1552,1823,861,82,530,1977"
    @Option(help: "Calibration seqlen for --model.") var calibSeqlen = 64
    @Option(help: "Time only G on this calibrated bundle's calibration windows (--model overrides its model).")
    var bundle: String?
    @Option(help: "With --bundle: only the first N calibration windows.") var calibWindows: Int?

    func run() throws {
        if let threads {
            openblas_set_num_threads(Int32(threads))
            Parallel.workers = max(1, threads)
        }
        print("OpenBLAS core \(String(cString: openblas_get_corename())), \(openblas_get_num_threads()) BLAS threads, "
              + "\(Parallel.workers) kernel workers")
        if let bundle { return try benchBundle(URL(fileURLWithPath: bundle)) }
        try benchSmallModel()
        if let model { try benchModel(URL(fileURLWithPath: model)) }
    }

    func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    func benchSmallModel() throws {
        let c = RandomModel.config(hidden: 256, intermediate: 688, heads: 8, kvHeads: 4, layers: 6, vocab: 1024)
        let b = windows, t = seqlen, n = b * t
        var p = LlamaParameters(zeros: c)
        p.blocks = (0..<c.layers).map { RandomModel.randomBlock(c, seed: UInt64(100 + $0)) }
        p.embedding = RandomModel.random(c.vocab * c.hidden, scale: 1, seed: 3)
        p.finalNorm = [Float](repeating: 1, count: c.hidden)
        p.lmHead = RandomModel.random(c.vocab * c.hidden, scale: 1 / 16, seed: 7)
        let tokens = RandomModel.random(n, scale: 1, seed: 11).map { TokenID(abs($0) * Float(c.vocab - 1)) }
        let stream = Windows(stream: tokens, offsets: (0..<b).map { $0 * t }, seqlen: t)

        let forward = Forward(config: c, seqlen: t, windows: b)
        let head = OutputHead(config: c, norm: p.finalNorm, projection: p.lmHead)
        var hidden = Activations(windows: b, seqlen: t, hidden: c.hidden)
        let single = Backward(config: c, seqlen: t, windows: 1)
        let batched = Backward(config: c, seqlen: t, windows: b)
        var grads = LlamaParameters(zeros: c)
        var nll = 0.0, trainLoss: Float = 0
        let bodies: [() throws -> Void] = [
            {
                for (r, id) in tokens.enumerated() {
                    for i in 0..<c.hidden { hidden.x[r * c.hidden + i] = p.embedding[Int(id) * c.hidden + i] }
                }
                for l in 0..<c.layers { forward.runBlock(l, weights: p.blocks[l], hidden: &hidden) }
                nll = head.windowNLL(hidden, tokens: tokens[...]).reduce(0, +) / Double(b)
            },
            { for w in 0..<b { trainLoss = try single.forward(p, tokens: stream[w]) } },
            { _ = try GradientNorms.compute(source: p, windows: stream) },
            { _ = try GradientNorms.compute(source: p, windows: stream, batchWindows: 8) },
            { _ = try GradientNorms.compute(source: p, windows: stream, recomputeBlocks: true) },
            {
                trainLoss = try batched.forward(p, tokens: tokens[...])
                try batched.backward(p, into: &grads)
            },
        ]
        for body in bodies { try body() }   // warm-up
        var best = [Double](repeating: .infinity, count: bodies.count)
        for _ in 0..<repeats {
            for (i, body) in bodies.enumerated() { best[i] = min(best[i], try seconds(body)) }
        }
        let names = ["forward (inference, all windows)", "training forward (1 window/call)",
                     "G: forward+backward (1 window/call)", "G, 8 windows/call", "G, blocks recomputed (1 window/call)",
                     "forward+backward (\(b) windows/call)"]
        print(String(format: "small GQA model (6 × C256, H8, K4, F688, V1024), %d windows × %d tokens, mean NLL %.3f:", b, t, nll))
        for (name, s) in zip(names, best) {
            print(String(format: "  %-40@ %7.3f s  %8.0f tokens/s  (%.2f× forward time)", name as NSString, s, Double(n) / s, s / best[0]))
        }
        print(String(format: "  saved activations: %.1f MB per window (%d rows), %.1f MB for %d windows",
                     Double(single.tapeBytes) / 1e6, t, Double(batched.tapeBytes) / 1e6, b))
        _ = trainLoss
    }

    func benchModel(_ dir: URL) throws {
        let model = try ModelWeights(directory: dir)
        let stream = try DatasetSource(path: dir.appendingPathComponent("calib.bin").path, kind: .tokens).readTokens()
        let offs = offsets.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces))! }
        let windows = Windows(stream: stream, offsets: offs, seqlen: calibSeqlen)
        for (label, plan) in [("in memory", GradientMemoryPlan.inMemory), ("lean", .lean)] {
            var best = Double.infinity
            for _ in 0...repeats {
                best = min(best, try seconds { _ = try GradientNorms.compute(model: model, windows: windows, plan: plan) })
            }
            print(String(format: "G on %@, plan %@ (%d windows × %d tokens, incl. widening): %.3f s, %.0f tokens/s",
                         dir.lastPathComponent, label, windows.count, calibSeqlen, best, Double(windows.count * calibSeqlen) / best))
        }
    }
}
