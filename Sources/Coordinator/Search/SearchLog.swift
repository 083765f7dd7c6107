import Foundation
import Shared

/// The lines a person tails (stdout and `search.log`): one per accepted result, saying where the search stands.
enum SearchLog {
    /// Characters of a failure's reason in a result line: shortened at words, names (layers) kept whole.
    static let reasonLimit = 100

    static func resultLine(state: SearchState, job: JobRecord, result: JobResult, seconds: Double?, now: Double)
        -> String
    {
        let config = state.config
        let width = String(config.budgetEvaluations).count
        let done = String(repeating: " ", count: max(0, width - String(state.evaluations).count)) + "\(state.evaluations)"
        let outcome: String
        switch result.status {
        case .ok: outcome = format(result.perplexity)
        case .failed(let reason): outcome = "failed (\(Shortening.shorten(reason, to: reasonLimit)))"
        case .aborted(let blocks):
            let d = result.divergence.last.map { String(format: "%.3g", $0) } ?? "?"
            let estimate = state.individuals[job.individual].depthAbort?.estimate.map { " > \(format($0)) (estimate)" }
            outcome = "aborted by depth after \(blocks) blocks (divergence \(d))\(estimate ?? "")"
        case .raced(let windows):
            outcome = "raced out after \(windows) windows (estimate \(format(result.perplexity)))"
        }
        let took = seconds.map { String(format: " in %.1f s", $0) } ?? ""
        let reference = job.method == .metric ? "" : " \(job.method) (reference)"
        var parts = ["[\(done)/\(config.budgetEvaluations)] job \(job.id)\(reference) \(job.windows) \(outcome) from "
                     + "\(result.workerID)\(took)"]
        if let best = state.best, let fitness = state.fullFitness(best) {
            parts.append("best \(format(fitness)) \(state.individuals[best].formula)")
        }
        let fitnesses = state.population.compactMap(state.fullFitness).sorted()
        if !fitnesses.isEmpty { parts.append("median \(format(fitnesses[fitnesses.count / 2]))") }
        let busy = state.workers.values.count { $0.job != nil }
        parts.append("workers \(busy) busy/\(state.workers.count - busy) idle")
        let minutes = max(now - state.startedAt, 1e-9) / 60
        let rate = Double(state.evaluations) / minutes
        parts.append(String(format: "%.1f eval/min", rate))
        parts.append("cache \(state.cacheHits.values.reduce(0, +)), saved \(state.savedFullEvaluations) full")
        if state.depthAborts > 0 {
            parts.append(String(format: "depth aborts %d (mean %.1f blocks)", state.depthAborts,
                                Double(state.depthAbortBlocks) / Double(state.depthAborts)))
        }
        if state.races > 0 {
            parts.append(String(format: "raced out %d (mean %.1f windows)", state.races,
                                Double(state.raceWindows) / Double(state.races)))
        }
        // Whichever budget ends the run first: evaluations, or (generational) generations, whose pace is the
        // completed generations' (the initial one, all full evaluations, makes it an overestimate early on).
        var etas: [Double] = []
        let left = config.budgetEvaluations - state.evaluations
        // Generations bound a generational run to at most a screen and a full evaluation per child: an evaluation
        // budget beyond that cannot end it, and its ETA (hours, from a budget of 10⁶) would only mislead.
        let generationCap = config.mode == .generational
            ? config.budgetGenerations.map { 2 * config.population * ($0 + 1) } : nil
        if rate > 0, left > 0, generationCap.map({ state.evaluations + left <= $0 }) ?? true {
            etas.append(Double(left) / rate * 60)
        }
        // Past the last generation only the finalists' held-out jobs are left (their lines say so).
        if config.mode == .generational, let generations = config.budgetGenerations, state.generation <= generations {
            parts.append("generation \(state.generation)/\(generations)")
            let elapsed = now - state.startedAt
            if state.generation > 0 {
                etas.append(elapsed / Double(state.generation) * Double(generations + 1 - state.generation))
            } else if state.evaluations > 0 {
                // Within the initial generation: its share done so far (a screen and a full evaluation each).
                let done = min(0.99, Double(state.evaluations) / Double(2 * max(1, config.population)))
                etas.append(elapsed / done * Double(generations + 1) - elapsed)
            }
        }
        if let eta = etas.min(), eta > 0 { parts.append("ETA \(duration(eta))") }
        return parts.joined(separator: " | ")
    }

    static func generationLine(state: SearchState, finished generation: Int) -> String {
        let best = state.best.flatMap { id in state.fullFitness(id).map { "\(format($0)) \(state.individuals[id].formula)" } }
        return "generation \(generation) complete: \(state.population.count) survivors, best \(best ?? "none")"
    }

    static func finishLine(state: SearchState) -> String {
        guard let best = state.chosen ?? state.best else { return "search finished: no metric was evaluated successfully" }
        let individual = state.individuals[best]
        let validation = individual.validation?.value.map { ", validation \(format($0))" } ?? ""
        let test = individual.test?.value.map { ", test \(format($0))" } ?? ""
        let how = switch state.config.finalRanking {
        case .validation:
            (state.config.validationDraws ?? []).isEmpty ? "chosen on validation"
                : "chosen on validation over calibration draws \(state.config.validationDraws!.map(String.init).joined(separator: ","))"
        case .test: "chosen on test (the bundle has no validation windows)"
        case nil: "best by fitness"
        }
        return "search finished after \(state.evaluations) evaluations: \(how) \(individual.formula) "
            + "(full \(format(state.fullFitness(best) ?? .nan))\(validation)\(test))"
    }

    static func format(_ value: Double) -> String { String(format: "%.3f", value) }

    static func duration(_ seconds: Double) -> String {
        if seconds < 120 { return "\(Int(seconds)) s" }
        if seconds < 7200 { return "\(Int(seconds / 60)) min" }
        return String(format: "%.1f h", seconds / 3600)
    }
}
