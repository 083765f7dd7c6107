import Foundation

/// Bounds the log lines one kind of event may write: at most `burst` lines per `windowSeconds`, then one line
/// saying how many were left out. A client flooding the coordinator with garbage is refused every time, but cannot
/// fill the disk through `search.log`.
final class LogThrottle: @unchecked Sendable {
    // @unchecked: all state under `lock`.
    private let burst: Int
    private let windowSeconds: Double
    private let lock = NSLock()
    private var windowStart = -Double.infinity
    private var written = 0
    private var suppressed = 0

    init(burst: Int = 20, windowSeconds: Double = 60) {
        self.burst = burst
        self.windowSeconds = windowSeconds
    }

    /// The lines to write now for `line` at time `now`: none while over the limit; at the start of a new window,
    /// a count of what the last one left out, then `line`.
    func admit(_ line: String, now: Double) -> [String] {
        lock.lock()
        defer { lock.unlock() }
        var out: [String] = []
        if now - windowStart >= windowSeconds {
            if suppressed > 0 {
                out.append("… \(suppressed) more like the above in \(Int(windowSeconds)) s were not logged")
            }
            windowStart = now
            written = 0
            suppressed = 0
        }
        guard written < burst else {
            suppressed += 1
            return out
        }
        written += 1
        out.append(line)
        return out
    }
}
