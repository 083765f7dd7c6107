// Perplexity: WikiText-style evaluation over non-overlapping windows (reference rule 9).
//
// n = numel // seqlen windows (tail dropped, optionally capped); per window the mean cross-entropy of its T−1
// next-token predictions; ppl = exp(mean of the window means). No BOS is inserted per window. Windows run through
// the model together, block by block (Forward), so each block's weights are widened once.
import Foundation
import Model

/// Why an evaluation cannot start.
enum PerplexityError: Error, CustomStringConvertible {
    case seqlenTooShort(seqlen: Int)
    case tooFewTokens(tokens: Int, seqlen: Int)

    var description: String {
        switch self {
        case let .seqlenTooShort(seqlen): "seqlen \(seqlen) leaves no next-token prediction (needs ≥ 2)"
        case let .tooFewTokens(tokens, seqlen): "\(tokens) tokens make no window of seqlen \(seqlen)"
        }
    }
}

/// One evaluation's outcome.
package struct PerplexityResult: Codable {
    package let perplexity: Double
    package let meanNLL: Double
    package let windows: Int
    package let seqlen: Int
    /// Tokens run through the model (windows × seqlen).
    package let tokens: Int
    package let windowNLL: [Double]
}

/// Perplexity of a model over a token stream.
package enum Perplexity {
    /// Windows the stream yields: numel // seqlen, capped by `maxWindows`.
    package static func windowCount(tokens: Int, seqlen: Int, maxWindows: Int?) -> Int {
        min(tokens / seqlen, maxWindows ?? Int.max)
    }

    /// Evaluates `model` on `tokens`; `progress(blocksDone, blocks, windows)` after each block.
    package static func evaluate(
        _ model: ModelWeights, tokens: [TokenID], seqlen: Int, maxWindows: Int? = nil,
        workspaceBytes: Int = 1 << 30, progress: ((Int, Int, Int) -> Void)? = nil
    ) throws -> PerplexityResult {
        guard seqlen >= 2 else { throw PerplexityError.seqlenTooShort(seqlen: seqlen) }
        let windows = windowCount(tokens: tokens.count, seqlen: seqlen, maxWindows: maxWindows)
        guard windows > 0 else { throw PerplexityError.tooFewTokens(tokens: tokens.count, seqlen: seqlen) }
        let used = tokens[0..<windows * seqlen]
        let forward = Forward(config: model.config, seqlen: seqlen, windows: windows, workspaceBytes: workspaceBytes)
        let hidden = try forward.run(model, tokens: used) { progress?($0, model.config.layers, windows) }
        let head = try OutputHead(model)
        return result(head.windowNLL(hidden, tokens: used), seqlen: seqlen)
    }

    /// ppl = exp(mean of window means).
    package static func result(_ windowNLL: [Double], seqlen: Int) -> PerplexityResult {
        let mean = windowNLL.reduce(0, +) / Double(windowNLL.count)
        return PerplexityResult(
            perplexity: exp(mean), meanNLL: mean, windows: windowNLL.count, seqlen: seqlen,
            tokens: windowNLL.count * seqlen, windowNLL: windowNLL)
    }
}
