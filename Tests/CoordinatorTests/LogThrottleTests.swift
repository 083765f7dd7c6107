import Testing
@testable import Search

@Suite struct LogThrottleTests {
    @Test func aFloodIsCutToTheBurstAndCounted() {
        let throttle = LogThrottle(burst: 3, windowSeconds: 10)
        var lines: [String] = []
        for k in 0..<100 { lines += throttle.admit("refused \(k)", now: 1 + Double(k) * 0.01) }
        #expect(lines == ["refused 0", "refused 1", "refused 2"])
        #expect(throttle.admit("refused later", now: 20) == [
            "… 97 more like the above in 10 s were not logged", "refused later"])
    }
}
