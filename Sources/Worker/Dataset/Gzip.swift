import CZlib

/// Gunzip in memory with zlib's `inflate`: C4 ships its JSON-lines shards as `.json.gz`.
///
/// Accepts gzip (and zlib) headers, and concatenated gzip members as `gzip` itself writes them with `-c a b`.
/// Truncated input and bad checksums are errors, never partial text.
package enum Gzip {
    /// The decompressed bytes of `compressed`; `path` names the file in errors.
    package static func decompress(_ compressed: [UInt8], path: String) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 32: the largest window, with automatic gzip/zlib header detection.
        var rv = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rv == Z_OK else { throw DatasetError.corruptGzip(path: path, reason: "inflateInit2 returned \(rv)") }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        output.reserveCapacity(compressed.count * 4)
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        try compressed.withUnsafeBufferPointer { input in
            var handed = 0  // bytes of input given to zlib so far; fed in ≤ 1 GiB slices since avail_in is 32-bit
            func feed() {
                let slice = min(input.count - handed, 1 << 30)
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0 + handed })
                stream.avail_in = UInt32(slice)
                handed += slice
            }
            feed()
            while true {
                if stream.avail_in == 0 && handed < input.count { feed() }
                rv = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
                let remaining = input.count - handed + Int(stream.avail_in)
                switch rv {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    // Another member may follow; anything left must be one.
                    if remaining == 0 { return }
                    guard inflateReset(&stream) == Z_OK else {
                        throw DatasetError.corruptGzip(path: path, reason: "inflateReset failed")
                    }
                case Z_BUF_ERROR where remaining == 0:
                    throw DatasetError.corruptGzip(path: path, reason: "truncated (stream ends before its trailer)")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(rv)"
                    let at = input.count - remaining
                    throw DatasetError.corruptGzip(path: path, reason: "\(message) (near compressed byte \(at))")
                }
            }
        }
        return output
    }
}
