import CNNG
import Testing

/// The NNG system-library target links and the library answers.
@Test func nngReportsItsVersion() {
    let version = String(cString: nng_version())
    #expect(version.hasPrefix("1."))
}
