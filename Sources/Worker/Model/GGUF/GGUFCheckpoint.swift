// GGUFCheckpoint: a GGUF file as a TensorStore under Hugging Face names, dequantized to Float32 tensor by tensor.
//
// Opening maps every tensor of the file to its `state_dict` name (GGUFLlama) and refuses any it cannot place, so
// nothing in the file is silently ignored. Reads dequantize one tensor into the caller's buffer (a block's nine
// tensors at a time through ModelWeights, so peak memory is the mapped file plus one block in Float32), un-permute
// q and k rows, and hand the tensor's mapped pages back.
import Foundation

package final class GGUFCheckpoint: TensorStore {
    package let file: GGUFFile
    package let config: LlamaConfig
    /// Hugging Face name → the GGUF tensor holding it.
    private let byName: [String: GGUFTensor]
    /// Hugging Face names of the tensors stored with llama.cpp's rotary row order, with their head dim.
    private let permuted: Set<String>

    package init(file: GGUFFile) throws {
        self.file = file
        config = try GGUFLlama.config(file)
        var byName: [String: GGUFTensor] = [:]
        var permuted: Set<String> = []
        for name in file.tensorNames {
            let t = file.tensors[name]!
            if name.hasSuffix(".bias") {
                throw GGUFError.unexpectedTensor(file: file.path, tensor: name, reason: "biases are not part of a LLaMA this engine computes")
            }
            if name == "rope_freqs.weight" {
                throw GGUFError.unexpectedTensor(file: file.path, tensor: name, reason: "per-frequency rope scaling (LLaMA 3.1 style) is not supported")
            }
            guard let hf = GGUFLlama.huggingFaceName(name) else {
                throw GGUFError.unexpectedTensor(file: file.path, tensor: name, reason: "not a tensor of a llama model this reader maps")
            }
            byName[hf] = t
            if name.hasSuffix(".attn_q.weight") || name.hasSuffix(".attn_k.weight") { permuted.insert(hf) }
        }
        self.byName = byName
        self.permuted = permuted
    }

    package func shape(of name: String) -> [Int]? { byName[name]?.shape }
    package func isFloatingPoint(_ name: String) -> Bool { byName[name] != nil }
    package func storedType(of name: String) -> String? { byName[name]?.type.name }
    package func path(of name: String) -> String? { byName[name] == nil ? nil : file.path }
    package var describedFiles: String { URL(fileURLWithPath: file.path).lastPathComponent }

    private func tensor(_ name: String) throws -> GGUFTensor {
        guard let t = byName[name] else { throw GGUFError.missingTensor(file: file.path, tensor: name) }
        return t
    }

    package func readFloat32(_ name: String, into out: UnsafeMutableBufferPointer<Float>) throws {
        let t = try tensor(name)
        precondition(out.count >= t.count, "buffer of \(out.count) for \(t.count) elements of \(name)")
        guard permuted.contains(name) else {
            try file.dequantize(t, into: out.baseAddress!)
            return
        }
        // Dequantize in stored order, then move each row to its Hugging Face place.
        let d = config.headDim, width = t.rowLength
        var stored = [Float](repeating: 0, count: t.count)
        try stored.withUnsafeMutableBufferPointer { try file.dequantize(t, into: $0.baseAddress!) }
        stored.withUnsafeBufferPointer { src in
            for row in 0..<t.rows {
                (out.baseAddress! + GGUFLlama.unpermutedRow(row, headDim: d) * width)
                    .update(from: src.baseAddress! + row * width, count: width)
            }
        }
    }

    package func readRows(_ name: String, rows: [Int], into out: UnsafeMutablePointer<Float>) throws {
        let t = try tensor(name)
        precondition(t.dims.count == 2 && !permuted.contains(name))
        defer { file.release(t) }
        for (r, row) in rows.enumerated() {
            precondition(row >= 0 && row < t.rows)
            try file.dequantize(t, rows: row..<row + 1, into: out + r * t.rowLength)
        }
    }
}
