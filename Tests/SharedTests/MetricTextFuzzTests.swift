import Foundation
import Testing
@testable import Shared

/// A seeded random-mutation fuzzer over metric text: printed random trees mutated by character flips, insertions
/// of structural characters and operator names, deletions, truncations, splices and deep nesting. Every input must
/// either parse within `MetricLimits` and print back to text that parses to the same tree, or be refused with a
/// `MetricError` that locates the problem (a column inside the text, or the limit it exceeds).
///
/// `PRUNERZERO_FUZZ_INPUTS=1000000 swift test --filter MetricTextFuzzTests` runs the long campaign (issue 7's count).
@Suite struct MetricTextFuzzTests {
    static var inputs: Int {
        ProcessInfo.processInfo.environment["PRUNERZERO_FUZZ_INPUTS"].flatMap(Int.init) ?? 50_000
    }

    static let pieces: [String] = ["(", ")", ",", " ", "W", "G", "X", "mul", "add", "abs", "mms", "sqrt", "log", "rown", "coln",
                                   "((((((((", "))))", "\u{0}", "é", "9", "-", "\n", "mul(W,", "abs("]

    /// One campaign, shared by the tests below (each checks one property of it).
    struct Campaign: Sendable {
        var parsed = 0, refused = 0, unstable = 0, overLimits = 0, unlocated = 0
        /// Parsed texts whose printed form does not parse back to the same tree (first few kept).
        var unstableExamples: [String] = []
        /// Refusals whose column or limit does not locate the problem (parsing throws only MetricError).
        var unlocatedExamples: [String] = []

        init(inputs: Int) {
            let corpus = randomTrees(count: 200, seed: 0xF0E1, maxDepth: 7).map { Array($0.description.unicodeScalars) }
            var rng = SeededRandom(seed: 0x7E47)
            let started = Date()
            for _ in 0..<inputs {
                let scalars = MetricTextFuzzTests.mutate(rng.pick(corpus), corpus: corpus, using: &rng)
                let text = String(String.UnicodeScalarView(scalars))
                do {
                    let expression = try MetricExpression(parsing: text)
                    parsed += 1
                    if (try? MetricExpression(parsing: expression.description)) != expression {
                        unstable += 1
                        if unstableExamples.count < 5 { unstableExamples.append("\(text) printed as \(expression)") }
                    }
                    if (try? MetricLimits.standard.check(expression)) == nil { overLimits += 1 }
                } catch {  // typed throws: `error` is a MetricError, so the type is the compiler's check
                    refused += 1
                    if let why = Self.unlocated(error, length: scalars.count) {
                        unlocated += 1
                        if unlocatedExamples.count < 5 { unlocatedExamples.append("\(error) for '\(text)': \(why)") }
                    }
                }
            }
            print("metric text fuzz: \(inputs) inputs, \(parsed) parsed (\(unstable) unstable, \(overLimits) over the "
                  + "limits), \(refused) refused (\(unlocated) without a located MetricError), "
                  + String(format: "%.1f s", Date().timeIntervalSince(started)))
        }

        /// Why `error` does not say where or what the problem is in a text of `length` scalars, or nil when it
        /// does: a column inside the text (one past its end for "ended too early"), a limit actually exceeded.
        static func unlocated(_ error: MetricError, length: Int) -> String? {
            switch error {
            case .syntax(let column, _, _), .unknownSymbol(_, .some(let column)):
                return (1...(length + 1)).contains(column) ? nil : "column \(column) outside 1…\(length + 1)"
            case .unknownSymbol(_, nil): return "no column for text"
            case .wrongArity(let symbol, let expected, let found):
                return !symbol.isEmpty && expected != found ? nil : "arity error without its symbol or mismatch"
            case .tooDeep(let depth, let limit): return depth > limit ? nil : "depth \(depth) within \(limit)"
            case .tooManyNodes(let nodes, let limit): return nodes > limit ? nil : "\(nodes) nodes within \(limit)"
            case .json: return "a JSON error from text"
            }
        }
    }

    static let campaign = Campaign(inputs: inputs)

    @Test func parsedTextPrintsBackToTheSameTree() {
        #expect(Self.campaign.unstable == 0, "\(Self.campaign.unstableExamples)")
    }

    @Test func parsedTextIsWithinTheLimits() {
        #expect(Self.campaign.overLimits == 0)
    }

    @Test func refusalsAreMetricErrorsThatSayWhere() {
        #expect(Self.campaign.unlocated == 0, "\(Self.campaign.unlocatedExamples)")
    }

    @Test func mutationsReachBothOutcomes() {
        #expect(Self.campaign.refused > Self.inputs / 4 && Self.campaign.parsed > Self.inputs / 100)
    }

    @Test func absurdNestingIsRefusedNotRecursedInto() {
        let deep = String(repeating: "abs(", count: 100_000) + "W" + String(repeating: ")", count: 100_000)
        #expect(throws: MetricError.self) { try MetricExpression(parsing: deep) }
        let wide = "mul(" + String(repeating: "W,", count: 100_000) + "W)"
        #expect(throws: MetricError.self) { try MetricExpression(parsing: wide) }
    }

    static func mutate(_ seed: [Unicode.Scalar], corpus: [[Unicode.Scalar]], using rng: inout SeededRandom)
        -> [Unicode.Scalar]
    {
        var text = seed
        for _ in 0..<(1 + rng.below(4)) {
            let position = text.isEmpty ? 0 : rng.below(text.count)
            switch rng.below(7) {
            case 0 where !text.isEmpty: text.remove(at: position)
            case 1: text.insert(contentsOf: rng.pick(pieces).unicodeScalars, at: min(position, text.count))
            case 2: text = Array(text.prefix(rng.below(text.count + 1)))
            case 3:
                let other = rng.pick(corpus)
                text = Array(text.prefix(position)) + Array(other.suffix(from: rng.below(other.count)))
            case 4 where !text.isEmpty:
                text[position] = Unicode.Scalar(UInt8(truncatingIfNeeded: rng.next() & 0x7F))
            case 5:
                // Wrap in many unary operators: depth beyond the limit.
                let n = 1 + rng.below(40)
                text = Array(String(repeating: "abs(", count: n).unicodeScalars) + text
                    + Array(String(repeating: ")", count: n).unicodeScalars)
            default:
                let other = rng.pick(corpus)
                text = Array("mul(".unicodeScalars) + text + [","] + other + [")"]
            }
        }
        return text
    }
}
