// `prunerzero-worker bench-forward`: forward-pass throughput on random weights, next to raw sgemm.
//
// Two measurements: (1) one LLaMA-7B-shaped decoder block (C 4096, F 11008, 32 heads) over B × T tokens,
// reported as GFLOP/s beside cblas_sgemm at the block's seven linear shapes timed in the same run; (2) a small
// GQA model (6 blocks, C 256, H 8, K 4, F 688, V 1024) over 32 × 256 tokens, blocks plus lm_head NLL, in tokens/s.
// With `--model M` instead: that model's forward at each of `--seqlens` (BenchForwardModel.swift).
// It does not choose OpenBLAS kernels (OPENBLAS_CORETYPE is the caller's); `--threads` sets OpenBLAS's and the
// kernels' thread counts.
import ArgumentParser
import CKernels
import COpenBLAS
import Engine
import Foundation
import Model
import Shared

/// The `bench-forward` subcommand.
struct BenchForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-forward", abstract: "Time a 7B-shaped decoder block and a small GQA model on random weights.")

    @Option(help: "Threads for OpenBLAS and the element-wise kernels (default: all cores).")
    var threads: Int?

    @Option(help: "Windows for the 7B block.") var bigWindows = 4
    @Option(help: "Tokens per window for the 7B block.") var bigSeqlen = 512
    @Option(help: "Timed repetitions (best is reported).") var repeats = 3
    @Flag(help: "Skip the 7B block.") var skipBig = false
    @Flag(help: "Skip the small model.") var skipSmall = false
    @Option(help: "Time this model (directory or GGUF file) at each of --seqlens instead of the random models.")
    var model: String?
    @Option(help: "Window lengths for --model, comma-separated; the ratio is last over first.") var seqlens = "512,2048"
    @Option(help: "Tokens per timed pass for --model (the same at every length).") var tokens = 4096

    func run() throws {
        if let threads {
            openblas_set_num_threads(Int32(threads))
            Parallel.workers = max(1, threads)
        }
        print("OpenBLAS core \(String(cString: openblas_get_corename())), \(openblas_get_num_threads()) BLAS threads, "
              + "\(Parallel.workers) lanes, element-wise and attention kernels \(String(cString: pz_kernels_name(pz_kernels_active())))")
        if let model { return try benchModel(model) }
        if !skipBig { benchBlock() }
        if !skipSmall { benchSmallModel() }
    }

    /// Best wall times of `repeats` rounds after one warm-up. Several bodies are interleaved round by round, so
    /// load from other processes on a shared machine affects them alike.
    func best(_ bodies: [() -> Void]) -> [Double] {
        for body in bodies { body() }
        var t = [Double](repeating: .infinity, count: bodies.count)
        for _ in 0..<repeats {
            for (i, body) in bodies.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                body()
                t[i] = min(t[i], Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
        }
        return t
    }

    func benchBlock() {
        let c = RandomModel.config(hidden: 4096, intermediate: 11008, heads: 32, kvHeads: 32, layers: 1, vocab: 32000)
        let b = bigWindows, t = bigSeqlen, n = b * t
        let hd = c.heads * c.headDim, kd = c.kvHeads * c.headDim
        let w = RandomModel.randomBlock(c, seed: 1)
        let forward = Forward(config: c, seqlen: t, windows: b, workspaceBytes: 4 << 30)
        var hidden = Activations(windows: b, seqlen: t, hidden: c.hidden)
        let input = RandomModel.random(n * c.hidden, scale: 1, seed: 99)
        let runBlock = {
            hidden.x = input
            forward.runBlock(0, weights: w, hidden: &hidden)
        }
        // The same seven products, as bare sgemm calls on the same shapes.
        let shapes = [(hd, c.hidden), (kd, c.hidden), (kd, c.hidden), (c.hidden, hd),
                      (c.intermediate, c.hidden), (c.intermediate, c.hidden), (c.hidden, c.intermediate)]
        let x = RandomModel.random(n * c.intermediate, scale: 1, seed: 5)
        var y = [Float](repeating: 0, count: n * c.intermediate)
        let runGemms = {
            for (i, (out, inp)) in shapes.enumerated() {
                let weight = w[BlockTensor.allCases.filter { $0 != .inputNorm && $0 != .postNorm }[i]]
                x.withUnsafeBufferPointer { xb in
                    y.withUnsafeMutableBufferPointer { yb in
                        weight.withUnsafeBufferPointer { wb in
                            BLAS.linear(yb.baseAddress!, xb.baseAddress!, wb.baseAddress!, rows: n, outputs: out, inputs: inp)
                        }
                    }
                }
            }
        }
        // The engine before issue 11: each product one sgemm over the chunk's rows.
        let runChunkWide = {
            BLAS.tokenBlocks = false
            defer { BLAS.tokenBlocks = true }
            runBlock()
        }
        let times = best([runBlock, runGemms, runChunkWide])
        let block = times[0], gemms = times[1]
        let linearFlops = shapes.reduce(0.0) { $0 + 2 * Double(n) * Double($1.0) * Double($1.1) }
        // Causal attention: QKᵀ and PV over the T(T+1)/2 visible pairs per head and window.
        let attentionFlops = 4 * Double(b) * Double(c.heads) * Double(t * (t + 1) / 2) * Double(c.headDim)
        let blockRate = (linearFlops + attentionFlops) / block / 1e9
        let gemmRate = linearFlops / gemms / 1e9
        print(String(format: "7B block, %d windows × %d tokens: %.3f s, %.1f GFLOP/s (linear + causal attention); "
                     + "sgemm at the same 7 shapes %.3f s, %.1f GFLOP/s; block/sgemm %.0f%%",
                     b, t, block, blockRate, gemms, gemmRate, 100 * blockRate / gemmRate))
        print(String(format: "  the same block with chunk-wide sgemm (before issue 11): %.3f s, %.1f GFLOP/s",
                     times[2], (linearFlops + attentionFlops) / times[2] / 1e9))
    }

    func benchSmallModel() {
        let c = RandomModel.config(hidden: 256, intermediate: 688, heads: 8, kvHeads: 4, layers: 6, vocab: 1024)
        let b = 32, t = 256, n = b * t
        let blocks = (0..<c.layers).map { RandomModel.randomBlock(c, seed: UInt64(100 + $0)) }
        let head = OutputHead(config: c, norm: [Float](repeating: 1, count: c.hidden),
                              projection: RandomModel.random(c.vocab * c.hidden, scale: 1 / 16, seed: 7))
        // The engine as it runs (a lane per core, each token product in fixed single-threaded sgemm blocks) and,
        // for comparison, one lane, and both with each product as one sgemm over the chunk's rows (one lane: on
        // OpenBLAS's threads), the engine before issue 11.
        let laneCounts = Array(Set([Parallel.workers, 1])).sorted(by: >)
        let variants: [(String, Forward, Bool)] = [true, false].flatMap { blocks in
            laneCounts.map { lanes in
                ((lanes == 1 ? "1 lane" : "\(lanes) lanes") + (blocks ? ", fixed blocks" : ", chunk-wide sgemm (before issue 11)"),
                 Forward(config: c, seqlen: t, windows: b, lanes: lanes), blocks)
            }
        }
        var hidden = Activations(windows: b, seqlen: t, hidden: c.hidden)
        let embedding = RandomModel.random(n * c.hidden, scale: 1, seed: 3)
        let tokens = RandomModel.random(n, scale: 1, seed: 11).map { TokenID(abs($0) * Float(c.vocab - 1)) }
        var nll = 0.0
        let runs = variants.map { _, forward, fixedBlocks in {
            BLAS.tokenBlocks = fixedBlocks
            defer { BLAS.tokenBlocks = true }
            hidden.x = embedding
            for (i, w) in blocks.enumerated() { forward.runBlock(i, weights: w, hidden: &hidden) }
            nll = head.windowNLL(hidden, tokens: tokens[...]).reduce(0, +) / Double(b)
        } }
        // The bound: only the model's linear products (7 per block and lm_head) as bare sgemm calls.
        let linears = BlockTensor.allCases.filter { $0 != .inputNorm && $0 != .postNorm }
        let x = RandomModel.random(n * c.intermediate, scale: 1, seed: 5)
        var y = [Float](repeating: 0, count: n * c.vocab)
        let runGemms = {
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer { yb in
                    for w in blocks {
                        for t in linears {
                            let shape = t.shape(c)
                            w[t].withUnsafeBufferPointer {
                                BLAS.linear(yb.baseAddress!, xb.baseAddress!, $0.baseAddress!, rows: n, outputs: shape[0], inputs: shape[1])
                            }
                        }
                    }
                    head.projection.withUnsafeBufferPointer {
                        BLAS.linear(yb.baseAddress!, xb.baseAddress!, $0.baseAddress!, rows: n, outputs: c.vocab, inputs: c.hidden)
                    }
                }
            }
        }
        let times = best(runs + [runGemms])
        print(String(format: "small GQA model (6 × C256, H8, K4, F688, V1024), %d windows × %d tokens: %.3f s, "
                     + "%.0f tokens/s (mean NLL %.3f); its linear products alone as sgemm: %.3f s, %.0f tokens/s",
                     b, t, times[0], Double(n) / times[0], nll, times.last!, Double(n) / times.last!))
        for (i, (label, _, _)) in variants.enumerated().dropFirst() {
            print("  the same with \(label): " + String(format: "%.3f s, %.0f tokens/s", times[i], Double(n) / times[i]))
        }
    }
}
