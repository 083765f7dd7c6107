import ArgumentParser
import Shared

/// `metric random`: reproducible random metrics, as the search's initial population draws them.
struct MetricRandomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "random",
        abstract: "Print random metric formulas by ramped half-and-half; the same seed prints the same formulas.")

    @Option(help: "Seed of the generator.")
    var seed: UInt64

    @Option(help: "How many formulas to print.")
    var count: Int

    @Option(help: "Maximum depth (the root's children are at depth 1).")
    var maxDepth: Int = 4

    @Option(help: "Minimum depth of operators before terminals may appear.")
    var minDepth: Int = 2

    @Option(help: "Operators drawn: all (the paper's fifteen plus rown, coln) or paper (its exact set).")
    var operators: String = "all"

    func validate() throws {
        guard (1...1_000_000).contains(count) else { throw ValidationError("--count must be between 1 and 1000000") }
        guard (0...MetricLimits.standard.maxDepth).contains(maxDepth) else {
            throw ValidationError("--max-depth must be between 0 and \(MetricLimits.standard.maxDepth)")
        }
        guard (0...maxDepth).contains(minDepth) else { throw ValidationError("--min-depth must be between 0 and --max-depth") }
        guard OperatorSet(rawValue: operators) != nil else {
            throw ValidationError("--operators must be all or paper, not '\(operators)'")
        }
    }

    func run() {
        var settings = EvolutionSettings()
        settings.minInitialDepth = minDepth
        settings.maxInitialDepth = maxDepth
        settings.operators = OperatorSet(rawValue: operators)
        var rng = SeededRandom(seed: seed)
        for tree in TreeGenerator.rampedHalfAndHalf(count: count, settings: settings, using: &rng) {
            print(tree)
        }
    }
}
