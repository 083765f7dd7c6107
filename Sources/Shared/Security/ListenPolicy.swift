/// Whether an NNG address can be reached only from this host. A coordinator listening anywhere else without a
/// cluster secret would hand jobs to, and take results from, anyone who can reach the port: it refuses to start.
package enum ListenPolicy {
    /// True for ipc:// and inproc:// (reachable through the file system or the process only) and for tcp, tls+tcp
    /// and ws addresses on 127.0.0.0/8, ::1 or localhost.
    package static func isLoopbackOnly(_ url: String) -> Bool {
        guard let schemeEnd = url.range(of: "://") else { return false }
        let scheme = url[..<schemeEnd.lowerBound]
        if scheme == "ipc" || scheme == "inproc" || scheme == "abstract" { return true }
        var rest = url[schemeEnd.upperBound...]
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        let host: Substring
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = rest[rest.index(after: rest.startIndex)..<close]
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
        } else {
            host = rest
        }
        return host == "localhost" || host == "::1" || isLoopbackIPv4(host)
    }

    /// 127.x.y.z written as four decimal parts (a host name such as `127.example.com` is not loopback).
    private static func isLoopbackIPv4(_ host: Substring) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Why listening on `url` with (or without) a secret is refused; nil when it is allowed.
    package static func refusal(listen url: String, hasSecret: Bool) -> String? {
        if hasSecret || isLoopbackOnly(url) { return nil }
        return "refusing to listen on \(url) without a cluster secret: any host that reaches it could join the "
            + "search. Give --secret-file PATH (mode 600) or set \(ClusterSecret.environmentVariable); or listen on "
            + "127.0.0.1 / ipc:// for a single machine."
    }
}
