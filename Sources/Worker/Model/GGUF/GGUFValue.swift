// GGUFValue: one typed metadata value of a GGUF file, and the readers of each type.
//
// The thirteen value types of the GGUF specification (ggml's docs/gguf.md), versions 2 and 3. Arrays keep their
// element type and hold their elements as values; an array of arrays is allowed by the format and read as such.
// Accessors (`int`, `string`, `strings`, …) convert what a consumer asks for and say nil when the stored type
// cannot give it, so callers turn a wrong type into an error naming the key.
import Foundation

/// GGUF's metadata value types, by their on-disk ids.
package enum GGUFValueType: UInt32, CustomStringConvertible {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7, string = 8
    case array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Bytes of one element on disk: the least an array of this type needs per element.
    package var minimumBytes: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8   // a string is at least its u64 length
        case .array: 12                               // element type u32 + count u64
        }
    }

    package var description: String {
        switch self {
        case .uint8: "u8"
        case .int8: "i8"
        case .uint16: "u16"
        case .int16: "i16"
        case .uint32: "u32"
        case .int32: "i32"
        case .float32: "f32"
        case .bool: "bool"
        case .string: "string"
        case .array: "array"
        case .uint64: "u64"
        case .int64: "i64"
        case .float64: "f64"
        }
    }
}

/// One metadata value.
package indirect enum GGUFValue: Equatable {
    case unsigned(UInt64, GGUFValueType)
    case signed(Int64, GGUFValueType)
    case float(Double, GGUFValueType)
    case bool(Bool)
    case string(String)
    case array([GGUFValue], element: GGUFValueType)

    /// Nested arrays beyond this are refused: the format allows them, no model writes them, and recursion on a
    /// hostile file must stay shallow.
    package static let maximumNesting = 4

    package var type: GGUFValueType {
        switch self {
        case let .unsigned(_, t), let .signed(_, t), let .float(_, t): t
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// An integer of either signedness that fits an Int.
    package var int: Int? {
        switch self {
        case let .unsigned(v, _): v <= UInt64(Int.max) ? Int(v) : nil
        case let .signed(v, _): Int(exactly: v)
        default: nil
        }
    }

    /// A float, or an integer read as one.
    package var double: Double? {
        switch self {
        case let .float(v, _): v
        case let .unsigned(v, _): Double(v)
        case let .signed(v, _): Double(v)
        default: nil
        }
    }

    package var boolValue: Bool? { if case let .bool(b) = self { b } else { nil } }
    package var string: String? { if case let .string(s) = self { s } else { nil } }
    package var array: [GGUFValue]? { if case let .array(a, _) = self { a } else { nil } }
    package var strings: [String]? { every(\.string) }
    package var ints: [Int]? { every(\.int) }
    package var doubles: [Double]? { every(\.double) }

    /// Every element of an array converted by `convert`, or nil when this is not an array or one element fails.
    private func every<T>(_ convert: (GGUFValue) -> T?) -> [T]? {
        guard let items = array else { return nil }
        let converted = items.compactMap(convert)
        return converted.count == items.count ? converted : nil
    }

    /// A short rendering for errors and `gguf-info`: arrays by type and length.
    package var summary: String {
        switch self {
        case let .unsigned(v, _): "\(v)"
        case let .signed(v, _): "\(v)"
        case let .float(v, _): "\(v)"
        case let .bool(b): "\(b)"
        case let .string(s): s.count > 60 ? "\"\(s.prefix(57))…\"" : "\"\(s)\""
        case let .array(a, element): "[\(element); \(a.count)]"
        }
    }

    /// Reads one value of `type` at the reader's cursor.
    package static func read(_ type: GGUFValueType, from r: inout GGUFByteReader, key: String, depth: Int = 0) throws -> GGUFValue {
        switch type {
        case .uint8: return .unsigned(UInt64(try r.scalar(UInt8.self, key)), type)
        case .uint16: return .unsigned(UInt64(try r.scalar(UInt16.self, key)), type)
        case .uint32: return .unsigned(UInt64(try r.scalar(UInt32.self, key)), type)
        case .uint64: return .unsigned(try r.scalar(UInt64.self, key), type)
        case .int8: return .signed(Int64(try r.scalar(Int8.self, key)), type)
        case .int16: return .signed(Int64(try r.scalar(Int16.self, key)), type)
        case .int32: return .signed(Int64(try r.scalar(Int32.self, key)), type)
        case .int64: return .signed(try r.scalar(Int64.self, key), type)
        case .float32: return .float(Double(try r.float32(key)), type)
        case .float64: return .float(try r.float64(key), type)
        case .bool:
            let at = r.offset
            let byte = try r.scalar(UInt8.self, key)
            guard byte <= 1 else { throw GGUFError.invalidValue(file: r.file, offset: at, key: key, reason: "bool byte \(byte)") }
            return .bool(byte == 1)
        case .string: return .string(try r.string(key))
        case .array:
            let at = r.offset
            let raw = try r.scalar(UInt32.self, "\(key) element type")
            guard let element = GGUFValueType(rawValue: raw) else {
                throw GGUFError.unknownValueType(file: r.file, offset: at, key: key, type: raw)
            }
            guard element != .array || depth < maximumNesting else {
                throw GGUFError.invalidValue(file: r.file, offset: at, key: key, reason: "arrays nested deeper than \(maximumNesting)")
            }
            let n = try r.count("\(key) array length", minimumBytesEach: element.minimumBytes)
            var items: [GGUFValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try read(element, from: &r, key: key, depth: depth + 1)) }
            return .array(items, element: element)
        }
    }
}
