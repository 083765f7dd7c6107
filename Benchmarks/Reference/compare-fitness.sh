#!/usr/bin/env bash
# One fitness evaluation of prunerzero-worker next to a faithful PyTorch implementation of the reference pipeline
# (fitness_reference.py), alternated in one run on the same bundle so both see the same machine load.
#   PYTHON=/path/to/venv/bin/python [HF_DIR=DIR] Benchmarks/Reference/compare-fitness.sh BUNDLE [METRIC] [SPARSITY] [ROUNDS]
# HF_DIR: the Hugging Face folder the reference loads when the bundle's model is a GGUF file (`prunerzero-worker
# convert FILE --out DIR` writes it, F32: the same values the worker dequantizes); by default the bundle's model
# folder.
# METRIC is wanda, magnitude or paper. The worker's time is its evaluation alone (the JSON's stage times: X pass,
# metric, masks, pruned passes, output head), without loading or the dense perplexity `prune` also prints; the
# reference's is its own timed section (G loaded beforehand in both). Prints the best of each and the ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
bundle=${1:?usage: compare-fitness.sh BUNDLE [METRIC] [SPARSITY] [ROUNDS]}
metric=${2:-wanda} sparsity=${3:-0.7} rounds=${4:-3}
python=${PYTHON:-python3}
"$python" -c "import torch, transformers, safetensors" 2>/dev/null || { echo "compare-fitness.sh: $python lacks torch/transformers/safetensors" >&2; exit 1; }
# The manifest's path is relative to the bundle's folder.
model=${HF_DIR:-$(python3 -c "import json,os,sys; print(os.path.join(sys.argv[1], json.load(open(os.path.join(sys.argv[1], 'manifest.json')))['modelDirectory']))" "$bundle" 2>/dev/null || true)}
[ -d "$model" ] || { echo "compare-fitness.sh: the bundle's model is not a Hugging Face folder; set HF_DIR (prunerzero-worker convert)" >&2; exit 1; }
case $metric in paper) formula='mul(abs(mul(W, W)), mms(G))' ;; *) formula=$metric ;; esac
swift build -c release --product prunerzero-worker >&2
worker=$(swift build -c release --show-bin-path)/prunerzero-worker

best() { python3 -c "import sys; print(min(float(x) for x in sys.argv[1:]))" "$@"; }
ours1=() ours2=() theirs1=() theirs2=()
for round in $(seq "$rounds"); do
    for threads in 1 2; do
        # One thread: both pinned to one CPU (the worker sizes its lanes and OpenBLAS from the affinity mask).
        pin=(); [ "$threads" = 1 ] && pin=(taskset -c 0)
        o=$("${pin[@]}" "$worker" prune --bundle "$bundle" --metric "$formula" --sparsity "$sparsity" --json 2>/dev/null \
            | python3 -c "import json,sys; d=json.load(sys.stdin); print(sum(d['stage_seconds'].values()), d['perplexity'])")
        t=$("${pin[@]}" "$python" Benchmarks/Reference/fitness_reference.py --bundle "$bundle" --model "$model" --metric "$metric" \
            --sparsity "$sparsity" --threads "$threads" --repeats 1 | grep '^reference fitness' \
            | sed -E 's/.*threads [0-9]+: ([0-9.]+) s .*perplexity ([0-9.]+).*/\1 \2/')
        echo "round $round, $threads thread(s): prunerzero ${o% *} s (ppl ${o#* }), reference ${t% *} s (ppl ${t#* })" >&2
        eval "ours$threads+=(${o% *}) theirs$threads+=(${t% *})"
    done
done
o1=$(best "${ours1[@]}") o2=$(best "${ours2[@]}") t1=$(best "${theirs1[@]}") t2=$(best "${theirs2[@]}")
printf '%-8s %12s %12s %8s\n' threads prunerzero reference speedup
printf '%-8s %11.3fs %11.3fs %7.2fx\n' 1 "$o1" "$t1" "$(python3 -c "print($t1 / $o1)")"
printf '%-8s %11.3fs %11.3fs %7.2fx\n' 2 "$o2" "$t2" "$(python3 -c "print($t2 / $o2)")"
printf 'prunerzero at 2 threads vs the reference at 1 thread (the issue'"'"'s yardstick): %.2fx\n' "$(python3 -c "print($t1 / $o2)")"
