import Foundation
import Testing
@testable import Shared

/// A seeded random-mutation fuzzer over metric text: printed random trees mutated by character flips, insertions
/// of structural characters and operator names, deletions, truncations, splices and deep nesting. Every input must
/// either parse within `MetricLimits` or throw `MetricError`; a parsed one must print and parse back to itself.
///
/// `PRUNERZERO_FUZZ_INPUTS=1000000 swift test --filter MetricTextFuzzTests` runs the long campaign (issue 7's count).
@Suite struct MetricTextFuzzTests {
    static var inputs: Int {
        ProcessInfo.processInfo.environment["PRUNERZERO_FUZZ_INPUTS"].flatMap(Int.init) ?? 50_000
    }

    static let pieces: [String] = ["(", ")", ",", " ", "W", "G", "X", "mul", "add", "abs", "mms", "sqrt", "log",
                                   "((((((((", "))))", "\u{0}", "é", "9", "-", "\n", "mul(W,", "abs("]

    @Test func randomMutationsNeverTrap() {
        let corpus = randomTrees(count: 200, seed: 0xF0E1, maxDepth: 7).map { Array($0.description.unicodeScalars) }
        var rng = SeededRandom(seed: 0x7E47)
        var parsed = 0, refused = 0, unstable = 0, overLimits = 0
        let started = Date()
        for _ in 0..<Self.inputs {
            let text = String(String.UnicodeScalarView(Self.mutate(rng.pick(corpus), corpus: corpus, using: &rng)))
            do {
                let expression = try MetricExpression(parsing: text)
                parsed += 1
                if (try? MetricExpression(parsing: expression.description)) != expression { unstable += 1 }
                if (try? MetricLimits.standard.check(expression)) == nil { overLimits += 1 }
            } catch {
                refused += 1
            }
        }
        print("metric text fuzz: \(Self.inputs) inputs, \(parsed) parsed, \(refused) refused with MetricError, "
              + "\(unstable) unstable, \(overLimits) over the limits, 0 crashes, "
              + String(format: "%.1f s", Date().timeIntervalSince(started)))
        #expect(parsed + refused == Self.inputs)
        #expect(unstable == 0 && overLimits == 0)
        #expect(refused > Self.inputs / 4 && parsed > Self.inputs / 100)  // both outcomes are reached
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
