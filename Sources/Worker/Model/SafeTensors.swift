// SafeTensors: one `.safetensors` file, memory-mapped and validated.
//
// Format (huggingface/safetensors): 8-byte little-endian header length N, N bytes of JSON
// `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`, then the data; offsets are relative
// to the data start. Validation follows the reference Rust crate: offsets sorted, contiguous, inside the data and
// covering it exactly, and each tensor's byte size equal to shape × dtype size. It reads F32, F16 and BF16 and
// widens them to Float32 on request; it does not know tensor names (see TensorNames) or model shapes (Weights).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a safetensors file cannot be read. Every case names the file; tensor cases name the tensor.
enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(file: String, reason: String)
    case truncated(file: String, fileSize: Int)
    case headerLengthBeyondFile(file: String, headerLength: UInt64, fileSize: Int)
    case invalidHeader(file: String, reason: String)
    case invalidEntry(file: String, tensor: String, field: String, reason: String)
    case unsupportedDType(file: String, tensor: String, dtype: String)
    case offsetsOutOfRange(file: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    case sizeMismatch(file: String, tensor: String, shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
    case overlapping(file: String, tensor: String, previous: String)
    case gap(file: String, tensor: String, begin: Int, previousEnd: Int)
    case dataNotCovered(file: String, lastEnd: Int, dataSize: Int)
    case noSuchTensor(file: String, tensor: String)

    var description: String {
        switch self {
        case let .cannotOpen(file, reason): "\(file): cannot open: \(reason)"
        case let .truncated(file, size): "\(file): truncated: \(size) bytes, shorter than the 8-byte header length"
        case let .headerLengthBeyondFile(file, length, size):
            "\(file): header length \(length) runs past the end of the file (\(size) bytes)"
        case let .invalidHeader(file, reason): "\(file): invalid JSON header: \(reason)"
        case let .invalidEntry(file, tensor, field, reason): "\(file): tensor \(tensor): field \(field): \(reason)"
        case let .unsupportedDType(file, tensor, dtype):
            "\(file): tensor \(tensor): dtype \(dtype) is not supported (supported: F32, F16, BF16, U8)"
        case let .offsetsOutOfRange(file, tensor, begin, end, dataSize):
            "\(file): tensor \(tensor): data_offsets [\(begin), \(end)] outside the data (\(dataSize) bytes)"
        case let .sizeMismatch(file, tensor, shape, dtype, expected, actual):
            "\(file): tensor \(tensor): shape \(shape) of \(dtype) needs \(expected) bytes, data_offsets span \(actual)"
        case let .overlapping(file, tensor, previous): "\(file): tensor \(tensor) overlaps tensor \(previous)"
        case let .gap(file, tensor, begin, previousEnd):
            "\(file): tensor \(tensor) begins at \(begin), leaving a gap after the previous tensor's end \(previousEnd)"
        case let .dataNotCovered(file, lastEnd, dataSize):
            "\(file): tensors end at byte \(lastEnd) of a \(dataSize)-byte data section"
        case let .noSuchTensor(file, tensor): "\(file): no tensor named \(tensor)"
        }
    }
}

/// The element types the engine widens to Float32 (U8 holds pruning masks: 1 = pruned).
package enum DType: String, CaseIterable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", u8 = "U8"

    package var byteSize: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .u8: 1
        }
    }
}

/// One tensor's header entry; `offset` is absolute in the file.
package struct TensorInfo: Equatable {
    package let name: String
    package let dtype: DType
    package let shape: [Int]
    package let offset: Int
    package let byteCount: Int
    package var count: Int { shape.reduce(1, *) }
}

/// A read-only memory map of one safetensors file with its validated header. Pages are read lazily, so a 7B
/// bf16 checkpoint costs address space, not RAM, until a layer is widened.
package final class SafeTensorsFile {
    package let path: String
    package let tensors: [String: TensorInfo]
    private let map: MappedFile
    private var base: UnsafeRawPointer { map.base }

    /// Upper bound from the reference implementation, so a corrupt length cannot make us parse gigabytes.
    package static let maxHeaderLength: UInt64 = 100_000_000

    package init(path: String) throws {
        self.path = path
        do { map = try MappedFile(path: path) } catch let MappedFileError.cannotOpen(reason) {
            throw SafeTensorsError.cannotOpen(file: path, reason: reason)
        } catch { throw SafeTensorsError.truncated(file: path, fileSize: 0) }
        guard map.size >= 8 else { throw SafeTensorsError.truncated(file: path, fileSize: map.size) }
        tensors = try Self.parseHeader(base: map.base, size: map.size, file: path)
    }

    package func info(_ name: String) throws -> TensorInfo {
        guard let info = tensors[name] else { throw SafeTensorsError.noSuchTensor(file: path, tensor: name) }
        return info
    }

    /// Widens tensor `name` into `out` (which must hold `count` floats). Copies rather than aliases the map: data
    /// offsets need not be 4-byte aligned, and callers (pruning) own and modify the result. The tensor's pages are
    /// then given back (see `release`).
    package func readFloat32(_ name: String, into out: UnsafeMutableBufferPointer<Float>) throws {
        let t = try info(name)
        precondition(out.count >= t.count, "buffer of \(out.count) for \(t.count) elements of \(name)")
        let src = base + t.offset
        let n = t.count
        guard n > 0, let dst = out.baseAddress else { return }
        defer { release(offset: t.offset, bytes: n * t.dtype.byteSize) }
        switch t.dtype {
        case .f32:
            memcpy(dst, src, n * 4)
        case .bf16:
            // bfloat16 is the high half of a float32.
            Parallel.chunked(n, grain: 1 << 16) { range in
                for i in range {
                    let bits = UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    dst[i] = Float(bitPattern: bits << 16)
                }
            }
        case .f16:
            Parallel.chunked(n, grain: 1 << 16) { range in
                for i in range {
                    dst[i] = Float(Float16(bitPattern: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            }
        case .u8:
            for i in 0..<n { dst[i] = Float(src.load(fromByteOffset: i, as: UInt8.self)) }
        }
    }

    /// Tensor `name` widened to a new Float32 array.
    package func float32(_ name: String) throws -> [Float] {
        let count = try info(name).count
        var out = [Float](repeating: 0, count: count)
        try out.withUnsafeMutableBufferPointer { try readFloat32(name, into: $0) }
        return out
    }

    /// Widens rows `rows` of a 2-D tensor (R, W) into `out` (rows.count, W): the embedding gather, which must not
    /// widen a whole (V, C) table.
    package func readRows(_ name: String, rows: [Int], into out: UnsafeMutablePointer<Float>) throws {
        let t = try info(name)
        precondition(t.shape.count == 2)
        let width = t.shape[1]
        defer { release(offset: t.offset, bytes: t.count * t.dtype.byteSize) }
        for (r, row) in rows.enumerated() {
            precondition(row >= 0 && row < t.shape[0])
            let src = base + t.offset + row * width * t.dtype.byteSize
            let dst = out + r * width
            switch t.dtype {
            case .f32:
                memcpy(dst, src, width * 4)
            case .bf16:
                for i in 0..<width {
                    dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
                }
            case .f16:
                for i in 0..<width {
                    dst[i] = Float(Float16(bitPattern: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            case .u8:
                for i in 0..<width { dst[i] = Float(src.load(fromByteOffset: i, as: UInt8.self)) }
            }
        }
    }

    /// Hands a read tensor's mapped pages back (MappedFile.release says why).
    private func release(offset: Int, bytes: Int) { map.release(offset: offset, bytes: bytes) }

    // MARK: Header

    package static func parseHeader(base: UnsafeRawPointer, size: Int, file: String) throws -> [String: TensorInfo] {
        let headerLength = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard headerLength <= maxHeaderLength, 8 + headerLength <= UInt64(size) else {
            throw SafeTensorsError.headerLengthBeyondFile(file: file, headerLength: headerLength, fileSize: size)
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = size - dataStart
        let json = Data(bytes: base + 8, count: Int(headerLength))
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: json) } catch {
            throw SafeTensorsError.invalidHeader(file: file, reason: "\(error.localizedDescription)")
        }
        guard let entries = root as? [String: Any] else {
            throw SafeTensorsError.invalidHeader(file: file, reason: "top level is not an object")
        }
        var relative: [(name: String, begin: Int, end: Int)] = []
        var tensors: [String: TensorInfo] = [:]
        for (name, value) in entries where name != "__metadata__" {
            let entry = try parseEntry(name, value, file: file)
            guard entry.begin >= 0, entry.begin <= entry.end, entry.end <= dataSize else {
                throw SafeTensorsError.offsetsOutOfRange(
                    file: file, tensor: name, begin: entry.begin, end: entry.end, dataSize: dataSize)
            }
            let (count, overflow) = entry.shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            let expected = count.multipliedReportingOverflow(by: entry.dtype.byteSize)
            guard !overflow, !expected.overflow, expected.partialValue == entry.end - entry.begin else {
                throw SafeTensorsError.sizeMismatch(
                    file: file, tensor: name, shape: entry.shape, dtype: entry.dtype.rawValue,
                    expectedBytes: overflow ? Int.max : expected.partialValue, actualBytes: entry.end - entry.begin)
            }
            relative.append((name, entry.begin, entry.end))
            tensors[name] = TensorInfo(
                name: name, dtype: entry.dtype, shape: entry.shape, offset: dataStart + entry.begin,
                byteCount: entry.end - entry.begin)
        }
        // Sorted by begin (ties by name, so the error is deterministic), the tensors must tile the data exactly.
        relative.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var previous: (name: String, end: Int)? = nil
        for t in relative {
            let previousEnd = previous?.end ?? 0
            if t.begin < previousEnd, let p = previous {
                throw SafeTensorsError.overlapping(file: file, tensor: t.name, previous: p.name)
            }
            if t.begin > previousEnd {
                throw SafeTensorsError.gap(file: file, tensor: t.name, begin: t.begin, previousEnd: previousEnd)
            }
            previous = (t.name, t.end)
        }
        let lastEnd = previous?.end ?? 0
        guard lastEnd == dataSize else { throw SafeTensorsError.dataNotCovered(file: file, lastEnd: lastEnd, dataSize: dataSize) }
        return tensors
    }

    private static func parseEntry(_ name: String, _ value: Any, file: String) throws
        -> (dtype: DType, shape: [Int], begin: Int, end: Int)
    {
        func bad(_ field: String, _ reason: String) -> SafeTensorsError {
            .invalidEntry(file: file, tensor: name, field: field, reason: reason)
        }
        guard let entry = value as? [String: Any] else { throw bad("(entry)", "not an object") }
        guard let dtypeName = entry["dtype"] as? String else { throw bad("dtype", "missing or not a string") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw SafeTensorsError.unsupportedDType(file: file, tensor: name, dtype: dtypeName)
        }
        guard let shape = integers(entry["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
            throw bad("shape", "missing or not a list of non-negative integers")
        }
        guard let offsets = integers(entry["data_offsets"]), offsets.count == 2 else {
            throw bad("data_offsets", "missing or not two integers")
        }
        return (dtype, shape, offsets[0], offsets[1])
    }

    /// JSON numbers arrive as NSNumber; accept only exact integers.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let list = value as? [Any] else { return nil }
        var out: [Int] = []
        for v in list {
            guard let n = v as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 9e15 else { return nil }
            out.append(n.intValue)
        }
        return out
    }
}
