// GGUFFile: a memory-mapped GGUF file (llama.cpp's checkpoint format), its metadata and tensor table, checked.
//
// Layout (ggml docs/gguf.md; versions 2 and 3, which differ only in what 3 allows: big-endian files, not read here):
//
//     u32 magic "GGUF", u32 version, u64 tensor_count, u64 kv_count
//     kv_count × (string key, u32 value type, value)
//     tensor_count × (string name, u32 n_dims, n_dims × u64 ne, u32 ggml type, u64 offset)
//     padding to `general.alignment` (default 32); then the data section, each tensor at data start + offset
//
// `ne[0]` is the fastest-varying dimension, so a GGUF (ne0, ne1) tensor is a row-major (ne1, ne0) matrix: rows of
// ne0 elements, quantized in blocks along the row. The reader checks every count against the bytes left, every
// tensor's byte range against the data section (no overlaps), and every type and shape against ggml's block
// sizes, so what it hands on can be read without further checks. It knows nothing of models; GGUFLlama does.
import Foundation

/// One tensor-table entry, checked.
package struct GGUFTensor: Equatable {
    package let name: String
    /// ggml's `ne`, fastest first.
    package let dims: [Int]
    package let type: GGMLType
    /// Absolute byte offset in the file.
    package let offset: Int
    package let byteCount: Int

    /// Elements per row (ne0) and rows (the product of the others).
    package var rowLength: Int { dims.first ?? 1 }
    package var rows: Int { dims.dropFirst().reduce(1, *) }
    package var count: Int { dims.reduce(1, *) }
    package var rowBytes: Int { rowLength / type.blockSize * type.typeSize }
    /// The row-major shape, slowest first, as PyTorch and safetensors write it.
    package var shape: [Int] { dims.reversed() }
}

/// A read-only map of one GGUF file.
package final class GGUFFile {
    package static let magic: UInt32 = 0x4655_4747   // "GGUF" read as a little-endian u32
    package static let defaultAlignment = 32
    /// ggml's GGML_MAX_DIMS.
    package static let maximumDims = 4

    package let path: String
    /// The checked header: version, metadata (in file order and by key), tensors (in file order and by name),
    /// alignment and where the data section starts.
    package let header: Header
    package var version: UInt32 { header.version }
    package var keys: [String] { header.keys }
    package var metadata: [String: GGUFValue] { header.metadata }
    package var tensorNames: [String] { header.tensorNames }
    package var tensors: [String: GGUFTensor] { header.tensors }
    package var alignment: Int { header.alignment }
    package var dataOffset: Int { header.dataOffset }
    private let map: MappedFile
    package var fileSize: Int { map.size }
    private var base: UnsafeRawPointer { map.base }

    package init(path: String) throws {
        self.path = path
        do { map = try MappedFile(path: path) } catch let MappedFileError.cannotOpen(reason) {
            throw GGUFError.cannotOpen(file: path, reason: reason)
        } catch { throw GGUFError.truncated(file: path, offset: 0, field: "magic", needed: 4, available: 0) }
        header = try Self.parse(base: map.base, size: map.size, file: path)
    }

    package func tensor(_ name: String) throws -> GGUFTensor {
        guard let t = tensors[name] else { throw GGUFError.noSuchTensor(file: path, tensor: name) }
        return t
    }

    /// Dequantizes rows `rows` of `tensor` (a range of its row-major rows) into `out` (rows.count × rowLength).
    package func dequantize(_ tensor: GGUFTensor, rows: Range<Int>, into out: UnsafeMutablePointer<Float>) throws {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= tensor.rows)
        guard tensor.type.canDequantize else {
            throw GGUFError.unsupportedTensorType(file: path, tensor: tensor.name, type: tensor.type.name)
        }
        let src = base + tensor.offset + rows.lowerBound * tensor.rowBytes
        try GGMLDequantizer.dequantize(tensor.type, from: src, count: rows.count * tensor.rowLength, into: out)
    }

    /// The whole tensor in Float32, row-major; its mapped pages are handed back afterwards.
    package func dequantize(_ tensor: GGUFTensor, into out: UnsafeMutablePointer<Float>) throws {
        defer { release(tensor) }
        try dequantize(tensor, rows: 0..<tensor.rows, into: out)
    }

    /// The raw stored bytes of a tensor (for copying it unchanged into another GGUF file).
    package func bytes(of tensor: GGUFTensor) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + tensor.offset, count: tensor.byteCount)
    }

    /// Drops a tensor's mapped pages from the resident set once read (MappedFile.release says why).
    package func release(_ tensor: GGUFTensor) { map.release(offset: tensor.offset, bytes: tensor.byteCount) }

    // MARK: Parsing

    package struct Header {
        package var version: UInt32
        package var keys: [String]
        package var metadata: [String: GGUFValue]
        package var tensorNames: [String]
        package var tensors: [String: GGUFTensor]
        package var alignment: Int
        package var dataOffset: Int
    }

    /// Parses and checks the header of the bytes `base[0..<size]`; `file` names them in errors.
    package static func parse(base: UnsafeRawPointer, size: Int, file: String) throws -> Header {
        var r = GGUFByteReader(base: base, size: size, file: file)
        let magic = try r.scalar(UInt32.self, "magic")
        guard magic == Self.magic else { throw GGUFError.notGGUF(file: file, magic: magic) }
        let version = try r.scalar(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(file: file, version: version) }
        // The least bytes a tensor entry and a key-value pair take: bounds for the counts before any allocation.
        let tensorCount = try r.count("tensor_count", minimumBytesEach: 8 + 4 + 4 + 8)
        let kvCount = try r.count("kv_count", minimumBytesEach: 8 + 4 + 1)

        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        for i in 0..<kvCount {
            let key = try r.string("key \(i)")
            let at = r.offset
            let raw = try r.scalar(UInt32.self, "\(key) value type")
            guard let type = GGUFValueType(rawValue: raw) else {
                throw GGUFError.unknownValueType(file: file, offset: at, key: key, type: raw)
            }
            let value = try GGUFValue.read(type, from: &r, key: key)
            guard metadata.updateValue(value, forKey: key) == nil else { throw GGUFError.duplicateKey(file: file, key: key) }
            keys.append(key)
        }

        var alignment = defaultAlignment
        if let value = metadata["general.alignment"] {
            guard let a = value.int, a > 0, a & (a - 1) == 0 else {
                throw GGUFError.badAlignment(file: file, alignment: value.int ?? -1)
            }
            alignment = a
        }

        var entries: [(name: String, dims: [Int], type: UInt32, offset: UInt64)] = []
        entries.reserveCapacity(tensorCount)
        for i in 0..<tensorCount {
            let name = try r.string("tensor \(i) name")
            let nDims = try r.scalar(UInt32.self, "\(name) n_dims")
            guard nDims >= 1, nDims <= UInt32(maximumDims) else {
                throw GGUFError.badTensorInfo(file: file, tensor: name, reason: "n_dims = \(nDims) (1 to \(maximumDims))")
            }
            var dims: [Int] = []
            for d in 0..<Int(nDims) {
                let n = try r.scalar(UInt64.self, "\(name) ne[\(d)]")
                guard n >= 1, n <= UInt64(Int32.max) else {
                    throw GGUFError.badTensorInfo(file: file, tensor: name, reason: "ne[\(d)] = \(n)")
                }
                dims.append(Int(n))
            }
            let type = try r.scalar(UInt32.self, "\(name) type")
            let offset = try r.scalar(UInt64.self, "\(name) offset")
            entries.append((name, dims, type, offset))
        }
        try r.align(to: alignment, "padding before the data section")
        let dataOffset = r.offset
        let dataSize = size - dataOffset

        var names: [String] = []
        var tensors: [String: GGUFTensor] = [:]
        for e in entries {
            let t = try checkedTensor(e.name, dims: e.dims, rawType: e.type, offset: e.offset, alignment: alignment,
                                      dataOffset: dataOffset, dataSize: dataSize, file: file)
            guard tensors.updateValue(t, forKey: e.name) == nil else { throw GGUFError.duplicateTensor(file: file, tensor: e.name) }
            names.append(e.name)
        }
        // Sorted by offset, no tensor may begin before the previous one ends.
        var previous: GGUFTensor? = nil
        for t in tensors.values.sorted(by: { ($0.offset, $0.name) < ($1.offset, $1.name) }) {
            if let p = previous, t.offset < p.offset + p.byteCount {
                throw GGUFError.tensorsOverlap(file: file, tensor: t.name, previous: p.name)
            }
            previous = t
        }
        return Header(version: version, keys: keys, metadata: metadata, tensorNames: names, tensors: tensors,
                      alignment: alignment, dataOffset: dataOffset)
    }

    private static func checkedTensor(_ name: String, dims: [Int], rawType: UInt32, offset: UInt64, alignment: Int,
                                      dataOffset: Int, dataSize: Int, file: String) throws -> GGUFTensor {
        guard let type = GGMLType(rawValue: rawType) else {
            throw GGUFError.unknownTensorType(file: file, tensor: name, type: rawType)
        }
        guard dims[0] % type.blockSize == 0 else {
            throw GGUFError.badTensorInfo(
                file: file, tensor: name, reason: "row length ne[0] = \(dims[0]) is not a multiple of \(type.name)'s block of \(type.blockSize)")
        }
        var count = 1
        for d in dims {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw GGUFError.badTensorInfo(file: file, tensor: name, reason: "element count overflows") }
            count = p
        }
        guard let bytes = type.byteCount(elements: count) else {
            throw GGUFError.badTensorInfo(file: file, tensor: name, reason: "\(count) elements of \(type.name) overflow a byte count")
        }
        guard offset % UInt64(alignment) == 0 else {
            throw GGUFError.badTensorInfo(file: file, tensor: name, reason: "offset \(offset) is not a multiple of the alignment \(alignment)")
        }
        guard offset <= UInt64(dataSize), bytes <= dataSize - Int(offset) else {
            throw GGUFError.tensorOutOfRange(file: file, tensor: name, begin: Int(clamping: offset), bytes: bytes, dataSize: dataSize)
        }
        return GGUFTensor(name: name, dims: dims, type: type, offset: dataOffset + Int(offset), byteCount: bytes)
    }
}
