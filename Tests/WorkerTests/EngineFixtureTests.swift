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

    /// One block's output as transformers computed it (Tests/Fixtures/hidden-states.json, written by
    /// Benchmarks/Reference/hidden_states_fixture.py from `output_hidden_states` and a hook on the last layer).
    struct BlockSummary: Decodable {
        let sum: Double
        let abs_sum: Double
        let first_row_first8: [Double]
        let last_row_first8: [Double]
    }

    struct HiddenStates: Decodable {
        let tokens: Int
        let blocks: [BlockSummary]
    }

    /// Block by block, so a wrong layer is named. Tolerances as for the logits above, and for the same reason:
    /// both sides are float32 summing in different orders, each block a chain of a few products of length K ≤ 176
    /// (C = 64, F = 176, T ≤ 96), so under the probabilistic rounding model the relative error is about √K·u ≈
    /// 1e-6 (u = 6e-8) per block and grows linearly with depth (2–3 blocks): 1e-4 (values, against the block's mean
    /// absolute value, since single entries can be near zero) and 1e-5 (sums, against the absolute sum) leave
    /// margins of ≥ 10×, while a wrong block (a swapped projection, RoPE or norm missing) differs by O(1).
    @Test("every block's output matches transformers' hidden states", arguments: EngineFixtures.names)
    func blocksMatchTransformers(_ name: String) throws {
        let url = EngineFixtures.packageRoot!.appendingPathComponent("Tests/Fixtures/hidden-states.json")
        let expected = try #require(try JSONDecoder().decode([String: HiddenStates].self, from: Data(contentsOf: url))[name])
        let dir = EngineFixtures.directory(name)
        let model = try ModelWeights(directory: dir)
        let tokens = try EngineFixtures.tokens(dir.appendingPathComponent("tokens.bin"))
        let n = tokens.count, c = model.config.hidden
        #expect(n == expected.tokens && expected.blocks.count == model.config.layers)

        let forward = Forward(config: model.config, seqlen: n, windows: 1)
        var hidden = try forward.embed(model, tokens: tokens[...])
        var w = BlockWeights(zeros: model.config)
        for (layer, e) in expected.blocks.enumerated() {
            try model.block(layer, into: &w)
            forward.runBlock(layer, weights: w, hidden: &hidden)
            let x = hidden.x
            let sum = x.reduce(0.0) { $0 + Double($1) }, absSum = x.reduce(0.0) { $0 + abs(Double($1)) }
            let scale = e.abs_sum / Double(x.count)
            let values = Array(x[0..<8]) + Array(x[(n - 1) * c..<(n - 1) * c + 8])
            let worst = zip(values, e.first_row_first8 + e.last_row_first8).map { abs(Double($0) - $1) / scale }.max()!
            let sumRel = abs(sum - e.sum) / e.abs_sum, absSumRel = abs(absSum - e.abs_sum) / e.abs_sum
            #expect(worst <= 1e-4, "\(name) block \(layer): first values differ by \(worst) of the mean |x|")
            #expect(sumRel <= 1e-5, "\(name) block \(layer): sum \(sum) vs \(e.sum)")
            #expect(absSumRel <= 1e-5, "\(name) block \(layer): abs-sum \(absSum) vs \(e.abs_sum)")
            print("fixture \(name) block \(layer): values \(worst) of mean |x|, sum rel \(sumRel), abs-sum rel \(absSumRel)")
        }
    }
}
