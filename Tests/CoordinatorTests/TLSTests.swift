import TestSupport
import Foundation
import Testing
@testable import Search
@testable import Shared

/// TLS through NNG's tls+tcp:// transport on loopback, with a CA and a server certificate made by `openssl` at test
/// time (the recipe of deploy/README.md, "Making certificates"). Skips, saying why, when openssl is not installed.
@Suite(.serialized) struct TLSTests {
    /// A CA, a server certificate for `localhost` signed by it, and an unrelated second CA.
    struct Certificates {
        let directory: URL
        var caFile: String { directory.appendingPathComponent("ca.crt").path }
        var otherCAFile: String { directory.appendingPathComponent("other-ca.crt").path }
        var certificateFile: String { directory.appendingPathComponent("server.crt").path }
        var keyFile: String { directory.appendingPathComponent("server.key").path }

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("pz-tls-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
            for ca in ["ca", "other-ca"] {
                try Self.openssl(["req", "-x509"] + curve + ["-keyout", "\(ca).key", "-out", "\(ca).crt", "-days", "2",
                                  "-subj", "/CN=prunerzero-test-\(ca)",
                                  "-addext", "basicConstraints=critical,CA:TRUE",
                                  "-addext", "keyUsage=critical,keyCertSign,cRLSign"], in: directory)
            }
            try Self.openssl(["req", "-new"] + curve + ["-keyout", "server.key", "-out", "server.csr",
                              "-subj", "/CN=localhost"], in: directory)
            try Data("subjectAltName=DNS:localhost\n".utf8).write(to: directory.appendingPathComponent("san.ext"))
            try Self.openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                              "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext"],
                             in: directory)
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }

        static var available: Bool {
            ProcessInfo.processInfo.environment["PATH", default: ""].split(separator: ":")
                .contains { FileManager.default.isExecutableFile(atPath: "\($0)/openssl") }
        }

        static func openssl(_ arguments: [String], in directory: URL) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl"] + arguments
            process.currentDirectoryURL = directory
            process.standardOutput = FileHandle.nullDevice
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            let text = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw ServerSetupError(description: "openssl \(arguments.joined(separator: " ")): "
                                       + String(decoding: text, as: UTF8.self))
            }
        }
    }

    @Test(.enabled(if: Certificates.available, "openssl is not installed (deploy/install.sh installs it)"))
    func workersVerifyTheCoordinatorsCertificate() throws {
        let certificates = try Certificates()
        defer { certificates.remove() }
        let secret = HMACAuthenticator(secret: HostileClientTests.secret)
        let tls = NNGTLS.Server(certificateFile: certificates.certificateFile, keyFile: certificates.keyFile)
        let running = try HostileClientTests.Running(
            security: ServerSecurity(authenticator: secret, tls: tls), scheme: "tls+tcp")
        defer { running.stop() }

        // The right CA, and the name in the certificate (the URL holds an IP address, which mbedTLS cannot match).
        let trusted = try HostileClientTests.Client(
            running.url, authenticator: HMACAuthenticator(secret: HostileClientTests.secret),
            tls: NNGTLS.Client(caFile: certificates.caFile, serverName: "localhost"))
        guard case .welcome = try trusted.ask(HostileClientTests.hello("tls-1")) else {
            Issue.record("no welcome over TLS"); return
        }

        // Another CA, or another name: the handshake fails and nothing is ever answered.
        for (ca, name) in [(certificates.otherCAFile, "localhost"), (certificates.caFile, "head.example")] {
            let refused = try HostileClientTests.Client(
                running.url, authenticator: HMACAuthenticator(secret: HostileClientTests.secret),
                tls: NNGTLS.Client(caFile: ca, serverName: name), timeout: 1_500)
            #expect(throws: NNGError.self) { _ = try refused.ask(HostileClientTests.hello("tls-bad")) }
        }
        // A plain tcp client cannot talk to the TLS listener either.
        let plainURL = running.url.replacingOccurrences(of: "tls+tcp://", with: "tcp://")
        let plain = try HostileClientTests.Client(plainURL, authenticator: HMACAuthenticator(secret: HostileClientTests.secret),
                                                  timeout: 1_500)
        #expect(throws: NNGError.self) { _ = try plain.ask(HostileClientTests.hello("tcp")) }
        // The trusted client is still served.
        guard case .job = try trusted.ask(.jobRequest(JobRequest(workerID: "tls-1"))) else {
            Issue.record("the trusted client was not served"); return
        }
    }

    @Test func aMissingCertificateFileIsNamed() throws {
        let server = try NNGSocket(.reply)
        defer { server.close() }
        do {
            try server.listen(LoopbackPort.address(scheme: "tls+tcp"),
                              tls: NNGTLS.Server(certificateFile: "/nonexistent/server.crt", keyFile: "/nonexistent/k"))
            Issue.record("listened without a certificate")
        } catch {
            #expect(error.description.contains("/nonexistent/server.crt"))
        }
    }
}
