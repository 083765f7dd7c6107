import Foundation

/// The `text` field of every line of a JSON-lines corpus (C4, or any `{"text": ...}` per line), in file order.
///
/// Blank lines are skipped (a trailing newline is common); every other line must be a JSON object with a string
/// `text`, else the error names the 1-based line. Other fields (`url`, `timestamp`) are ignored.
enum JSONLines {
    static func documents(_ bytes: [UInt8], path: String) throws -> [String] {
        // Validate once up front so the offset in the error is a file offset, not a line's.
        if let bad = DatasetSource.firstInvalidUTF8Offset(bytes) {
            throw DatasetError.invalidUTF8(path: path, byteOffset: bad)
        }
        var documents: [String] = []
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
                continue
            }
            documents.append(try text(of: Data(line), path: path, line: lineNumber))
        }
        return documents
    }

    private static func text(of line: Data, path: String, line lineNumber: Int) throws -> String {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: line, options: [])
        } catch {
            throw DatasetError.invalidJSONLine(path: path, line: lineNumber, reason: "\(error.localizedDescription)")
        }
        guard let fields = object as? [String: Any] else {
            throw DatasetError.invalidJSONLine(path: path, line: lineNumber, reason: "not an object")
        }
        guard let text = fields["text"] as? String else {
            throw DatasetError.missingTextField(path: path, line: lineNumber)
        }
        return text
    }
}
