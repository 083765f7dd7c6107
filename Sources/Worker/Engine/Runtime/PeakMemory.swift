// PeakMemory: the process's peak resident set, for the reports of eval and prune.
import Foundation

package enum PeakMemory {
    /// Peak resident set size so far, in bytes (getrusage's ru_maxrss, which Linux gives in KiB).
    package static var residentBytes: Int {
        var usage = rusage()
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) * 1024
    }

    /// "189.2 MB".
    package static func describe(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
}
