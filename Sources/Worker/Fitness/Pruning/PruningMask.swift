import Engine
import Shared

/// Which weights of one (out, in) matrix are pruned: one bit per weight, rows packed into 64-bit words.
package struct PruningMask: Equatable {
    package let rows: Int
    package let cols: Int
    /// Words per row (rows start on a word boundary, so a row's bits can be hashed or counted alone).
    package let wordsPerRow: Int
    package private(set) var words: [UInt64]

    package init(rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
        wordsPerRow = (cols + 63) / 64
        words = [UInt64](repeating: 0, count: rows * wordsPerRow)
    }

    package subscript(row: Int, col: Int) -> Bool {
        get { words[row * wordsPerRow + col / 64] >> UInt64(col % 64) & 1 == 1 }
        set {
            let bit: UInt64 = 1 << UInt64(col % 64)
            if newValue { words[row * wordsPerRow + col / 64] |= bit } else { words[row * wordsPerRow + col / 64] &= ~bit }
        }
    }

    /// The words, for filling rows from several threads at once: rows start on word boundaries, so threads that
    /// write disjoint rows write disjoint words.
    package mutating func withUnsafeMutableWords<R>(_ body: (UnsafeMutableBufferPointer<UInt64>) throws -> R) rethrows -> R {
        try words.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// Pruned weights in `row`.
    package func prunedCount(row: Int) -> Int {
        words[row * wordsPerRow..<(row + 1) * wordsPerRow].reduce(0) { $0 + $1.nonzeroBitCount }
    }

    /// Pruned weights in the whole matrix.
    package var prunedCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Fraction of weights pruned.
    package var sparsity: Double { Double(prunedCount) / Double(rows * cols) }

    /// A 64-bit fingerprint of the mask (FNV-1a over shape and words): equal masks have equal fingerprints, on every
    /// machine; the search uses it to recognise metrics that prune identically.
    package var fingerprint: UInt64 {
        var hash = FNV1a()
        hash.add(word: UInt64(rows))
        hash.add(word: UInt64(cols))
        for word in words { hash.add(word: word) }
        return hash.value
    }

    /// Zeroes the pruned entries of a row-major (rows, cols) matrix.
    package func apply(to weights: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = weights + r * cols
            for w in 0..<wordsPerRow {
                var bits = words[r * wordsPerRow + w]
                while bits != 0 {
                    row[w * 64 + bits.trailingZeroBitCount] = 0
                    bits &= bits - 1
                }
            }
        }
    }
}

