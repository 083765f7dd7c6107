import CNNG

/// A failed NNG call: the C function, its return code and NNG's own text for it.
package struct NNGError: Error, Equatable, CustomStringConvertible {
    package let function: String
    package let code: Int32

    package var description: String { "\(function): \(String(cString: nng_strerror(code))) (\(code))" }

    /// True when the call gave up because its time limit passed (not a fault).
    package var isTimeout: Bool { code == Int32(NNG_ETIMEDOUT.rawValue) }
    /// True when the socket or context was closed under the call.
    package var isClosed: Bool { code == Int32(NNG_ECLOSED.rawValue) }
    /// True when the connection carrying an outstanding request closed before its reply came (a REQ socket
    /// without resends reports this instead of retrying on the next connection).
    package var isConnectionReset: Bool { code == Int32(NNG_ECONNRESET.rawValue) }
}

/// Throws the function's name, code and text when an NNG call fails: the one place C return codes are read.
@inline(__always)
func check(_ rv: Int32, _ function: @autoclosure () -> String) throws(NNGError) {
    if rv != 0 { throw NNGError(function: function(), code: rv) }
}
