#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build in release mode, run the demo.
# Today the demo is the metric language; the search demo on the bundled model replaces it when the search lands.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install.sh
bin=$(swift build -c release --show-bin-path)
echo "== The paper's published metric (the reference's data/best_tree.json), every form:"
"$bin/prunerzero-coordinator" metric show 'mul(abs(mul(W, W)), mms(G))'
echo
echo "== Ten random metrics, as a search with seed 2024 would draw its first population:"
"$bin/prunerzero-coordinator" metric random --seed 2024 --count 10
