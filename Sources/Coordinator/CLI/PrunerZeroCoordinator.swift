import ArgumentParser
import Shared

/// `prunerzero-coordinator`: the head node's program. `search` runs (or resumes) a search and serves its workers;
/// `status`, `report` and `rescore` read a run directory; `metric` parses, shows and draws metric expressions.
@main
struct PrunerZeroCoordinator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prunerzero-coordinator",
        abstract: "Evolve symbolic pruning metrics for LLaMA-family models and inspect metric expressions.",
        version: prunerZeroVersion,
        subcommands: [SearchCommand.self, StatusCommand.self, ReportCommand.self, RescoreCommand.self, MetricCommand.self])
}
