#!/usr/bin/env python3
"""Time one Pruner-Zero fitness evaluation the way the reference PyTorch code does it.

This is a benchmark companion, not part of the worker. It re-implements (in our own words) the algorithm of the
reference repository github.com/pprp/Pruner-Zero -- `lib/prune.py` (prepare_calibration_input, prune_wanda,
prune_magnitude, prune_pruner_zero), `lib/layerwrapper.py` (WrappedGPT.add_batch) and `lib/eval.py`
(eval_ppl_wikitext) -- on the inputs of one of our calibrated bundles, so that

  * its wall time can be set side by side with `prunerzero-worker prune` on the same bundle, and
  * its perplexity can be checked against the worker's (they should agree to ~1e-4 relative or better).

One fitness evaluation = calibration inputs to block 0, then per block: a dense pass over every calibration window
(one window at a time, forward hooks accumulating X = scaler_row), the metric and an unstructured per-row mask for
its seven linears (applied in place), a pass of the pruned block to make the next block's inputs; then perplexity
of the pruned model on the bundle's evaluation windows, one window per forward. G is read from the bundle (not
timed); the magnitude method is data-free (no calibration pass), as in the reference. Model loading and restoring
the dense weights between repeats are not timed. The rules are stated in REFERENCE-SEMANTICS.md of the shared fixtures (../shared beside a checkout).

Bundle inputs: manifest.json (seqlen, window files), calibration.bin and evaluation.bin ((windows, seqlen) uint32
little-endian token ids), gradients.safetensors (G per linear, float32 or float16, named
`model.layers.{i}.self_attn.q_proj` ...; the reference names them `self_attn.q_proj_layer_{i}`).

Usage (a venv with torch, transformers and safetensors):

    python fitness_reference.py --bundle BUNDLE_DIR --model HF_MODEL_DIR \\
        --metric {wanda,magnitude,paper} --sparsity 0.7 --threads 1 --repeats 1

`paper` is the published Pruner-Zero metric mul(abs(mul(W, W)), mms(G)). Output: one line per repeat, then

    reference fitness: metric wanda, sparsity 0.70, threads 1: 9.876 s (calibration+pruning 6.5 s, evaluation 3.3 s), perplexity 4.2447

with the best (smallest total) time over the repeats.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import load_file
from transformers import LlamaForCausalLM

LINEARS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
           "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]


# ----------------------------------------------------------------------------------------------------------------
# Bundle inputs


def read_windows(bundle, window_set, seqlen):
    """(windows, seqlen) token ids from a bundle's uint32 little-endian window file, as int64."""
    tokens = np.fromfile(os.path.join(bundle, window_set["file"]), dtype="<u4")
    if tokens.size != window_set["windows"] * seqlen:
        sys.exit(f"{window_set['file']}: {tokens.size} tokens, expected {window_set['windows']} x {seqlen}")
    return torch.from_numpy(tokens.astype(np.int64)).reshape(window_set["windows"], seqlen)


def read_gradients(bundle, layers):
    """G per linear under the reference's key `{name}_layer_{i}`, as stored (the reference casts at use)."""
    stored = load_file(os.path.join(bundle, "gradients.safetensors"))
    return {f"{name}_layer_{i}": stored[f"model.layers.{i}.{name}"] for i in range(layers) for name in LINEARS}


# ----------------------------------------------------------------------------------------------------------------
# The reference's pieces


class ScalerRow:
    """WrappedGPT: running mean over calibration windows of the per-input-channel sum over tokens of x^2."""

    def __init__(self, linear):
        self.scaler_row = torch.zeros(linear.weight.shape[1], device=linear.weight.device)
        self.nsamples = 0

    def add_batch(self, inp):
        if inp.dim() == 2:
            inp = inp.unsqueeze(0)
        tmp = inp.shape[0]                                   # windows in this call (1)
        inp = inp.reshape(-1, inp.shape[-1]).t()             # (in, tokens)
        self.scaler_row *= self.nsamples / (self.nsamples + tmp)
        self.nsamples += tmp
        inp = inp.type(torch.float32)
        self.scaler_row += torch.norm(inp, p=2, dim=1) ** 2 / self.nsamples


def linears_of(layer):
    return {name: layer.get_submodule(name) for name in LINEARS}


def capture_block0_inputs(model, calibration):
    """prepare_calibration_input: run each window through the model up to block 0 and keep what block 0 receives.

    The reference keeps attention_mask and position_ids; transformers >= 4.48 also hands the decoder layers the
    rotary `position_embeddings` (computed once by the model), which are kept too.
    """
    layers = model.model.layers
    inps = torch.zeros((calibration.shape[0], calibration.shape[1], model.config.hidden_size),
                       dtype=next(model.parameters()).dtype)
    cache = {"i": 0, "kwargs": None}

    class Catcher(nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

        def forward(self, inp, **kwargs):
            inps[cache["i"]] = inp
            cache["i"] += 1
            cache["kwargs"] = kwargs
            raise ValueError

    layers[0] = Catcher(layers[0])
    for window in calibration:
        try:
            model(window.unsqueeze(0))
        except ValueError:
            pass
    layers[0] = layers[0].module
    kw = cache["kwargs"]
    layer_kwargs = {"attention_mask": kw.get("attention_mask"), "position_ids": kw.get("position_ids")}
    if "position_embeddings" in kw:
        layer_kwargs["position_embeddings"] = kw["position_embeddings"]
    return inps, torch.zeros_like(inps), layer_kwargs


def mms(x):
    """gptree.mms: min-max scaling over the whole tensor."""
    return (x - x.min()) / (x.max() - x.min())


def metric_of(method, weight, scaler_row, gradient):
    if method == "wanda":
        return torch.abs(weight) * torch.sqrt(scaler_row.reshape((1, -1)))
    if method == "paper":  # engine.forward(W=|weight|, G, X) for the tree mul(abs(mul(W, W)), mms(G))
        W = torch.abs(weight).to(torch.float32)
        G = gradient.to(device=W.device, dtype=torch.float32)
        return torch.abs(W * W) * mms(G)
    raise ValueError(method)


def prune_unstructured(linear, metric, sparsity):
    """Per output row, zero the int(in * sparsity) entries with the smallest metric (stable sort: ties by column)."""
    sort_res = torch.sort(metric, dim=-1, stable=True)
    indices = sort_res[1][:, :int(metric.shape[1] * sparsity)]
    mask = torch.zeros_like(metric) == 1
    mask.scatter_(1, indices, True)
    linear.weight.data[mask] = 0


def prune_magnitude(model, sparsity):
    """prune_magnitude: one threshold per matrix, prune |W| <= sorted(|W|)[int(numel * sparsity)]. No data."""
    for layer in model.model.layers:
        for linear in linears_of(layer).values():
            W = linear.weight.data
            W_metric = torch.abs(W)
            thresh = torch.sort(W_metric.flatten())[0][int(W.numel() * sparsity)]
            W[W_metric <= thresh] = 0


def prune_sequential(model, calibration, method, sparsity, gradients):
    """prune_wanda / prune_pruner_zero, unstructured, in place: block by block, X from the pruned earlier blocks."""
    use_cache = model.config.use_cache
    model.config.use_cache = False
    inps, outs, layer_kwargs = capture_block0_inputs(model, calibration)
    nsamples = calibration.shape[0]
    for i, layer in enumerate(model.model.layers):
        subset = linears_of(layer)
        wrapped = {name: ScalerRow(subset[name]) for name in subset}

        def add_batch(name):
            def hook(_, inp, out):
                wrapped[name].add_batch(inp[0].data)
            return hook

        handles = [subset[name].register_forward_hook(add_batch(name)) for name in subset]
        for j in range(nsamples):
            outs[j] = layer(inps[j].unsqueeze(0), **layer_kwargs)[0]
        for h in handles:
            h.remove()

        for name in subset:
            gradient = gradients[f"{name}_layer_{i}"] if method == "paper" else None
            metric = metric_of(method, subset[name].weight.data, wrapped[name].scaler_row, gradient)
            prune_unstructured(subset[name], metric, sparsity)

        for j in range(nsamples):
            outs[j] = layer(inps[j].unsqueeze(0), **layer_kwargs)[0]
        inps, outs = outs, inps
    model.config.use_cache = use_cache


def eval_ppl(model, evaluation):
    """eval_ppl_wikitext with bs = 1: nll = mean CE over seqlen-1 predictions * seqlen; exp(sum / (n * seqlen))."""
    nsamples, seqlen = evaluation.shape
    nlls = []
    loss_fct = nn.CrossEntropyLoss()
    for i in range(nsamples):
        inputs = evaluation[i:i + 1]
        lm_logits = model(inputs).logits
        shift_logits = lm_logits[:, :-1, :].contiguous()
        shift_labels = inputs[:, 1:]
        loss = loss_fct(shift_logits.reshape(-1, shift_logits.size(-1)), shift_labels.reshape(-1))
        nlls.append(loss.float() * seqlen)
    return torch.exp(torch.stack(nlls).sum() / (nsamples * seqlen)).item()


def sparsity_of(model):
    zeros = total = 0
    for layer in model.model.layers:
        for linear in linears_of(layer).values():
            zeros += (linear.weight.data == 0).sum().item()
            total += linear.weight.numel()
    return zeros / total


# ----------------------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", required=True, help="calibrated bundle directory (prunerzero-worker calibrate)")
    parser.add_argument("--model", required=True, help="Hugging Face LLaMA model directory")
    parser.add_argument("--metric", required=True, choices=["wanda", "magnitude", "paper"])
    parser.add_argument("--sparsity", type=float, default=0.7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(False)

    with open(os.path.join(args.bundle, "manifest.json")) as f:
        manifest = json.load(f)
    seqlen = manifest["seqlen"]
    calibration = read_windows(args.bundle, manifest["calibration"], seqlen)
    evaluation = read_windows(args.bundle, manifest["evaluation"], seqlen)

    model = LlamaForCausalLM.from_pretrained(args.model, dtype=torch.float32)
    model.eval()
    model.seqlen = seqlen
    gradients = read_gradients(args.bundle, model.config.num_hidden_layers) if args.metric == "paper" else None
    dense = {name: p.detach().clone() for name, p in model.named_parameters()}

    best = None
    for r in range(args.repeats):
        if r > 0:  # restore the dense weights (not timed)
            for name, p in model.named_parameters():
                p.data.copy_(dense[name])
        start = time.perf_counter()
        if args.metric == "magnitude":
            prune_magnitude(model, args.sparsity)
        else:
            prune_sequential(model, calibration, args.metric, args.sparsity, gradients)
        pruned = time.perf_counter()
        ppl = eval_ppl(model, evaluation)
        end = time.perf_counter()
        run = (end - start, pruned - start, end - pruned, ppl)
        print(f"repeat {r + 1}/{args.repeats}: {run[0]:.3f} s (calibration+pruning {run[1]:.3f} s, evaluation "
              f"{run[2]:.3f} s), perplexity {ppl:.8f}, sparsity {sparsity_of(model):.6f}", flush=True)
        if best is None or run[0] < best[0]:
            best = run

    total, pruning, evaluating, ppl = best
    print(f"reference fitness: metric {args.metric}, sparsity {args.sparsity:.2f}, threads {args.threads}: "
          f"{total:.3f} s (calibration+pruning {pruning:.1f} s, evaluation {evaluating:.1f} s), "
          f"perplexity {ppl:.4f}")


if __name__ == "__main__":
    main()
