// GGMLQuantizer+Arrays: whole-tensor quantization into a new byte array, for writers that hold a tensor at a time.

extension GGMLQuantizer {
    /// `values` stored as `type` (which must be writable, and `values` whole blocks of it).
    package static func quantize(_ values: [Float], as type: GGMLType) throws -> [UInt8] {
        guard let bytes = type.byteCount(elements: values.count) else {
            throw GGMLTypeError.partialBlock(type, count: values.count)
        }
        var out = [UInt8](repeating: 0, count: bytes)
        try values.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBytes { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                try quantize(type, from: s, count: values.count, into: d)
            }
        }
        return out
    }
}
