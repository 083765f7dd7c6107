import Shared

/// A measured fitness: a perplexity, or a failure (worst of all, see `GeneticOperators.isBetter`).
public enum Score: Sendable, Hashable {
    case perplexity(Double)
    case failed(String)

    public var value: Double? {
        if case .perplexity(let p) = self { return p }
        return nil
    }
}

/// One metric of the search. Its expression is canonical (OOS-simplified, operands ordered), and its `rankKey`
/// (the rank-canonical text) identifies every metric that prunes identically.
public struct Individual: Sendable {
    /// Where an individual is in its life.
    public enum Stage: Sendable, Hashable {
        /// Waiting for its cheap-window evaluation.
        case screening(job: UInt64)
        /// Waiting for its full-window evaluation.
        case rating(job: UInt64)
        /// Its cheap score showed it could not enter the top of the population: no full evaluation spent.
        case screenedOut
        /// Full fitness known (possibly a failure).
        case rated
        /// Prunes like an earlier individual (same rank-canonical form): never evaluated, shares its scores.
        case duplicate(of: Int)
    }

    public let id: Int
    public let expression: MetricExpression
    public let formula: String
    public let rankKey: String
    public let parents: [Int]
    public let operatorName: String
    public let stream: UInt64
    public let generation: Int
    public internal(set) var stage: Stage
    public internal(set) var cheap: Score?
    public internal(set) var full: Score?
    public internal(set) var test: Score?
}

/// One evaluation to be done: an individual on a window set. A job keeps its id across re-dispatches (lapsed
/// lease, restart), so whichever copy of its result arrives first is accepted and every later one is a duplicate.
public struct JobRecord: Sendable {
    /// The job's life.
    public enum State: Sendable, Hashable {
        case queued
        case leased(worker: String, until: Double)
        case done
        /// Dropped unstarted when evolution ended.
        case cancelled
    }

    public let id: UInt64
    public let individual: Int
    public let windows: WindowSet
    public let metricText: String
    public internal(set) var state: State
    /// Dispatches so far (1 on the first).
    public internal(set) var attempts: Int
}

/// A worker as the search knows it.
public struct WorkerRecord: Sendable {
    public let id: String
    public let host: String
    public let cores: UInt32
    public let speed: Double
    public internal(set) var job: UInt64?
    public internal(set) var results: Int
}

/// What kind of evaluation a newborn was spared.
public enum CacheHit: String, Sendable, Hashable, CaseIterable, Codable {
    /// Same canonical form as a measured individual.
    case canonical
    /// Different canonical form, same rank-canonical form (prunes identically).
    case rankCanonical
    /// Same rank-canonical form as an individual still being evaluated: waits for it.
    case inFlight
    /// Masks already measured under another formula (fingerprint), found after the cheap evaluation.
    case mask
}

/// Phases of a search.
public enum SearchPhase: String, Sendable, Hashable {
    case evolving
    /// Re-evaluating the best metrics on the held-out test windows.
    case testing
    case finished
}

/// A journal that cannot be replayed: the line (1-based) and what is inconsistent.
public struct JournalError: Error, CustomStringConvertible, Sendable {
    public let line: Int
    public let problem: String
    public var description: String { "events.jsonl line \(line): \(problem)" }
}
