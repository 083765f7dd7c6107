#!/usr/bin/env bash
# G (calibration's forward + backward per window) of prunerzero-worker next to PyTorch, on a calibrated bundle's
# model and calibration windows, at equal threads, alternated round by round so both see the same machine load:
#   PYTHON=/path/to/venv/bin/python Benchmarks/Reference/compare-backward.sh BUNDLE HF_MODEL_DIR [WINDOWS] [ROUNDS] [THREADS]
# HF_MODEL_DIR is the bundle's model as a Hugging Face folder (`prunerzero-worker convert MODEL --out DIR` writes
# one from a GGUF file). Prints each side's best time and the ratio (PyTorch time / ours: above 1 is faster here),
# and our stage times.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 2 ] || { sed -n '2,7p' "$0" >&2; exit 2; }
bundle=$1 hf=$2 windows=${3:-8} rounds=${4:-2} threads=${5:-2}
python=${PYTHON:-python3}
"$python" -c "import torch, transformers" 2>/dev/null || { echo "compare-backward.sh: $python lacks torch/transformers" >&2; exit 1; }
swift build -c release --product prunerzero-worker >&2
worker=$(swift build -c release --show-bin-path)/prunerzero-worker

ours=inf theirs=inf stages=""
for round in $(seq "$rounds"); do
    out=$("$worker" bench-backward --bundle "$bundle" --calib-windows "$windows" --threads "$threads" --repeats 1)
    o=$(echo "$out" | grep '^G on' | sed -E 's/.*tokens\): ([0-9.]+) s.*/\1/')
    t=$("$python" Benchmarks/Reference/backward_bench.py --model "$hf" --bundle "$bundle" --windows "$windows" \
        --threads "$threads" 2>/dev/null | grep '^torch G' | sed -E 's/.*threads [0-9]+: ([0-9.]+) s.*/\1/')
    echo "round $round: prunerzero $o s, torch $t s" >&2
    if python3 -c "import sys; sys.exit(0 if $o < float('$ours') else 1)"; then ours=$o; stages=$(echo "$out" | grep 'stages:'); fi
    theirs=$(python3 -c "print(min(float('$theirs'), $t))")
done
echo "G over $windows calibration windows, $threads threads: prunerzero $ours s, torch $theirs s"
echo "$stages"
printf 'torch / prunerzero: %.2fx\n' "$(python3 -c "print($theirs / $ours)")"
