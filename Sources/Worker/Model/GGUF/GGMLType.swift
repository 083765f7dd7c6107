// GGMLType: the tensor element types a GGUF file can name, with ggml's block geometry.
//
// ggml stores a tensor as a row of blocks: `blockSize` elements packed into `typeSize` bytes (1 element per block for
// the plain types). The ids, names and sizes mirror ggml.h's `enum ggml_type` and gguf-py's `GGML_QUANT_SIZES`
// (gguf 0.19.0), every type ggml defines, so a file using a type we cannot widen still gets its name in the error.
// Which types can be widened or written lives here too (`canDequantize`, `canQuantize`); the arithmetic is in
// Dequantize*.swift and Quantize.swift. It does not read files (GGUFFile does).

/// Why a ggml tensor type cannot be used.
enum GGMLTypeError: Error, CustomStringConvertible, Equatable {
    /// An id that is not in ggml's type enum (or one whose support ggml removed).
    case unknownType(id: UInt32)
    case cannotDequantize(GGMLType)
    case cannotQuantize(GGMLType)
    /// `count` elements do not fill whole blocks of the type (or the count is negative or overflows).
    case partialBlock(GGMLType, count: Int)
    /// Q8_0 has no encoding for NaN or infinity; `index` is the first such input.
    case nonFinite(GGMLType, index: Int, value: Float)

    var description: String {
        switch self {
        case let .unknownType(id):
            if let removed = GGMLType.removedNames[id] {
                "ggml type id \(id) (\(removed)) is no longer supported by ggml, nor here"
            } else {
                "ggml type id \(id) is not a known ggml type"
            }
        case let .cannotDequantize(type):
            "ggml type \(type.name) (id \(type.rawValue)) cannot be dequantized here (supported: "
                + GGMLType.allCases.filter(\.canDequantize).map(\.name).joined(separator: ", ") + ")"
        case let .cannotQuantize(type):
            "ggml type \(type.name) (id \(type.rawValue)) cannot be written here (supported: "
                + GGMLType.allCases.filter(\.canQuantize).map(\.name).joined(separator: ", ") + ")"
        case let .partialBlock(type, count):
            "\(count) elements of ggml type \(type.name) do not fill whole blocks of \(type.blockSize)"
        case let .nonFinite(type, index, value):
            "element \(index) is \(value), which ggml type \(type.name) cannot encode"
        }
    }
}

/// ggml's tensor types, raw value = the id stored in a GGUF tensor info.
package enum GGMLType: UInt32, CaseIterable {
    case f32 = 0, f16 = 1
    case q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28
    case iq1_m = 29, bf16 = 30, tq1_0 = 34, tq2_0 = 35, mxfp4 = 39, nvfp4 = 40, q1_0 = 41

    /// The K-quants' super-block (ggml's QK_K).
    package static let superBlock = 256

    /// The type with GGUF id `id`; throws naming the id (and ggml's old name for a removed type).
    package init(id: UInt32) throws {
        guard let type = GGMLType(rawValue: id) else { throw GGMLTypeError.unknownType(id: id) }
        self = type
    }

    /// ggml's spelling ("Q4_K"), the element count of one block, and that block's size in bytes; one row per type.
    private var traits: (name: String, blockSize: Int, typeSize: Int) {
        let k = Self.superBlock
        return switch self {
        case .f32: ("F32", 1, 4)
        case .f16: ("F16", 1, 2)
        case .q4_0: ("Q4_0", 32, 2 + 16)
        case .q4_1: ("Q4_1", 32, 2 + 2 + 16)
        case .q5_0: ("Q5_0", 32, 2 + 4 + 16)
        case .q5_1: ("Q5_1", 32, 2 + 2 + 4 + 16)
        case .q8_0: ("Q8_0", 32, 2 + 32)
        case .q8_1: ("Q8_1", 32, 4 + 4 + 32)
        case .q2_K: ("Q2_K", k, 2 + 2 + k / 16 + k / 4)
        case .q3_K: ("Q3_K", k, 2 + k / 4 + k / 8 + 12)
        case .q4_K: ("Q4_K", k, 2 + 2 + k / 2 + 12)
        case .q5_K: ("Q5_K", k, 2 + 2 + k / 2 + k / 8 + 12)
        case .q6_K: ("Q6_K", k, 2 + k / 2 + k / 4 + k / 16)
        case .q8_K: ("Q8_K", k, 4 + k + k / 8)
        case .iq2_xxs: ("IQ2_XXS", k, 2 + k / 4)
        case .iq2_xs: ("IQ2_XS", k, 2 + k / 4 + k / 32)
        case .iq3_xxs: ("IQ3_XXS", k, 2 + k / 4 + k / 8)
        case .iq1_s: ("IQ1_S", k, 2 + k / 8 + k / 16)
        case .iq4_nl: ("IQ4_NL", 32, 2 + 16)
        case .iq3_s: ("IQ3_S", k, 2 + k / 4 + k / 8 + k / 32 + 4)
        case .iq2_s: ("IQ2_S", k, 2 + k / 4 + k / 16)
        case .iq4_xs: ("IQ4_XS", k, 2 + 2 + k / 2 + k / 64)
        case .i8: ("I8", 1, 1)
        case .i16: ("I16", 1, 2)
        case .i32: ("I32", 1, 4)
        case .i64: ("I64", 1, 8)
        case .f64: ("F64", 1, 8)
        case .iq1_m: ("IQ1_M", k, k / 8 + k / 16 + k / 32)
        case .bf16: ("BF16", 1, 2)
        case .tq1_0: ("TQ1_0", k, 2 + 4 * 13)
        case .tq2_0: ("TQ2_0", k, 2 + 64)
        case .mxfp4: ("MXFP4", 32, 1 + 16)
        case .nvfp4: ("NVFP4", 64, 4 + 32)
        case .q1_0: ("Q1_0", 128, 2 + 16)
        }
    }

    /// ggml's name for the type, as `ggml_type_name` and gguf-py spell it ("Q4_K", "BF16").
    package var name: String { traits.name }

    /// Elements per block (1 for F32, F16, BF16 and the integer types).
    package var blockSize: Int { traits.blockSize }

    /// Bytes per block.
    package var typeSize: Int { traits.typeSize }

    /// The bytes `elements` values occupy; nil when they do not fill whole blocks, are negative, or the size
    /// overflows `Int`.
    package func byteCount(elements: Int) -> Int? {
        guard elements >= 0, elements % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: typeSize)
        return overflow ? nil : bytes
    }

    /// Whether `GGMLDequantizer` widens this type to Float32.
    package var canDequantize: Bool {
        switch self {
        case .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K: true
        default: false
        }
    }

    /// Whether `GGMLQuantizer` writes this type from Float32.
    package var canQuantize: Bool {
        switch self {
        case .f32, .f16, .bf16, .q8_0: true
        default: false
        }
    }

    /// Ids ggml once used and has since removed (commented out in ggml.h), so an old file's error can name them.
    package static let removedNames: [UInt32: String] = [
        4: "Q4_2", 5: "Q4_3", 31: "Q4_0_4_4", 32: "Q4_0_4_8", 33: "Q4_0_8_8",
        36: "IQ4_NL_4_4", 37: "IQ4_NL_4_8", 38: "IQ4_NL_8_8",
    ]
}
