/// What can be wrong with a dataset or a window request, and where: every case names the file (or the stream) and
/// the place in it, so a bad corpus is found without a debugger.
package enum DatasetError: Error, Equatable, CustomStringConvertible {
    case missingFile(path: String)
    case unreadable(path: String, reason: String)
    /// `byteOffset` counts bytes of the decompressed content.
    case invalidUTF8(path: String, byteOffset: Int)
    case invalidJSONLine(path: String, line: Int, reason: String)
    case missingTextField(path: String, line: Int)
    case corruptGzip(path: String, reason: String)
    case tokenFileNotMultipleOf4(path: String, byteCount: Int)
    case seqlenTooLarge(stream: String, seqlen: Int, tokenCount: Int)
    case invalidSeqlen(seqlen: Int)
    case invalidWindowCount(count: Int)
    case offsetOutOfRange(stream: String, offset: Int, seqlen: Int, tokenCount: Int)
    case badOffsetList(text: String, reason: String)
    /// A second held-out set from one stream found no window after the first set's.
    case noWindowsLeft(stream: String, after: Int, seqlen: Int, tokenCount: Int)

    package var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): no such file"
        case .unreadable(let path, let reason):
            return "\(path): cannot be read: \(reason)"
        case .invalidUTF8(let path, let byteOffset):
            return "\(path): invalid UTF-8 at byte \(byteOffset)"
        case .invalidJSONLine(let path, let line, let reason):
            return "\(path): line \(line) is not a JSON object: \(reason)"
        case .missingTextField(let path, let line):
            return "\(path): line \(line) has no string field \"text\""
        case .corruptGzip(let path, let reason):
            return "\(path): corrupt gzip data: \(reason)"
        case .tokenFileNotMultipleOf4(let path, let byteCount):
            return "\(path): \(byteCount) bytes is not a multiple of 4 (expected little-endian uint32 token ids)"
        case .seqlenTooLarge(let stream, let seqlen, let tokenCount):
            return "\(stream): seqlen \(seqlen) does not fit in a stream of \(tokenCount) tokens"
        case .invalidSeqlen(let seqlen):
            return "seqlen must be positive, got \(seqlen)"
        case .noWindowsLeft(let stream, let after, let seqlen, let tokenCount):
            return "\(stream): \(tokenCount) tokens hold \(tokenCount / seqlen) windows of \(seqlen); none is left after "
                + "the first \(after) (give fewer test windows, or a separate corpus)"
        case .invalidWindowCount(let count):
            return "window count must be positive, got \(count)"
        case .offsetOutOfRange(let stream, let offset, let seqlen, let tokenCount):
            return "\(stream): window offset \(offset) with seqlen \(seqlen) is outside 0...\(tokenCount - seqlen)"
                + " (stream of \(tokenCount) tokens)"
        case .badOffsetList(let text, let reason):
            return "calibration offsets \"\(text)\": \(reason)"
        }
    }
}
