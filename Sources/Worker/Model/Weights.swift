// Weights: the checkpoint checked against the config, handing out Float32 copies one block at a time.
//
// At open, every tensor the config implies is checked for presence and shape (dtype was checked by the safetensors
// reader: F32/F16/BF16). The checkpoint stays memory-mapped in its stored dtype; `block(i)` widens only block i's
// nine tensors to Float32, so a 7B bf16 model costs one block of Float32 at a time. The embedding is gathered by row.
// With `tie_word_embeddings` the output projection is the embedding (as transformers ties them even if an
// `lm_head.weight` is stored).
import Foundation

/// Why a checkpoint does not match its config.
package enum WeightsError: Error, CustomStringConvertible {
    case missingTensor(tensor: String, files: String)
    case shapeMismatch(tensor: String, file: String, expected: [Int], found: [Int])
    case tokenOutOfRange(position: Int, token: TokenID, vocab: Int)
    case notFloatingPoint(tensor: String, file: String, dtype: String)

    package var description: String {
        switch self {
        case let .missingTensor(tensor, files): "tensor \(tensor) is missing (looked in \(files))"
        case let .shapeMismatch(tensor, file, expected, found):
            "\(file): tensor \(tensor) has shape \(found), the config implies \(expected)"
        case let .notFloatingPoint(tensor, file, dtype):
            "\(file): tensor \(tensor) is \(dtype); model weights must be F32, F16 or BF16"
        case let .tokenOutOfRange(position, token, vocab):
            "token \(token) at position \(position) is outside the vocabulary (size \(vocab))"
        }
    }
}

/// One decoder block's weights in Float32, row-major, nn.Linear (out, in) layout. A pruning stage may build one
/// with masked matrices and hand it to `Forward.runBlock`.
package struct BlockWeights {
    package var inputNorm: [Float]   // (C)
    package var q: [Float]           // (H·D, C)
    package var k: [Float]           // (K·D, C)
    package var v: [Float]           // (K·D, C)
    package var o: [Float]           // (C, H·D)
    package var postNorm: [Float]    // (C)
    package var gate: [Float]        // (F, C)
    package var up: [Float]          // (F, C)
    package var down: [Float]        // (C, F)

    package subscript(_ t: BlockTensor) -> [Float] {
        get {
            switch t {
            case .inputNorm: inputNorm
            case .q: q
            case .k: k
            case .v: v
            case .o: o
            case .postNorm: postNorm
            case .gate: gate
            case .up: up
            case .down: down
            }
        }
        set {
            switch t {
            case .inputNorm: inputNorm = newValue
            case .q: q = newValue
            case .k: k = newValue
            case .v: v = newValue
            case .o: o = newValue
            case .postNorm: postNorm = newValue
            case .gate: gate = newValue
            case .up: up = newValue
            case .down: down = newValue
            }
        }
    }

    /// Writes tensor `t` in place (a subscript's get/set would copy the array first).
    package mutating func withMutableBuffer(_ t: BlockTensor, _ body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        switch t {
        case .inputNorm: try inputNorm.withUnsafeMutableBufferPointer { try body($0) }
        case .q: try q.withUnsafeMutableBufferPointer { try body($0) }
        case .k: try k.withUnsafeMutableBufferPointer { try body($0) }
        case .v: try v.withUnsafeMutableBufferPointer { try body($0) }
        case .o: try o.withUnsafeMutableBufferPointer { try body($0) }
        case .postNorm: try postNorm.withUnsafeMutableBufferPointer { try body($0) }
        case .gate: try gate.withUnsafeMutableBufferPointer { try body($0) }
        case .up: try up.withUnsafeMutableBufferPointer { try body($0) }
        case .down: try down.withUnsafeMutableBufferPointer { try body($0) }
        }
    }

    /// Zero weights of `config`'s shapes (norms zero too); for tests and benchmarks to fill.
    package init(zeros c: LlamaConfig) {
        func z(_ t: BlockTensor) -> [Float] { [Float](repeating: 0, count: t.shape(c).reduce(1, *)) }
        inputNorm = z(.inputNorm); q = z(.q); k = z(.k); v = z(.v); o = z(.o)
        postNorm = z(.postNorm); gate = z(.gate); up = z(.up); down = z(.down)
    }
}

/// A checked, memory-mapped LLaMA checkpoint: a Hugging Face directory or a GGUF file.
package final class ModelWeights {
    package let config: LlamaConfig
    package let store: any TensorStore
    /// The tensor used as the output projection: `lm_head.weight`, or the embedding when tied.
    package let outputName: String

    /// Opens `directory` (config.json + safetensors) and checks every tensor against the config.
    package convenience init(directory: URL) throws {
        let config = try LlamaConfig.load(directory.appendingPathComponent("config.json"))
        try self.init(config: config, store: try Checkpoint(directory: directory))
    }

    /// Opens a GGUF file: the config from its metadata, the tensors dequantized on demand.
    package convenience init(gguf: GGUFFile) throws {
        let store = try GGUFCheckpoint(file: gguf)
        try self.init(config: store.config, store: store)
    }

    package init(config: LlamaConfig, store: any TensorStore) throws {
        self.config = config
        self.store = store
        outputName = config.tiedEmbeddings ? TensorNames.embedding : TensorNames.lmHead
        var expected: [(String, [Int])] = [
            (TensorNames.embedding, [config.vocab, config.hidden]),
            (TensorNames.finalNorm, [config.hidden]),
        ]
        if !config.tiedEmbeddings { expected.append((TensorNames.lmHead, [config.vocab, config.hidden])) }
        for layer in 0..<config.layers {
            for t in BlockTensor.allCases { expected.append((TensorNames.block(layer, t), t.shape(config))) }
        }
        for (name, shape) in expected { try check(name, shape) }
    }

    /// The GGUF file the weights come from, if they do.
    package var gguf: GGUFFile? { (store as? GGUFCheckpoint)?.file }

    private func check(_ name: String, _ shape: [Int]) throws {
        guard let found = store.shape(of: name), let file = store.path(of: name) else {
            throw WeightsError.missingTensor(tensor: name, files: store.describedFiles)
        }
        guard found == shape else {
            throw WeightsError.shapeMismatch(tensor: name, file: file, expected: shape, found: found)
        }
        guard store.isFloatingPoint(name) else {
            throw WeightsError.notFloatingPoint(tensor: name, file: file, dtype: store.storedType(of: name) ?? "?")
        }
    }

    /// Widens tensor `name` (checked at init) into a new Float32 array.
    package func float32(_ name: String) throws -> [Float] {
        let count = store.shape(of: name)!.reduce(1, *)
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try store.readFloat32(name, into: buffer)
            initialized = count
        }
    }

    /// Block `layer`'s nine tensors widened to Float32.
    package func block(_ layer: Int) throws -> BlockWeights {
        var w = BlockWeights(zeros: config)
        try block(layer, into: &w)
        return w
    }

    /// Widens block `layer` into `w`'s existing arrays (shapes of this config), so a pass over all blocks
    /// allocates one block's Float32 weights once.
    package func block(_ layer: Int, into w: inout BlockWeights) throws {
        for t in BlockTensor.allCases {
            let name = TensorNames.block(layer, t)
            try w.withMutableBuffer(t) { try store.readFloat32(name, into: $0) }
        }
    }

    /// The final RMSNorm weight (C).
    package func finalNorm() throws -> [Float] { try float32(TensorNames.finalNorm) }

    /// The output projection (V, C) in Float32.
    package func outputProjection() throws -> [Float] { try float32(outputName) }

    /// Gathers the embedding rows of `tokens` into `out` (tokens.count, C). Checks ids against the vocabulary.
    package func embed(_ tokens: ArraySlice<TokenID>, into out: UnsafeMutablePointer<Float>) throws {
        var rows: [Int] = []
        rows.reserveCapacity(tokens.count)
        for (position, token) in zip(tokens.indices, tokens) {
            guard Int(token) < config.vocab else {
                throw WeightsError.tokenOutOfRange(position: position, token: token, vocab: config.vocab)
            }
            rows.append(Int(token))
        }
        try store.readRows(TensorNames.embedding, rows: rows, into: out)
    }
}
