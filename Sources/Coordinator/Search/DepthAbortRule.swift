import Shared

/// Early termination by depth (issue 13), the coordinator's half: the settings, and the rule that turns the run's
/// own completed cheap screens into per-block thresholds sent with each new cheap job. The worker's half
/// (`DepthMonitor`) measures the pruned cheap windows' divergence from the dense model after every block and stops
/// at the first block over its threshold; the child is then screened out, exactly as a cheap score worse than the
/// promotion threshold would have done, and never gets a perplexity.
///
/// The rule, for a child of generation > 0 (initial individuals are always promoted):
/// - history H: the completed cheap screens with a whole divergence profile, of individuals born before the child's
///   generation (generational mode, so that every child of a generation gets the same thresholds whatever the
///   order its siblings finish in, and the run stays reproducible from the seed), or all of them (steady state);
/// - nothing is aborted until H has `warmup` entries, or while the promotion threshold τ (the worst cheap score of
///   the population's top `promoteTopFraction`, what `isPromising` compares with) is undefined;
/// - the keep set K ⊆ H: the screens whose cheap score is not worse than τ, i.e. every completed screen that would
///   be promoted now (a superset of the top members themselves, so the thresholds are at least as high);
/// - threshold after block k = `margin` × max over K of the divergence after block k.
/// So a child is stopped only when, at some depth, it is further from the dense model than every metric that would
/// pass the screen was at that depth, by the margin. Until the rule applies, cheap jobs still ask the worker to
/// measure (`measureOnly`); with early abort off they carry no thresholds, and the worker measures nothing.
package struct DepthAbortSettings: Sendable, Hashable, Codable {
    /// Multiplicative safety margin over the keep set's largest divergence at each block (≥ 1). The divergence
    /// saturates near 1 for a collapsed model (a pruned stream that has lost the dense one's direction or shrunk to
    /// nothing has relative error ≈ 1), so a margin ≥ 1 / (the keep set's divergence) stops nothing: on the
    /// bundled 4.5M model at 70% the keep set reaches 0.2–0.3 after block 1 and hopeless children 0.55–0.99, so 4
    /// never fired and 1.5 did (README, "Early termination by depth").
    package var margin: Double = 1.5
    /// Completed cheap screens with a divergence profile needed before any child is stopped.
    package var warmup: Int = 16

    package init(margin: Double = 1.5, warmup: Int = 16) {
        self.margin = margin
        self.warmup = warmup
    }

    func problems() -> [String] {
        var out: [String] = []
        if !(margin >= 1 && margin.isFinite) { out.append("abort margin must be a finite value ≥ 1 (found \(margin))") }
        if warmup < 1 { out.append("abort warm-up must be at least 1 completed screen (found \(warmup))") }
        return out
    }
}

/// What an aborted child has instead of a cheap perplexity.
package struct DepthAbortRecord: Sendable, Hashable {
    /// Blocks evaluated before it stopped (1-based: 3 means it stopped after block index 2).
    package var blocks: Int
    /// Its divergence after each of them.
    package var divergence: [Double]
    /// The estimate selection used: its cheap perplexity is taken as worse than this, the promotion threshold τ
    /// when it was stopped. An estimate, not a measurement: it never enters a ranking.
    package var estimate: Double?
}

extension SearchState {
    /// The promotion threshold τ: the worst cheap score among the population's best `promoteTopFraction` by full
    /// fitness; nil while that part is not full (then every child is promoted).
    func promotionThreshold() -> Double? {
        let k = max(1, Int((Double(config.population) * config.promoteTopFraction).rounded(.up)))
        let top = rankedPopulation().prefix(k)
        guard top.count == k else { return nil }
        return top.compactMap { individuals[$0].cheap?.value }.max() ?? .infinity
    }

    /// What a cheap job measures until the rule has thresholds: its divergence at every block, stopping at none
    /// (a vector shorter than the model's blocks stands for +inf at the missing ones, `Job.abortThresholds`).
    package static let measureOnly: [Double] = [.infinity]

    /// The per-block thresholds for individual `id`'s cheap job. Empty when early abort is off: the worker then
    /// builds no dense states and measures no divergence. Never empty when it is on, `measureOnly` until the rule
    /// applies (initial individuals, warm-up, no promotion threshold yet): those screens are the history it learns
    /// from, so their divergence must be measured.
    package func abortThresholds(for id: Int) -> [Double] {
        guard let settings = config.depthAbort, config.multiFidelity else { return [] }
        return learnedThresholds(for: id, settings) ?? Self.measureOnly
    }

    /// The rule's thresholds for `id` (see the type's comment), nil while it does not apply.
    private func learnedThresholds(for id: Int, _ settings: DepthAbortSettings) -> [Double]? {
        let child = individuals[id]
        guard child.generation > 0, let tau = promotionThreshold(), tau.isFinite else { return nil }
        let history = individuals.filter { other in
            other.id != id && other.cheap?.value != nil && !(other.cheapDivergence ?? []).isEmpty
                && (config.mode == .steadyState || other.generation < child.generation)
        }
        guard history.count >= settings.warmup else { return nil }
        let keep = history.filter { equivalence.notWorse($0.cheap!.value!, than: tau) }
        // Profiles of one bundle all have one length (its blocks); a shorter one would leave depths unbounded.
        guard let blocks = keep.map({ $0.cheapDivergence!.count }).min(), blocks > 0 else { return nil }
        return (0..<blocks).map { k in
            settings.margin * keep.map { $0.cheapDivergence![k] }.max()!
        }
    }
}
