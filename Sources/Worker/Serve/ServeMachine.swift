import Shared

/// The worker's protocol loop as a pure state machine: replies, evaluation outcomes and signals in; messages to
/// send, evaluations to run, sleeps, log lines and exit out. The NNG edge (`ServeCommand`) performs the actions;
/// tests drive this type directly.
///
/// The REQ socket alternates strictly, so exactly one message is outstanding at any time (`outstanding`); a
/// transport failure resends it, which the coordinator handles idempotently (same job again, duplicate results
/// ignored).
package struct ServeMachine {
    package enum State: Equatable {
        /// Hello sent; `pending` is a result still to deliver once welcomed (coordinator restarted without us).
        case introducing(pending: JobResult?)
        /// Job request (or result with wantsAnotherJob) sent.
        case asking
        case evaluating(Job)
        /// Result sent, answer awaited.
        case delivering(JobResult)
        /// Goodbye sent.
        case leaving
        case done(exitCode: Int32)
    }

    package enum Input: Equatable {
        case reply(WireMessage)
        /// The request or its reply was lost (timeout, closed pipe): resend.
        case transportFailed(String)
        case evaluated(JobResult)
        /// The evaluation stopped early (lease lost, or SIGTERM).
        case abandoned(jobID: UInt64)
        case terminate
    }

    package enum Action: Equatable {
        case send(WireMessage)
        case evaluate(Job, JobMethod)
        case sleep(milliseconds: UInt32)
        case log(String)
        case exit(Int32)
    }

    package let hello: WorkerHello
    package private(set) var state: State
    package private(set) var outstanding: WireMessage?
    package private(set) var terminating = false
    /// The coordinator's heartbeat period, from its welcome (5 s until then).
    package private(set) var heartbeatSeconds: UInt32 = 5
    /// Resends of `outstanding` since the coordinator last answered (the outage's length in attempts).
    package private(set) var unanswered = 0
    private var lastUnansweredWhy: String?
    package var limits = MetricLimits.standard

    package init(hello: WorkerHello) {
        self.hello = hello
        state = .introducing(pending: nil)
    }

    package var workerID: String { hello.workerID }

    package mutating func start() -> [Action] { [send(.hello(hello))] }

    package mutating func handle(_ input: Input) -> [Action] {
        switch (input, state) {
        case (_, .done):
            return []
        case (.terminate, _):
            return terminate()
        case (.transportFailed(let why), _):
            if state == .leaving { return finish(0, "coordinator unreachable while leaving (\(why))") }
            if terminating {
                // Told to stop and nobody answers: waiting longer would only make systemd or Slurm kill us. A result
                // not delivered is not lost: its lease lapses and the job runs elsewhere.
                var dropped = ""
                if case .delivering(let result) = state { dropped = "; job \(result.jobID)'s result is dropped" }
                return finish(0, "coordinator unreachable while terminating (\(why))\(dropped)")
            }
            guard let outstanding else { return [] }
            return unansweredLog(why, resending: outstanding) + [.sleep(milliseconds: 1_000), send(outstanding)]
        case (.evaluated(let result), .evaluating(let job)) where result.jobID == job.jobID:
            return deliver(result)
        case (.abandoned(let id), .evaluating(let job)) where id == job.jobID:
            if terminating { return leave(abandoning: id) }
            return [.log("stopped job \(id): its lease moved elsewhere"), ask()]
        case (.reply(let message), _):
            outstanding = nil
            let back: [Action] = unanswered > 1 ? [.log("the coordinator answers again after \(unanswered) attempts")] : []
            unanswered = 0; lastUnansweredWhy = nil
            return back + receive(message)
        default:
            return [.log("ignored \(input) in state \(state)")]
        }
    }

    private mutating func receive(_ message: WireMessage) -> [Action] {
        switch (message, state) {
        case (.welcome(let welcome), .introducing(let pending)):
            heartbeatSeconds = max(1, welcome.heartbeatSeconds)
            let greeting = Action.log("joined search \(welcome.searchID) (heartbeat every \(welcome.heartbeatSeconds) s)")
            if let pending { return [greeting] + deliver(pending) }
            return [greeting, terminating ? leaveAction() : ask()]
        case (.refusal(let refusal), _):
            return refused(refusal)
        case (.job(let job), .asking), (.job(let job), .delivering):
            if terminating { return leave(abandoning: job.jobID) }
            do {
                let method = try JobMethod(job, limits: limits)
                state = .evaluating(job)
                return [.evaluate(job, method)]
            } catch {
                // A bad or hostile expression is a failed result, never a crash.
                return [.log("job \(job.jobID): invalid metric: \(error)")] + deliver(JobResult(
                    jobID: job.jobID, workerID: workerID, status: .failed(reason: "invalid metric: \(error)"),
                    perplexity: .nan, maskFingerprint: 0, wantsAnotherJob: true))
            }
        case (.wait(let wait), .asking), (.wait(let wait), .delivering):
            if terminating { return leave(abandoning: nil) }
            state = .asking
            return [.sleep(milliseconds: min(wait.retryMilliseconds, 60_000)), send(.jobRequest(JobRequest(workerID: workerID)))]
        case (.ack, .delivering):
            return leave(abandoning: nil)
        case (.finished(let finished), _):
            terminating = true
            return [.log("search finished: \(finished.summary)")] + leave(abandoning: nil, reason: "search finished")
        case (_, .leaving):
            return finish(0, "left the search")
        default:
            return [.log("unexpected \(message.name) from the coordinator in state \(state)")]
        }
    }

    /// A coordinator that stays silent is logged once, again when the reason changes, and every 10th attempt.
    private mutating func unansweredLog(_ why: String, resending message: WireMessage) -> [Action] {
        unanswered += 1
        defer { lastUnansweredWhy = why }
        if unanswered == 1 || why != lastUnansweredWhy {
            return [.log("no answer from the coordinator (\(why)); resending \(message.name)")]
        }
        if unanswered % 10 == 0 {
            return [.log("still no answer from the coordinator after \(unanswered) attempts (\(why)); resending "
                + "\(message.name)")]
        }
        return []
    }

    private mutating func refused(_ refusal: Refusal) -> [Action] {
        switch refusal.reason {
        case .unknownWorker:
            // The coordinator restarted without knowing us: introduce ourselves again, keeping any result.
            var pending: JobResult?
            if case .delivering(let result) = state { pending = result }
            state = .introducing(pending: pending)
            return [.log("coordinator does not know this worker; saying hello again"), send(.hello(hello))]
        case .bundleMismatch, .unsupportedVersion, .unauthenticated:
            return finish(3, "refused by the coordinator (\(refusal.reason)): \(refusal.detail)")
        case .malformed:
            return finish(4, "the coordinator could not read our message: \(refusal.detail)")
        }
    }

    private mutating func terminate() -> [Action] {
        terminating = true
        switch state {
        case .introducing, .asking:
            // The outstanding reply will come; leave when it does.
            return [.log("terminating after the coordinator answers")]
        case .evaluating:
            return [.log("terminating: stopping the evaluation")]  // the edge stops it → .abandoned
        case .delivering:
            return [.log("terminating after delivering the result")]
        case .leaving, .done:
            return []
        }
    }

    private mutating func deliver(_ result: JobResult) -> [Action] {
        var result = result
        result.wantsAnotherJob = !terminating
        state = .delivering(result)
        return [send(.result(result))]
    }

    private mutating func ask() -> Action {
        state = .asking
        return send(.jobRequest(JobRequest(workerID: workerID)))
    }

    private mutating func leaveAction() -> Action {
        state = .leaving
        return send(.goodbye(Goodbye(workerID: workerID, reason: "terminated")))
    }

    private mutating func leave(abandoning job: UInt64?, reason: String? = nil) -> [Action] {
        state = .leaving
        let reason = reason ?? (terminating ? "terminated" : "done")
        return [send(.goodbye(Goodbye(workerID: workerID, reason: reason, abandonedJob: job)))]
    }

    private mutating func finish(_ code: Int32, _ why: String) -> [Action] {
        state = .done(exitCode: code)
        return [.log(why), .exit(code)]
    }

    private mutating func send(_ message: WireMessage) -> Action {
        outstanding = message
        return .send(message)
    }
}
