/// What the search has spent and saved, for the log, the report and the budget.
struct SearchCounters: Sendable, Hashable {
    /// Cheap and full evaluations (the budget's unit; test evaluations are extra).
    var evaluations = 0, cheapEvaluations = 0, fullEvaluations = 0, testEvaluations = 0, validationEvaluations = 0
    /// Children screened out on the cheap windows: full evaluations saved by multi-fidelity.
    var savedFullEvaluations = 0
    var cacheHits: [CacheHit: Int] = [:]
    var leaseExpiries = 0
    /// Cheap screens stopped by depth, and the blocks they ran in total (mean depth = blocks / aborts).
    var depthAborts = 0, depthAbortBlocks = 0
    /// Full evaluations stopped by their race, and the full windows they saw in total.
    var races = 0, raceWindows = 0
    /// Children's full evaluations, and those whose value placed them no worse than (or tied with) the
    /// population's `RaceSettings.rank`-th member when it arrived: what no sound race could have stopped.
    var childFullEvaluations = 0, childFullWithinRank = 0
    /// Workers' seconds per stage over every result (reference lines included): where the compute went.
    var stageSeconds: [String: Double] = [:]
}
