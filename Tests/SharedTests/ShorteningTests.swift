import Foundation
import Testing
@testable import Shared

/// Reasons shortened at word boundaries, names (layers) whole: for the search log and the wire's string limits.
@Suite struct ShorteningTests {
    static let layer = "model.layers.0.self_attn.q_proj"
    static let nan = "metric is NaN or infinite at 34 entries of \(layer)"

    /// Every piece of `short` is a whole word of `text`, in order, or one `…` for a run of dropped words.
    static func isWordSubsequence(_ short: String, of text: String) -> Bool {
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        var at = 0
        var previousWasEllipsis = false
        for piece in short.split(separator: " ").map(String.init) {
            if piece == "…" && !words[at...].contains("…") {
                if previousWasEllipsis { return false }  // one … per run
                previousWasEllipsis = true
                continue
            }
            previousWasEllipsis = false
            guard let found = words[at...].firstIndex(of: piece) else { return false }
            at = found + 1
        }
        return true
    }

    @Test func theLogsExampleKeepsTheLayersFullName() {
        let short = Shortening.shorten(Self.nan, to: 60)
        #expect(short.count <= 60)
        #expect(short.hasSuffix(Self.layer), "\(short)")
        #expect(short.hasPrefix("metric is NaN or infinite"), "\(short)")
        #expect(Self.isWordSubsequence(short, of: Self.nan))
        #expect(short == "metric is NaN or infinite … \(Self.layer)")
    }

    @Test func aFittingTextIsUnchangedExactFitIncluded() {
        #expect(Shortening.shorten(Self.nan, to: Self.nan.count) == Self.nan)
        #expect(Shortening.shorten(Self.nan, to: 1_000) == Self.nan)
        let spaced = "two  spaces\tand a tab"
        #expect(Shortening.shorten(spaced, to: spaced.count) == spaced)
        #expect(Shortening.shorten(Self.nan, to: Self.nan.count - 1) != Self.nan)
        #expect(Shortening.shorten(Self.nan, to: Self.nan.count - 1).count <= Self.nan.count - 1)
        #expect(Shortening.shorten("", to: 0) == "")
    }

    @Test func namesInTheMiddleAreKeptAndDroppedWordsBecomeOneEllipsisPerRun() {
        let text = "tensor model.layers.3.mlp.down_proj has shape (4, 5) but the checkpoint file says (5, 4) in "
            + "shard model-00002-of-00003.safetensors"
        let short = Shortening.shorten(text, to: 80)
        #expect(short.count <= 80)
        #expect(short.contains("model.layers.3.mlp.down_proj") && short.contains("model-00002-of-00003.safetensors"),
                "\(short)")
        #expect(Self.isWordSubsequence(short, of: text), "\(short)")
        #expect(!short.contains("… …"))
    }

    @Test func aSingleTokenLongerThanTheLimitIsCutInItsMiddleKeepingBothEnds() {
        let short = Shortening.shorten(Self.layer, to: 20)
        #expect(short.count == 20)
        #expect(short.hasPrefix("model.la") && short.hasSuffix("q_proj") && short.contains("…"), "\(short)")
        let plain = String(repeating: "x", count: 50) + "END"
        #expect(Shortening.shorten(plain, to: 11) == "xxxxx…xxEND")
        // A long name among short words, with room for nothing else: the name's ends survive.
        let among = "in \(Self.layer) it failed"
        let cut = Shortening.shorten(among, to: 12)
        #expect(cut.count <= 12 && cut.contains("…"), "\(cut)")
        // Limits below the ellipsis: as much of the text as fits, never more.
        #expect(Shortening.shorten("abc def", to: 0) == "")
        #expect(Shortening.shorten("abc def", to: 1).count == 1)
    }

    @Test func unicodeIsMeasuredInCharactersOrBytesAndNeverSplit() {
        let family = "👨‍👩‍👧"  // one character, 18 UTF-8 bytes
        let text = "métrique non finie \(family) à 34 entrées de \(Self.layer)"
        let chars = Shortening.shorten(text, to: 45)
        #expect(chars.count <= 45 && chars.hasSuffix(Self.layer), "\(chars)")
        let bytes = Shortening.shorten(text, to: 50, measure: .utf8Bytes)
        #expect(bytes.utf8.count <= 50 && bytes.hasSuffix(Self.layer), "\(bytes)")
        #expect(Self.isWordSubsequence(bytes, of: text))
        // A token of multi-byte characters cut to a byte limit: whole characters only.
        let emoji = String(repeating: family, count: 10)
        let cut = Shortening.shorten(emoji, to: 60, measure: .utf8Bytes)
        #expect(cut.utf8.count <= 60)
        #expect(cut.allSatisfy { $0 == Character(family) || $0 == "…" }, "\(cut)")
        #expect(Shortening.shorten("é" + String(repeating: "e", count: 9), to: 5).count == 5)
    }

    @Test func randomTextsAlwaysFitAndKeepWholeWords() {
        var rng = SeededRandom(seed: 17)
        let vocabulary = ["metric", "is", "NaN", "at", "34", "entries", "of", "(4,", "5)", "é", "🙂",
                          "model.layers.12.mlp.gate_proj", "lm_head", "x", "a/b/c.bin", "infinite."]  // no "…": it marks drops
        for _ in 0..<2_000 {
            let words = (0..<Int(rng.next() % 14)).map { _ in vocabulary[Int(rng.next() % UInt64(vocabulary.count))] }
            let text = words.joined(separator: " ")
            let limit = Int(rng.next() % 70)
            for measure in [Shortening.Measure.characters, .utf8Bytes] {
                let short = Shortening.shorten(text, to: limit, measure: measure)
                let length = measure == .characters ? short.count : short.utf8.count
                #expect(length <= max(limit, 0), "\(text) → \(short) (\(limit))")
                let textLength = measure == .characters ? text.count : text.utf8.count
                if textLength <= limit { #expect(short == text) }
                // Whenever some whole word was kept, nothing was cut.
                if short.split(separator: " ").contains(where: { words.contains(String($0)) && $0 != "…" }) {
                    #expect(Self.isWordSubsequence(short, of: text), "\(text) → \(short) (\(limit))")
                }
            }
        }
    }

    @Test func namesAreRecognisedThroughPunctuation() {
        for name in [Self.layer, "(\(Self.layer)):", "'lm_head'", "a/b.bin,", "model.embed_tokens."] {
            #expect(Shortening.isName(name), "\(name)")
        }
        for word in ["0.5", "infinite.", "(4,", "…", "x", "_"] { #expect(!Shortening.isName(word), "\(word)") }
    }

    // MARK: the wire

    @Test func anOverlongFailureReasonCrossesTheWireWithItsLayersName() throws {
        let long = "metric is NaN or infinite at 34 entries of \(Self.layer); "
            + String(repeating: "context ", count: 700) + "last seen in \(Self.layer.replacingOccurrences(of: "q_proj", with: "k_proj"))"
        #expect(long.utf8.count > WireLimits.reason)
        let result = JobResult(jobID: 3, workerID: "w1", status: .failed(reason: long), perplexity: .nan,
                               maskFingerprint: 0)
        guard case .result(let decoded) = try Envelope.decode(Envelope.encode(.result(result))),
              case .failed(let reason) = decoded.status else { Issue.record("no failed result"); return }
        #expect(reason.utf8.count <= WireLimits.reason)
        #expect(reason.hasPrefix("metric is NaN or infinite at 34 entries of \(Self.layer);"))
        #expect(reason.hasSuffix("model.layers.0.self_attn.k_proj"), "\(reason.suffix(80))")
    }

    @Test func identifiersAreClippedToTheirLongestFittingPrefix() {
        // A character that does not fit ends the clip: later, smaller characters are not pulled in after it.
        var w = WireWriter()
        w.string("ab🙂cd", limit: 4)
        #expect(w.bytes == [2, 0, 0, 0] + Array("ab".utf8))
    }
}
