// GGUFByteReader: a cursor over a GGUF file's bytes that throws instead of trapping.
//
// Every read checks that its bytes lie inside the file, and every count read from the file is checked against
// the bytes left before anything is allocated for it, so a corrupt or hostile length (a string of 2⁶³ bytes, an
// array of 10¹² elements) is an error naming the byte offset, never a crash or a huge allocation.
import Foundation

/// Reads little-endian scalars and GGUF strings from `base[0..<size]`, advancing `offset`.
package struct GGUFByteReader {
    package let base: UnsafeRawPointer
    package let size: Int
    package let file: String
    package private(set) var offset = 0

    package init(base: UnsafeRawPointer, size: Int, file: String) {
        self.base = base
        self.size = size
        self.file = file
    }

    package var remaining: Int { size - offset }

    /// Throws unless `count` more bytes are available; `what` names the field for the error.
    package func need(_ count: Int, for what: @autoclosure () -> String) throws {
        guard count >= 0, count <= remaining else {
            throw GGUFError.truncated(file: file, offset: offset, field: what(), needed: count, available: remaining)
        }
    }

    package mutating func scalar<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try need(MemoryLayout<T>.size, for: what())
        let value = T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return value
    }

    package mutating func float32(_ what: @autoclosure () -> String) throws -> Float { Float(bitPattern: try scalar(UInt32.self, what())) }

    package mutating func float64(_ what: @autoclosure () -> String) throws -> Double { Double(bitPattern: try scalar(UInt64.self, what())) }

    /// A count stored as u64, checked to fit an Int and, at `minimumBytesEach` bytes per item, the file.
    package mutating func count(_ what: @autoclosure () -> String, minimumBytesEach: Int) throws -> Int {
        let at = offset
        let raw = try scalar(UInt64.self, what())
        let (bytes, overflow) = Int(clamping: raw).multipliedReportingOverflow(by: max(1, minimumBytesEach))
        guard raw <= UInt64(Int.max), !overflow, bytes <= remaining else {
            throw GGUFError.absurdCount(file: file, offset: at, field: what(), count: raw, available: remaining)
        }
        return Int(raw)
    }

    /// A GGUF string: u64 byte length, then UTF-8 bytes (not NUL-terminated). Invalid UTF-8 is an error: keys and
    /// tensor names must round-trip exactly, and a tokenizer must not see replaced characters.
    package mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let length = try count("\(what()) length", minimumBytesEach: 1)
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: length)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw GGUFError.invalidUTF8(file: file, offset: offset, field: what())
        }
        offset += length
        return text
    }

    /// Moves to the next multiple of `alignment` (which the caller checked is positive).
    package mutating func align(to alignment: Int, _ what: @autoclosure () -> String) throws {
        let padded = (offset + alignment - 1) / alignment * alignment
        try need(padded - offset, for: what())
        offset = padded
    }
}
