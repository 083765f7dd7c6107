#!/usr/bin/env python3
"""Time G (the gradient norms of calibration) the PyTorch way, for setting beside `prunerzero-worker bench-backward`.

A benchmark companion, not part of the worker. G as the worker computes it (Sources/Worker/Fitness/Calibration/
GradientNorms.swift) and as the reference's gradient script does: per calibration window, the mean next-token
cross-entropy (transformers' LlamaForCausalLM with labels = inputs), its backward, and for the seven linears of every
block sum += (100 * dL/dW)^2 in float32; G = sqrt(sum) at the end. The model is float32, one window per backward.
Only the linears require gradients (the worker skips the embedding, norm and lm_head weight gradients as well), so
both sides do the same work. Model loading is not timed.

Windows: a bundle's calibration windows (`--bundle B`: its manifest.json and calibration.bin, (windows, seqlen)
uint32 little-endian ids), optionally only the first `--windows N`.

Usage (a venv with torch, transformers and safetensors; HF_MODEL_DIR e.g. from `prunerzero-worker convert`):

    python backward_bench.py --model HF_MODEL_DIR --bundle BUNDLE_DIR --threads 2 --repeats 1 [--windows 8]

Output: one line per repeat, then

    torch G: 32 windows x 256 tokens, threads 2: 61.234 s (forward 20.1 s, backward 39.0 s, accumulate 2.1 s), 134 tokens/s

with the best (smallest total) time over the repeats.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from transformers import LlamaForCausalLM

LINEARS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
           "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
SCALE = 100.0


def calibration_windows(bundle):
    """(windows, seqlen) int64 ids of a bundle's calibration set."""
    with open(os.path.join(bundle, "manifest.json")) as f:
        manifest = json.load(f)
    seqlen, cal = manifest["seqlen"], manifest["calibration"]
    ids = np.fromfile(os.path.join(bundle, cal["file"]), dtype="<u4")
    if ids.size != cal["windows"] * seqlen:
        sys.exit(f"{cal['file']}: {ids.size} ids, expected {cal['windows']} x {seqlen}")
    return torch.from_numpy(ids.astype(np.int64)).reshape(cal["windows"], seqlen)


def gradient_norms(model, windows, linears):
    """G per linear; returns (G, seconds of forward, backward, accumulation)."""
    sums = {name: torch.zeros_like(w.weight) for name, w in linears.items()}
    spent = [0.0, 0.0, 0.0]
    for row in windows:
        ids = row.unsqueeze(0)
        t0 = time.perf_counter()
        loss = model(input_ids=ids, labels=ids, use_cache=False).loss
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        with torch.no_grad():
            for name, w in linears.items():
                g = w.weight.grad * SCALE
                sums[name] += g * g
                w.weight.grad = None
        t3 = time.perf_counter()
        spent[0] += t1 - t0
        spent[1] += t2 - t1
        spent[2] += t3 - t2
    return {name: s.sqrt() for name, s in sums.items()}, spent


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="Hugging Face LLaMA directory (float32 weights are used)")
    parser.add_argument("--bundle", required=True, help="calibrated bundle directory (manifest.json, calibration.bin)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--windows", type=int, default=None, help="only the first N calibration windows")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    windows = calibration_windows(args.bundle)
    if args.windows is not None:
        if args.windows < 1:
            sys.exit("--windows must be at least 1")
        windows = windows[: args.windows]
    model = LlamaForCausalLM.from_pretrained(args.model, torch_dtype=torch.float32)
    model.eval()   # no dropout (there is none in LLaMA; as the reference)
    for p in model.parameters():
        p.requires_grad_(False)
    linears = {}
    for i, layer in enumerate(model.model.layers):
        for name in LINEARS:
            module = layer.get_submodule(name)
            module.weight.requires_grad_(True)
            linears[f"model.layers.{i}.{name}"] = module

    best = None
    for r in range(args.repeats):
        start = time.perf_counter()
        _, spent = gradient_norms(model, windows, linears)
        total = time.perf_counter() - start
        print(f"repeat {r + 1}: {total:.3f} s", file=sys.stderr)
        if best is None or total < best[0]:
            best = (total, spent)
    total, (fwd, bwd, acc) = best
    n, t = windows.shape
    print(f"torch G: {n} windows x {t} tokens, threads {args.threads}: {total:.3f} s (forward {fwd:.1f} s, "
          f"backward {bwd:.1f} s, accumulate {acc:.1f} s), {n * t / total:.0f} tokens/s")


if __name__ == "__main__":
    main()
