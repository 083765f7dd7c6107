import Foundation

/// Where calibration windows start: drawn as the reference draws them, or parsed from `--calib-offsets a,b,…`.
package enum CalibrationOffsets {
    /// The reference data loader's offsets: `random.seed(seed)`, then per window
    /// `random.randint(0, streamLength − seqlen − 1)`. Needs streamLength > seqlen.
    package static func reference(seed: Int, count: Int, streamLength: Int, seqlen: Int) -> [Int] {
        precondition(streamLength > seqlen, "callers check that a window fits with one token to spare")
        var random = PythonRandom(seed: seed)
        return (0..<count).map { _ in random.randint(0, streamLength - seqlen - 1) }
    }

    /// Parses a comma-separated list of non-negative integers ("1729,788, 1552"); range checks happen when the
    /// windows are cut, where the stream length is known.
    package static func parse(_ text: String) throws -> [Int] {
        let fields = text.split(separator: ",", omittingEmptySubsequences: false)
        return try fields.enumerated().map { index, field in
            let trimmed = field.trimmingCharacters(in: .whitespaces)
            guard let value = Int(trimmed), value >= 0 else {
                throw DatasetError.badOffsetList(
                    text: text, reason: "item \(index + 1) \"\(trimmed)\" is not a non-negative integer")
            }
            return value
        }
    }
}
