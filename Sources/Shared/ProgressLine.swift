import Foundation

/// Progress of a long command on stderr: one line rewritten in place on a terminal, one line per update in a log.
package enum ProgressLine {
    package static let isTerminal = isatty(2) != 0

    package static func show(_ line: String, done: Bool = false) {
        let text = isTerminal ? "\r\u{1B}[K" + line + (done ? "\n" : "") : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }
}
