import Shared

/// A measured fitness: a perplexity, or a failure (worst of all, see `GeneticOperators.isBetter`).
package enum Score: Sendable, Hashable {
    case perplexity(Double)
    case failed(String)

    package var value: Double? {
        if case .perplexity(let p) = self { return p }
        return nil
    }
}

/// One metric of the search. Its expression is canonical (OOS-simplified, operands ordered), and its `rankKey`
/// (the rank-canonical text) identifies every metric that prunes identically.
package struct Individual: Sendable {
    /// Where an individual is in its life.
    package enum Stage: Sendable, Hashable {
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

    package let id: Int
    package let expression: MetricExpression
    package let formula: String
    package let rankKey: String
    package let parents: [Int]
    package let operatorName: String
    package let stream: UInt64
    package let generation: Int
    package internal(set) var stage: Stage
    package internal(set) var cheap: Score?
    package internal(set) var full: Score?
    package internal(set) var test: Score?
    /// The cheap screen's divergence from the dense model after each block (what `DepthAbortRule` learns from).
    package internal(set) var cheapDivergence: [Double]?
    /// Set when the cheap screen was stopped by depth (then `cheap` stays nil: nothing was measured).
    package internal(set) var depthAbort: DepthAbortRecord?
    package internal(set) var validation: Score?
    /// Loss per cheap window, from its screen (journals since protocol version 7).
    package internal(set) var cheapLoss: [Double]?
    /// Loss per full window, all of them (the screen's joined to its full job's with screen reuse): what a race
    /// against it compares with. nil when not measured (a mask twin's fitness, an older journal, a raced child).
    package internal(set) var fullLoss: [Double]?
    /// Set when its full evaluation was stopped by its race (`full` is then the race's estimate).
    package internal(set) var race: RaceRecord?
}

/// One evaluation to be done: an individual on a window set. A job keeps its id across re-dispatches (lapsed
/// lease, restart), so whichever copy of its result arrives first is accepted and every later one is a duplicate.
package struct JobRecord: Sendable {
    /// The job's life.
    package enum State: Sendable, Hashable {
        case queued
        case leased(worker: String, until: Double)
        case done
        /// Dropped unstarted when evolution ended.
        case cancelled
    }

    package let id: UInt64
    package let individual: Int
    package let windows: WindowSet
    package let metricText: String
    /// `.metric` for an individual's job; a reference baseline's (then `individual` is -1 and `metricText` its name).
    package var method: FitnessMethod = .metric
    package internal(set) var state: State
    /// Dispatches so far (1 on the first).
    package internal(set) var attempts: Int
}

/// A worker as the search knows it.
package struct WorkerRecord: Sendable {
    package let id: String
    package let host: String
    package let cores: UInt32
    package let speed: Double
    package internal(set) var job: UInt64?
    package internal(set) var results: Int
}

/// What kind of evaluation a newborn was spared.
package enum CacheHit: String, Sendable, Hashable, CaseIterable, Codable {
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
package enum SearchPhase: String, Sendable, Hashable {
    case evolving
    /// Re-evaluating the finalists on the held-out validation and test windows.
    case testing
    case finished
}

/// A journal that cannot be replayed: the line (1-based) and what is inconsistent.
package struct JournalError: Error, CustomStringConvertible, Sendable {
    package let line: Int
    package let problem: String
    package var description: String { "events.jsonl line \(line): \(problem)" }
}
