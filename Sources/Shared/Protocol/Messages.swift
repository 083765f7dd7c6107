/// The protocol's messages, one struct each, with their body encodings side by side. The worker speaks first
/// (REQ), the coordinator answers (REP):
///
///     worker                          coordinator
///     hello                      →    welcome | refusal
///     jobRequest | result        →    job | wait | finished | refusal
///     heartbeat (2nd socket)     →    heartbeatAck | refusal
///     goodbye                    →    ack
///     statusQuery (any client)   →    status
///
/// Adding a message is one struct here, one case and one row in `WireMessage`, and one round-trip test.

/// A worker introduces itself; the coordinator refuses it unless `bundleIdentity` matches the search's.
package struct WorkerHello: Sendable, Hashable {
    package var workerID: String
    package var host: String
    package var cores: UInt32
    package var memoryBytes: UInt64
    /// Names the model bundle (files and their hashes) the worker loaded; every fitness is relative to it.
    package var bundleIdentity: String
    /// Measured speed in the worker's own units (relative; used for the log and ETA only).
    package var speed: Double
    /// How far apart two correct workers' perplexities for the same masks may be, as |Δ ln perplexity|, computed
    /// by the worker from the bundle's model and window length (README, "Determinism"); the coordinator treats
    /// fitnesses within it as one result. 0: exact comparisons. Since protocol version 2.
    package var fitnessBound: Double

    package init(workerID: String, host: String, cores: UInt32, memoryBytes: UInt64, bundleIdentity: String,
                speed: Double, fitnessBound: Double = 0) {
        self.workerID = workerID; self.host = host; self.cores = cores; self.memoryBytes = memoryBytes
        self.bundleIdentity = bundleIdentity; self.speed = speed; self.fitnessBound = fitnessBound
    }

    func encode(into w: inout WireWriter) {
        w.string(workerID, limit: WireLimits.identifier); w.string(host, limit: WireLimits.host)
        w.u32(cores); w.u64(memoryBytes); w.string(bundleIdentity, limit: WireLimits.bundleIdentity); w.f64(speed)
        w.f64(fitnessBound)
    }

    init(from r: inout WireReader) throws(ProtocolError) {
        workerID = try r.string("worker id", limit: WireLimits.identifier)
        host = try r.string("host", limit: WireLimits.host)
        cores = try r.u32("cores"); memoryBytes = try r.u64("memory")
        bundleIdentity = try r.string("bundle identity", limit: WireLimits.bundleIdentity)
        speed = try r.f64("speed")
        let boundAt = r.offset
        fitnessBound = try r.f64("fitness bound")
        if fitnessBound < 0 {
            throw ProtocolError(offset: boundAt,
                                .badValue(field: "fitness bound", detail: "\(fitnessBound) is negative"))
        }
    }
}

/// The coordinator accepts a worker.
package struct Welcome: Sendable, Hashable {
    package var searchID: String
    /// How often a busy worker should send heartbeats (a lease is several of these).
    package var heartbeatSeconds: UInt32

    package init(searchID: String, heartbeatSeconds: UInt32) {
        self.searchID = searchID; self.heartbeatSeconds = heartbeatSeconds
    }

    func encode(into w: inout WireWriter) { w.string(searchID, limit: WireLimits.identifier); w.u32(heartbeatSeconds) }

    init(from r: inout WireReader) throws(ProtocolError) {
        searchID = try r.string("search id", limit: WireLimits.identifier)
        heartbeatSeconds = try r.u32("heartbeat seconds")
    }
}

/// An idle worker asks for work.
package struct JobRequest: Sendable, Hashable {
    package var workerID: String
    package init(workerID: String) { self.workerID = workerID }
    func encode(into w: inout WireWriter) { w.string(workerID, limit: WireLimits.identifier) }
    init(from r: inout WireReader) throws(ProtocolError) {
        workerID = try r.string("worker id", limit: WireLimits.identifier)
    }
}

/// One evaluation: prune with `metricText` as `request` says, report perplexity before the lease lapses.
///
/// The metric travels as text and is parsed (with `MetricLimits`) by the worker, not by the decoder: a bad formula
/// must become a failed result for this job id, which the worker can only send if the job itself decoded.
package struct Job: Sendable, Hashable {
    package var jobID: UInt64
    package var metricText: String
    package var request: FitnessRequest
    package var leaseSeconds: UInt32
    /// Early termination by depth (since protocol version 3), for a cheap screen of a metric only. Empty: no depth
    /// probe: the worker builds no dense states, measures no divergence and runs every block (the result's
    /// `divergence` is empty). Non-empty: the worker measures the pruned cheap windows' divergence from the dense
    /// model after every block, and stops after block k (0-based) when it exceeds `abortThresholds[k]`, answering
    /// `aborted`; +inf, or no entry (a vector shorter than the model's blocks, as the coordinator sends before it
    /// knows their number), means never at k. Each entry is ≥ 0 and not NaN (refused at its byte); the worker fails
    /// the job when there are more entries than blocks, or thresholds on any other job (full, validation or test
    /// windows, or a reference method).
    package var abortThresholds: [Double]
    /// The perplexity this metric's masks already scored on the cheap windows (since protocol version 4), for a
    /// full-window job of a metric only: the cheap windows are the first of the full ones, so the worker evaluates
    /// only the rest and returns the perplexity of all of them (`ScreenedFullEvaluation`). nil: evaluate every
    /// window. Finite and ≥ 1 (a perplexity is the exponential of a mean of non-negative losses), refused at its
    /// byte otherwise; the worker fails such a value on any other job.
    package var screenPerplexity: Double?
    /// A race against a population member (since protocol version 7), for a full-window job with a screen
    /// perplexity only: its remaining windows run in stages and it may stop early (`Race`, `JobStatus.raced`).
    /// nil: every window runs. The worker fails a race on any other job, or one whose window counts are not its
    /// bundle's.
    package var race: Race?

    package init(jobID: UInt64, metricText: String, request: FitnessRequest, leaseSeconds: UInt32,
                 abortThresholds: [Double] = [], screenPerplexity: Double? = nil, race: Race? = nil) {
        self.jobID = jobID; self.metricText = metricText; self.request = request; self.leaseSeconds = leaseSeconds
        self.abortThresholds = abortThresholds
        self.screenPerplexity = screenPerplexity
        self.race = race
    }

    /// The metric, validated against `limits`.
    package func metric(limits: MetricLimits = .standard) throws(MetricError) -> MetricExpression {
        try MetricExpression(parsing: metricText, limits: limits)
    }

    func encode(into w: inout WireWriter) {
        w.u64(jobID); w.string(metricText, limit: WireLimits.metricText); request.encode(into: &w); w.u32(leaseSeconds)
        w.blockValues(abortThresholds)
        w.bool(screenPerplexity != nil); w.f64(screenPerplexity ?? 0)
        w.bool(race != nil)
        race?.encode(into: &w)
    }

    init(from r: inout WireReader) throws(ProtocolError) {
        jobID = try r.u64("job id")
        metricText = try r.string("metric", limit: WireLimits.metricText)
        request = try FitnessRequest(from: &r)
        leaseSeconds = try r.u32("lease seconds")
        abortThresholds = try r.blockValues("abort threshold")
        let at = r.offset + 1
        screenPerplexity = try r.optionalF64("has screen perplexity", "screen perplexity")
        if let screen = screenPerplexity, !(screen >= 1) {
            throw ProtocolError(offset: at, .badValue(field: "screen perplexity", detail: "\(screen) is below 1"))
        }
        let raceAt = r.offset
        race = try r.bool("has race") ? try Race(from: &r) : nil
        if race != nil && screenPerplexity == nil {
            throw ProtocolError(offset: raceAt, .badValue(field: "race", detail: "a race needs the screen's perplexity"))
        }
    }
}

/// Nothing to do now; ask again after `retryMilliseconds`.
package struct Wait: Sendable, Hashable {
    package var retryMilliseconds: UInt32
    package var reason: String
    package init(retryMilliseconds: UInt32, reason: String) {
        self.retryMilliseconds = retryMilliseconds; self.reason = reason
    }
    func encode(into w: inout WireWriter) { w.u32(retryMilliseconds); w.prose(reason, limit: WireLimits.reason) }
    init(from r: inout WireReader) throws(ProtocolError) {
        retryMilliseconds = try r.u32("retry milliseconds"); reason = try r.string("reason", limit: WireLimits.reason)
    }
}

/// Time spent in one stage of an evaluation (e.g. "calibrate", "prune", "perplexity").
package struct StageTime: Sendable, Hashable, Codable {
    package var name: String
    package var seconds: Double
    package init(name: String, seconds: Double) { self.name = name; self.seconds = seconds }
}

/// How an evaluation ended.
package enum JobStatus: Sendable, Hashable {
    case ok
    /// The metric could not be evaluated (bad expression, NaN everywhere, pre-flight refusal, …): its fitness is
    /// "worst", and retrying elsewhere would fail the same way.
    case failed(reason: String)
    /// Stopped early by depth (since protocol version 3): after `blocks` blocks the divergence exceeded the job's
    /// threshold, so the metric cannot reach the part of the population that would keep it. No perplexity.
    case aborted(blocks: Int)
    /// Stopped by its race after `windows` of the full windows (since protocol version 7; `Race`): worse than its
    /// rival beyond doubt. The perplexity is the race's estimate over all full windows.
    case raced(windows: Int)

    /// Whether the result's perplexity is a value to rank (measured, or a race's estimate).
    package var carriesPerplexity: Bool {
        switch self {
        case .ok, .raced: true
        case .failed, .aborted: false
        }
    }
}

/// The outcome of a job. `wantsAnotherJob` lets the reply carry the next job (one round trip per result).
package struct JobResult: Sendable, Hashable {
    package var jobID: UInt64
    package var workerID: String
    package var status: JobStatus
    /// NaN when failed.
    package var perplexity: Double
    /// Fingerprint of all layers' masks together: equal masks, equal fingerprints.
    package var maskFingerprint: UInt64
    package var layerSparsity: [Double]
    package var stageTimes: [StageTime]
    package var wantsAnotherJob: Bool
    /// The cheap windows' divergence from the dense model after each block evaluated (since protocol version 3;
    /// empty when not measured): what the coordinator learns its depth-abort rule from.
    package var divergence: [Double]
    /// The loss (mean NLL per token) on each window this job evaluated, in window order (since protocol version 7;
    /// empty when not measured): a screen's, a full evaluation's (only the windows after the screen, with screen
    /// reuse), or a raced one's windows so far. What races are run against.
    package var windowLoss: [Double]

    package init(jobID: UInt64, workerID: String, status: JobStatus, perplexity: Double, maskFingerprint: UInt64,
                layerSparsity: [Double] = [], stageTimes: [StageTime] = [], wantsAnotherJob: Bool = true,
                divergence: [Double] = [], windowLoss: [Double] = []) {
        self.jobID = jobID; self.workerID = workerID; self.status = status; self.perplexity = perplexity
        self.maskFingerprint = maskFingerprint; self.layerSparsity = layerSparsity; self.stageTimes = stageTimes
        self.wantsAnotherJob = wantsAnotherJob; self.divergence = divergence; self.windowLoss = windowLoss
    }

    func encode(into w: inout WireWriter) {
        w.u64(jobID); w.string(workerID, limit: WireLimits.identifier)
        switch status {
        case .ok: w.u8(0)
        case .failed(let reason): w.u8(1); w.prose(reason, limit: WireLimits.reason)
        case .aborted(let blocks): w.u8(2); w.u32(UInt32(clamping: blocks))
        case .raced(let windows): w.u8(3); w.u32(UInt32(clamping: windows))
        }
        w.f64(perplexity); w.u64(maskFingerprint)
        let layers = layerSparsity.prefix(WireLimits.layers)
        w.count(layers.count); for s in layers { w.f64(s) }
        let stages = stageTimes.prefix(WireLimits.stages)
        w.count(stages.count)
        for s in stages { w.string(s.name, limit: WireLimits.stageName); w.f64(s.seconds) }
        w.bool(wantsAnotherJob)
        w.blockValues(divergence)
        w.windowLosses(windowLoss)
    }

    init(from r: inout WireReader) throws(ProtocolError) {
        jobID = try r.u64("job id")
        workerID = try r.string("worker id", limit: WireLimits.identifier)
        let at = r.offset
        switch try r.u8("status") {
        case 0: status = .ok
        case 1: status = .failed(reason: try r.string("failure reason", limit: WireLimits.reason))
        case 2: status = .aborted(blocks: try r.count("aborted blocks", in: 1...WireLimits.layers))
        case 3: status = .raced(windows: try r.count("raced windows", in: 1...WireLimits.windows))
        case let v: throw ProtocolError(offset: at, .badValue(field: "status", detail: "unknown tag \(v)"))
        }
        let pAt = r.offset
        perplexity = try r.f64("perplexity", finite: false)
        // A successful evaluation (or a race's estimate) has a perplexity ≥ 1; anything else is a worker bug we
        // must not rank.
        if status.carriesPerplexity && !(perplexity >= 1 && perplexity.isFinite) {
            throw ProtocolError(offset: pAt, .badValue(field: "perplexity", detail: "\(perplexity) for an \(status) result"))
        }
        maskFingerprint = try r.u64("mask fingerprint")
        let layers = try r.count("layer sparsities", limit: WireLimits.layers)
        var sparsities: [Double] = []
        for _ in 0..<layers { sparsities.append(try r.f64("layer sparsity")) }
        layerSparsity = sparsities
        let stages = try r.count("stage times", limit: WireLimits.stages)
        var times: [StageTime] = []
        for _ in 0..<stages {
            let name = try r.string("stage name", limit: WireLimits.stageName)
            times.append(StageTime(name: name, seconds: try r.f64("stage seconds")))
        }
        stageTimes = times
        wantsAnotherJob = try r.bool("wants another job")
        let divergenceAt = r.offset
        divergence = try r.blockValues("divergence")
        if case .aborted(let blocks) = status, divergence.count != blocks {
            throw ProtocolError(offset: divergenceAt, .badValue(
                field: "divergence", detail: "\(divergence.count) values for a job aborted after \(blocks) blocks"))
        }
        windowLoss = try r.windowLosses("window loss")
    }
}

/// A busy worker is alive and still working on `jobID`; once the masks are known it also sends their fingerprint,
/// so the coordinator can answer with a perplexity it already has for the same masks.
package struct Heartbeat: Sendable, Hashable {
    package var workerID: String
    package var jobID: UInt64
    package var maskFingerprint: UInt64?

    package init(workerID: String, jobID: UInt64, maskFingerprint: UInt64? = nil) {
        self.workerID = workerID; self.jobID = jobID; self.maskFingerprint = maskFingerprint
    }

    func encode(into w: inout WireWriter) {
        w.string(workerID, limit: WireLimits.identifier); w.u64(jobID)
        w.bool(maskFingerprint != nil); w.u64(maskFingerprint ?? 0)
    }

    init(from r: inout WireReader) throws(ProtocolError) {
        workerID = try r.string("worker id", limit: WireLimits.identifier)
        jobID = try r.u64("job id")
        maskFingerprint = try r.optionalU64("has fingerprint", "mask fingerprint")
    }
}

/// The answer to a heartbeat: whether the lease still holds (false: the job was given away or is done — stop),
/// and a perplexity already known for the reported masks, if any (the worker may return it without evaluating).
package struct HeartbeatAck: Sendable, Hashable {
    package var leaseValid: Bool
    package var knownPerplexity: Double?

    package init(leaseValid: Bool, knownPerplexity: Double? = nil) {
        self.leaseValid = leaseValid; self.knownPerplexity = knownPerplexity
    }

    func encode(into w: inout WireWriter) {
        w.bool(leaseValid); w.bool(knownPerplexity != nil); w.f64(knownPerplexity ?? 0)
    }

    init(from r: inout WireReader) throws(ProtocolError) {
        leaseValid = try r.bool("lease valid")
        knownPerplexity = try r.optionalF64("has perplexity", "known perplexity")
    }
}

/// A snapshot of the search for `prunerzero-coordinator status` and monitoring.
package struct StatusAnswer: Sendable, Hashable {
    package var searchID: String
    package var phase: String
    package var evaluationsDone: UInt64
    package var budget: UInt64
    package var bestPerplexity: Double?
    package var bestFormula: String
    package var workersBusy: UInt32
    package var workersIdle: UInt32
    package var jobsQueued: UInt32

    package init(searchID: String, phase: String, evaluationsDone: UInt64, budget: UInt64, bestPerplexity: Double?,
                bestFormula: String, workersBusy: UInt32, workersIdle: UInt32, jobsQueued: UInt32) {
        self.searchID = searchID; self.phase = phase; self.evaluationsDone = evaluationsDone; self.budget = budget
        self.bestPerplexity = bestPerplexity; self.bestFormula = bestFormula; self.workersBusy = workersBusy
        self.workersIdle = workersIdle; self.jobsQueued = jobsQueued
    }

    func encode(into w: inout WireWriter) {
        w.string(searchID, limit: WireLimits.identifier); w.string(phase, limit: WireLimits.identifier)
        w.u64(evaluationsDone); w.u64(budget)
        w.bool(bestPerplexity != nil); w.f64(bestPerplexity ?? 0)
        w.string(bestFormula, limit: WireLimits.metricText)
        w.u32(workersBusy); w.u32(workersIdle); w.u32(jobsQueued)
    }

    init(from r: inout WireReader) throws(ProtocolError) {
        searchID = try r.string("search id", limit: WireLimits.identifier)
        phase = try r.string("phase", limit: WireLimits.identifier)
        evaluationsDone = try r.u64("evaluations"); budget = try r.u64("budget")
        bestPerplexity = try r.optionalF64("has best", "best perplexity")
        bestFormula = try r.string("best formula", limit: WireLimits.metricText)
        workersBusy = try r.u32("workers busy"); workersIdle = try r.u32("workers idle")
        jobsQueued = try r.u32("jobs queued")
    }
}

/// Why the coordinator will not serve a request. Both sides log `detail` verbatim.
package struct Refusal: Sendable, Hashable {
    package enum Reason: UInt8, Sendable, Hashable, CaseIterable {
        /// The worker loaded a different model bundle: its perplexities would not be comparable.
        case bundleMismatch = 1
        /// The coordinator does not know this worker (e.g. it restarted without its journal): say hello again.
        case unknownWorker = 2
        case unsupportedVersion = 3
        /// The request did not decode; `detail` has the ProtocolError.
        case malformed = 4
        /// A bad or missing MAC, a replay, or a clock beyond the skew limit (`HMACAuthenticator`).
        case unauthenticated = 5
    }

    package var reason: Reason
    package var detail: String

    package init(reason: Reason, detail: String) { self.reason = reason; self.detail = detail }

    func encode(into w: inout WireWriter) { w.u8(reason.rawValue); w.prose(detail, limit: WireLimits.reason) }

    init(from r: inout WireReader) throws(ProtocolError) {
        let at = r.offset
        guard let reason = Reason(rawValue: try r.u8("refusal reason")) else {
            throw ProtocolError(offset: at, .badValue(field: "refusal reason", detail: "unknown tag"))
        }
        self.reason = reason
        detail = try r.string("detail", limit: WireLimits.reason)
    }
}

/// A worker leaves (SIGTERM, fatal error). A job it abandons is re-queued at once instead of waiting for its lease.
package struct Goodbye: Sendable, Hashable {
    package var workerID: String
    package var reason: String
    package var abandonedJob: UInt64?

    package init(workerID: String, reason: String, abandonedJob: UInt64? = nil) {
        self.workerID = workerID; self.reason = reason; self.abandonedJob = abandonedJob
    }

    func encode(into w: inout WireWriter) {
        w.string(workerID, limit: WireLimits.identifier); w.prose(reason, limit: WireLimits.reason)
        w.bool(abandonedJob != nil); w.u64(abandonedJob ?? 0)
    }

    init(from r: inout WireReader) throws(ProtocolError) {
        workerID = try r.string("worker id", limit: WireLimits.identifier)
        reason = try r.string("reason", limit: WireLimits.reason)
        abandonedJob = try r.optionalU64("has abandoned job", "abandoned job")
    }
}

/// The search is over: the worker should say goodbye and exit.
package struct Finished: Sendable, Hashable {
    package var summary: String
    package init(summary: String) { self.summary = summary }
    func encode(into w: inout WireWriter) { w.prose(summary, limit: WireLimits.reason) }
    init(from r: inout WireReader) throws(ProtocolError) { summary = try r.string("summary", limit: WireLimits.reason) }
}
