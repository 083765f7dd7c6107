// TensorStore: where a model's tensors come from, by their Hugging Face names, widened to Float32 on demand.
//
// Two stores: `Checkpoint` (safetensors files of a Hugging Face directory) and `GGUFCheckpoint` (one GGUF file,
// dequantized and renamed). `ModelWeights` checks every tensor's presence and shape through this protocol and
// reads blocks through it, so the engine never knows which format a model came in.

/// Named tensors, row-major, (out, in) for linears, read into caller-owned Float32 buffers.
package protocol TensorStore: AnyObject {
    /// The row-major shape of `name`, or nil when the store lacks it.
    func shape(of name: String) -> [Int]?
    /// Whether `name` holds weights (not a U8 mask); only asked of tensors that exist.
    func isFloatingPoint(_ name: String) -> Bool
    /// The stored element type of `name`, for messages ("BF16", "Q4_1").
    func storedType(of name: String) -> String?
    /// The file holding `name`, for messages.
    func path(of name: String) -> String?
    /// Where tensors were looked for, for messages.
    var describedFiles: String { get }
    /// Widens `name` into `out` (at least its element count).
    func readFloat32(_ name: String, into out: UnsafeMutableBufferPointer<Float>) throws
    /// Widens rows `rows` of the 2-D tensor `name` into `out` (rows.count, width): the embedding gather.
    func readRows(_ name: String, rows: [Int], into out: UnsafeMutablePointer<Float>) throws
}

extension Checkpoint: TensorStore {
    func shape(of name: String) -> [Int]? { info(name)?.shape }
    func isFloatingPoint(_ name: String) -> Bool { info(name).map { $0.dtype != .u8 } ?? false }
    func storedType(of name: String) -> String? { info(name)?.dtype.rawValue }
    func path(of name: String) -> String? { file(of: name)?.path }

    func readFloat32(_ name: String, into out: UnsafeMutableBufferPointer<Float>) throws {
        guard let file = file(of: name) else { throw SafeTensorsError.noSuchTensor(file: describedFiles, tensor: name) }
        try file.readFloat32(name, into: out)
    }

    func readRows(_ name: String, rows: [Int], into out: UnsafeMutablePointer<Float>) throws {
        guard let file = file(of: name) else { throw SafeTensorsError.noSuchTensor(file: describedFiles, tensor: name) }
        try file.readRows(name, rows: rows, into: out)
    }
}
