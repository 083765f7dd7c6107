import Model
/// Applying the ranked merges to one word: HF `Word::merge_all` (tokenizers/src/models/bpe/word.rs).
///
/// A min-heap holds candidate merges ordered by (rank, position): the lowest-ranked pair anywhere in the word
/// merges first, the leftmost among equals. Entries go stale as neighbours merge; a popped entry is used only
/// if its left symbol is alive, has a right neighbour, and that pair still merges to the same id (exactly HF's
/// check, which compares the merged id, not the rank). O(n log n) in the word length, so LLaMA-2's
/// unsplit 1.3 MB WikiText segment is one word and still fast.
extension BPEModel {
    package func mergeAll(_ initial: [TokenID]) -> [TokenID] {
        let n = initial.count
        guard n > 1 else { return initial }
        var ids = initial
        // Doubly linked list over positions; -1 = none. `alive[i]` false once merged into its left neighbour.
        var previous = [Int32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = Int32(i) - 1 }
            count = n
        }
        var next = [Int32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = i + 1 < n ? Int32(i) + 1 : -1 }
            count = n
        }
        var alive = [Bool](repeating: true, count: n)

        var heap = MergeHeap()
        for i in 0..<(n - 1) {
            if let target = merges[Self.pairKey(ids[i], ids[i + 1])] {
                heap.entries.append(MergeHeap.Entry(rank: target.rank, position: Int32(i), id: target.id))
            }
        }
        heap.heapify()

        while let top = heap.pop() {
            let position = Int(top.position)
            guard alive[position], next[position] >= 0 else { continue }
            let right = Int(next[position])
            guard let target = merges[Self.pairKey(ids[position], ids[right])], target.id == top.id else { continue }
            ids[position] = top.id
            alive[right] = false
            let afterRight = next[right]
            next[position] = afterRight
            if afterRight >= 0 { previous[Int(afterRight)] = Int32(position) }
            // New candidate pairs with both neighbours.
            let left = previous[position]
            if left >= 0, let candidate = merges[Self.pairKey(ids[Int(left)], ids[position])] {
                heap.push(MergeHeap.Entry(rank: candidate.rank, position: left, id: candidate.id))
            }
            if afterRight >= 0, let candidate = merges[Self.pairKey(ids[position], ids[Int(afterRight)])] {
                heap.push(MergeHeap.Entry(rank: candidate.rank, position: Int32(position), id: candidate.id))
            }
        }
        var result: [TokenID] = []
        result.reserveCapacity(n)
        for i in 0..<n where alive[i] { result.append(ids[i]) }
        return result
    }
}

/// A binary min-heap of merge candidates keyed by (rank, position).
struct MergeHeap {
    struct Entry {
        let rank: UInt32
        let position: Int32
        let id: TokenID

        var key: UInt64 { UInt64(rank) << 32 | UInt64(UInt32(bitPattern: position)) }
    }

    var entries: [Entry] = []

    mutating func heapify() {
        guard entries.count > 1 else { return }
        for i in stride(from: entries.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
    }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].key < entries[parent].key else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let last = entries.popLast() else { return nil }
        guard !entries.isEmpty else { return last }
        let top = entries[0]
        entries[0] = last
        siftDown(0)
        return top
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let count = entries.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            var smallest = left
            if left + 1 < count, entries[left + 1].key < entries[left].key { smallest = left + 1 }
            guard entries[smallest].key < entries[parent].key else { return }
            entries.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
