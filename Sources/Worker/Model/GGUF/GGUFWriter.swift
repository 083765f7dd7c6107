// GGUFWriter: writes a GGUF v3 file (the format GGUFFile reads), streaming tensor data, atomically.
//
// The header (metadata in the order given, then the tensor table with offsets computed from the declared sizes)
// is written first; each tensor's bytes are then asked of its producer in order, checked against the declared
// size, and padded to the alignment, so a 7B file never sits in memory whole. The file is written beside its
// destination and renamed into place: a killed process leaves the old file or the new one, never half of one.
import Foundation

package struct GGUFWriter {
    /// A tensor to write: ggml's `ne` (fastest first), its type, and a producer of exactly its bytes.
    package struct Tensor {
        package var name: String
        package var dims: [Int]
        package var type: GGMLType
        package var bytes: () throws -> [UInt8]

        package var byteCount: Int { type.byteCount(elements: dims.reduce(1, *)) ?? 0 }

        package init(name: String, dims: [Int], type: GGMLType, bytes: @escaping () throws -> [UInt8]) {
            self.name = name; self.dims = dims; self.type = type; self.bytes = bytes
        }
    }

    package var alignment = GGUFFile.defaultAlignment
    package private(set) var metadata: [(key: String, value: GGUFValue)] = []
    package private(set) var tensors: [Tensor] = []

    /// Sets `key` (replacing an earlier value, keeping its place).
    package mutating func set(_ key: String, _ value: GGUFValue) {
        if let i = metadata.firstIndex(where: { $0.key == key }) { metadata[i].value = value } else { metadata.append((key, value)) }
    }

    package mutating func remove(_ key: String) { metadata.removeAll { $0.key == key } }

    package mutating func add(_ tensor: Tensor) {
        precondition(tensor.dims.first.map { $0 % tensor.type.blockSize == 0 } ?? false, "\(tensor.name): row not whole blocks")
        tensors.append(tensor)
    }

    /// Writes the file; `progress(done, total)` after each tensor.
    package func write(to destination: URL, progress: (Int, Int) -> Void = { _, _ in }) throws {
        var header = ByteBuffer()
        header.u32(GGUFFile.magic)
        header.u32(3)
        header.u64(UInt64(tensors.count))
        var kv = metadata
        if alignment != GGUFFile.defaultAlignment, !kv.contains(where: { $0.key == "general.alignment" }) {
            kv.append(("general.alignment", .unsigned(UInt64(alignment), .uint32)))
        }
        header.u64(UInt64(kv.count))
        for (key, value) in kv {
            header.string(key)
            header.u32(value.type.rawValue)
            header.value(value)
        }
        var offset = 0
        for t in tensors {
            header.string(t.name)
            header.u32(UInt32(t.dims.count))
            for d in t.dims { header.u64(UInt64(d)) }
            header.u32(t.type.rawValue)
            header.u64(UInt64(offset))
            offset = Self.padded(offset + t.byteCount, alignment)
        }
        header.pad(to: alignment)

        let partial = destination.deletingLastPathComponent().appendingPathComponent(".\(destination.lastPathComponent).partial")
        guard FileManager.default.createFile(atPath: partial.path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: partial.path])
        }
        let handle = try FileHandle(forWritingTo: partial)
        do {
            try handle.write(contentsOf: header.bytes)
            for (i, t) in tensors.enumerated() {
                var bytes = try t.bytes()
                precondition(bytes.count == t.byteCount, "\(t.name): \(bytes.count) bytes produced, \(t.byteCount) declared")
                bytes.append(contentsOf: repeatElement(0, count: Self.padded(bytes.count, alignment) - bytes.count))
                try handle.write(contentsOf: bytes)
                progress(i + 1, tensors.count)
            }
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: partial)
            throw error
        }
        _ = try? FileManager.default.removeItem(at: destination)
        try FileManager.default.moveItem(at: partial, to: destination)
    }

    package static func padded(_ n: Int, _ alignment: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// Memberwise, for the other worker modules (Swift's implicit one is internal).
    package init(alignment: Int = GGUFFile.defaultAlignment, metadata: [(key: String, value: GGUFValue)] = [], tensors: [Tensor] = []) {
        self.alignment = alignment
        self.metadata = metadata
        self.tensors = tensors
    }
}

/// Little-endian serialisation of GGUF's scalars, strings and values.
struct ByteBuffer {
    private(set) var bytes: [UInt8] = []

    mutating func scalar<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { scalar(v) }
    mutating func u64(_ v: UInt64) { scalar(v) }
    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }
    mutating func pad(to alignment: Int) {
        bytes.append(contentsOf: repeatElement(0, count: GGUFWriter.padded(bytes.count, alignment) - bytes.count))
    }

    mutating func value(_ v: GGUFValue) {
        switch v {
        case let .unsigned(x, t):
            switch t {
            case .uint8: scalar(UInt8(truncatingIfNeeded: x))
            case .uint16: scalar(UInt16(truncatingIfNeeded: x))
            case .uint32: scalar(UInt32(truncatingIfNeeded: x))
            default: scalar(x)
            }
        case let .signed(x, t):
            switch t {
            case .int8: scalar(Int8(truncatingIfNeeded: x))
            case .int16: scalar(Int16(truncatingIfNeeded: x))
            case .int32: scalar(Int32(truncatingIfNeeded: x))
            default: scalar(x)
            }
        case let .float(x, t):
            if t == .float32 { u32(Float(x).bitPattern) } else { u64(x.bitPattern) }
        case let .bool(b): bytes.append(b ? 1 : 0)
        case let .string(s): string(s)
        case let .array(items, element):
            u32(element.rawValue)
            u64(UInt64(items.count))
            for item in items { value(item) }
        }
    }
}
