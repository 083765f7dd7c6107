import XCTest
@testable import Shared
@testable import Serve

/// Lease keeping in memory: a fake clock and heartbeat outcomes in, actions out; no sockets, no sleeps.
final class HeartbeatMachineTests: XCTestCase {
    typealias M = HeartbeatMachine

    func machine(giveUpAfter: Int = 3) -> M {
        M(workerID: "w1", jobID: 9, intervalSeconds: 2, now: 100, giveUpAfter: giveUpAfter)
    }

    func beat(_ fingerprint: UInt64? = nil) -> M.Action {
        .send(Heartbeat(workerID: "w1", jobID: 9, maskFingerprint: fingerprint))
    }

    static func logs(_ actions: [M.Action]) -> [String] {
        actions.compactMap { if case .log(let s) = $0 { s } else { nil } }
    }

    let ack = WireMessage.heartbeatAck(HeartbeatAck(leaseValid: true))

    func testABeatGoesOutAtOnceThenEveryPeriodOneAtATime() {
        var m = machine()
        XCTAssertEqual(m.handle(.tick(now: 100, fingerprint: nil)), [beat()])
        XCTAssertEqual(m.handle(.tick(now: 103, fingerprint: nil)), [], "one heartbeat outstanding at a time")
        XCTAssertEqual(m.handle(.replied(ack, now: 100.1)), [])
        XCTAssertEqual(m.handle(.tick(now: 101.9, fingerprint: nil)), [])
        XCTAssertEqual(m.handle(.tick(now: 102, fingerprint: 77)), [beat(77)])
    }

    func testAKnownPerplexityIsPassedOnOnce() {
        var m = machine()
        _ = m.handle(.tick(now: 100, fingerprint: 5))
        let known = WireMessage.heartbeatAck(HeartbeatAck(leaseValid: true, knownPerplexity: 12.5))
        XCTAssertEqual(m.handle(.replied(known, now: 100)), [.knownPerplexity(12.5)])
        _ = m.handle(.tick(now: 102, fingerprint: 5))
        XCTAssertEqual(m.handle(.replied(known, now: 102)), [])
    }

    func testALeaseThatIsNoLongerOursStopsTheEvaluationAndTheBeats() {
        var m = machine()
        _ = m.handle(.tick(now: 100, fingerprint: nil))
        let actions = m.handle(.replied(.heartbeatAck(HeartbeatAck(leaseValid: false)), now: 100))
        XCTAssertEqual(actions.last, .stopEvaluation("lease of job 9 lost"))
        XCTAssertTrue(Self.logs(actions).first?.contains("no longer ours") == true)
        XCTAssertTrue(m.stopped)
        XCTAssertEqual(m.handle(.tick(now: 200, fingerprint: nil)), [])
    }

    func testAnUnknownWorkerReplyMeansTheLeaseIsGone() {
        var m = machine()
        _ = m.handle(.tick(now: 100, fingerprint: nil))
        let refusal = WireMessage.refusal(Refusal(reason: .unknownWorker, detail: "worker w1 is not known"))
        let actions = m.handle(.replied(refusal, now: 100))
        XCTAssertEqual(actions.last, .stopEvaluation("coordinator does not know worker w1"))
        XCTAssertTrue(Self.logs(actions).first?.contains("does not know this worker (worker w1 is not known)") == true)
        XCTAssertEqual(m.handle(.tick(now: 200, fingerprint: nil)), [])
    }

    /// Each way of failing is logged once, with its reason, however many beats fail that way.
    func testEveryFailureKindIsLoggedOnceWithItsReason() {
        var m = machine(giveUpAfter: 100)
        let failures: [M.Input] = [
            .failed(.noSocket("nng_dial: Connection refused (6)"), now: 0),
            .failed(.sendFailed("nng_send: Timed out (5)"), now: 0),
            .failed(.noReply("no answer within the reply timeout"), now: 0),
            .replied(.refusal(Refusal(reason: .unauthenticated, detail: "bad MAC")), now: 0),
            .replied(.wait(Wait(retryMilliseconds: 1, reason: "")), now: 0),
            .failed(.badReply("envelope: bad magic at byte 0"), now: 0),
        ]
        var lines: [String] = []
        var now = 100.0
        for _ in 0..<5 {
            for failure in failures {
                XCTAssertEqual(m.handle(.tick(now: now, fingerprint: nil)), [beat()])
                let input: M.Input = switch failure {
                case .failed(let f, _): .failed(f, now: now)
                case .replied(let r, _): .replied(r, now: now)
                default: failure
                }
                lines += Self.logs(m.handle(input))
                now += 2
            }
        }
        XCTAssertEqual(lines.count, 4, "\(lines)")  // four kinds; the refusal is the first bad reply
        for reason in ["Connection refused", "nng_send: Timed out", "reply timeout", "bad MAC"] {
            XCTAssertEqual(lines.filter { $0.contains(reason) }.count, 1, "\(reason) in \(lines)")
        }
        XCTAssertEqual(m.consecutiveFailures, 30)
        // Answered again: one line summing up the outage, and the next failure is news again.
        let back = Self.logs(m.handle(.replied(ack, now: now)))
        XCTAssertEqual(back.count, 1)
        XCTAssertTrue(back[0].contains("after 30 failures") && back[0].contains("26 more failures not logged"), back[0])
        _ = m.handle(.tick(now: now + 2, fingerprint: nil))
        XCTAssertEqual(Self.logs(m.handle(.failed(.noReply("x"), now: now + 2))).count, 1)
    }

    func testARefusalOrAnUnreadableReplyIsNamed() {
        var m = machine()
        _ = m.handle(.tick(now: 100, fingerprint: nil))
        let refused = m.handle(.replied(.refusal(Refusal(reason: .unauthenticated, detail: "bad MAC")), now: 100))
        XCTAssertTrue(Self.logs(refused)[0].contains("bad reply (refused (unauthenticated): bad MAC)"), "\(refused)")
        XCTAssertTrue(refused.contains(.closeSocket))
        var other = machine()
        _ = other.handle(.tick(now: 100, fingerprint: nil))
        let wrong = other.handle(.replied(.ack, now: 100))
        XCTAssertTrue(Self.logs(wrong)[0].contains("ack is not an answer to a heartbeat"), "\(wrong)")
    }

    func testOnlySuspectSocketsAreClosed() {
        for (failure, closes) in [(M.Failure.noSocket("x"), false), (.sendFailed("x"), true), (.noReply("x"), false),
                                  (.badReply("x"), true)] {
            var m = machine()
            _ = m.handle(.tick(now: 100, fingerprint: nil))
            XCTAssertEqual(m.handle(.failed(failure, now: 100)).contains(.closeSocket), closes, "\(failure)")
        }
    }

    /// Silence is not evidence: after N failures the coordinator counts as gone, once, and beats go on.
    func testAfterNFailuresTheCoordinatorIsGoneButTheEvaluationGoesOn() {
        var m = machine(giveUpAfter: 3)
        var gone: [String] = []
        for k in 0..<6 {
            let now = 100 + 2 * Double(k)
            XCTAssertEqual(m.handle(.tick(now: now, fingerprint: nil)), [beat()], "beat \(k) not sent")
            let actions = m.handle(.failed(.noReply("no answer within the reply timeout"), now: now + 1))
            XCTAssertFalse(actions.contains { if case .stopEvaluation = $0 { true } else { false } })
            gone += Self.logs(actions).filter { $0.contains("coordinator unreachable") }
        }
        XCTAssertEqual(gone.count, 1)
        XCTAssertTrue(gone[0].contains("3 heartbeats failed in a row over 4.0 s"), gone[0])
        XCTAssertTrue(m.coordinatorGone)
        _ = m.handle(.tick(now: 200, fingerprint: nil))
        _ = m.handle(.replied(ack, now: 200))
        XCTAssertFalse(m.coordinatorGone)
    }

    func testAJobEndingDuringAnOutageSaysSoOnce() {
        var m = machine()
        _ = m.handle(.tick(now: 100, fingerprint: nil))
        _ = m.handle(.failed(.noSocket("nng_dial: Address invalid"), now: 100))
        let end = Self.logs(m.handle(.finished(now: 107)))
        XCTAssertEqual(end.count, 1)
        XCTAssertTrue(end[0].contains("1 in a row over 7.0 s, last: no socket (nng_dial: Address invalid)"), end[0])
        XCTAssertEqual(m.handle(.finished(now: 108)), [])
        var quiet = machine()
        XCTAssertEqual(quiet.handle(.finished(now: 101)), [], "nothing to say when heartbeats were fine")
    }
}
