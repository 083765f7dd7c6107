// PrunedGGUF: writes a pruned model as a GGUF file that llama.cpp and our reader load: the source GGUF's metadata
// (tokenizer included) and tensor names, the pruned blocks' matrices stored as F16 or Q8_0, norms in F32.
//
// Zeros stay exactly zero in both types (F16 holds 0; a Q8_0 block stores q = round(0 / d) = 0, and 0 · d = 0),
// so a pruned mask survives the round trip. q and k rows go back to llama.cpp's rotary order (the inverse of
// GGUFLlama.unpermutedRow). Each block is quantized as it arrives, so the writer holds about one byte per
// parameter, not four. The source must be a GGUF file: converting a Hugging Face tokenizer.json to GGUF metadata
// is llama.cpp's converter's job, and a half-done conversion would write a file that tokenizes differently.
import Engine
import Foundation
import Model

/// Why a pruned model cannot be saved as GGUF.
enum PrunedGGUFError: Error, CustomStringConvertible {
    case notFromGGUF(model: String)
    case unsupportedType(String)

    var description: String {
        switch self {
        case let .notFromGGUF(model):
            "--save-gguf needs a model read from a GGUF file (\(model) is a Hugging Face directory; use --save for it)"
        case let .unsupportedType(t): "--gguf-type \(t) is not supported (supported: f16, q8_0)"
        }
    }
}

package final class PrunedGGUF {
    /// The stored types a pruned model can be written in, with llama.cpp's `general.file_type` for each.
    package enum StorageType: String, CaseIterable {
        case f16, q8_0

        package var ggml: GGMLType { self == .f16 ? .f16 : .q8_0 }
        /// LLAMA_FTYPE_MOSTLY_F16 = 1, LLAMA_FTYPE_MOSTLY_Q8_0 = 7.
        package var fileType: UInt64 { self == .f16 ? 1 : 7 }

        package init(argument: String) throws {
            guard let t = Self(rawValue: argument.lowercased()) else { throw PrunedGGUFError.unsupportedType(argument) }
            self = t
        }
    }

    private let model: ModelWeights
    private let source: GGUFFile
    private let type: StorageType
    private var writer = GGUFWriter()
    /// Quantized bytes by GGUF name, in the order the writer will ask for them.
    private var stored: [String: [UInt8]] = [:]

    package init(model: ModelWeights, type: StorageType) throws {
        guard let source = model.gguf else { throw PrunedGGUFError.notFromGGUF(model: model.store.describedFiles) }
        self.model = model
        self.source = source
        self.type = type
        writer.alignment = source.alignment
        for key in source.keys where key != "general.alignment" { writer.set(key, source.metadata[key]!) }
        writer.set("general.file_type", .unsigned(type.fileType, .uint32))
        try store(GGUFLlama.embedding, TensorNames.embedding, dims: [model.config.hidden, model.config.vocab],
                  values: model.float32(TensorNames.embedding))
    }

    /// Adds a pruned block (call in layer order).
    package func add(layer: Int, weights: BlockWeights) throws {
        for (suffix, tensor) in GGUFLlama.blockNames {
            let shape = tensor.shape(model.config)
            var values = weights[tensor]
            if tensor == .q || tensor == .k { values = Self.permuted(values, rowLength: shape[1], headDim: model.config.headDim) }
            try store("blk.\(layer).\(suffix)", TensorNames.block(layer, tensor), dims: shape.reversed(), values: values)
        }
    }

    /// Adds the final norm and (untied) output, then writes the file.
    package func write(to file: URL, progress: (Int, Int) -> Void = { _, _ in }) throws {
        try store(GGUFLlama.finalNorm, TensorNames.finalNorm, dims: [model.config.hidden], values: model.finalNorm())
        if !model.config.tiedEmbeddings {
            try store(GGUFLlama.output, TensorNames.lmHead, dims: [model.config.hidden, model.config.vocab],
                      values: model.outputProjection())
        }
        try writer.write(to: file, progress: progress)
        stored = [:]
    }

    private func store(_ name: String, _ hfName: String, dims: [Int], values: [Float]) throws {
        // Norms stay F32, as llama.cpp's converter keeps every 1-D tensor.
        let t: GGMLType = dims.count == 1 ? .f32 : type.ggml
        stored[name] = try GGMLQuantizer.quantize(values, as: t)
        writer.add(.init(name: name, dims: dims, type: t, bytes: { [unowned self] in self.stored.removeValue(forKey: name)! }))
    }

    /// Hugging Face row order → llama.cpp's: stored row r holds Hugging Face row unpermutedRow(r).
    package static func permuted(_ values: [Float], rowLength: Int, headDim: Int) -> [Float] {
        var out = values
        let rows = values.count / rowLength
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    let from = GGUFLlama.unpermutedRow(r, headDim: headDim)
                    (dst.baseAddress! + r * rowLength).update(from: src.baseAddress! + from * rowLength, count: rowLength)
                }
            }
        }
        return out
    }
}
