// SafeTensorsWriter: writes a safetensors file (the format SafeTensorsFile reads), atomically.
//
// Layout: 8-byte little-endian header length, the JSON header (tensors in the order given, `data_offsets` relative
// to the data start, optional `__metadata__` of strings), padded with spaces to a multiple of 8 as the reference
// writer does, then the data. The file is written beside its destination and renamed into place, so a killed
// process leaves either the old file or the new one, never half of one.
import Foundation

/// Tensors to write, in order.
package struct SafeTensorsWriter {
    private var entries: [(name: String, dtype: DType, shape: [Int], bytes: Data)] = []
    package var metadata: [String: String] = [:]

    package mutating func add(_ name: String, float32 values: [Float], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        entries.append((name, .f32, shape, values.withUnsafeBytes { Data($0) }))
    }

    /// Stores Float32 values rounded to float16 (as the reference stores its gradients).
    package mutating func add(_ name: String, float16 values: [Float], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        let halves = values.map { Float16($0).bitPattern.littleEndian }
        entries.append((name, .f16, shape, halves.withUnsafeBytes { Data($0) }))
    }

    /// Stores Float32 values as bfloat16, rounded to nearest even (exact for values widened from bfloat16).
    package mutating func add(_ name: String, bfloat16 values: [Float], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        let halves = values.map { v -> UInt16 in
            if v.isNaN { return 0x7FC0 }
            let bits = v.bitPattern
            return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16).littleEndian
        }
        entries.append((name, .bf16, shape, halves.withUnsafeBytes { Data($0) }))
    }

    /// Stores values in `dtype` (F32, F16 or BF16).
    package mutating func add(_ name: String, _ values: [Float], shape: [Int], as dtype: DType) {
        switch dtype {
        case .f32, .u8: add(name, float32: values, shape: shape)
        case .f16: add(name, float16: values, shape: shape)
        case .bf16: add(name, bfloat16: values, shape: shape)
        }
    }

    package mutating func add(_ name: String, uint8 values: [UInt8], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        entries.append((name, .u8, shape, Data(values)))
    }

    /// The whole file's bytes.
    package func encoded() -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        for entry in entries {
            header[entry.name] = ["dtype": entry.dtype.rawValue, "shape": entry.shape,
                                  "data_offsets": [offset, offset + entry.bytes.count]]
            offset += entry.bytes.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        // Dictionaries of strings, numbers and arrays always serialise.
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var file = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { file.append(contentsOf: $0) }
        file.append(json)
        for entry in entries { file.append(entry.bytes) }
        return file
    }

    /// Writes the file atomically (temporary file in the same directory, then rename).
    package func write(to url: URL) throws {
        try encoded().write(to: url, options: .atomic)
    }

    /// Memberwise, for the other worker modules (Swift's implicit one is internal).
    package init(entries: [(name: String, dtype: DType, shape: [Int], bytes: Data)] = [], metadata: [String: String] = [:]) {
        self.entries = entries
        self.metadata = metadata
    }
}
