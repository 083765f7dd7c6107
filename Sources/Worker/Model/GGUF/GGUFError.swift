// GGUFError: why a GGUF file cannot be read, or cannot drive the engine. Every case names the file and the byte
// offset, key or tensor where it went wrong.

package enum GGUFError: Error, CustomStringConvertible {
    // The container.
    case cannotOpen(file: String, reason: String)
    case notGGUF(file: String, magic: UInt32)
    case unsupportedVersion(file: String, version: UInt32)
    case truncated(file: String, offset: Int, field: String, needed: Int, available: Int)
    case absurdCount(file: String, offset: Int, field: String, count: UInt64, available: Int)
    case invalidUTF8(file: String, offset: Int, field: String)
    case unknownValueType(file: String, offset: Int, key: String, type: UInt32)
    case invalidValue(file: String, offset: Int, key: String, reason: String)
    case duplicateKey(file: String, key: String)
    case badAlignment(file: String, alignment: Int)
    case badTensorInfo(file: String, tensor: String, reason: String)
    case unknownTensorType(file: String, tensor: String, type: UInt32)
    case tensorOutOfRange(file: String, tensor: String, begin: Int, bytes: Int, dataSize: Int)
    case tensorsOverlap(file: String, tensor: String, previous: String)
    case duplicateTensor(file: String, tensor: String)
    case noSuchTensor(file: String, tensor: String)

    // The model the metadata describes.
    case missingKey(file: String, key: String)
    case wrongKeyType(file: String, key: String, expected: String, found: String)
    case unsupportedArchitecture(file: String, architecture: String)
    case unsupportedValue(file: String, key: String, value: String, supported: String)
    case unexpectedTensor(file: String, tensor: String, reason: String)
    case missingTensor(file: String, tensor: String)
    case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    case unsupportedTensorType(file: String, tensor: String, type: String)

    package var description: String {
        switch self {
        case let .cannotOpen(file, reason): "\(file): cannot open: \(reason)"
        case let .notGGUF(file, magic):
            "\(file): not a GGUF file (magic 0x\(String(magic, radix: 16)), expected 0x46554747 \"GGUF\")"
        case let .unsupportedVersion(file, version): "\(file): GGUF version \(version) is not supported (supported: 2, 3)"
        case let .truncated(file, offset, field, needed, available):
            "\(file): truncated at byte \(offset) reading \(field): needs \(needed) bytes, \(available) left"
        case let .absurdCount(file, offset, field, count, available):
            "\(file): byte \(offset): \(field) \(count) cannot fit in the \(available) bytes left"
        case let .invalidUTF8(file, offset, field): "\(file): byte \(offset): \(field) is not valid UTF-8"
        case let .unknownValueType(file, offset, key, type): "\(file): byte \(offset): key \(key) has unknown value type \(type)"
        case let .invalidValue(file, offset, key, reason): "\(file): byte \(offset): key \(key): \(reason)"
        case let .duplicateKey(file, key): "\(file): key \(key) appears twice"
        case let .badAlignment(file, alignment): "\(file): general.alignment = \(alignment) must be a positive power of two"
        case let .badTensorInfo(file, tensor, reason): "\(file): tensor \(tensor): \(reason)"
        case let .unknownTensorType(file, tensor, type): "\(file): tensor \(tensor) has unknown ggml type id \(type)"
        case let .tensorOutOfRange(file, tensor, begin, bytes, dataSize):
            "\(file): tensor \(tensor): \(bytes) bytes at data offset \(begin) run past the data section (\(dataSize) bytes)"
        case let .tensorsOverlap(file, tensor, previous): "\(file): tensor \(tensor) overlaps tensor \(previous)"
        case let .duplicateTensor(file, tensor): "\(file): tensor \(tensor) appears twice"
        case let .noSuchTensor(file, tensor): "\(file): no tensor named \(tensor)"
        case let .missingKey(file, key): "\(file): metadata key \(key) is missing"
        case let .wrongKeyType(file, key, expected, found): "\(file): metadata key \(key) is \(found), expected \(expected)"
        case let .unsupportedArchitecture(file, architecture):
            "\(file): general.architecture = \(architecture) is not supported (supported: llama)"
        case let .unsupportedValue(file, key, value, supported):
            "\(file): \(key) = \(value) is not supported (supported: \(supported))"
        case let .unexpectedTensor(file, tensor, reason): "\(file): tensor \(tensor): \(reason)"
        case let .missingTensor(file, tensor): "\(file): tensor \(tensor) is missing"
        case let .shapeMismatch(file, tensor, expected, found):
            "\(file): tensor \(tensor) has shape \(found), the metadata implies \(expected)"
        case let .unsupportedTensorType(file, tensor, type):
            "\(file): tensor \(tensor) is stored as \(type), which this reader cannot dequantize"
        }
    }
}
