import Shared

/// A reference baseline's results (`SearchConfig.references`): a method outside the metric language — SparseGPT
/// updates the weights it keeps — measured with the search's sparsity, allocation and windows so the report can
/// set the found metrics against it. Never a population member, never a parent: no individual, no mask cache
/// (its masks with other weights are not a metric's masks).
package struct ReferenceLine: Sendable, Hashable {
    package let method: FitnessMethod
    package internal(set) var full: Score?
    package internal(set) var test: Score?
    /// Each window set's evaluation time, as the worker reported it.
    package internal(set) var seconds: [WindowSet: Double] = [:]

    package init(method: FitnessMethod) { self.method = method }

    mutating func record(_ score: Score, on windows: WindowSet, seconds value: Double?) {
        switch windows {
        case .test: test = score
        case .full, .cheap: full = score
        case .validation: break  // never made: a reference line is not a finalist
        }
        seconds[windows] = value
    }
}
