"""Write a random LLaMA checkpoint in Hugging Face layout (config.json + bf16 safetensors shards), for memory tests.

The values are N(0, 0.02²) rounded to bfloat16 (norm weights 1), with a token file of random ids, so
`prunerzero-worker eval --model OUT --data OUT/tokens.bin` runs on it. Only numpy is needed.

    python3 random_checkpoint.py OUT [--hidden 2048 --intermediate 5504 --layers 16 --heads 16 --kv-heads 16
                                      --vocab 32000 --shard-gb 1 --tokens 4096]
"""
import argparse
import json
import os

import numpy as np


def bf16(values):
    """float32 → bfloat16 bits (round to nearest even), as uint16."""
    bits = values.astype(np.float32).view(np.uint32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def tensors(args):
    c, f, d = args.hidden, args.intermediate, args.hidden // args.heads
    yield "model.embed_tokens.weight", (args.vocab, c)
    for i in range(args.layers):
        p = f"model.layers.{i}."
        yield p + "input_layernorm.weight", (c,)
        yield p + "self_attn.q_proj.weight", (args.heads * d, c)
        yield p + "self_attn.k_proj.weight", (args.kv_heads * d, c)
        yield p + "self_attn.v_proj.weight", (args.kv_heads * d, c)
        yield p + "self_attn.o_proj.weight", (c, args.heads * d)
        yield p + "post_attention_layernorm.weight", (c,)
        yield p + "mlp.gate_proj.weight", (f, c)
        yield p + "mlp.up_proj.weight", (f, c)
        yield p + "mlp.down_proj.weight", (c, f)
    yield "model.norm.weight", (c,)
    yield "lm_head.weight", (args.vocab, c)


def write_shard(path, entries):
    header, offset = {}, 0
    for name, shape, data in entries:
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + data.nbytes]}
        offset += data.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(len(text).to_bytes(8, "little"))
        out.write(text)
        for _, _, data in entries:
            out.write(data.tobytes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--intermediate", type=int, default=5504)
    ap.add_argument("--layers", type=int, default=16)
    ap.add_argument("--heads", type=int, default=16)
    ap.add_argument("--kv-heads", type=int, default=16)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--shard-gb", type=float, default=1.0)
    ap.add_argument("--tokens", type=int, default=4096)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(0)
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": args.hidden,
              "intermediate_size": args.intermediate, "num_hidden_layers": args.layers,
              "num_attention_heads": args.heads, "num_key_value_heads": args.kv_heads, "vocab_size": args.vocab,
              "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": False, "torch_dtype": "bfloat16"}
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    shards, current, size = [], [], 0
    for name, shape in tensors(args):
        values = np.ones(shape, np.float32) if len(shape) == 1 else rng.standard_normal(shape, np.float32) * 0.02
        current.append((name, shape, bf16(values)))
        size += current[-1][2].nbytes
        if size >= args.shard_gb * 1e9:
            shards.append(current)
            current, size = [], 0
    if current:
        shards.append(current)
    weight_map = {}
    for k, entries in enumerate(shards):
        file = f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        write_shard(os.path.join(args.out, file), entries)
        weight_map.update({name: file for name, _, _ in entries})
        print(f"wrote {file} ({sum(e[2].nbytes for e in entries) / 1e9:.2f} GB)", flush=True)
    with open(os.path.join(args.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f, indent=1)
    rng.integers(0, args.vocab, args.tokens, dtype=np.uint32).astype("<u4").tofile(os.path.join(args.out, "tokens.bin"))


if __name__ == "__main__":
    main()
