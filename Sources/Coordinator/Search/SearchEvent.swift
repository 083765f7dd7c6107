import Shared

/// One line of the journal (`events.jsonl`). The search's state is a fold of these events (`SearchState.apply`),
/// so replaying the journal rebuilds it exactly; everything else the state holds (jobs, queue, population,
/// promotions, caches) is derived deterministically while applying them.
///
/// On disk each event is one JSON object: `{"type": "birth", "time": …, …fields of the payload…}`.
package enum SearchEvent: Sendable, Hashable {
    case started(Started)
    /// A restart from the journal: every job leased at the crash goes back to the queue.
    case resumed(Resumed)
    case birth(Birth)
    case dispatch(Dispatch)
    /// Written once per accepted result; duplicates and late copies are never journaled.
    case result(ResultRecord)
    case leaseExpired(JobEvent)
    case workerJoined(WorkerJoined)
    case workerLeft(WorkerLeft)
    /// Generational mode: the barrier at which survivors are chosen from the generation just finished.
    case generation(GenerationEnd)
    /// Evolution is over (budget reached); the best individuals are queued for the test windows.
    case testPhase(Reason)
    case finished(Reason)

    package var type: String {
        switch self {
        case .started: "started"
        case .resumed: "resumed"
        case .birth: "birth"
        case .dispatch: "dispatch"
        case .result: "result"
        case .leaseExpired: "lease_expired"
        case .workerJoined: "worker_joined"
        case .workerLeft: "worker_left"
        case .generation: "generation"
        case .testPhase: "test_phase"
        case .finished: "finished"
        }
    }

    package var time: Double {
        switch self {
        case .started(let e): e.time
        case .resumed(let e): e.time
        case .birth(let e): e.time
        case .dispatch(let e): e.time
        case .result(let e): e.time
        case .leaseExpired(let e): e.time
        case .workerJoined(let e): e.time
        case .workerLeft(let e): e.time
        case .generation(let e): e.time
        case .testPhase(let e): e.time
        case .finished(let e): e.time
        }
    }

    /// How this coordinator process was started, beyond the configuration: where the bundle lives on this host
    /// and how many local workers it spawned. Not part of `SearchConfig` (they decide nothing about fitness; a
    /// bundle is named by its identity), but kept so that `--resume` alone can start the same local workers again.
    /// Both are absent from journals written before they were recorded.
    package struct Launch: Sendable, Hashable, Codable {
        /// The bundle directory, absolute (`--bundle`, or the `--config` file's `bundle`).
        package var bundlePath: String?
        /// `--spawn-workers` (0: workers dial in on their own).
        package var spawnWorkers: Int?

        package init(bundlePath: String? = nil, spawnWorkers: Int? = nil) {
            self.bundlePath = bundlePath; self.spawnWorkers = spawnWorkers
        }

        /// This launch with what `later` recorded (a restart records only what it changed).
        package func updated(by later: Launch) -> Launch {
            Launch(bundlePath: later.bundlePath ?? bundlePath, spawnWorkers: later.spawnWorkers ?? spawnWorkers)
        }
    }

    package struct Started: Sendable, Hashable, Codable {
        package var time: Double
        package var version: String
        package var config: SearchConfig
        /// Absent in journals written before bundle paths were recorded.
        package var bundlePath: String?
        package var spawnWorkers: Int?

        package init(time: Double, version: String, config: SearchConfig, launch: Launch = Launch()) {
            self.time = time; self.version = version; self.config = config
            bundlePath = launch.bundlePath; spawnWorkers = launch.spawnWorkers
        }

        package var launch: Launch { Launch(bundlePath: bundlePath, spawnWorkers: spawnWorkers) }
    }

    /// A restart; `bundlePath` and `spawnWorkers` are what this restart used (nil: as recorded before).
    package struct Resumed: Sendable, Hashable, Codable {
        package var time: Double
        package var bundlePath: String?
        package var spawnWorkers: Int?

        package init(time: Double, launch: Launch = Launch()) {
            self.time = time; bundlePath = launch.bundlePath; spawnWorkers = launch.spawnWorkers
        }

        package var launch: Launch { Launch(bundlePath: bundlePath, spawnWorkers: spawnWorkers) }
    }

    /// How an individual came to be: `operator` is `seed` (a baseline), `initial` (ramped half-and-half) or a
    /// `GeneticOperators.Kind`; `stream` is the RNG stream that drew it (`SeededRandom(seed:stream:)`).
    package struct Birth: Sendable, Hashable, Codable {
        package var time: Double
        package var individual: Int
        package var formula: String
        package var parents: [Int]
        package var `operator`: String
        package var stream: UInt64
        package var generation: Int
    }

    package struct Dispatch: Sendable, Hashable, Codable {
        package var time: Double
        package var job: UInt64
        package var worker: String
        package var attempt: Int
        package var leaseUntil: Double
    }

    package struct ResultRecord: Sendable, Hashable, Codable {
        package var time: Double
        package var job: UInt64
        package var worker: String
        package var windows: String
        /// nil for a failed evaluation.
        package var perplexity: Double?
        package var failure: String?
        package var fingerprint: UInt64
        package var seconds: Double?
        /// The cheap windows' divergence after each block evaluated; absent when not measured (and in journals
        /// written before depth aborts).
        package var divergence: [Double]? = nil
        /// Stopped by depth after this many blocks (then `perplexity` and `failure` are nil) and the estimate
        /// selection used for it (`DepthAbortRecord.estimate`).
        package var abortedAfter: Int? = nil
        package var estimate: Double? = nil
        /// Stopped by its race after this many full windows (then `perplexity` and `failure` are nil and
        /// `estimate` is the race's).
        package var racedAfter: Int? = nil
        /// The loss of each window the job evaluated (`JobResult.windowLoss`); absent when not measured.
        package var windowLoss: [Double]? = nil
        /// Fraction pruned per linear, model order: journaled for the first successful result of a search with a
        /// non-uniform layer sparsity (the report shows the allocation once); absent otherwise.
        package var layerSparsity: [Double]? = nil
        /// The worker's seconds per stage, including `StageTime.overheadName` (absent in older journals).
        package var stages: [String: Double]? = nil
        /// When the result's message reached the coordinator's socket, before authentication, decoding and the
        /// state lock: `time - received` is how long the coordinator kept the worker waiting before handling it
        /// (Benchmarks/Scaling). Absent in older journals and when the edge did not say.
        package var received: Double? = nil
    }

    package struct JobEvent: Sendable, Hashable, Codable {
        package var time: Double
        package var job: UInt64
        package var worker: String
    }

    package struct WorkerJoined: Sendable, Hashable, Codable {
        package var time: Double
        package var worker: String
        package var host: String
        package var cores: UInt32
        package var memoryBytes: UInt64
        package var speed: Double
        /// The worker's fitness bound (`WorkerHello.fitnessBound`); absent from journals written before it was sent.
        package var fitnessBound: Double?
    }

    package struct WorkerLeft: Sendable, Hashable, Codable {
        package var time: Double
        package var worker: String
        package var reason: String
    }

    package struct GenerationEnd: Sendable, Hashable, Codable {
        package var time: Double
        package var generation: Int
    }

    package struct Reason: Sendable, Hashable, Codable {
        package var time: Double
        package var reason: String
    }
}

extension SearchEvent: Codable {
    private enum Key: String, CodingKey { case type }

    package func encode(to encoder: Encoder) throws {
        // The payload's fields and `type` share one JSON object (JSONEncoder merges keyed containers).
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(type, forKey: .type)
        switch self {
        case .started(let e): try e.encode(to: encoder)
        case .resumed(let e): try e.encode(to: encoder)
        case .birth(let e): try e.encode(to: encoder)
        case .dispatch(let e): try e.encode(to: encoder)
        case .result(let e): try e.encode(to: encoder)
        case .leaseExpired(let e): try e.encode(to: encoder)
        case .workerJoined(let e): try e.encode(to: encoder)
        case .workerLeft(let e): try e.encode(to: encoder)
        case .generation(let e): try e.encode(to: encoder)
        case .testPhase(let e): try e.encode(to: encoder)
        case .finished(let e): try e.encode(to: encoder)
        }
    }

    package init(from decoder: Decoder) throws {
        let type = try decoder.container(keyedBy: Key.self).decode(String.self, forKey: .type)
        switch type {
        case "started": self = .started(try Started(from: decoder))
        case "resumed": self = .resumed(try Resumed(from: decoder))
        case "birth": self = .birth(try Birth(from: decoder))
        case "dispatch": self = .dispatch(try Dispatch(from: decoder))
        case "result": self = .result(try ResultRecord(from: decoder))
        case "lease_expired": self = .leaseExpired(try JobEvent(from: decoder))
        case "worker_joined": self = .workerJoined(try WorkerJoined(from: decoder))
        case "worker_left": self = .workerLeft(try WorkerLeft(from: decoder))
        case "generation": self = .generation(try GenerationEnd(from: decoder))
        case "test_phase": self = .testPhase(try Reason(from: decoder))
        case "finished": self = .finished(try Reason(from: decoder))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: [Key.type], debugDescription: "unknown event type '\(type)'"))
        }
    }
}
