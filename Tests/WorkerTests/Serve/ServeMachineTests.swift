import Foundation
import TestSupport
import XCTest
@testable import Shared
@testable import Serve

/// The worker loop in memory: replies in, actions out.
final class ServeMachineTests: XCTestCase {
    let hello = WorkerHello(workerID: "w1", host: "h", cores: 2, memoryBytes: 1, bundleIdentity: "B", speed: 1)
    let request = FitnessRequest(sparsity: .unstructured(ratio: 0.5), windows: .cheap)

    func job(_ id: UInt64, _ text: String = "mul(W, sqrt(X))") -> Job {
        Job(jobID: id, metricText: text, request: request, leaseSeconds: 60)
    }

    func welcome() -> WireMessage { .welcome(Welcome(searchID: "s", heartbeatSeconds: 5)) }

    func testHelloThenJobThenResultCarriesTheNextRequest() throws {
        var m = ServeMachine(hello: hello)
        XCTAssertEqual(m.start(), [.send(.hello(hello))])
        XCTAssertEqual(m.handle(.reply(welcome())).last, .send(.jobRequest(JobRequest(workerID: "w1"))))
        let actions = m.handle(.reply(.job(job(1))))
        XCTAssertEqual(actions, [.evaluate(job(1), .metric(try MetricExpression(parsing: "mul(W, sqrt(X))")))])
        let result = JobResult(jobID: 1, workerID: "w1", status: .ok, perplexity: 12, maskFingerprint: 5)
        XCTAssertEqual(m.handle(.evaluated(result)), [.send(.result(result))])
        XCTAssertEqual(m.handle(.reply(.wait(Wait(retryMilliseconds: 100, reason: "")))),
                       [.sleep(milliseconds: 100), .send(.jobRequest(JobRequest(workerID: "w1")))])
    }

    func testHeartbeatsFollowTheCoordinatorsPeriod() {
        var m = ServeMachine(hello: hello)
        _ = m.start()
        XCTAssertEqual(m.heartbeatSeconds, 5)  // until welcomed
        _ = m.handle(.reply(.welcome(Welcome(searchID: "s", heartbeatSeconds: 1))))
        XCTAssertEqual(m.heartbeatSeconds, 1)
    }

    func testAnInvalidMetricBecomesAFailedResultNotACrash() {
        var m = ServeMachine(hello: hello)
        _ = m.start(); _ = m.handle(.reply(welcome()))
        let hostile = String(repeating: "abs(", count: 500) + "W" + String(repeating: ")", count: 500)
        for text in ["mul(W", "frob(W)", hostile] {
            let actions = m.handle(.reply(.job(job(7, text))))
            guard case .send(.result(let result)) = actions.last, case .failed(let reason) = result.status else {
                return XCTFail("\(actions)")
            }
            XCTAssertEqual(result.jobID, 7)
            XCTAssertTrue(reason.hasPrefix("invalid metric"), reason)
        }
    }

    func testBundleMismatchExitsWithTheCoordinatorsReason() {
        var m = ServeMachine(hello: hello)
        _ = m.start()
        let actions = m.handle(.reply(.refusal(Refusal(reason: .bundleMismatch, detail: "worker has B, search uses A"))))
        XCTAssertEqual(actions.last, .exit(3))
        guard case .log(let line) = actions.first else { return XCTFail() }
        XCTAssertTrue(line.contains("worker has B, search uses A"))
    }

    func testAResultSurvivesACoordinatorThatForgotUs() {
        var m = ServeMachine(hello: hello)
        _ = m.start(); _ = m.handle(.reply(welcome())); _ = m.handle(.reply(.job(job(3))))
        let result = JobResult(jobID: 3, workerID: "w1", status: .ok, perplexity: 9, maskFingerprint: 1)
        _ = m.handle(.evaluated(result))
        XCTAssertEqual(m.handle(.reply(.refusal(Refusal(reason: .unknownWorker, detail: "")))).last, .send(.hello(hello)))
        XCTAssertEqual(m.handle(.reply(welcome())).last, .send(.result(result)))
    }

    func testLostRepliesAreResent() {
        var m = ServeMachine(hello: hello)
        _ = m.start(); _ = m.handle(.reply(welcome()))
        let actions = m.handle(.transportFailed("timed out"))
        XCTAssertEqual(actions.last, .send(.jobRequest(JobRequest(workerID: "w1"))))
    }

    /// A silent coordinator: every attempt is resent, but logged once (again on a new reason, every 10th), and its
    /// return is said once.
    func testASilentCoordinatorIsLoggedOncePerReasonNotPerAttempt() {
        var m = ServeMachine(hello: hello)
        _ = m.start(); _ = m.handle(.reply(welcome()))
        var lines: [String] = []
        for k in 1...25 {
            let actions = m.handle(.transportFailed(k < 15 ? "timed out" : "connection refused"))
            XCTAssertEqual(actions.suffix(2), [.sleep(milliseconds: 1_000), .send(.jobRequest(JobRequest(workerID: "w1")))])
            lines += actions.compactMap { if case .log(let s) = $0 { s } else { nil } }
        }
        XCTAssertEqual(lines, [
            "no answer from the coordinator (timed out); resending jobRequest",
            "still no answer from the coordinator after 10 attempts (timed out); resending jobRequest",
            "no answer from the coordinator (connection refused); resending jobRequest",
            "still no answer from the coordinator after 20 attempts (connection refused); resending jobRequest",
        ])
        XCTAssertEqual(m.unanswered, 25)
        let back = m.handle(.reply(.wait(Wait(retryMilliseconds: 100, reason: ""))))
        XCTAssertEqual(back.first, .log("the coordinator answers again after 25 attempts"))
        XCTAssertEqual(m.unanswered, 0)
    }

    func testSIGTERMWithNoCoordinatorLeavesAfterOneTimeout() {
        var m = ServeMachine(hello: hello)
        _ = m.start(); _ = m.handle(.reply(welcome())); _ = m.handle(.reply(.job(job(4))))
        let result = JobResult(jobID: 4, workerID: "w1", status: .ok, perplexity: 12, maskFingerprint: 5)
        _ = m.handle(.evaluated(result))
        _ = m.handle(.terminate)
        let actions = m.handle(.transportFailed("timed out"))
        XCTAssertEqual(actions.last, .exit(0))
        XCTAssertTrue(actions.contains(.log("coordinator unreachable while terminating (timed out); job 4's result is dropped")))
    }

    func testSIGTERMWhileEvaluatingSaysGoodbyeAbandoningTheJob() {
        var m = ServeMachine(hello: hello)
        _ = m.start(); _ = m.handle(.reply(welcome())); _ = m.handle(.reply(.job(job(4))))
        _ = m.handle(.terminate)
        XCTAssertEqual(m.handle(.abandoned(jobID: 4)),
                       [.send(.goodbye(Goodbye(workerID: "w1", reason: "terminated", abandonedJob: 4)))])
        XCTAssertEqual(m.handle(.reply(.ack)).last, .exit(0))
    }

    func testSIGTERMWhileIdleLeavesAfterTheAnswer() {
        var m = ServeMachine(hello: hello)
        _ = m.start(); _ = m.handle(.reply(welcome()))
        _ = m.handle(.terminate)
        XCTAssertEqual(m.handle(.reply(.job(job(5)))),
                       [.send(.goodbye(Goodbye(workerID: "w1", reason: "terminated", abandonedJob: 5)))])
        XCTAssertEqual(m.handle(.reply(.ack)).last, .exit(0))
    }

    func testFinishedSearchEndsTheLoop() {
        var m = ServeMachine(hello: hello)
        _ = m.start(); _ = m.handle(.reply(welcome()))
        XCTAssertEqual(m.handle(.reply(.finished(Finished(summary: "done")))).last,
                       .send(.goodbye(Goodbye(workerID: "w1", reason: "search finished"))))
        XCTAssertEqual(m.handle(.reply(.ack)).last, .exit(0))
    }

    func testServeRefusesAMissingBundleClearly() throws {
        let run = try BuiltBinary.run("prunerzero-worker", [
            "serve", "--connect", "tcp://127.0.0.1:1", "--bundle", "some-bundle"])
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("prunerzero-worker serve: ") && run.stderr.contains("some-bundle/manifest.json: missing"),
                      run.stderr)
    }
}
