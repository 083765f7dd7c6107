import CNNG
import Foundation

/// A REP context: one independent request/reply conversation on a shared REP socket, so a server can have many
/// requests in progress at once (one context per serving thread). Calls block on an NNG aio.
package final class NNGContext: @unchecked Sendable {
    // @unchecked: used by one thread at a time (its serving loop); close() may come from another, which NNG allows.
    private var context = nng_ctx()
    private var aio: OpaquePointer?

    package init(_ socket: NNGSocket) throws(NNGError) {
        try check(nng_ctx_open(&context, socket.handle), "nng_ctx_open")
        var pointer: OpaquePointer?
        let rv = nng_aio_alloc(&pointer, nil, nil)
        if rv != 0 {
            nng_ctx_close(context)
            throw NNGError(function: "nng_aio_alloc", code: rv)
        }
        aio = pointer
    }

    deinit {
        nng_aio_stop(aio)
        nng_ctx_close(context)
        nng_aio_free(aio)
    }

    /// Waits up to `timeout` ms (or forever) for the next request.
    package func receive(timeout milliseconds: Int32 = NNGOption.infinite) throws(NNGError) -> Data {
        try receiveFrom(timeout: milliseconds).data
    }

    /// The next request and the connection it came from (to log the peer, or drop it).
    package func receiveFrom(timeout milliseconds: Int32 = NNGOption.infinite) throws(NNGError)
        -> (data: Data, pipe: NNGPipe)
    {
        nng_aio_set_timeout(aio, milliseconds)
        nng_ctx_recv(context, aio)
        nng_aio_wait(aio)
        try check(nng_aio_result(aio), "nng_ctx_recv")
        let message = nng_aio_get_msg(aio)
        nng_aio_set_msg(aio, nil)  // ours now: the aio must not keep a pointer to a message we free
        defer { nng_msg_free(message) }
        return (Data(bytes: nng_msg_body(message), count: nng_msg_len(message)), NNGPipe(nng_msg_get_pipe(message)))
    }

    /// Replies to the request this context last received.
    package func reply(_ data: Data, timeout milliseconds: Int32 = 10_000) throws(NNGError) {
        var message: OpaquePointer?
        try check(nng_msg_alloc(&message, 0), "nng_msg_alloc")
        let appended = data.withUnsafeBytes { nng_msg_append(message, $0.baseAddress, $0.count) }
        if appended != 0 {
            nng_msg_free(message)
            throw NNGError(function: "nng_msg_append", code: appended)
        }
        nng_aio_set_msg(aio, message)
        nng_aio_set_timeout(aio, milliseconds)
        nng_ctx_send(context, aio)
        nng_aio_wait(aio)
        let rv = nng_aio_result(aio)
        if rv != 0 {
            nng_msg_free(message)  // on failure the message still belongs to us
            throw NNGError(function: "nng_ctx_send", code: rv)
        }
    }

    /// Makes a blocked `receive` return (with `NNGError.isClosed` or a cancel) so a serving loop can stop.
    package func cancel() { nng_aio_cancel(aio) }
}
