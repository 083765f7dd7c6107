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
    /// Reads a metric given on the command line: a formula, or a file holding a formula or a reference JSON tree.
    static func load(argument: String, limits: MetricLimits = .standard) throws -> MetricExpression {
        let isFile = argument.hasSuffix(".json") || FileManager.default.fileExists(atPath: argument)
        do {
            guard isFile else { return try MetricExpression(parsing: argument, limits: limits) }
            guard let data = FileManager.default.contents(atPath: argument) else {
                throw CommandFailure(description: "\(argument): cannot read the file")
            }
            let firstByte = data.first(where: { !" \t\r\n".utf8.contains($0) })
            if firstByte == UInt8(ascii: "{") { return try MetricExpression(referenceJSON: data, limits: limits) }
            return try MetricExpression(parsing: String(decoding: data, as: UTF8.self), limits: limits)
        } catch let error as MetricError {
            throw CommandFailure(description: "\(argument): \(error)")
        }
    }
}
