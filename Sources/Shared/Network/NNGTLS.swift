import CNNG
import Foundation

/// TLS for the `tls+tcp://` transport (NNG 1.5.2 built with mbedTLS): the coordinator presents a certificate and
/// key; workers verify it against a CA file and a server name. mbedTLS does not match IP addresses in certificates,
/// so the name checked is a host name: the one in the URL, or `serverName` when the URL holds an IP address.
///
/// TLS hides the traffic and proves the coordinator's identity to workers; it does not identify workers (no client
/// certificates): that is the cluster secret's job (`HMACAuthenticator`), which stays on with TLS.
package enum NNGTLS {
    /// What the coordinator's listener presents.
    package struct Server: Sendable, Equatable {
        package var certificateFile: String
        package var keyFile: String
        package init(certificateFile: String, keyFile: String) {
            self.certificateFile = certificateFile; self.keyFile = keyFile
        }
    }

    /// What a worker's dialer trusts.
    package struct Client: Sendable, Equatable {
        package var caFile: String
        /// The name the certificate must carry; nil: the URL's host name.
        package var serverName: String?
        package init(caFile: String, serverName: String? = nil) { self.caFile = caFile; self.serverName = serverName }
    }

    /// An `nng_tls_config`, freed when dropped (listeners and dialers hold their own reference).
    final class Config {
        let pointer: OpaquePointer

        init(mode: nng_tls_mode) throws(NNGError) {
            var made: OpaquePointer?
            try check(nng_tls_config_alloc(&made, mode), "nng_tls_config_alloc")
            pointer = made!
        }

        deinit { nng_tls_config_free(pointer) }

        static func server(_ files: Server) throws(NNGError) -> Config {
            let config = try Config(mode: NNG_TLS_MODE_SERVER)
            let certificate = try readPEM(files.certificateFile, "certificate")
            let key = try readPEM(files.keyFile, "private key")
            try check(nng_tls_config_own_cert(config.pointer, certificate, key, nil),
                      "nng_tls_config_own_cert(\(files.certificateFile), \(files.keyFile))")
            return config
        }

        static func client(_ files: Client, url: String) throws(NNGError) -> Config {
            let config = try Config(mode: NNG_TLS_MODE_CLIENT)
            try check(nng_tls_config_ca_file(config.pointer, files.caFile), "nng_tls_config_ca_file(\(files.caFile))")
            if let name = files.serverName ?? hostName(of: url) {
                try check(nng_tls_config_server_name(config.pointer, name), "nng_tls_config_server_name(\(name))")
            }
            // Required is NNG's default for dialers; set anyway, since it is the point.
            try check(nng_tls_config_auth_mode(config.pointer, NNG_TLS_AUTH_MODE_REQUIRED),
                      "nng_tls_config_auth_mode(required)")
            return config
        }

        private static func readPEM(_ path: String, _ what: String) throws(NNGError) -> String {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
            else { throw NNGError(function: "reading the TLS \(what) \(path)", code: Int32(NNG_ENOENT.rawValue)) }
            return text
        }
    }

    /// The host of `tls+tcp://host:port`.
    static func hostName(of url: String) -> String? {
        guard let start = url.range(of: "://")?.upperBound else { return nil }
        var rest = url[start...]
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if rest.hasPrefix("[") { return nil }  // an IPv6 literal: no name to check
        if let colon = rest.lastIndex(of: ":") { rest = rest[..<colon] }
        return rest.isEmpty ? nil : String(rest)
    }
}
