import Foundation

/// The durable journal `events.jsonl`: one JSON event per line, appended and written through (one `write(2)` per
/// record, so a killed coordinator loses at most the event it was writing). Reading tolerates exactly that: an
/// incomplete last line is dropped with a warning; any other bad line is an error naming it.
package final class JournalWriter {
    private let handle: FileHandle
    private let encoder: JSONEncoder

    package init(url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
            }
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    deinit { try? handle.close() }

    /// Appends `events`, each as one line, written before this returns.
    package func append(_ events: [SearchEvent]) throws {
        for event in events {
            var line = try encoder.encode(event)
            line.append(0x0A)
            try handle.write(contentsOf: line)
        }
    }

    /// Forces the journal to stable storage (called at phase ends; per-record fsync would cap throughput).
    package func synchronize() { try? handle.synchronize() }
}

package enum JournalReader {
    /// The events of a journal, and a warning if its last line was cut off.
    package static func read(url: URL) throws -> (events: [SearchEvent], warning: String?) {
        let data = try Data(contentsOf: url)
        let decoder = JSONDecoder()
        var events: [SearchEvent] = []
        var warning: String?
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() where !line.isEmpty {
            let isLast = index == lines.count - 1  // no newline after it: the write was interrupted
            do {
                events.append(try decoder.decode(SearchEvent.self, from: Data(line)))
            } catch {
                if isLast {
                    warning = "events.jsonl line \(index + 1) is incomplete (the coordinator was killed while "
                        + "writing it); ignored"
                } else {
                    throw JournalError(line: index + 1, problem: "not a journal event: \(error)")
                }
            }
        }
        return (events, warning)
    }
}
