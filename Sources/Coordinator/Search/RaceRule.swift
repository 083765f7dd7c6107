import Shared

/// Racing promoted children (file key `race`): a promoted child's full evaluation races the population member
/// ranked `rank` (the last of the top `rank` with per-window losses) and stops once the child is worse beyond
/// doubt (`Race`, `PairedRace` in the worker). A stopped child enters the ranking with the race's estimate, which
/// is above that member's fitness by more than the tie width, so it cannot be among the top `rank` then, and the
/// population only gets better. The default rank, 5, protects the top-5 set the comparison checks.
///
/// What it changes is the fitness a stopped child records (an estimate from its first windows, not its full
/// value), hence possibly survivors beyond the top `rank` and tournaments among them: measured against a run
/// without it (`Benchmarks/DepthAbort/compare_early_abort.py --on-config`), not assumed harmless.
package struct RaceSettings: Sendable, Hashable, Codable {
    /// Standard errors of the paired mean difference beyond the margin (`PairedRace`).
    package var z: Double = 3
    /// Windows seen (the screen's included) after which the worker tests; the ones a bundle cannot use (not above
    /// the screen's count, not below the full count) are dropped.
    package var checkpoints: [Int] = [8, 16]
    /// The rival's rank in the population (1 = the best).
    package var rank: Int = 5
    /// Nats of mean loss added to the tie width (`FitnessEquivalence.bound`) for the margin.
    package var margin: Double = 0

    package init(z: Double = 3, checkpoints: [Int] = [8, 16], rank: Int = 5, margin: Double = 0) {
        self.z = z; self.checkpoints = checkpoints; self.rank = rank; self.margin = margin
    }

    /// Decoded key by key: a file may give any of them (`{"race": {"z": 4}}`).
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RaceSettings()
        z = try c.decodeIfPresent(Double.self, forKey: .z) ?? d.z
        checkpoints = try c.decodeIfPresent([Int].self, forKey: .checkpoints) ?? d.checkpoints
        rank = try c.decodeIfPresent(Int.self, forKey: .rank) ?? d.rank
        margin = try c.decodeIfPresent(Double.self, forKey: .margin) ?? d.margin
    }

    func problems() -> [String] {
        var out: [String] = []
        if !(z >= 0 && z.isFinite) { out.append("race z must be a finite value ≥ 0 (found \(z))") }
        if !(margin >= 0 && margin.isFinite) { out.append("race margin must be a finite value ≥ 0 (found \(margin))") }
        if rank < 1 { out.append("race rank must be at least 1 (found \(rank))") }
        if checkpoints.isEmpty || zip(checkpoints, checkpoints.dropFirst()).contains(where: { $0 >= $1 })
            || checkpoints.contains(where: { $0 < 2 }) {
            out.append("race checkpoints must be increasing window counts ≥ 2 (found \(checkpoints))")
        }
        return out
    }
}

/// What a child stopped by its race has: where it stopped and the estimate it is ranked by.
package struct RaceRecord: Sendable, Hashable {
    /// Full windows seen (its screen's included).
    package let windows: Int
    package let estimate: Double
}

extension SearchState {
    /// Whether a child's full value is no worse than the population's rank-th member as it arrives (rank 5 without
    /// racing): such a child is one that any race keeping the top `rank` would have had to run to the end.
    /// Counted in every search, so a run without racing says how much racing could save at most.
    func isWithinTheRank(_ score: Score) -> Bool {
        guard let value = score.value else { return false }
        let rank = config.raceRank
        let top = rankedPopulation().prefix(rank)
        // Fewer members than the rank: nothing to race against.
        guard top.count == rank, let last = top.last, let bar = fullFitness(last) else { return true }
        return equivalence.notWorse(value, than: bar)
    }

    /// The race a promoted child's full job carries; nil when racing is off, the job runs every window anyway (no
    /// screen reuse), the masks are not known before the forward (sequential X: the worker's stages reuse them),
    /// the population has fewer than `rank` members, or none of its top `rank` has per-window losses.
    package func race(for id: Int) -> Race? {
        guard let settings = config.race, config.xMode == .static, screenPerplexity(for: id) != nil,
              let screenLoss = individuals[id].cheapLoss, !screenLoss.isEmpty else { return nil }
        let top = rankedPopulation().prefix(settings.rank)
        guard top.count == settings.rank else { return nil }
        // The lowest-ranked of the top `rank` that can be raced against: a better rival stops fewer children
        // but keeps the guarantee (a stopped child is still outside the top `rank`).
        let rivals = top.reversed().map { individuals[original($0)] }
        guard let rivalLoss = rivals.first(where: { $0.race == nil && ($0.fullLoss?.count ?? 0) > screenLoss.count })?
            .fullLoss else { return nil }
        let checkpoints = settings.checkpoints.filter { $0 > screenLoss.count && $0 < rivalLoss.count }
        guard !checkpoints.isEmpty else { return nil }
        return Race(rivalLoss: rivalLoss, screenLoss: screenLoss, checkpoints: checkpoints, z: settings.z,
                    margin: equivalence.bound + settings.margin)
    }
}
