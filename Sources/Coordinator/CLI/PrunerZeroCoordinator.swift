import ArgumentParser
import Shared

/// `prunerzero-coordinator`: the head node's program. It holds the population and, later, runs the search.
@main
struct PrunerZeroCoordinator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prunerzero-coordinator",
        abstract: "Evolve symbolic pruning metrics for LLaMA-family models and inspect metric expressions.",
        version: prunerZeroVersion,
        subcommands: [SearchCommand.self, StatusCommand.self, ReportCommand.self, MetricCommand.self])
}
