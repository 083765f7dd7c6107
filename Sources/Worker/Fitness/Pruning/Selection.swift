/// Linear-time selection: partitions a buffer so its `k` smallest elements come first (in no particular order).
///
/// Quickselect with median-of-three pivots and, should partitioning degrade (it can only on adversarial input,
/// since our keys are distinct), a fallback to sorting after 2·log₂(n) rounds, keeping the worst case O(n log n).
enum Selection {
    static func partitionSmallest(_ a: UnsafeMutableBufferPointer<UInt64>, count k: Int) {
        guard k > 0, k < a.count else { return }
        var low = 0, high = a.count - 1
        var budget = 2 * (Int.bitWidth - a.count.leadingZeroBitCount) + 4
        while high > low {
            if budget == 0 {
                var range = UnsafeMutableBufferPointer(rebasing: a[low...high])
                range.sort()
                return
            }
            budget -= 1
            let pivot = medianOfThree(a[low], a[low + (high - low) / 2], a[high])
            // Hoare partition: [low, j] ≤ pivot ≤ [j+1, high].
            var i = low - 1, j = high + 1
            while true {
                repeat { i += 1 } while a[i] < pivot
                repeat { j -= 1 } while a[j] > pivot
                if i >= j { break }
                a.swapAt(i, j)
            }
            // The k smallest are indices 0..<k: recurse into the side holding index k − 1.
            if k - 1 <= j { high = j } else { low = j + 1 }
        }
    }

    @inline(__always)
    private static func medianOfThree(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        max(min(a, b), min(max(a, b), c))
    }
}
