import Shared

/// Lease keeping for one running job, as a pure state machine beside `ServeMachine`: the clock and the outcome of
/// each heartbeat in; heartbeats to send, stop requests, known perplexities and log lines out. `HeartbeatThread`
/// (the edge) performs the actions on its own REQ socket; tests drive this type with a fake clock.
///
/// Decisions:
/// - A heartbeat goes out at once, then every `intervalSeconds` (the coordinator's period from its welcome),
///   one at a time; a failed one is retried at the next period, never faster.
/// - The evaluation is stopped only on evidence: a reply saying the lease is not ours (`leaseValid == false`: the
///   job was given to another worker or is done) or that the coordinator does not know this worker (it forgot us,
///   so it re-queued our job). Silence is not evidence: after `giveUpAfter` failures in a row the coordinator
///   counts as gone and our lease as probably lapsed, but the evaluation goes on and heartbeats keep trying, since
///   a coordinator that comes back (`--resume`) reclaims the job for a worker still computing it, and a late result
///   is accepted once.
/// - Every failure (no socket, send error, timeout, a refusal, a reply that is not a heartbeat answer) is logged
///   once per outage and kind, with its reason; repeats are counted and summed up when heartbeats are answered
///   again, or when the job ends.
struct HeartbeatMachine {
    /// Why a heartbeat got no usable answer.
    enum Failure: Equatable {
        /// The REQ socket could not be opened (or dialled).
        case noSocket(String)
        case sendFailed(String)
        /// No reply within the reply timeout (or the receive failed).
        case noReply(String)
        /// The reply did not decode, or failed authentication.
        case badReply(String)

        /// One log line per kind and outage.
        var kind: String {
            switch self {
            case .noSocket: "no socket"
            case .sendFailed: "send failed"
            case .noReply: "no reply"
            case .badReply: "bad reply"
            }
        }

        var detail: String {
            switch self {
            case .noSocket(let s), .sendFailed(let s), .noReply(let s), .badReply(let s): s
            }
        }
    }

    enum Input: Equatable {
        /// The clock, and the masks' fingerprint once the evaluation knows it.
        case tick(now: Double, fingerprint: UInt64?)
        case replied(WireMessage, now: Double)
        case failed(Failure, now: Double)
        /// The evaluation ended (result, failure or stop): no more heartbeats.
        case finished(now: Double)
    }

    enum Action: Equatable {
        case send(Heartbeat)
        /// The lease is gone: the evaluation should stop (its result would be ignored).
        case stopEvaluation(String)
        /// The coordinator already has a perplexity for these masks.
        case knownPerplexity(Double)
        /// The socket is suspect (send error, unreadable reply): close it; the next send opens a new one.
        case closeSocket
        case log(String)
    }

    let workerID: String
    let jobID: UInt64
    let intervalSeconds: Double
    /// Failures in a row after which the coordinator counts as gone (logged once).
    let giveUpAfter: Int
    private(set) var nextBeatAt: Double
    /// A heartbeat sent and not yet answered (the edge is synchronous, but the machine does not rely on it).
    private(set) var awaiting = false
    /// The lease is known to be lost or the job over: nothing more to send.
    private(set) var stopped = false
    private(set) var consecutiveFailures = 0
    private(set) var coordinatorGone = false
    private var outageStart: Double?
    private var loggedKinds: Set<String> = []
    private var unlogged = 0
    private var lastFailure: Failure?
    private var knownSent: Double?

    init(workerID: String, jobID: UInt64, intervalSeconds: Double, now: Double, giveUpAfter: Int = 3) {
        self.workerID = workerID; self.jobID = jobID
        self.intervalSeconds = max(0.5, intervalSeconds)
        self.giveUpAfter = max(1, giveUpAfter)
        nextBeatAt = now
    }

    mutating func handle(_ input: Input) -> [Action] {
        if stopped { return [] }
        switch input {
        case .tick(let now, let fingerprint):
            guard !awaiting, now >= nextBeatAt else { return [] }
            awaiting = true
            nextBeatAt = now + intervalSeconds
            return [.send(Heartbeat(workerID: workerID, jobID: jobID, maskFingerprint: fingerprint))]
        case .replied(let message, let now):
            awaiting = false
            return receive(message, now: now)
        case .failed(let failure, let now):
            awaiting = false
            return fail(failure, now: now)
        case .finished(let now):
            stopped = true
            guard let lastFailure, consecutiveFailures > 0 else { return [] }
            return [.log("job \(jobID) ended with heartbeats failing: \(consecutiveFailures) in a row over "
                + "\(Self.seconds(now - (outageStart ?? now))), last: \(lastFailure.kind) (\(lastFailure.detail))")]
        }
    }

    private mutating func receive(_ message: WireMessage, now: Double) -> [Action] {
        switch message {
        case .heartbeatAck(let ack):
            var out = recovered(now: now)
            guard ack.leaseValid else {
                stopped = true
                return out + [.log("job \(jobID): the coordinator says its lease is no longer ours (given to another "
                    + "worker, or already done); stopping the evaluation"),
                    .stopEvaluation("lease of job \(jobID) lost")]
            }
            if let known = ack.knownPerplexity, known != knownSent {
                knownSent = known
                out.append(.knownPerplexity(known))
            }
            return out
        case .refusal(let refusal) where refusal.reason == .unknownWorker:
            // It forgot us (restarted without its journal, or timed us out) and re-queued whatever we held.
            stopped = true
            return recovered(now: now) + [
                .log("job \(jobID): the coordinator does not know this worker (\(refusal.detail)), so the job's "
                    + "lease is gone; stopping the evaluation"),
                .stopEvaluation("coordinator does not know worker \(workerID)")]
        case .refusal(let refusal):
            return fail(.badReply("refused (\(refusal.reason)): \(refusal.detail)"), now: now)
        default:
            return fail(.badReply("\(message.name) is not an answer to a heartbeat"), now: now)
        }
    }

    private mutating func fail(_ failure: Failure, now: Double) -> [Action] {
        if consecutiveFailures == 0 { outageStart = now }
        consecutiveFailures += 1
        lastFailure = failure
        var out: [Action] = []
        switch failure {
        case .sendFailed, .badReply: out.append(.closeSocket)
        case .noSocket, .noReply: break
        }
        if loggedKinds.insert(failure.kind).inserted {
            out.append(.log("heartbeat for job \(jobID) failed: \(failure.kind) (\(failure.detail)); retrying every "
                + "\(Self.seconds(intervalSeconds))"))
        } else {
            unlogged += 1
        }
        if consecutiveFailures == giveUpAfter {
            coordinatorGone = true
            out.append(.log("coordinator unreachable: \(giveUpAfter) heartbeats failed in a row over "
                + "\(Self.seconds(now - (outageStart ?? now))); job \(jobID)'s lease has probably lapsed. Evaluating on: "
                + "a coordinator that comes back reclaims the job, and a late result is accepted once"))
        }
        return out
    }

    /// A heartbeat was answered: the outage, if any, is over.
    private mutating func recovered(now: Double) -> [Action] {
        defer {
            consecutiveFailures = 0; coordinatorGone = false; outageStart = nil; loggedKinds = []; unlogged = 0
            lastFailure = nil
        }
        guard consecutiveFailures > 0 else { return [] }
        let more = unlogged > 0 ? " (\(unlogged) more failures not logged)" : ""
        return [.log("heartbeats for job \(jobID) answered again after \(consecutiveFailures) failures over "
            + "\(Self.seconds(now - (outageStart ?? now)))\(more)")]
    }

    static func seconds(_ s: Double) -> String { s < 10 ? "\((s * 10).rounded() / 10) s" : "\(Int(s.rounded())) s" }
}
