import CNNG
import Foundation

/// One NNG socket (REQ or REP, protocol version 0), with one Swift method per NNG call it uses.
///
/// Options are set explicitly by the caller, each with its reason, because NNG's defaults are wrong for us in two
/// places: a REQ socket resends an unanswered request after 60 s (which would hand one job to two workers), and a
/// receiving socket accepts messages up to 1 MiB by default (we bound it by our protocol's own limit).
package final class NNGSocket: @unchecked Sendable {
    // @unchecked: nng_socket is a plain id, and NNG's socket calls are thread-safe by contract.
    let handle: nng_socket
    private var closed = false
    private let lock = NSLock()
    private var connectionLimit: ConnectionLimit?

    package enum Kind: Sendable { case request, reply }

    package init(_ kind: Kind) throws(NNGError) {
        var socket = nng_socket()
        switch kind {
        case .request: try check(nng_req0_open(&socket), "nng_req0_open")
        case .reply: try check(nng_rep0_open(&socket), "nng_rep0_open")
        }
        handle = socket
    }

    deinit { close() }

    /// Closes the socket; blocked calls on it return `NNGError.isClosed`. Safe to call twice.
    package func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        nng_close(handle)
    }

    /// Listens on `url` (e.g. `tcp://0.0.0.0:5555`, `ipc:///tmp/x`, `tls+tcp://host:5555` with `tls`).
    package func listen(_ url: String, tls: NNGTLS.Server? = nil) throws(NNGError) {
        guard let tls else {
            try check(nng_listen(handle, url, nil, 0), "nng_listen(\(url))")
            return
        }
        var listener = nng_listener()
        try check(nng_listener_create(&listener, handle, url), "nng_listener_create(\(url))")
        do {
            let config = try NNGTLS.Config.server(tls)
            // The listener takes its own reference to the configuration.
            try check(nng_listener_set_ptr(listener, NNG_OPT_TLS_CONFIG, UnsafeMutableRawPointer(config.pointer)),
                      "nng_listener_set_ptr(tls-config)")
            try check(nng_listener_start(listener, 0), "nng_listener_start(\(url))")
        } catch {
            nng_listener_close(listener)
            throw error
        }
    }

    /// Dials `url`. Non-blocking: NNG connects in the background and keeps redialling after failures, so a worker
    /// may start before its coordinator. With `tls`, the server's certificate is verified against its CA file.
    package func dial(_ url: String, tls: NNGTLS.Client? = nil) throws(NNGError) {
        guard let tls else {
            try check(nng_dial(handle, url, nil, Int32(NNG_FLAG_NONBLOCK)), "nng_dial(\(url))")
            return
        }
        var dialer = nng_dialer()
        try check(nng_dialer_create(&dialer, handle, url), "nng_dialer_create(\(url))")
        do {
            let config = try NNGTLS.Config.client(tls, url: url)
            try check(nng_dialer_set_ptr(dialer, NNG_OPT_TLS_CONFIG, UnsafeMutableRawPointer(config.pointer)),
                      "nng_dialer_set_ptr(tls-config)")
            try check(nng_dialer_start(dialer, Int32(NNG_FLAG_NONBLOCK)), "nng_dialer_start(\(url))")
        } catch {
            nng_dialer_close(dialer)
            throw error
        }
    }

    /// Keeps at most `maximum` connections open; later ones are closed on arrival and reported through `log`.
    /// Call before listening.
    package func limitConnections(to maximum: Int, log: @escaping @Sendable (String) -> Void) throws(NNGError) {
        let limit = ConnectionLimit(maximum: maximum, log: log)
        try limit.register(on: handle)
        connectionLimit = limit
    }

    /// Connections open now (only counted under `limitConnections`).
    package var openConnections: Int { connectionLimit?.count ?? 0 }

    package func setDuration(_ option: String, milliseconds: Int32) throws(NNGError) {
        try check(nng_socket_set_ms(handle, option, milliseconds), "nng_socket_set_ms(\(option))")
    }

    package func setSize(_ option: String, bytes: Int) throws(NNGError) {
        try check(nng_socket_set_size(handle, option, bytes), "nng_socket_set_size(\(option))")
    }

    /// Sends one message (blocking up to the socket's send timeout).
    package func send(_ data: Data) throws(NNGError) {
        var copy = data
        let rv = copy.withUnsafeMutableBytes { nng_send(handle, $0.baseAddress, $0.count, 0) }
        try check(rv, "nng_send")
    }

    /// Receives one message (blocking up to the socket's receive timeout).
    package func receive() throws(NNGError) -> Data {
        var buffer: UnsafeMutableRawPointer?
        var size = 0
        try check(withUnsafeMutablePointer(to: &buffer) {
            nng_recv(handle, UnsafeMutableRawPointer($0), &size, Int32(NNG_FLAG_ALLOC))
        }, "nng_recv")
        defer { if let buffer { nng_free(buffer, size) } }
        guard let buffer, size > 0 else { return Data() }  // an empty message comes with no buffer
        return Data(bytes: buffer, count: size)
    }
}

/// Option names, so call sites read as English.
package enum NNGOption {
    package static let receiveTimeout = NNG_OPT_RECVTIMEO
    package static let sendTimeout = NNG_OPT_SENDTIMEO
    package static let receiveMaxSize = NNG_OPT_RECVMAXSZ
    package static let reconnectMin = NNG_OPT_RECONNMINT
    package static let reconnectMax = NNG_OPT_RECONNMAXT
    package static let requestResendTime = NNG_OPT_REQ_RESENDTIME
    package static let infinite: Int32 = NNG_DURATION_INFINITE
}
