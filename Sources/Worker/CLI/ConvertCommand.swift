// `prunerzero-worker convert`: any model we read (a GGUF file, or a Hugging Face directory) written as a Hugging
// Face folder that transformers loads: config.json, generation_config.json, model.safetensors, tokenizer.json.
//
// Tensors are the dequantized Float32 values, stored as F32 (exact) or BF16 (rounded to nearest even), under
// `state_dict` names with q/k in Hugging Face's row order. The tokenizer of a GGUF file is written as the
// tokenizer.json document transformers builds from its metadata, so both give the same ids.
import ArgumentParser
import Engine
import Foundation
import Model
import Shared
import Tokenizer
import Training

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Write a model (GGUF file or Hugging Face directory) as a Hugging Face folder transformers loads.")

    @Argument(help: "The model: a GGUF file or a Hugging Face directory.") var model: String
    @Option(help: "Output directory.") var out: String
    @Option(help: "Stored dtype of the tensors: f32 (exact) or bf16.") var dtype = "f32"
    @Flag(help: "Replace files in --out.") var force = false

    func run() throws {
        let stored: DType, torchDtype: String
        switch dtype.lowercased() {
        case "f32", "float32": (stored, torchDtype) = (.f32, "float32")
        case "bf16", "bfloat16": (stored, torchDtype) = (.bf16, "bfloat16")
        default: throw ValidationError("--dtype must be f32 or bf16, got \(dtype)")
        }
        let path = try ModelPath(model)
        let outURL = URL(fileURLWithPath: out)
        let fm = FileManager.default
        if fm.fileExists(atPath: outURL.appendingPathComponent("model.safetensors").path) && !force {
            throw ValidationError("\(out) already holds a model (give --force to replace it)")
        }
        let start = Date()
        let weights = try path.weights()
        try fm.createDirectory(at: outURL, withIntermediateDirectories: true)
        let tokenizerFile = outURL.appendingPathComponent("tokenizer.json")
        let ids: (bos: Int?, eos: Int?)
        switch path.format {
        case .gguf:
            let vocabulary = try GGUFVocabulary(weights.gguf!)
            let (document, _) = try GGUFTokenizerJSON(vocabulary: vocabulary, file: path.url.path).document()
            try Data(document.serialized.utf8).write(to: tokenizerFile, options: .atomic)
            ids = (vocabulary.bosID, vocabulary.eosID)
        case .huggingFace:
            let source = path.url.appendingPathComponent("tokenizer.json")
            if fm.fileExists(atPath: source.path) {
                try? fm.removeItem(at: tokenizerFile)
                try fm.copyItem(at: source, to: tokenizerFile)
            }
            let tokenizer = try? path.tokenizer()
            ids = (tokenizer?.bosID.map { Int($0) }, tokenizer?.eosID.map { Int($0) })
        }
        var writer = SafeTensorsWriter()
        writer.metadata = ["format": "pt"]
        let names = ParameterTensor.all(weights.config).map(\.name)
        for (i, name) in names.enumerated() {
            writer.add(name, try weights.float32(name), shape: weights.store.shape(of: name)!, as: stored)
            ProgressLine.show("convert: tensor \(i + 1)/\(names.count)", done: i + 1 == names.count)
        }
        try writer.write(to: outURL.appendingPathComponent("model.safetensors"))
        try Data(HFExport.configJSON(weights.config, torchDtype: torchDtype, bosID: ids.bos, eosID: ids.eos).utf8)
            .write(to: outURL.appendingPathComponent("config.json"), options: .atomic)
        let generation = "{\n  \"_from_model_config\": true,\n  \"bos_token_id\": \(ids.bos.map { "\($0)" } ?? "null"),\n"
            + "  \"eos_token_id\": \(ids.eos.map { "\($0)" } ?? "null")\n}\n"
        try Data(generation.utf8).write(to: outURL.appendingPathComponent("generation_config.json"), options: .atomic)
        FileHandle.standardError.write(Data(String(format: "convert: wrote %@ (%d tensors, %@) in %.1f s, peak resident memory %@\n",
            out, names.count, torchDtype, Date().timeIntervalSince(start), PeakMemory.describe(PeakMemory.residentBytes)).utf8))
    }
}
