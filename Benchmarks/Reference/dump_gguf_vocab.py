#!/usr/bin/env python3
"""Dump a GGUF file's `tokenizer.ggml.*` metadata as JSON, for the worker's GGUF tokenizer tests.

A development aid, not part of the worker: until the worker's own GGUF reader is wired into the tests,
`TokenizerGGUFTests` reads this dump from `$PRUNERZERO_GGUF_VOCAB_JSON`. The JSON object has one member per key,
named after the key without the `tokenizer.ggml.` prefix (`model`, `pre`, `tokens`, `token_type`, `scores`,
`merges`, `bos_token_id`, `eos_token_id`, `unknown_token_id`, `padding_token_id`, `add_bos_token`,
`add_eos_token`, `add_space_prefix`); absent keys are left out. Strings are written as JSON escapes
(`ensure_ascii`), so the file is plain ASCII and every token keeps its exact code points.

Usage (the `gguf` package, e.g. `pip download --no-deps gguf==0.19.0` unzipped onto PYTHONPATH, and numpy):

    PYTHONPATH=/tmp/gguf python3 dump_gguf_vocab.py MODEL.gguf OUT.json
"""
import json
import sys

from gguf import GGUFReader, GGUFValueType


def field_value(field):
    """The value of a reader field: a scalar, a string, or a list of either."""
    types = field.types
    if types[0] == GGUFValueType.ARRAY:
        if types[-1] == GGUFValueType.STRING:
            return [bytes(field.parts[i]).decode("utf-8") for i in field.data]
        return [field.parts[i].tolist()[0] for i in field.data]
    if types[0] == GGUFValueType.STRING:
        return bytes(field.parts[field.data[0]]).decode("utf-8")
    return field.parts[field.data[0]].tolist()[0]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    reader = GGUFReader(sys.argv[1])
    prefix = "tokenizer.ggml."
    dump = {name[len(prefix):]: field_value(field)
            for name, field in reader.fields.items() if name.startswith(prefix)}
    with open(sys.argv[2], "w", encoding="ascii") as out:
        json.dump(dump, out, ensure_ascii=True)
    print(f"{sys.argv[2]}: {', '.join(f'{k} ({len(v)})' if isinstance(v, list) else f'{k}={v!r}' for k, v in dump.items())}")


if __name__ == "__main__":
    main()
