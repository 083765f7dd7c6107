"""Write a random LLaMA GGUF file with Q4_K weights (the type most of a `Q4_K_M` file is), for memory tests.

Default shapes are LLaMA-7B's (32 blocks, 4096 wide, 11008 FFN, 32 heads, vocabulary 32000): a 3.8 GB file.
Every matrix is Q4_K (super-blocks of 256: f16 scale and min, 12 bytes of 6-bit sub-block scales, 128 bytes of
4-bit quants), with random quants and scales and the f16 super-block scales fixed so the weights are ~N(0, 0.02²)
in magnitude; norm weights are F32 ones. No tokenizer is stored, so give the worker the token file this writes:

    python3 random_gguf.py OUT_DIR [--hidden 4096 --intermediate 11008 --layers 32 --heads 32 --kv-heads 32
                                    --vocab 32000 --tokens 4096]
    prunerzero-worker eval --model OUT_DIR/model.gguf --data OUT_DIR/tokens.bin --seqlen 128 --max-windows 2

Only numpy is needed. The layout follows the GGUF v3 specification (ggml/docs/gguf.md): header, metadata, tensor
infos, data aligned to 32 bytes; dims are stored innermost first (ne[0] = the input width of a linear).
"""
import argparse
import os
import struct

import numpy as np

GGUF_MAGIC = b"GGUF"
ALIGNMENT = 32
TYPE_UINT32, TYPE_FLOAT32, TYPE_STRING = 4, 6, 8
GGML_F32, GGML_Q4_K = 0, 12
Q4_K_BLOCK, Q4_K_BYTES = 256, 144


def gguf_string(text):
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def kv(key, kind, value):
    out = gguf_string(key) + struct.pack("<I", kind)
    if kind == TYPE_STRING:
        return out + gguf_string(value)
    return out + struct.pack("<I" if kind == TYPE_UINT32 else "<f", value)


def tensors(a):
    """(GGUF name, shape as (rows, columns) or (n,), ggml type) in llama.cpp's order."""
    c, f, d = a.hidden, a.intermediate, a.hidden // a.heads
    yield "token_embd.weight", (a.vocab, c), GGML_Q4_K
    for i in range(a.layers):
        p = f"blk.{i}."
        yield p + "attn_norm.weight", (c,), GGML_F32
        yield p + "attn_q.weight", (a.heads * d, c), GGML_Q4_K
        yield p + "attn_k.weight", (a.kv_heads * d, c), GGML_Q4_K
        yield p + "attn_v.weight", (a.kv_heads * d, c), GGML_Q4_K
        yield p + "attn_output.weight", (c, a.heads * d), GGML_Q4_K
        yield p + "ffn_norm.weight", (c,), GGML_F32
        yield p + "ffn_gate.weight", (f, c), GGML_Q4_K
        yield p + "ffn_up.weight", (f, c), GGML_Q4_K
        yield p + "ffn_down.weight", (c, f), GGML_Q4_K
    yield "output_norm.weight", (c,), GGML_F32
    yield "output.weight", (a.vocab, c), GGML_Q4_K


def nbytes(shape, kind):
    count = int(np.prod(shape))
    if kind == GGML_F32:
        return 4 * count
    if shape[-1] % Q4_K_BLOCK:
        raise SystemExit(f"Q4_K needs rows that are multiples of {Q4_K_BLOCK}; got {shape}")
    return count // Q4_K_BLOCK * Q4_K_BYTES


def q4k_blocks(rng, count):
    """`count` random Q4_K super-blocks. Sub-block scales and mins are 6-bit values in 0..63 and quants 0..15, so
    a weight is d·sc·q − dmin·m; d = dmin = 0.02/(32·8) keeps |w| around 0.02 like a trained 7B's."""
    blocks = rng.integers(0, 256, size=(count, Q4_K_BYTES), dtype=np.uint8)
    scale = np.frombuffer(np.float16(0.02 / 256).tobytes(), np.uint8)
    blocks[:, 0:2] = scale
    blocks[:, 2:4] = scale
    return blocks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--hidden", type=int, default=4096)
    ap.add_argument("--intermediate", type=int, default=11008)
    ap.add_argument("--layers", type=int, default=32)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--kv-heads", type=int, default=32)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--tokens", type=int, default=4096)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(0)

    meta = [
        kv("general.architecture", TYPE_STRING, "llama"),
        kv("general.name", TYPE_STRING, "random-q4_k"),
        kv("general.alignment", TYPE_UINT32, ALIGNMENT),
        kv("llama.block_count", TYPE_UINT32, a.layers),
        kv("llama.context_length", TYPE_UINT32, 4096),
        kv("llama.embedding_length", TYPE_UINT32, a.hidden),
        kv("llama.feed_forward_length", TYPE_UINT32, a.intermediate),
        kv("llama.attention.head_count", TYPE_UINT32, a.heads),
        kv("llama.attention.head_count_kv", TYPE_UINT32, a.kv_heads),
        kv("llama.attention.layer_norm_rms_epsilon", TYPE_FLOAT32, 1e-5),
        kv("llama.rope.freq_base", TYPE_FLOAT32, 10000.0),
        kv("llama.vocab_size", TYPE_UINT32, a.vocab),
    ]
    entries = list(tensors(a))
    infos, offset = [], 0
    for name, shape, kind in entries:
        dims = tuple(reversed(shape))  # innermost first
        infos.append(gguf_string(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
                     + struct.pack("<IQ", kind, offset))
        offset += nbytes(shape, kind)
        offset += -offset % ALIGNMENT
    header = GGUF_MAGIC + struct.pack("<IQQ", 3, len(entries), len(meta)) + b"".join(meta) + b"".join(infos)
    header += b"\0" * (-len(header) % ALIGNMENT)

    path = os.path.join(a.out, "model.gguf")
    with open(path, "wb") as out:
        out.write(header)
        written = 0
        for k, (name, shape, kind) in enumerate(entries):
            if kind == GGML_F32:
                data = np.ones(shape, np.float32).tobytes()
            else:
                data = q4k_blocks(rng, nbytes(shape, kind) // Q4_K_BYTES).tobytes()
            out.write(data)
            written += len(data)
            pad = -written % ALIGNMENT
            out.write(b"\0" * pad)
            written += pad
            if name.endswith("ffn_down.weight") or k == len(entries) - 1:
                print(f"\r{name}: {(len(header) + written) / 1e9:.2f} GB", end="", flush=True)
    print(f"\nwrote {path} ({os.path.getsize(path) / 1e9:.2f} GB)")
    rng.integers(0, a.vocab, a.tokens, dtype=np.uint32).astype("<u4").tofile(os.path.join(a.out, "tokens.bin"))


if __name__ == "__main__":
    main()
