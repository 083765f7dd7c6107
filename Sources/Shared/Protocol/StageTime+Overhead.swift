
extension StageTime {
    /// The name of the per-job time no stage accounts for: decoding the job, parsing the metric, the pre-flight's
    /// bookkeeping, building the result. The coordinator's report sums it over a run (issue: under 2% of an
    /// evaluation), so a regression shows in every search's report rather than only in a profiler.
    package static let overheadName = "outside the stages"

    /// `stages` plus one entry for the wall time they do not cover (never negative: the stages' own clocks
    /// round independently of `wall`).
    package static func withOverhead(_ stages: [StageTime], wall: Double) -> [StageTime] {
        let covered = stages.reduce(0) { $0 + $1.seconds }
        return stages + [StageTime(name: overheadName, seconds: max(0, wall - covered))]
    }
}
