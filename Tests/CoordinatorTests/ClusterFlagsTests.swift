import TestSupport
import Foundation
import Testing

/// The built binaries' refusals for unsafe cluster settings: each exits before doing any work and says why.
@Suite struct ClusterFlagsTests {
    /// A directory with a placeholder bundle (its identity is the manifest's hash) and a secret file of `mode`.
    static func scratch(secretMode: Int) throws -> (dir: URL, bundle: String, secret: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pz-flags-\(UUID())")
        let bundle = dir.appendingPathComponent("bundle")
        try FileManager.default.createDirectory(at: bundle, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: bundle.appendingPathComponent("manifest.json"))
        let secret = dir.appendingPathComponent("secret").path
        _ = FileManager.default.createFile(atPath: secret, contents: Data("0123456789abcdef0123".utf8))
        try FileManager.default.setAttributes([.posixPermissions: secretMode], ofItemAtPath: secret)
        return (dir, bundle.path, secret)
    }

    static let noSecret = ProcessInfo.processInfo.environment.filter { $0.key != "PRUNERZERO_SECRET" }

    @Test func theCoordinatorWillNotListenBeyondLoopbackWithoutASecret() throws {
        let s = try Self.scratch(secretMode: 0o600)
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let run = s.dir.appendingPathComponent("run")
        let out = try BuiltBinary.run("prunerzero-coordinator", [
            "search", "--bundle", s.bundle, "--run-dir", run.path, "--budget", "4", "--seed", "1",
            "--listen", "tcp://0.0.0.0:47391"], environment: Self.noSecret)
        #expect(out.status != 0)
        #expect(out.stderr.contains("without a cluster secret") && out.stderr.contains("--secret-file"))
        #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent("events.jsonl").path))
    }

    @Test func aSecretFileOthersCanReadIsRefusedByBothPrograms() throws {
        let s = try Self.scratch(secretMode: 0o644)
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let coordinator = try BuiltBinary.run("prunerzero-coordinator", [
            "search", "--bundle", s.bundle, "--run-dir", s.dir.appendingPathComponent("run").path,
            "--secret-file", s.secret])
        #expect(coordinator.status != 0 && coordinator.stderr.contains("chmod 600 \(s.secret)"))
        let worker = try BuiltBinary.run("prunerzero-worker", [
            "serve", "--connect", "tcp://127.0.0.1:1", "--bundle", s.bundle, "--secret-file", s.secret])
        #expect(worker.status == 2 && worker.stderr.contains("chmod 600 \(s.secret)"))
    }

    @Test func helpListsTheClusterFlags() throws {
        let search = try BuiltBinary.run("prunerzero-coordinator", ["search", "--help"])
        for flag in ["--secret-file", "--tls-cert", "--tls-key", "--tls-ca", "--max-connections", "PRUNERZERO_SECRET"] {
            #expect(search.stdout.contains(flag), "search --help lacks \(flag)")
        }
        let serve = try BuiltBinary.run("prunerzero-worker", ["serve", "--help"])
        for flag in ["--secret-file", "--tls-ca", "--tls-server-name", "--reply-timeout"] {
            #expect(serve.stdout.contains(flag), "serve --help lacks \(flag)")
        }
    }

    @Test func tlsFlagsMustMatchTheAddress() throws {
        let worker = try BuiltBinary.run("prunerzero-worker", [
            "serve", "--connect", "tls+tcp://head:47200", "--bundle", "/nonexistent"])
        #expect(worker.status != 0 && worker.stderr.contains("needs --tls-ca"))
        let coordinator = try BuiltBinary.run("prunerzero-coordinator", [
            "search", "--bundle", "/nonexistent", "--run-dir", "/nonexistent/run", "--tls-cert", "c.pem"])
        #expect(coordinator.status != 0 && coordinator.stderr.contains("--tls-cert and --tls-key go together"))
    }
}
