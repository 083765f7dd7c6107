import Foundation

/// A metric as a person gives it on a command line: a formula, or a file holding a formula or a tree in the
/// reference's JSON format. One reader for every command (`metric show`, `prune`, …), so they accept the same things
/// and fail with the same one-line message.
package enum MetricArgument {
    /// Why an argument is not a metric: the argument and what is wrong, as one line.
    package struct Failure: Error, CustomStringConvertible, Equatable {
        package let description: String
    }

    /// Whether `argument` names a file rather than a formula.
    package static func isFile(_ argument: String) -> Bool {
        argument.hasSuffix(".json") || FileManager.default.fileExists(atPath: argument)
    }

    package static func read(_ argument: String, limits: MetricLimits = .standard) throws(Failure) -> MetricExpression {
        do {
            guard isFile(argument) else { return try MetricExpression(parsing: argument, limits: limits) }
            guard let data = FileManager.default.contents(atPath: argument) else {
                throw Failure(description: "\(argument): cannot read the file")
            }
            let firstByte = data.first(where: { !" \t\r\n".utf8.contains($0) })
            if firstByte == UInt8(ascii: "{") { return try MetricExpression(referenceJSON: data, limits: limits) }
            return try MetricExpression(parsing: String(decoding: data, as: UTF8.self), limits: limits)
        } catch let error as MetricError {
            throw Failure(description: "\(argument): \(error)")
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(description: "\(argument): \(error)")
        }
    }
}
