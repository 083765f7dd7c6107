/// The nonces seen recently, bounded in time and in number, so a replayed message is recognised without unbounded
/// memory. Nonces older than `horizonSeconds` are forgotten (the clock-skew check refuses such messages anyway);
/// when more than `capacity` are remembered, the oldest is forgotten and `floor` rises to its time, and any message
/// sent at or before `floor` is refused: it might be a replay of one we no longer remember.
struct ReplayWindow {
    struct Nonce: Hashable {
        let high: UInt64, low: UInt64
        init(_ bytes: ArraySlice<UInt8>) {
            var h: UInt64 = 0, l: UInt64 = 0
            for (k, b) in bytes.prefix(8).enumerated() { h |= UInt64(b) << (8 * k) }
            for (k, b) in bytes.dropFirst(8).prefix(8).enumerated() { l |= UInt64(b) << (8 * k) }
            high = h; low = l
        }
    }

    enum Admission: Equatable { case fresh, replayed, beforeWindow }

    let capacity: Int
    let horizonSeconds: Double
    private var seen: Set<Nonce> = []
    /// Arrival order; entries before `head` are forgotten (compacted now and then).
    private var order: [(nonce: Nonce, sentAt: Double)] = []
    private var head = 0
    private(set) var floor = -Double.infinity

    init(capacity: Int, horizonSeconds: Double) {
        self.capacity = max(1, capacity)
        self.horizonSeconds = horizonSeconds
    }

    var count: Int { seen.count }

    mutating func admit(_ nonce: Nonce, sentAt: Double, now: Double) -> Admission {
        while head < order.count && order[head].sentAt < now - horizonSeconds { forgetOldest() }
        if seen.contains(nonce) { return .replayed }
        if sentAt <= floor { return .beforeWindow }
        while seen.count >= capacity {
            floor = max(floor, order[head].sentAt)
            forgetOldest()
        }
        seen.insert(nonce)
        order.append((nonce, sentAt))
        return .fresh
    }

    private mutating func forgetOldest() {
        seen.remove(order[head].nonce)
        head += 1
        if head > 1024 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
