import ArgumentParser
import Foundation
import Shared

/// `prunerzero-coordinator metric …`: look at metric expressions without running a search.
struct MetricCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metric",
        abstract: "Parse, simplify, canonicalise and generate metric expressions.",
        subcommands: [MetricShowCommand.self, MetricRandomCommand.self])
}

/// A failure to report as one line on stderr, with a non-zero exit status.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
}

extension MetricExpression {
    /// Reads a metric given on the command line (see `MetricArgument`).
    static func load(argument: String, limits: MetricLimits = .standard) throws -> MetricExpression {
        do { return try MetricArgument.read(argument, limits: limits) } catch {
            throw CommandFailure(description: error.description)
        }
    }
}
