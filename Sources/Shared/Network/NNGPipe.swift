import CNNG
import Foundation

/// One connection of a socket (NNG calls it a pipe): where a request came from, and a way to drop that peer.
package struct NNGPipe: Sendable, Hashable {
    let id: UInt32

    init(_ pipe: nng_pipe) { id = pipe.id }

    private var handle: nng_pipe { nng_pipe(id: id) }

    /// Closes the connection; a REQ peer redials, and has to behave better next time.
    package func close() { _ = nng_pipe_close(handle) }

    /// The peer's address, e.g. `10.77.0.2:51234`, or the transport's name when it has no IP address.
    package var remoteAddress: String {
        var address = nng_sockaddr()
        guard nng_pipe_get_addr(handle, NNG_OPT_REMADDR, &address) == 0 else { return "pipe \(id)" }
        switch Int(address.s_family) {
        case Int(NNG_AF_INET.rawValue):
            let a = UInt32(bigEndian: address.s_in.sa_addr), port = UInt16(bigEndian: address.s_in.sa_port)
            return "\(a >> 24).\((a >> 16) & 255).\((a >> 8) & 255).\(a & 255):\(port)"
        case Int(NNG_AF_INET6.rawValue): return "[ipv6]:\(UInt16(bigEndian: address.s_in6.sa_port))"
        case Int(NNG_AF_IPC.rawValue): return "ipc (pipe \(id))"
        default: return "pipe \(id)"
        }
    }
}

/// Caps the connections a listening socket keeps: past `maximum`, a new connection is closed before the socket
/// sees it (NNG's ADD_PRE event: no message of it is ever received) and logged, so a flood of clients costs a file
/// descriptor for a moment, not a thread or a context. Each worker holds two connections (requests, heartbeats).
final class ConnectionLimit: @unchecked Sendable {
    // @unchecked: `open` is only touched under `lock`; NNG calls `event` from its own threads.
    let maximum: Int
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var open: Set<UInt32> = []

    init(maximum: Int, log: @escaping @Sendable (String) -> Void) {
        self.maximum = maximum
        self.log = log
    }

    func register(on socket: nng_socket) throws(NNGError) {
        let me = Unmanaged.passUnretained(self).toOpaque()
        let callback: nng_pipe_cb = { pipe, event, argument in
            guard let argument else { return }
            Unmanaged<ConnectionLimit>.fromOpaque(argument).takeUnretainedValue().event(pipe, event)
        }
        try check(nng_pipe_notify(socket, NNG_PIPE_EV_ADD_PRE, callback, me), "nng_pipe_notify(add)")
        try check(nng_pipe_notify(socket, NNG_PIPE_EV_REM_POST, callback, me), "nng_pipe_notify(remove)")
    }

    var count: Int { lock.lock(); defer { lock.unlock() }; return open.count }

    private func event(_ pipe: nng_pipe, _ event: nng_pipe_ev) {
        lock.lock()
        if event == NNG_PIPE_EV_REM_POST {
            open.remove(pipe.id)
            lock.unlock()
            return
        }
        let full = open.count >= maximum
        if !full { open.insert(pipe.id) }
        lock.unlock()
        if full {
            let peer = NNGPipe(pipe)
            log("dropped a connection from \(peer.remoteAddress): already \(maximum) connections (--max-connections)")
            peer.close()
        }
    }
}
