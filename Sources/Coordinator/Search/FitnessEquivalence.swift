import Foundation
import Shared

/// When two perplexities are one result. Workers on different CPUs (OpenBLAS core type, kernel variant) sum in
/// different orders, so the same masks give perplexities that differ by rounding, within the bound every worker
/// computes from the bundle and sends in its hello (`WorkerHello.fitnessBound`: |Δ ln perplexity|, README
/// "Determinism"). The search must not depend on which worker measured what, so:
/// - a re-measurement of masks already measured on the same windows (a mask twin, or a re-dispatched job) within
///   the bound takes the recorded value: one record, whichever worker came first (`resolve`);
/// - rankings (population, best so far, promotion threshold, tournaments) put fitnesses within the bound of the
///   tier's best into one tier, ordered by the canonical formula rather than by their rounding (`ranked`).
///
/// Tiers are anchored, not chained: the best remaining value opens a tier and takes every value within the bound
/// of it, so a tier never spans more than the bound (single-linkage grouping would chain a population whose
/// neighbours are close into one tier and stop selection). An order is therefore the same on any mix of workers
/// unless a value lies within the workers' actual spread (observed ~1e-6, far below the bound) of a tier's edge.
package struct FitnessEquivalence: Sendable, Hashable {
    /// |Δ ln perplexity| within which two perplexities are one result; 0: only equal values are.
    package private(set) var bound: Double

    /// A width the search configuration fixes (`SearchConfig.tieWidth`); nil: the widest bound workers report.
    package private(set) var fixedWidth: Double?

    package init(bound: Double = 0, fixedWidth: Double? = nil) {
        self.fixedWidth = fixedWidth.map { max(0, $0.isFinite ? $0 : 0) }
        self.bound = self.fixedWidth ?? max(0, bound.isFinite ? bound : 0)
    }

    /// The equivalence after a worker reported `bound` (the largest reported: workers on one bundle compute the
    /// same value, so a different one means a different build, and the wider bound is the safe one). A fixed
    /// width stays as configured.
    func widened(to reported: Double) -> FitnessEquivalence {
        guard fixedWidth == nil, reported.isFinite, reported > bound else { return self }
        return FitnessEquivalence(bound: reported)
    }

    /// Whether `a` and `b` are one result: equal, or both finite and positive with |ln a − ln b| ≤ bound.
    package func same(_ a: Double, _ b: Double) -> Bool {
        if a == b { return true }
        guard a.isFinite, b.isFinite, a > 0, b > 0 else { return false }
        return abs(log(a) - log(b)) <= bound
    }

    /// `a` not worse than `b` up to the bound (the promotion test: a tie is promoted, as an equal value was).
    func notWorse(_ a: Double, than b: Double) -> Bool { a <= b || same(a, b) }

    /// The score an evaluation stands for, given what is already recorded for its masks on its windows: the
    /// recorded value when the measurement is within the bound of it; otherwise the measurement, with
    /// `disagrees` set when it is a perplexity outside the bound (a worker breaking the contract, to be logged).
    func resolve(_ measured: Score, recorded: Double?) -> (score: Score, disagrees: Bool) {
        guard let recorded, let value = measured.value else { return (measured, false) }
        return same(value, recorded) ? (.perplexity(recorded), false) : (measured, true)
    }

    /// `ids` best first: tiers by their best value (lower perplexity first), inside a tier by `key` (the
    /// canonical formula) then id; failures (nil or NaN) last, by key then id.
    func ranked(_ ids: [Int], fitness: (Int) -> Double?, key: (Int) -> String) -> [Int] {
        let keys = Dictionary(ids.map { ($0, key($0)) }, uniquingKeysWith: { first, _ in first })
        let byKey: (Int, Int) -> Bool = { a, b in
            let (ka, kb) = (keys[a]!, keys[b]!)
            return ka != kb ? ka < kb : a < b
        }
        var rated: [(id: Int, value: Double)] = [], failed: [Int] = []
        for id in ids {
            if let value = fitness(id), !value.isNaN { rated.append((id, value)) } else { failed.append(id) }
        }
        rated.sort { $0.value != $1.value ? $0.value < $1.value : byKey($0.id, $1.id) }
        var out: [Int] = []
        out.reserveCapacity(ids.count)
        var start = 0
        while start < rated.count {
            let anchor = rated[start].value
            var end = start + 1
            while end < rated.count, same(rated[end].value, anchor) { end += 1 }
            out += rated[start..<end].map(\.id).sorted(by: byKey)
            start = end
        }
        return out + failed.sorted(by: byKey)
    }

    /// Tournament fitnesses for a breeding pool: each entry's position in `ranked` (0 best), nil for failures,
    /// so `GeneticOperators.tournament`'s strict "lower is better" follows the tiers.
    func tournamentFitness(_ pool: [(id: Int, expression: MetricExpression, fitness: Double?)]) -> [Double?] {
        let order = ranked(Array(pool.indices), fitness: { pool[$0].fitness }, key: { pool[$0].expression.description })
        var position = [Double?](repeating: nil, count: pool.count)
        for (rank, index) in order.enumerated() where pool[index].fitness.map({ !$0.isNaN }) ?? false {
            position[index] = Double(rank)
        }
        return position
    }
}

extension FitnessEquivalence {
    /// A log line when a perplexity for masks already measured on the same windows falls outside the bound: the
    /// contract is broken (a worker's kernels, or a different build), so the result is kept as measured for its
    /// own individual and the first value stays the masks' record.
    func disagreement(job: UInt64, worker: String, measured: Double?, recorded: Double?) -> String? {
        guard let measured, let recorded, !same(measured, recorded) else { return nil }
        let gap = measured > 0 && recorded > 0 ? abs(log(measured) - log(recorded)) : .infinity
        return "job \(job) from \(worker): perplexity \(measured) for masks recorded at \(recorded) differs by "
            + "|Δ ln ppl| \(gap), beyond the workers' bound \(bound): kept as measured"
    }
}
