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
    }

    public static func run(_ name: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = directory.appendingPathComponent(name)
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
