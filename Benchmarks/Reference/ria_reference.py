#!/usr/bin/env python3
"""RIA run as its official code runs it, on a Hugging Face fixture, for the worker's tests.

A test companion, not part of the worker. `prune_ria` of github.com/biomedical-cybernetics/Relative-importance-and-
activation-pruning (lib/prune.py) with its defaults (a = 0.5, no reallocation, no reconstruction, no GPTQ), kept line
for line where it computes something:

    W_metric = (|W| / sum(|W|, dim=0) + |W| / sum(|W|, dim=1).reshape(-1, 1)) * sqrt(scaler_row) ** a

scaler_row from its WrappedGPT.add_batch (the same running mean of ||x_j||^2 / nsamples as Wanda's). Unstructured
is pruned per layer by default (thresh = sort(W_metric.flatten())[int(rows*cols*ratio)], W_mask = W_metric <= thresh)
or per output row with --per_outneuron (stable sort, the first int(cols*ratio) of each row); N:M directly (topk of
the lowest N in every M consecutive inputs). Per block: hooks gather scaler_row over a dense pass of the calibration
windows, all seven linears are pruned, the pruned block's outputs feed the next block. The pipeline pieces (block-0
capture, scaler_row, perplexity) are fitness_reference.py's; the windows are the prune-reference fixture's, as
sparsegpt_owl_reference.py uses them.

Output: one JSON line per run (perplexity; per linear the sha256 of the zero mask and the other checks of
sparsegpt_owl_reference.py's weight_checks).

Usage: python ria_reference.py --model ../shared/fixtures/hf-llama/sharded --out FILE.jsonl
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fitness_reference import ScalerRow, capture_block0_inputs, eval_ppl, linears_of  # noqa: E402
from sparsegpt_owl_reference import OFFSETS, SEQLEN, weight_checks  # noqa: E402
from transformers import LlamaForCausalLM  # noqa: E402


def prune_ria(model, calibration, sparsity_ratio, prune_n=0, prune_m=0, per_outneuron=False, a=0.5):
    inps, outs, kwargs = capture_block0_inputs(model, calibration)
    for i, layer in enumerate(model.model.layers):
        subset = linears_of(layer)
        wrapped_layers = {name: ScalerRow(subset[name]) for name in subset}

        def add_batch(name):
            def tmp(_, inp, out):
                wrapped_layers[name].add_batch(inp[0].data)
            return tmp

        handles = [subset[name].register_forward_hook(add_batch(name)) for name in wrapped_layers]
        for j in range(calibration.shape[0]):
            outs[j] = layer(inps[j].unsqueeze(0), **kwargs)[0]
        for h in handles:
            h.remove()
        for name in subset:
            W = subset[name].weight.data.clone()
            W_metric = (torch.abs(W) / torch.sum(torch.abs(W), dim=0) + torch.abs(W) / torch.sum(torch.abs(W), dim=1).reshape(-1, 1)) * (torch.sqrt(wrapped_layers[name].scaler_row.reshape((1, -1)))) ** a
            W_mask = (torch.zeros_like(W_metric) == 1)
            if prune_n != 0:
                for ii in range(W_metric.shape[1]):
                    if ii % prune_m == 0:
                        tmp = W_metric[:, ii:(ii + prune_m)].float()
                        W_mask.scatter_(1, ii + torch.topk(tmp, prune_n, dim=1, largest=False)[1], True)
            elif per_outneuron:
                sort_res = torch.sort(W_metric, dim=-1, stable=True)
                indices = sort_res[1][:, :int(W_metric.shape[1] * sparsity_ratio)]
                W_mask.scatter_(1, indices, True)
            else:
                thresh = torch.sort(W_metric.flatten())[0][int(W.shape[0] * W.shape[1] * sparsity_ratio)]
                W_mask = (W_metric <= thresh)
            subset[name].weight.data[W_mask] = 0
        for j in range(calibration.shape[0]):
            outs[j] = layer(inps[j].unsqueeze(0), **kwargs)[0]
        inps, outs = outs, inps


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="the hf-llama/sharded fixture (with calib.bin, eval.bin)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    torch.set_num_threads(1)

    calib = np.fromfile(os.path.join(args.model, "calib.bin"), dtype="<u4").astype(np.int64)
    evals = np.fromfile(os.path.join(args.model, "eval.bin"), dtype="<u4").astype(np.int64)
    calibration = torch.from_numpy(np.stack([calib[o:o + SEQLEN] for o in OFFSETS]))
    evaluation = torch.from_numpy(evals[:evals.size // SEQLEN * SEQLEN].reshape(-1, SEQLEN))

    runs = []
    for run, sparsity, n, m, per_row in [("ria-layer-0.5", 0.5, 0, 0, False), ("ria-layer-0.7", 0.7, 0, 0, False),
                                          ("ria-row-0.5", 0.5, 0, 0, True), ("ria-2:4", 0.5, 2, 4, False)]:
        model = LlamaForCausalLM.from_pretrained(args.model, dtype=torch.float32)
        model.eval()
        model.config.use_cache = False
        prune_ria(model, calibration, sparsity, prune_n=n, prune_m=m, per_outneuron=per_row)
        line = {"run": run, "ppl": eval_ppl(model, evaluation), "weights": weight_checks(model), "sparsity": sparsity}
        runs.append(line)
        print(run, line["ppl"], flush=True)
    with open(args.out, "w") as f:
        for line in runs:
            f.write(json.dumps(line, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
