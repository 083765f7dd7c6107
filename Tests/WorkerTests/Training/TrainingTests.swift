import Foundation
import Testing
@testable import Model
@testable import Tokenizer
@testable import Dataset
@testable import Training

/// The training loop on a tiny model and a synthetic corpus (no files needed): it learns, it resumes exactly, and
/// its optimizer and schedule compute what their formulas say.
@Suite struct TrainingTests {
    static func tinyConfig(steps: Int, dtype: String = "float32") -> TrainingConfig {
        TrainingConfig(
            model: .init(hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2, numAttentionHeads: 4,
                         numKeyValueHeads: 2, vocabSize: 258, maxPositionEmbeddings: 32, rmsNormEps: 1e-5,
                         ropeTheta: 10_000, tieWordEmbeddings: false, torchDtype: dtype),
            seqlen: 32, batchWindows: 4, steps: steps, learningRate: 1e-2, minLearningRate: 1e-3, warmupSteps: 5,
            weightDecay: 0.1, beta1: 0.9, beta2: 0.95, epsilon: 1e-8, gradClip: 1, initStd: 0.02, evalEvery: 1000,
            evalWindows: 4, checkpointEvery: 1000, seed: 42)
    }

    /// A repetitive text: easy to learn, so a few dozen steps must show it.
    static let corpus: [TokenID] = {
        let lines = (0..<200).map { "def f\($0 % 7)(x): return x + \($0 % 5)  # the quick brown fox\n" }
        return ByteTokenizer.encode(bytes: Array(lines.joined().utf8))
    }()

    static func trainer(_ config: TrainingConfig, out: URL) throws -> Trainer {
        let validation = Windows(stream: corpus, offsets: [0, 1000, 2000, 3000], seqlen: config.seqlen)
        return try Trainer(config: config, train: corpus, validation: validation, output: out)
    }

    static func temporary() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("train-\(UUID())")
    }

    @Test func shortRunLowersTheLoss() throws {
        let out = Self.temporary()
        defer { try? FileManager.default.removeItem(at: out) }
        let trainer = try Self.trainer(Self.tinyConfig(steps: 40), out: out)
        let before = try trainer.validationLoss(try trainer.initialState(resume: false).parameters)
        let done = try trainer.run(resume: false)
        let after = try trainer.validationLoss(try trainer.initialState(resume: true).parameters)
        #expect(abs(before - log(258)) < 0.1, "a fresh model predicts near-uniformly: \(before)")
        #expect(after < before - 1.5, "validation loss \(before) → \(after)")
        #expect(done.step == 40 && done.tokens == 40 * 4 * 32)
        // The export is a checkpoint our own loader and tokenizer read.
        let model = try ModelWeights(directory: out)
        #expect(model.config.kvHeads == 2 && model.config.heads == 4)
        let tokenizer = try Tokenizer(contentsOf: out.appendingPathComponent("tokenizer.json"))
        #expect(tokenizer.encode("hi") == [256, 104, 105])
        let log = try String(contentsOf: out.appendingPathComponent("training-log.jsonl"), encoding: .utf8)
        #expect(log.split(separator: "\n").count == 40 + 2)   // 40 steps, validation at 0 and at the end
    }

    @Test func resumedRunEqualsUninterruptedRun() throws {
        let a = Self.temporary(), b = Self.temporary()
        defer { for u in [a, b] { try? FileManager.default.removeItem(at: u) } }
        let config = Self.tinyConfig(steps: 6)
        try Self.trainer(config, out: a).run(resume: false)
        try Self.trainer(config, out: b).run(resume: false, until: 3)
        let half = try TrainingState.read(b.appendingPathComponent(TrainingState.fileName), config: config.llamaConfig,
                                          optimizer: AdamW(config: config.llamaConfig, beta1: 0.9, beta2: 0.95,
                                                           epsilon: 1e-8, weightDecay: 0.1))
        #expect(half.counters.step == 3)
        try Self.trainer(config, out: b).run(resume: true)
        let wa = try Data(contentsOf: a.appendingPathComponent("model.safetensors"))
        let wb = try Data(contentsOf: b.appendingPathComponent("model.safetensors"))
        #expect(wa == wb, "resumed weights differ from the uninterrupted run's")
    }

    @Test func dataOrderDependsOnlyOnSeedAndStep() throws {
        let out = Self.temporary()
        let t = try Self.trainer(Self.tinyConfig(steps: 2), out: out)
        #expect(t.batch(step: 5) == t.batch(step: 5))
        #expect(t.batch(step: 5) != t.batch(step: 6))
    }

    @Test func adamWStepMatchesTheFormula() {
        let c = Self.tinyConfig(steps: 1).llamaConfig
        var p = LlamaParameters(zeros: c), g = LlamaParameters(zeros: c)
        p.blocks[0].q[0] = 0.5; g.blocks[0].q[0] = 0.2      // decayed matrix
        p.finalNorm[0] = 1; g.finalNorm[0] = -0.3           // norm: not decayed
        p.embedding[0] = 0.5; g.embedding[0] = 0.2          // embedding: not decayed
        var opt = AdamW(config: c, beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1)
        opt.update(&p, gradients: g, step: 1, lr: 0.01)
        // Step 1: m̂ = g, v̂ = g², so the Adam term is sign(g)·|g|/(|g|+ε).
        #expect(abs(p.blocks[0].q[0] - (0.5 - 0.01 * (1 + 0.1 * 0.5))) < 1e-6)
        #expect(abs(p.finalNorm[0] - (1 + 0.01)) < 1e-6)
        #expect(abs(p.embedding[0] - (0.5 - 0.01)) < 1e-6)
        #expect(p.blocks[0].q[1] == 0)
    }

    @Test func scheduleWarmsUpThenDecaysToTheFloor() {
        let s = LearningRateSchedule(peak: 1, floor: 0.1, warmup: 10, total: 110)
        #expect(s.rate(step: 1) == 0.1 && s.rate(step: 10) == 1)
        #expect(abs(s.rate(step: 60) - 0.55) < 1e-6)
        #expect(abs(s.rate(step: 110) - 0.1) < 1e-6)
    }

    @Test func clippingScalesToTheGlobalNorm() {
        var g = LlamaParameters(zeros: Self.tinyConfig(steps: 1).llamaConfig)
        g.embedding[0] = 3; g.finalNorm[0] = 4
        #expect(g.globalNorm == 5)
        g.scale(by: 0.2)
        #expect(abs(g.globalNorm - 1) < 1e-6)
    }
}
