import Foundation
import Testing
@testable import Model
@testable import Tokenizer

/// Random strings against Hugging Face `tokenizers`, run when `PRUNERZERO_TOKENIZER_CASES` names a directory of
/// `NAME.json` (a tokenizer) + `NAME.jsonl` (`{"text", "ids", "decoded"}` per line) pairs; skipped otherwise, since
/// the cases need Python and are not kept in the repository. Make them with (tokenizers 0.23.3):
///
/// ```python
/// import json, random, shutil, sys; from tokenizers import Tokenizer
/// out, shared = sys.argv[1], sys.argv[2]            # output directory, path of ../shared
/// random.seed(7)
/// pools = ["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", " \t\n\r", "sStTrReEvVmMlLdDſ'",
///          ".,;:!?()[]{}<>/\\-_=+*&^%$#@~`\"|", "éèêëàâäôöûüçñßøåæœ", "αβγδάέήίόύώ", "абвгдежзЁ", "中文字日本語한국어",
///          "مرحباעבריתहिन्दीไทย", "😀🙂👍🏽👨‍👩‍👧🇫🇷❤️", "\u200b\u00a0\u2009\u3000\u0301\ufeff\u2028\u0085\x00\x1b",
///          "\U00020000\U00010380\ue000½²①Ⅻ", "▁"]
/// base = json.load(open(f"{shared}/fixtures/bytelevel-tokenizer/tokenizer.json"))
/// gpt2 = json.loads(json.dumps(base)); gpt2["model"]["ignore_merges"] = False
/// gpt2["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
/// gpt2["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "Strip", "strip_left": False, "strip_right": True},
///                       {"type": "Replace", "pattern": {"String": "ab"}, "content": "X"}]}
/// gpt2["added_tokens"] += [{"id": 1024, "content": "<mask>", "lstrip": True, "normalized": False, "special": True},
///     {"id": 1025, "content": "word", "single_word": True, "rstrip": True, "normalized": True, "special": False},
///     {"id": 1026, "content": "Xc", "normalized": True, "special": False}]   # HF makes "Xc" 1025 ("word" is in the vocabulary)
/// for t in gpt2["added_tokens"]:
///     for k in ["single_word", "lstrip", "rstrip"]: t.setdefault(k, False)
/// splits = json.loads(json.dumps(base)); regex = base["pre_tokenizer"]["pretokenizers"][0]["pattern"]
/// splits["pre_tokenizer"]["pretokenizers"][:1] = [
///     {"type": "Split", "pattern": {"String": "-"}, "behavior": "MergedWithNext", "invert": False},
///     {"type": "Split", "pattern": {"String": " "}, "behavior": "Contiguous", "invert": False},
///     {"type": "Split", "pattern": regex, "behavior": "MergedWithPrevious", "invert": True}]
/// shutil.copy(f"{shared}/fixtures/llama2-tokenizer/tokenizer.json", f"{out}/llama2.json")
/// shutil.copy(f"{shared}/fixtures/bytelevel-tokenizer/tokenizer.json", f"{out}/bytelevel.json")
/// json.dump(gpt2, open(f"{out}/gpt2style.json", "w")); json.dump(splits, open(f"{out}/splits.json", "w"))
/// extra = ["<s>", "</s>", "<unk>", "<|begin_of_text|>", "<|end_of_text|>", "word", "<mask>", " ab", "Xc", "-", "  "]
/// for name in ["llama2", "bytelevel", "gpt2style", "splits"]:
///     t = Tokenizer.from_file(f"{out}/{name}.json")
///     with open(f"{out}/{name}.jsonl", "w") as f:
///         for _ in range(3000):
///             chosen = random.sample(pools, random.randint(1, 4))
///             s = "".join(random.choice(extra) if random.random() < 0.05 else random.choice(random.choice(chosen))
///                         for _ in range(random.randint(0, 60)))
///             e = t.encode(s)
///             f.write(json.dumps({"text": s, "ids": e.ids, "decoded": t.decode(e.ids)}) + "\n")
/// ```
struct TokenizerDifferentialTests {
    static let directory = ProcessInfo.processInfo.environment["PRUNERZERO_TOKENIZER_CASES"]

    struct Case: Decodable {
        let text: String
        let ids: [TokenID]
        let decoded: String
    }

    static var names: [String] {
        guard let directory, let files = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return files.filter { $0.hasSuffix(".jsonl") }.map { String($0.dropLast(6)) }.sorted()
    }

    @Test(.enabled(if: directory != nil, "set PRUNERZERO_TOKENIZER_CASES to a directory of generated cases"))
    func randomTextsMatchHuggingFace() throws {
        let directory = URL(fileURLWithPath: Self.directory!)
        #expect(!Self.names.isEmpty, "no NAME.jsonl files in \(directory.path)")
        for name in Self.names {
            let tokenizer = try Tokenizer(contentsOf: directory.appendingPathComponent("\(name).json"))
            let lines = try String(contentsOf: directory.appendingPathComponent("\(name).jsonl"), encoding: .utf8)
                .split(separator: "\n")
            var idMismatches = 0, decodeMismatches = 0
            for line in lines {
                let hf = try JSONDecoder().decode(Case.self, from: Data(line.utf8))
                let ids = tokenizer.encode(hf.text)
                if ids != hf.ids {
                    idMismatches += 1
                    if idMismatches <= 5 { Issue.record("\(name): \(hf.text.debugDescription): ours \(ids), HF \(hf.ids)") }
                }
                // Compare scalars: Swift's `==` would accept canonically equivalent but different text.
                let decoded = tokenizer.decode(hf.ids)
                if !decoded.unicodeScalars.elementsEqual(hf.decoded.unicodeScalars) {
                    decodeMismatches += 1
                    if decodeMismatches <= 5 { Issue.record("\(name): decode \(hf.ids): ours \(decoded.debugDescription), HF \(hf.decoded.debugDescription)") }
                }
            }
            print("\(name): \(lines.count) texts, \(idMismatches) id mismatches, \(decodeMismatches) decode mismatches")
            #expect(idMismatches == 0 && decodeMismatches == 0, "\(name)")
        }
    }
}
