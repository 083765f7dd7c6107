import Shared

/// Everything that defines a search. Stored whole in the journal's first event, so `--resume` needs only the run
/// directory, and two runs with the same configuration (generational mode) evolve the same individuals.
package struct SearchConfig: Sendable, Hashable, Codable {
    /// How children are produced.
    package enum Mode: String, Sendable, Hashable, Codable {
        /// Each arriving result is inserted and a child is bred for the idle worker at once (no barrier, no idle
        /// time; the individuals depend on timing).
        case steadyState = "steady-state"
        /// Whole generations bred at a barrier from the previous generation only: the same seed gives the same
        /// individuals whatever the number and speed of workers.
        case generational
    }

    package var searchID: String = "search"
    package var mode: Mode = .steadyState
    package var seed: UInt64 = 0
    package var population: Int = 32
    /// Accepted cheap and full evaluations (test evaluations are extra).
    package var budgetEvaluations: Int = 200
    /// Generations after the initial one (generational mode); nil: unbounded.
    package var budgetGenerations: Int? = nil
    /// Stop dispatching after this long since the search started (restarts included); nil: unbounded.
    package var budgetWallSeconds: Double? = nil
    package var sparsity: SparsitySpec = .unstructured(ratio: 0.5)
    package var xMode: XMode = .sequential
    /// The target's spread over decoder blocks (`--layer-sparsity`); nil: uniform (and journals written before
    /// the setting existed). Masks under different allocations differ, so it is part of every fitness.
    package var layerSparsity: LayerSparsity? = nil
    /// Also measure SparseGPT at the same sparsity and windows as a reference line (file key `sparsegptReference`);
    /// nil: no (journals before it existed).
    package var sparsegptReference: Bool? = nil
    /// Which metric values compete for a mask (`comparisonGroup`); nil in journals written before it existed.
    package var group: ComparisonGroup? = nil
    package var comparisonGroup: ComparisonGroup { group ?? .row }
    /// Screen every child on the cheap windows first and promote only promising ones to the full windows.
    package var multiFidelity: Bool = true
    /// A child is promoted when its cheap score is no worse than the worst cheap score among the population's best
    /// `promoteTopFraction` (by full fitness): otherwise it is unlikely to enter that top part.
    package var promoteTopFraction: Double = 0.25
    /// A promoted child's full evaluation runs only the windows its cheap screen did not (the cheap windows are the
    /// first of the full ones; `Job.screenPerplexity`), so promotion costs 3/4 of a full evaluation's forward, not
    /// all of it. File key `screenReuse`; nil (journals from before it existed): every full evaluation runs all.
    package var screenReuse: Bool? = true
    /// How many of the bundle's fitness windows a cheap screen runs (`--screen-windows`, file key `screenWindows`);
    /// nil: the bundle's default, a quarter of them (and journals from before the setting). Fewer windows make
    /// every screen cheaper and its verdict noisier, so it changes which children are promoted: a setting to
    /// measure, not a free saving.
    package var screenWindows: Int? = nil
    /// Seed the initial population with the paper's metric and Wanda's.
    package var seedBaselines: Bool = true
    /// Finalists at the end: the best `testTopK` searched metrics by fitness (baselines are finalists anyway).
    package var testTopK: Int = 5
    /// Where the finalists are ranked: on the bundle's validation windows (then only the chosen metric and the
    /// baselines see the test windows), or, for a bundle without them, on the test windows (selection on test:
    /// the report says so). nil in journals from before validation windows existed: the top `testTopK` by fitness
    /// are tested and the best by fitness is the answer, as then.
    package var finalRanking: FinalRanking? = nil
    /// The calibration draws the bundle's validation jobs prune with (their seeds; `calibrate --validation-seeds`),
    /// for the report's words: nil or empty when validation prunes with the bundle's own G and X.
    package var validationDraws: [Int]? = nil
    package var leaseSeconds: Int = 600
    package var heartbeatSeconds: Int = 10
    /// |Δ ln perplexity| within which two fitnesses are one result (`FitnessEquivalence`); nil: the workers'
    /// fitness bound, which makes a mixed cluster's search independent of which worker measured what. The bound
    /// is a worst-case-style estimate (1.5% on SmolLM2-135M, where the spread observed across core types is
    /// ~1e-7), so a narrower width ranks finer at the price of that independence near a tie's edge.
    package var tieWidth: Double? = nil
    /// Early termination by depth (`DepthAbortRule`); nil: off (every cheap screen runs every block).
    package var depthAbort: DepthAbortSettings? = nil
    /// Racing promoted children against the population's `rank`-th member (`RaceSettings`); nil: off (every
    /// promoted child runs every full window).
    package var race: RaceSettings? = nil
    /// The rank races are run against, and which the report's within-rank count uses without racing.
    package var raceRank: Int { race?.rank ?? RaceSettings().rank }
    /// The bundle identity every worker must report.
    package var bundleIdentity: String = ""
    package var evolution: EvolutionSettings = EvolutionSettings()
    /// Where the coordinator listens (kept here so `--resume` listens where workers already dial).
    package var listen: String = "tcp://127.0.0.1:47200"

    package init() {}

    package func request(_ windows: WindowSet) -> FitnessRequest {
        FitnessRequest(sparsity: sparsity, xMode: xMode, windows: windows, layerSparsity: layerSparsity ?? .uniform,
                       group: comparisonGroup, screenWindows: windows.carriesScreenSize ? screenWindows : nil)
    }

    /// The request for a reference baseline: the search's sparsity, allocation and windows; X sequential (SparseGPT's
    /// Hessians come from the pruned model's activations, whatever the metrics' X mode).
    package func referenceRequest(_ method: FitnessMethod, _ windows: WindowSet) -> FitnessRequest {
        FitnessRequest(sparsity: sparsity, xMode: .sequential, windows: windows,
                       layerSparsity: layerSparsity ?? .uniform, method: method,
                       screenWindows: windows.carriesScreenSize ? screenWindows : nil)
    }

    /// The reference baselines this search measures beside its population.
    package var references: [FitnessMethod] { sparsegptReference == true ? [.sparsegpt] : [] }

    /// The baselines expressible in the metric language (magnitude |W| alone is, trivially; the paper's and
    /// Wanda's are the ones worth seeding), by name; seeded as individuals 0, 1, … in this order.
    package static let namedBaselines: [(name: String, formula: String)] = [
        ("paper", "mul(abs(mul(W, W)), mms(G))"),
        ("wanda", "mul(W, sqrt(X))"),
    ]
    package static var baselines: [String] { namedBaselines.map(\.formula) }
    /// RIA's formula, seeded after them when the operators include rown/coln (not under `--operators paper`, nor in
    /// a journal from before the set existed, whose initial population must stay what it was).
    package static let ria = "mul(add(coln(W), rown(W)), sqrt(sqrt(X)))"

    /// The baselines the initial population starts with, by name, in birth order.
    package var seededNamedBaselines: [(name: String, formula: String)] {
        guard seedBaselines else { return [] }
        return Self.namedBaselines + (evolution.operatorSet == .all ? [("ria", Self.ria)] : [])
    }

    /// The formulas the initial population starts with.
    package var seededBaselines: [String] { seededNamedBaselines.map(\.formula) }

    /// The name of the baseline individual `id` was seeded as, or nil.
    package func baselineName(individual id: Int) -> String? {
        let seeded = seededNamedBaselines
        return id < seeded.count ? seeded[id].name : nil
    }

    /// The held-out window set finalists are ranked on.
    package enum FinalRanking: String, Sendable, Hashable, Codable {
        case validation, test
    }

    /// Problems that make the configuration unusable, in words.
    package func problems() -> [String] {
        var out: [String] = []
        if population < 2 { out.append("population must be at least 2 (found \(population))") }
        if budgetEvaluations < 1 { out.append("budget must be at least 1 evaluation") }
        if !(0 < promoteTopFraction && promoteTopFraction <= 1) { out.append("promoteTopFraction must be in (0, 1]") }
        if leaseSeconds < 1 || heartbeatSeconds < 1 { out.append("lease and heartbeat must be at least 1 s") }
        if heartbeatSeconds * 2 > leaseSeconds { out.append("the lease must cover at least two heartbeats") }
        if testTopK < 0 { out.append("testTopK must be ≥ 0") }
        if let k = screenWindows, !(1...Int(UInt16.max)).contains(k) {
            out.append("screen windows must be at least 1 (found \(k))")
        }
        if let w = tieWidth, !(w >= 0 && w.isFinite) { out.append("tie width must be a finite value ≥ 0 (found \(w))") }
        if let depthAbort { out += depthAbort.problems() }
        if let race {
            out += race.problems()
            // Its stages reuse masks known before the forward; it races the windows after a reused screen.
            if xMode != .static { out.append("race needs static X (--x-mode static): its stages reuse the masks") }
            if !multiFidelity || screenReuse != true { out.append("race needs multiFidelity and screenReuse on") }
        }
        if bundleIdentity.isEmpty { out.append("the bundle identity is empty") }
        if let layers = layerSparsity {
            do { try layers.validate() } catch { out.append("\(error)") }
            if case .owl = layers, case .nOfM = sparsity {
                out.append("\(LayerSparsityError.needsUnstructured(sparsity.description))")
            }
        }
        if comparisonGroup == .layer, case .nOfM = sparsity {
            out.append("an N:M pattern compares within its groups of M: the comparison group must be row")
        }
        return out
    }
}
