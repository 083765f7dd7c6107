import Foundation
import Testing
@testable import Model
@testable import Engine

/// The engine against transformers' own outputs on the four Hugging Face fixtures (GQA, tied, sharded + older
/// config layout, bf16). Disabled with a reason when `../shared/fixtures/hf-llama` is not beside the package.
@Suite("Engine fixtures", .enabled(if: EngineFixtures.available, "../shared/fixtures/hf-llama is absent"))
struct EngineFixtureTests {
    /// Max |a − e| / |e| over a list, and the worst pair, printed on failure.
    static func maxRelative(_ actual: [Float], _ expected: [Double]) -> Double {
        zip(actual, expected).map { abs(Double($0) - $1) / max(abs($1), 1e-6) }.max() ?? 0
    }

    @Test("logits and perplexity match transformers", arguments: EngineFixtures.names)
    func matchesTransformers(_ name: String) throws {
        let dir = EngineFixtures.directory(name)
        let model = try ModelWeights(directory: dir)
        let tokens = try EngineFixtures.tokens(dir.appendingPathComponent("tokens.bin"))
        let e = try EngineFixtures.expected(name)
        let n = tokens.count, v = model.config.vocab

        // The whole file as one window, as transformers saw it.
        let forward = Forward(config: model.config, seqlen: n, windows: 1)
        let hidden = try forward.run(model, tokens: tokens[...])
        let head = try OutputHead(model)
        var logits = [Float](repeating: 0, count: n * v)   // (T, V)
        logits.withUnsafeMutableBufferPointer { head.logits(hidden, rows: 0..<n, into: $0.baseAddress!) }

        let first = Self.maxRelative(Array(logits[0..<8]), e.logits_pos0_first8)
        let last = Self.maxRelative(Array(logits[(n - 1) * v..<(n - 1) * v + 8]), e.logits_last_first8)
        let sum = logits.reduce(0.0) { $0 + Double($1) }
        let absSum = logits.reduce(0.0) { $0 + abs(Double($1)) }
        // The plain sum cancels; measure its error against the absolute sum.
        let sumRel = abs(sum - e.logits_sum) / e.logits_abs_sum
        let absSumRel = abs(absSum - e.logits_abs_sum) / e.logits_abs_sum
        let argmax = (0..<n).map { t in
            let row = logits[t * v..<(t + 1) * v]
            return row.indices.max { row[$0] < row[$1] }! - t * v
        }
        let result = Perplexity.result(head.windowNLL(hidden, tokens: tokens[...]), seqlen: n)
        let pplRel = abs(result.perplexity - e.ppl) / e.ppl
        let nllRel = abs(result.meanNLL - e.mean_nll) / e.mean_nll
        print("fixture \(name): logits pos0 rel \(first), last rel \(last), sum rel \(sumRel), abs-sum rel \(absSumRel), "
              + "mean NLL rel \(nllRel), ppl rel \(pplRel) (ppl \(result.perplexity) vs \(e.ppl))")
        #expect(first <= 1e-4, "pos-0 logits max relative difference \(first)")
        #expect(last <= 1e-4, "last-position logits max relative difference \(last)")
        #expect(sumRel <= 1e-5, "logit sum \(sum) vs \(e.logits_sum)")
        #expect(absSumRel <= 1e-5, "logit abs-sum \(absSum) vs \(e.logits_abs_sum)")
        #expect(argmax == e.logits_argmax)
        #expect(pplRel <= 1e-5, "perplexity \(result.perplexity) vs \(e.ppl)")
        #expect(nllRel <= 1e-5, "mean NLL \(result.meanNLL) vs \(e.mean_nll)")
    }
}
