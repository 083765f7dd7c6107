"""Hugging Face transformers' LLaMA forward on the issue's small shape, for side-by-side comparison.

6 layers, hidden 256, 8 heads / 4 kv heads, intermediate 688, vocab 1024, float32, random weights; B windows of T
tokens with full logits and the mean next-token loss, as `prunerzero-worker bench-forward` times its small model.
Prints one line: best seconds and tokens/s over the repeats.

    python3 forward_transformers.py --threads 1 --repeats 5
"""
import argparse
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--windows", type=int, default=32)
    ap.add_argument("--seqlen", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    config = LlamaConfig(hidden_size=256, intermediate_size=688, num_hidden_layers=6, num_attention_heads=8,
                         num_key_value_heads=4, vocab_size=1024, max_position_embeddings=args.seqlen,
                         rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False)
    model = LlamaForCausalLM(config).float().eval()
    ids = torch.randint(0, config.vocab_size, (args.windows, args.seqlen))
    best = float("inf")
    with torch.inference_mode():
        model(ids, labels=ids)  # warm-up
        for _ in range(args.repeats):
            start = time.perf_counter()
            out = model(ids, labels=ids)
            best = min(best, time.perf_counter() - start)
    n = args.windows * args.seqlen
    print(f"transformers {torch.__version__} ({torch.get_num_threads()} threads): {best:.3f} s, {n / best:.0f} tokens/s "
          f"(loss {out.loss.item():.3f}, attention {model.config._attn_implementation})")


if __name__ == "__main__":
    main()
