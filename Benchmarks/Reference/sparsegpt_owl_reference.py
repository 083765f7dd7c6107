#!/usr/bin/env python3
"""SparseGPT and OWL run as their official code runs them, on a Hugging Face fixture, for the worker's tests.

A test companion, not part of the worker. The algorithms are the official ones, kept line for line where they
compute something:
  * SparseGPT: `SparseGPT.add_batch` / `fasterprune` of github.com/IST-DASLab/sparsegpt (sparsegpt.py; the copy
    github.com/pprp/Pruner-Zero carries in lib/sparsegpt.py, without its quantizer and debug branches), driven as
    Pruner-Zero's `prune_sparsegpt` (lib/prune.py) drives it: per block, hooks accumulate every linear's H over a
    dense pass of the calibration windows, each linear is pruned with percdamp 0.01 and blocksize 128, and the
    pruned block's outputs become the next block's inputs.
  * OWL: `prune_wanda_outlier` of github.com/luuyin/OWL (lib/prune_all.py): outlier ratios of the Wanda scores per
    block from a dense pass (`check_outlier_mean`), the numpy allocation, then Wanda per block at its ratio with X
    from the pruned earlier blocks; and `prune_sparsegpt_outlier` (the same allocation, SparseGPT per block).
The pipeline pieces (block-0 capture, scaler_row, perplexity) are fitness_reference.py's, which the worker already
matches to 1e-4 (README, "Fitness"). Calibration and evaluation windows are the prune-reference fixture's
(../shared/fixtures/prune-reference/README.md): 8 windows of 64 tokens of `calib.bin` at fixed offsets, 16 of
`eval.bin`.

Output (the file the tests read): one JSON line per run with perplexity, per-linear sparsity, per-linear checks of the
final weights (sha256 of the zero mask, Float64 sum and sum of squares, 64 sampled values at a fixed stride), and
for OWL the outlier ratios and block sparsities (repr-exact floats).

Usage: python sparsegpt_owl_reference.py --model ../shared/fixtures/hf-llama/sharded --out FILE.jsonl
"""

import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import transformers
from transformers import LlamaForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fitness_reference import LINEARS, ScalerRow, capture_block0_inputs, eval_ppl, linears_of  # noqa: E402

OFFSETS = [1729, 788, 1552, 1823, 861, 82, 530, 1977]
SEQLEN = 64


# ----------------------------------------------------------------------------------------------------------------
# SparseGPT, official (sparsegpt.py at IST-DASLab/sparsegpt; quantizer and DEBUG branches removed)


class SparseGPT:
    def __init__(self, layer):
        self.layer = layer
        self.dev = self.layer.weight.device
        W = layer.weight.data.clone()
        self.rows = W.shape[0]
        self.columns = W.shape[1]
        self.H = torch.zeros((self.columns, self.columns), device=self.dev)
        self.nsamples = 0

    def add_batch(self, inp, out):
        if len(inp.shape) == 2:
            inp = inp.unsqueeze(0)
        tmp = inp.shape[0]
        if isinstance(self.layer, nn.Linear) or isinstance(self.layer, transformers.Conv1D):
            if len(inp.shape) == 3:
                inp = inp.reshape((-1, inp.shape[-1]))
            inp = inp.t()
        self.H *= self.nsamples / (self.nsamples + tmp)
        self.nsamples += tmp
        inp = math.sqrt(2 / self.nsamples) * inp.float()
        self.H += inp.matmul(inp.t())

    def fasterprune(self, sparsity, prune_n=0, prune_m=0, blocksize=128, percdamp=.01):
        W = self.layer.weight.data.clone()
        W = W.float()
        H = self.H
        del self.H
        dead = torch.diag(H) == 0
        H[dead, dead] = 1
        W[:, dead] = 0
        Losses = torch.zeros(self.rows, device=self.dev)
        damp = percdamp * torch.mean(torch.diag(H))
        diag = torch.arange(self.columns, device=self.dev)
        H[diag, diag] += damp
        H = torch.linalg.cholesky(H)
        H = torch.cholesky_inverse(H)
        H = torch.linalg.cholesky(H, upper=True)
        Hinv = H
        mask = None
        for i1 in range(0, self.columns, blocksize):
            i2 = min(i1 + blocksize, self.columns)
            count = i2 - i1
            W1 = W[:, i1:i2].clone()
            Q1 = torch.zeros_like(W1)
            Err1 = torch.zeros_like(W1)
            Losses1 = torch.zeros_like(W1)
            Hinv1 = Hinv[i1:i2, i1:i2]
            if prune_n == 0:
                if mask is not None:
                    mask1 = mask[:, i1:i2]
                else:
                    tmp = W1 ** 2 / (torch.diag(Hinv1).reshape((1, -1))) ** 2
                    thresh = torch.sort(tmp.flatten())[0][int(tmp.numel() * sparsity)]
                    mask1 = tmp <= thresh
            else:
                mask1 = torch.zeros_like(W1) == 1
            for i in range(count):
                w = W1[:, i]
                d = Hinv1[i, i]
                if prune_n != 0 and i % prune_m == 0:
                    tmp = W1[:, i:(i + prune_m)] ** 2 / (torch.diag(Hinv1)[i:(i + prune_m)].reshape((1, -1))) ** 2
                    mask1.scatter_(1, i + torch.topk(tmp, prune_n, dim=1, largest=False)[1], True)
                q = w.clone()
                q[mask1[:, i]] = 0
                Q1[:, i] = q
                Losses1[:, i] = (w - q) ** 2 / d ** 2
                err1 = (w - q) / d
                W1[:, i:] -= err1.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
                Err1[:, i] = err1
            W[:, i1:i2] = Q1
            Losses += torch.sum(Losses1, 1) / 2
            W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])
        self.layer.weight.data = W.reshape(self.layer.weight.shape).to(self.layer.weight.data.dtype)


def prune_sparsegpt(model, calibration, sparsity, prune_n=0, prune_m=0, block_ratios=None):
    """Pruner-Zero's prune_sparsegpt; with `block_ratios`, OWL's prune_sparsegpt_outlier (ratio per block)."""
    inps, outs, kwargs = capture_block0_inputs(model, calibration)
    for i, layer in enumerate(model.model.layers):
        subset = linears_of(layer)
        gpts = {name: SparseGPT(subset[name]) for name in subset}

        def add_batch(name):
            def hook(_, inp, out):
                gpts[name].add_batch(inp[0].data, out.data)
            return hook

        handles = [subset[name].register_forward_hook(add_batch(name)) for name in gpts]
        for j in range(calibration.shape[0]):
            outs[j] = layer(inps[j].unsqueeze(0), **kwargs)[0]
        for h in handles:
            h.remove()
        ratio = sparsity if block_ratios is None else block_ratios[i]
        for name in gpts:
            gpts[name].fasterprune(ratio, prune_n=prune_n, prune_m=prune_m, percdamp=0.01, blocksize=128)
        for j in range(calibration.shape[0]):
            outs[j] = layer(inps[j].unsqueeze(0), **kwargs)[0]
        inps, outs = outs, inps


# ----------------------------------------------------------------------------------------------------------------
# OWL, official (prune_wanda_outlier of luuyin/OWL lib/prune_all.py)


def check_outlier_mean(mask, threshold):
    W = mask
    count = 0
    total_params = 0
    max_shred = torch.mean(W) * threshold
    count += (W > max_shred).sum().item()
    total_params += W.numel()
    outlier_ratio = float(count) / total_params * 100
    return outlier_ratio


def owl_allocation(model, calibration, sparsity, hyper_m, lamda):
    """The first half of prune_wanda_outlier: the dense pass, outlier ratios, the numpy allocation."""
    all_layer_ratio = []
    inps, outs, kwargs = capture_block0_inputs(model, calibration)
    for i, layer in enumerate(model.model.layers):
        subset = linears_of(layer)
        wrapped = {name: ScalerRow(subset[name]) for name in subset}

        def add_batch(name):
            def hook(_, inp, out):
                wrapped[name].add_batch(inp[0].data)
            return hook

        handles = [subset[name].register_forward_hook(add_batch(name)) for name in wrapped]
        for j in range(calibration.shape[0]):
            outs[j] = layer(inps[j].unsqueeze(0), **kwargs)[0]
        for h in handles:
            h.remove()
        layer_wmetric = []
        for name in subset:
            W_metric = torch.abs(subset[name].weight.data) * torch.sqrt(wrapped[name].scaler_row.reshape((1, -1)))
            layer_wmetric.append(W_metric)
        for j in range(calibration.shape[0]):
            outs[j] = layer(inps[j].unsqueeze(0), **kwargs)[0]
        inps, outs = outs, inps
        layer_wmetric = torch.cat([torch.flatten(x.cpu()) for x in layer_wmetric])
        all_layer_ratio.append(check_outlier_mean(layer_wmetric, hyper_m))
    outliers = list(all_layer_ratio)
    all_layer_ratio = np.array(all_layer_ratio)
    all_layer_ratio = ((all_layer_ratio - all_layer_ratio.min()) * (1 / (all_layer_ratio.max() - all_layer_ratio.min()) * lamda * 2))
    all_layer_ratio = all_layer_ratio - np.mean(all_layer_ratio) + (1 - sparsity)
    block = []
    for i in range(len(all_layer_ratio)):
        layer_sparsity_ratio = 1 - all_layer_ratio[i]
        if layer_sparsity_ratio <= 0:
            layer_sparsity_ratio = 0.01
        block.append(float(layer_sparsity_ratio))
    return outliers, block


def prune_wanda_blocks(model, calibration, block_ratios):
    """The second half of prune_wanda_outlier (unstructured, no variant): Wanda per block at its ratio."""
    inps, outs, kwargs = capture_block0_inputs(model, calibration)
    for i, layer in enumerate(model.model.layers):
        subset = linears_of(layer)
        wrapped = {name: ScalerRow(subset[name]) for name in subset}

        def add_batch(name):
            def hook(_, inp, out):
                wrapped[name].add_batch(inp[0].data)
            return hook

        handles = [subset[name].register_forward_hook(add_batch(name)) for name in wrapped]
        for j in range(calibration.shape[0]):
            outs[j] = layer(inps[j].unsqueeze(0), **kwargs)[0]
        for h in handles:
            h.remove()
        for name in subset:
            W_metric = torch.abs(subset[name].weight.data) * torch.sqrt(wrapped[name].scaler_row.reshape((1, -1)))
            layer_sparsity_ratio = block_ratios[i]
            W_mask = (torch.zeros_like(W_metric) == 1)
            sort_res = torch.sort(W_metric, dim=-1, stable=True)
            indices = sort_res[1][:, :int(W_metric.shape[1] * layer_sparsity_ratio)]
            W_mask.scatter_(1, indices, True)
            subset[name].weight.data[W_mask] = 0
        for j in range(calibration.shape[0]):
            outs[j] = layer(inps[j].unsqueeze(0), **kwargs)[0]
        inps, outs = outs, inps


# ----------------------------------------------------------------------------------------------------------------


def weight_checks(model):
    """Per linear: zero-mask sha256 (uint8 row-major, 1 = zero), sparsity, Float64 sum and sum of squares, samples."""
    checks = {}
    for i, layer in enumerate(model.model.layers):
        for name, linear in linears_of(layer).items():
            W = linear.weight.data.float()
            zeros = (W == 0).to(torch.uint8).contiguous().numpy()
            flat = W.flatten().double()
            stride = max(1, flat.numel() // 64)
            checks[f"model.layers.{i}.{name}"] = {
                "zero_sha256": hashlib.sha256(zeros.tobytes()).hexdigest(),
                "sparsity": float(zeros.mean()),
                "sum": float(flat.sum()), "sum_squares": float((flat * flat).sum()),
                "sample_stride": stride, "samples": [float(v) for v in flat[::stride][:64]],
            }
    return checks


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

    def fresh():
        model = LlamaForCausalLM.from_pretrained(args.model, dtype=torch.float32)
        model.eval()
        model.config.use_cache = False
        return model

    runs = []

    def record(run, model, **extra):
        line = {"run": run, "ppl": eval_ppl(model, evaluation), "weights": weight_checks(model), **extra}
        runs.append(line)
        print(run, line["ppl"], {k: v for k, v in extra.items()}, flush=True)

    record("dense", fresh())
    for name, n, m in [("sparsegpt-unstructured-0.5", 0, 0), ("sparsegpt-2:4", 2, 4)]:
        model = fresh()
        prune_sparsegpt(model, calibration, 0.5, prune_n=n, prune_m=m)
        record(name, model)
    for sparsity, hyper_m, lamda in [(0.5, 5, 0.08), (0.7, 5, 0.08), (0.6, 3, 0.2)]:
        model = fresh()
        outliers, block = owl_allocation(model, calibration, sparsity, hyper_m, lamda)
        prune_wanda_blocks(model, calibration, block)
        record(f"wanda-owl-{sparsity}-{hyper_m}-{lamda}", model, outlier_ratios=outliers, block_sparsity=block,
               sparsity=sparsity, m=hyper_m, lamda=lamda)
    model = fresh()
    outliers, block = owl_allocation(model, calibration, 0.6, 5, 0.08)
    prune_sparsegpt(model, calibration, 0.6, block_ratios=block)
    record("sparsegpt-owl-0.6-5-0.08", model, outlier_ratios=outliers, block_sparsity=block, sparsity=0.6, m=5,
           lamda=0.08)

    with open(args.out, "w") as f:
        for line in runs:
            f.write(json.dumps(line, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
