#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP port for a test's listener. Ports are drawn below Linux's ephemeral range (32768–60999 by
/// default), where the kernel never places the local end of an outgoing connection: a random port inside that
/// range can already be taken by any concurrent test's client socket, which is how a CI run once failed with
/// `nng_listen(tcp://127.0.0.1:55400): Address in use`. The port is checked free by binding it once; tests
/// running in parallel draw from ~22 000 ports, so two picking the same one in the same instant is negligible.
public enum LoopbackPort {
    public static func free() -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 10_000..<32_000)
            if isFree(port) { return port }
        }
        return Int.random(in: 10_000..<32_000)
    }

    /// `tcp://127.0.0.1:PORT` (or another scheme) on a free port.
    public static func address(scheme: String = "tcp", host: String = "127.0.0.1") -> String {
        "\(scheme)://\(host):\(free())"
    }

    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
