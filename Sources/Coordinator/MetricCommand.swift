import ArgumentParser
import Shared

/// `prunerzero-coordinator metric …`: look at metric expressions without running a search.
struct MetricCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metric",
        abstract: "Parse, simplify, canonicalise and generate metric expressions.",
        subcommands: [])
}
