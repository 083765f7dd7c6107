import Foundation
import Model

/// A corpus file and how to read it: plain UTF-8 text, JSON lines with a `text` field (optionally gzip-compressed),
/// or pre-tokenized little-endian uint32 ids.
///
/// Text files are read as Python reads them in text mode (universal newlines: "\r\n" and "\r" become "\n"), since
/// the reference's numbers come from Python: the WikiText-2 file here has CRLF line ends, and its published token
/// counts are those of the LF text (341,469 LLaMA-2 ids; 350,182 with the CRs kept). JSON-lines documents are joined with "\n\n", the way the WikiText-2 test split
/// is joined by the reference evaluation code (`"\n\n".join(data["text"])`), so one stream convention covers both.
/// Reading and tokenizing are separate: this file yields text or ids, `TokenStream` tokenizes.
package struct DatasetSource: Equatable, CustomStringConvertible {
    package enum Kind: String, Equatable, CaseIterable {
        case text
        case jsonLines
        case tokens
    }

    package let path: String
    package let kind: Kind

    /// `kind` defaults to what the name says: `.bin` → tokens; `.jsonl`, `.jsonl.gz`, `.json.gz` (C4's shard naming)
    /// → JSON lines; anything else → text (`.gz` decompressed first).
    package init(path: String, kind: Kind? = nil) {
        self.path = path
        self.kind = kind ?? Self.inferKind(path)
    }

    package static func inferKind(_ path: String) -> Kind {
        let name = path.lowercased()
        if name.hasSuffix(".bin") { return .tokens }
        if name.hasSuffix(".jsonl") || name.hasSuffix(".jsonl.gz") || name.hasSuffix(".json.gz") { return .jsonLines }
        return .text
    }

    package var description: String { path }

    /// The file's bytes, gunzipped when the name ends in `.gz`.
    package func readBytes() throws -> [UInt8] {
        let bytes = [UInt8](try readData())
        return path.lowercased().hasSuffix(".gz") ? try Gzip.decompress(bytes, path: path) : bytes
    }

    /// The raw file, memory-mapped: token files can be large, and are converted without a second copy.
    private func readData() throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw DatasetError.missingFile(path: path) }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw DatasetError.unreadable(path: path, reason: "\(error.localizedDescription)")
        }
    }

    /// The text to tokenize (text and JSON-lines sources).
    package func readText() throws -> String {
        let bytes = try readBytes()
        switch kind {
        case .text: return try Self.decodeUTF8(Self.universalNewlines(bytes), path: path)
        case .jsonLines: return try JSONLines.documents(bytes, path: path).joined(separator: "\n\n")
        case .tokens: throw DatasetError.unreadable(path: path, reason: "a token file holds ids, not text")
        }
    }

    /// The ids of a pre-tokenized `.bin` file: little-endian uint32, so its length must be a multiple of 4.
    package func readTokens() throws -> [TokenID] {
        let data = path.lowercased().hasSuffix(".gz") ? Data(try readBytes()) : try readData()
        guard data.count % 4 == 0 else {
            throw DatasetError.tokenFileNotMultipleOf4(path: path, byteCount: data.count)
        }
        let count = data.count / 4
        return [TokenID](unsafeUninitializedCapacity: count) { ids, initialized in
            data.withUnsafeBytes { raw in
                for i in 0..<count {
                    ids[i] = TokenID(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: TokenID.self))
                }
            }
            initialized = count
        }
    }

    /// Python's text-mode newline translation: CRLF and lone CR become LF.
    package static func universalNewlines(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(UInt8(ascii: "\r")) else { return bytes }
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\r") {
                out.append(UInt8(ascii: "\n"))
                if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\n") { i += 1 }
            } else {
                out.append(b)
            }
            i += 1
        }
        return out
    }

    /// Strict UTF-8 decoding; the error gives the offset of the first bad byte.
    package static func decodeUTF8(_ bytes: [UInt8], path: String) throws -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        throw DatasetError.invalidUTF8(path: path, byteOffset: firstInvalidUTF8Offset(bytes) ?? 0)
    }

    /// The offset of the first byte that is not valid UTF-8, or nil. The standard library's validation is the fast
    /// path (~5× faster than decoding scalar by scalar); the slow scan only runs to locate an error.
    package static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        if String(validating: bytes, as: UTF8.self) != nil { return nil }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
