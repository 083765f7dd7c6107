// Trainer: the pretraining loop. Each step draws B random windows of T tokens from the training stream, runs
// Backward's forward and backward over them in one call (the mean next-token loss of all B·(T−1) predictions),
// clips the global gradient norm, and applies AdamW at the scheduled rate.
//
// Every `eval_every` steps it computes the mean loss over fixed validation windows; every `checkpoint_every` steps
// (and at the end) it writes the resumable checkpoint and the Hugging Face export of the current weights. Each step
// and each validation is one JSON line in `training-log.jsonl`; progress goes to stderr through ProgressLine. It
// does not tokenize or split the corpus (TrainCommand and CorpusSplit do).
import Dataset
import Engine
import Foundation
import Model
import Shared

package final class Trainer {
    package let config: TrainingConfig
    package let model: LlamaConfig
    package let train: [TokenID]          // (N) the training stream
    package let validation: Windows       // (E, T) fixed validation windows
    package let output: URL
    private let engine: Backward
    private var log: FileHandle?

    package init(config: TrainingConfig, train: [TokenID], validation: Windows, output: URL) throws {
        self.config = config
        model = config.llamaConfig
        try model.validate(file: "training config")
        guard train.count > config.seqlen else {
            throw DatasetError.seqlenTooLarge(stream: "training split", seqlen: config.seqlen, tokenCount: train.count)
        }
        self.train = train
        self.validation = validation
        self.output = output
        engine = Backward(config: model, seqlen: config.seqlen, windows: config.batchWindows)
    }

    package var checkpointURL: URL { output.appendingPathComponent(TrainingState.fileName) }
    package var logURL: URL { output.appendingPathComponent("training-log.jsonl") }

    /// A fresh model and optimizer, or the checkpoint in `output` when `resume`.
    package func initialState(resume: Bool) throws -> TrainingState {
        let fresh = AdamW(config: model, beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon,
                          weightDecay: config.weightDecay)
        if resume, FileManager.default.fileExists(atPath: checkpointURL.path) {
            return try TrainingState.read(checkpointURL, config: model, optimizer: fresh)
        }
        return TrainingState(
            parameters: LlamaParameters(initialized: model, std: config.initStd, seed: config.seed),
            optimizer: fresh, counters: .init(step: 0, tokens: 0, seconds: 0, bestValidationLoss: nil, seed: config.seed))
    }

    /// Step `step`'s windows: (B·T) ids, from a generator seeded by (seed, step).
    package func batch(step: Int) -> [TokenID] {
        var rng = SplitMix64(seed: config.seed, stream: UInt64(step))
        let offsets = (0..<config.batchWindows).map { _ in rng.windowOffset(below: train.count - config.seqlen + 1) }
        return Windows(stream: train, offsets: offsets, seqlen: config.seqlen).tokens
    }

    /// Mean loss over the validation windows, B at a time.
    package func validationLoss(_ p: LlamaParameters) throws -> Double {
        var total = 0.0
        var start = 0
        while start < validation.count {
            let n = min(config.batchWindows, validation.count - start)
            let ids = validation.tokens[(start * config.seqlen)..<((start + n) * config.seqlen)]
            total += Double(try engine.forward(p, tokens: ids)) * Double(n)
            start += n
        }
        return total / Double(validation.count)
    }

    /// Trains from the checkpoint (when `resume`) or from scratch to `config.steps`, or only to step `until` (then
    /// checkpoints; the schedule stays that of `config.steps`); returns the last counters.
    @discardableResult
    package func run(resume: Bool, until: Int? = nil) throws -> TrainingState.Counters {
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        var state = try initialState(resume: resume)
        try openLog(append: resume && state.counters.step > 0)
        let schedule = LearningRateSchedule(peak: config.learningRate, floor: config.minLearningRate,
                                            warmup: config.warmupSteps, total: config.steps)
        var grads = LlamaParameters(zeros: model)
        let tokensPerStep = config.batchWindows * config.seqlen
        let started = Date()
        let firstStep = state.counters.step + 1
        let baseSeconds = state.counters.seconds
        if state.counters.step == 0, config.evalEvery > 0 {
            try evaluate(&state, elapsed: 0)
        }
        let last = min(config.steps, until ?? config.steps)
        for step in firstStep...max(firstStep, last) where step <= last {
            let ids = batch(step: step)
            let loss = try engine.forward(state.parameters, tokens: ids[...])
            guard loss.isFinite else { throw TrainingError.nonFiniteLoss(step: step, loss: loss) }
            grads.zero()
            try engine.backward(state.parameters, into: &grads)
            let norm = grads.globalNorm
            if config.gradClip > 0, norm > Double(config.gradClip) { grads.scale(by: Float(Double(config.gradClip) / norm)) }
            let lr = schedule.rate(step: step)
            state.optimizer.update(&state.parameters, gradients: grads, step: step, lr: lr)

            let elapsed = Date().timeIntervalSince(started)
            state.counters.step = step
            state.counters.tokens += tokensPerStep
            state.counters.seconds = baseSeconds + elapsed
            let rate = Double((step - firstStep + 1) * tokensPerStep) / max(elapsed, 1e-9)
            let eta = Double(config.steps - step) * elapsed / Double(step - firstStep + 1)
            write(["step": step, "loss": Double(loss), "lr": Double(lr), "grad_norm": norm,
                   "tokens": state.counters.tokens, "seconds": state.counters.seconds])
            ProgressLine.show(String(format: "step %d/%d  loss %.4f  lr %.2e  |g| %.3f  %.0f tokens/s  ETA %@",
                                     step, config.steps, loss, lr, norm, rate, Self.duration(eta) as NSString))
            if config.evalEvery > 0, step % config.evalEvery == 0 || step == config.steps {
                try evaluate(&state, elapsed: state.counters.seconds)
            }
            if step % max(1, config.checkpointEvery) == 0 || step == last {
                try save(state)
            }
        }
        try? log?.close()
        return state.counters
    }

    private func evaluate(_ state: inout TrainingState, elapsed: Double) throws {
        let loss = try validationLoss(state.parameters)
        state.counters.bestValidationLoss = min(state.counters.bestValidationLoss ?? .infinity, loss)
        write(["step": state.counters.step, "validation_loss": loss, "validation_perplexity": exp(loss),
               "tokens": state.counters.tokens, "seconds": elapsed])
        ProgressLine.show(String(format: "step %d  validation loss %.4f (perplexity %.3f) over %d windows",
                                 state.counters.step, loss, exp(loss), validation.count), done: true)
    }

    /// The checkpoint, then the Hugging Face export of the same weights.
    package func save(_ state: TrainingState) throws {
        try state.write(to: checkpointURL)
        try HFExport.write(state.parameters, dtype: try config.exportDType, torchDtype: config.model.torchDtype, to: output)
    }

    private func openLog(append: Bool) throws {
        if !append || !FileManager.default.fileExists(atPath: logURL.path) {
            try Data().write(to: logURL)
        }
        log = try FileHandle(forWritingTo: logURL)
        try log?.seekToEnd()
    }

    private func write(_ record: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) else { return }
        log?.write(data + Data("\n".utf8))
    }

    package static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s % 3600 / 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}

enum TrainingError: Error, CustomStringConvertible {
    case nonFiniteLoss(step: Int, loss: Float)

    var description: String {
        switch self {
        case let .nonFiniteLoss(step, loss): "step \(step): the training loss is \(loss); lower the learning rate"
        }
    }
}
