#!/usr/bin/env bash
# The small-model forward of prunerzero-worker next to Hugging Face transformers, alternated in one run so both
# see the same machine load. Needs a Python with torch and transformers:
#   PYTHON=/path/to/venv/bin/python Benchmarks/Reference/compare-forward.sh [ROUNDS]
# Prints each side's best tokens/s at 1 and 2 threads, and the ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
python=${PYTHON:-python3}
"$python" -c "import torch, transformers" 2>/dev/null || { echo "compare-forward.sh: $python lacks torch/transformers" >&2; exit 1; }
swift build -c release --product prunerzero-worker >&2
worker=$(swift build -c release --show-bin-path)/prunerzero-worker

declare -A best
keep() { # keep KEY TOKENS_PER_S
    local old=${best[$1]:-0}
    best[$1]=$(python3 -c "print(max($old, $2))")
}
for round in $(seq "$rounds"); do
    for threads in 1 2; do
        ours=$("$worker" bench-forward --skip-big --threads "$threads" --repeats 3 2>/dev/null | grep '^small GQA' \
            | sed -E 's/.*tokens: [0-9.]+ s, ([0-9]+) tokens\/s.*/\1/')
        theirs=$("$python" Benchmarks/Reference/forward_transformers.py --threads "$threads" --repeats 3 \
            | sed -E 's/.* s, ([0-9]+) tokens\/s.*/\1/')
        echo "round $round, $threads thread(s): prunerzero $ours tokens/s, transformers $theirs tokens/s" >&2
        keep "ours$threads" "$ours"
        keep "theirs$threads" "$theirs"
    done
done
printf '%-10s %14s %14s %8s\n' threads prunerzero transformers ratio
for threads in 1 2; do
    o=${best[ours$threads]} t=${best[theirs$threads]}
    printf '%-10s %14.0f %14.0f %7.2fx\n' "$threads" "$o" "$t" "$(python3 -c "print($o / $t)")"
done
printf 'prunerzero at 2 threads / transformers at 1 thread (the issue'"'"'s yardstick): %.2fx\n' \
    "$(python3 -c "print(${best[ours2]} / ${best[theirs1]})")"
