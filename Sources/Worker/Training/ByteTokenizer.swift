// ByteTokenizer: the shipped model's vocabulary, 256 bytes plus BOS and EOS, written as a standard tokenizer.json.
//
// The file is GPT-2's byte-level layout with nothing learned: a `ByteLevel` pre-tokenizer (GPT-2 regex, no prefix
// space) mapping each UTF-8 byte to its printable stand-in, a `BPE` model whose vocabulary is the 256 stand-ins
// (id = byte value) and no merges, `<s>` (256) and `</s>` (257) as special added tokens, a `TemplateProcessing`
// post-processor putting `<s>` first, and a `ByteLevel` decoder. Hugging Face `tokenizers` loads it as is, and our
// `Tokenizer` reads it; since nothing merges, encoding is "BOS, then the text's UTF-8 bytes", which `encode(bytes:)`
// computes directly for the training corpus (a test checks both agree). It does not learn merges.
import Foundation
import Model
import Tokenizer

package enum ByteTokenizer {
    package static let bos: TokenID = 256
    package static let eos: TokenID = 257
    package static let bosToken = "<s>"
    package static let eosToken = "</s>"
    /// Rows of the embedding: 256 bytes, BOS, EOS.
    package static let vocabularySize = 258

    /// BOS then the bytes as ids: what the tokenizer.json gives for text whose UTF-8 is `bytes`.
    package static func encode(bytes: [UInt8]) -> [TokenID] {
        var ids: [TokenID] = [bos]
        ids.reserveCapacity(bytes.count + 1)
        for b in bytes { ids.append(TokenID(b)) }
        return ids
    }

    /// The tokenizer.json text, keys in a fixed order so the file is reproducible.
    package static func json() -> String {
        func quoted(_ s: String) -> String {
            let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        }
        let vocab = ByteLevel.characters.enumerated()
            .map { "\(quoted(String(Character($0.element)))): \($0.offset)" }.joined(separator: ", ")
        func added(_ id: TokenID, _ content: String) -> String {
            "{\"id\": \(id), \"content\": \(quoted(content)), \"single_word\": false, \"lstrip\": false, "
                + "\"rstrip\": false, \"normalized\": false, \"special\": true}"
        }
        return """
        {
          "version": "1.0",
          "truncation": null,
          "padding": null,
          "added_tokens": [
            \(added(bos, bosToken)),
            \(added(eos, eosToken))
          ],
          "normalizer": null,
          "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
          "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [\(bos)], "tokens": ["<s>"]}}
          },
          "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
          "model": {
            "type": "BPE",
            "dropout": null,
            "unk_token": null,
            "continuing_subword_prefix": null,
            "end_of_word_suffix": null,
            "fuse_unk": false,
            "byte_fallback": false,
            "ignore_merges": false,
            "vocab": {\(vocab)},
            "merges": []
          }
        }

        """
    }

    /// Writes tokenizer.json into `directory`.
    package static func write(to directory: URL) throws {
        try Data(json().utf8).write(to: directory.appendingPathComponent("tokenizer.json"), options: .atomic)
    }
}
