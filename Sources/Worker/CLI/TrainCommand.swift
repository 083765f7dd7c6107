// `prunerzero-worker train`: pretrains a LLaMA from scratch on a split corpus (see `split-corpus`) and writes a
// Hugging Face checkpoint directory: config.json, model.safetensors, tokenizer.json, plus training-log.jsonl and
// the resumable checkpoint.safetensors.
import ArgumentParser
import COpenBLAS
import Dataset
import Foundation
import Model
import Training

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Pretrain a small LLaMA with the byte vocabulary (AdamW, warmup + cosine).")

    @Option(help: "Training configuration (JSON: model shape and hyper-parameters).") var config: String
    @Option(help: "Directory holding train.txt and validation.txt (written by split-corpus).") var data: String
    @Option(help: "Output directory (Hugging Face checkpoint, log, resumable checkpoint).") var out: String
    @Flag(help: "Continue from <out>/checkpoint.safetensors if it exists.") var resume = false
    @Option(help: "Override the config's step count (e.g. a short timing run).") var steps: Int?
    @Option(help: "Stop after this step (checkpointing), keeping the schedule of the full run.") var until: Int?
    @Option(help: "Threads for OpenBLAS and the element-wise kernels (default: all cores).") var threads: Int?

    func run() throws {
        if let threads {
            openblas_set_num_threads(Int32(threads))
            Parallel.workers = max(1, threads)
        }
        var settings = try TrainingConfig.load(URL(fileURLWithPath: config))
        if let steps { settings.steps = steps }
        guard settings.model.vocabSize == ByteTokenizer.vocabularySize else {
            throw ValidationError("model.vocab_size must be \(ByteTokenizer.vocabularySize) for the byte vocabulary")
        }
        let dir = URL(fileURLWithPath: data)
        let train = try Self.tokens(dir.appendingPathComponent("train.txt").path)
        let validation = try TokenStream(tokens: try Self.tokens(dir.appendingPathComponent("validation.txt").path),
                                         name: "validation.txt")
            .evaluationWindows(seqlen: settings.seqlen, limit: settings.evalWindows)
        let trainer = try Trainer(config: settings, train: train, validation: validation, output: URL(fileURLWithPath: out))
        let c = trainer.model
        let parameters = LlamaParameters(zeros: c).tensors.reduce(0) { $0 + $1.shape(c).reduce(1, *) }
        print("model: \(c.layers) layers, hidden \(c.hidden), heads \(c.heads), kv heads \(c.kvHeads), "
              + "intermediate \(c.intermediate), vocab \(c.vocab): \(parameters) parameters")
        print("data: \(train.count) training tokens, \(validation.count) validation windows × \(settings.seqlen); "
              + "\(settings.steps) steps × \(settings.batchWindows * settings.seqlen) tokens")
        let done = try trainer.run(resume: resume, until: until)
        print(String(format: "done: step %d, %d tokens in %.0f s, best validation loss %.4f", done.step, done.tokens,
                     done.seconds, done.bestValidationLoss ?? .nan))
    }

    /// A text file as the byte vocabulary's ids (BOS, then its UTF-8 bytes after universal newlines).
    static func tokens(_ path: String) throws -> [TokenID] {
        let text = try DatasetSource(path: path, kind: .text).readText()
        return ByteTokenizer.encode(bytes: Array(text.utf8))
    }
}

/// `prunerzero-worker split-corpus`: the deterministic by-file split (CorpusSplit) into four text files.
struct SplitCorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split-corpus", abstract: "Split a directory of text files by file into train/calibration/validation/test.")

    @Option(help: "Corpus root.") var root = "/usr/share/doc/python3.11/html/_sources"
    @Option(help: "File name suffix to include.") var suffix = ".rst.txt"
    @Option(help: "Output directory for <split>.txt and splits.json.") var out: String

    func run() throws {
        let output = URL(fileURLWithPath: out)
        let records = try CorpusSplit.write(root: URL(fileURLWithPath: root), suffix: suffix, output: output)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(records)
        try json.write(to: output.appendingPathComponent("splits.json"), options: .atomic)
        for (name, _) in CorpusSplit.splits {
            let r = records[name]!
            print("\(name): \(r.files) files, \(r.bytes) bytes, file list sha256 \(r.fileListSHA256)")
        }
    }
}
