#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build (release), calibrate the bundled model once
# (cached in runs/default-bundle), run a short search with two local worker processes, then compare the best
# metric found with the baselines on the held-out test windows.
#
# The search scores metrics with the bundle's dense X (--x-mode static: no calibration pass per evaluation, ~10×
# faster); the final comparison prunes every metric exactly as the reference does (sequential X).
#   deploy/demo.sh                     defaults: 40 evaluations at 70% unstructured sparsity (where the baselines separate most on this model)
#   BUDGET=200 SPARSITY=0.7 deploy/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

budget=${BUDGET:-40}
sparsity=${SPARSITY:-0.7}
deploy/install.sh
bin=$(swift build -c release --show-bin-path)
bundle=$(deploy/default-bundle.sh | tail -n 1)
run=runs/demo-$(date +%Y%m%d-%H%M%S)

echo
echo "== Search: $budget evaluations, ${sparsity} unstructured sparsity, 2 local workers; log in $run/search.log"
"$bin/prunerzero-coordinator" search --bundle "$bundle" --run-dir "$run" --budget "$budget" --seed 2024 \
    --population 16 --spawn-workers 2 --sparsity "$sparsity" --type unstructured --x-mode static

echo
echo "== Held-out test perplexity at ${sparsity} unstructured, sequential X as the reference (lower is better)"
test_ppl() {
    "$bin/prunerzero-worker" prune --bundle "$bundle" --metric "$1" --sparsity "$sparsity" --test 2>/dev/null \
        | sed -n 's/^perplexity  dense \([0-9.]*\) → pruned \([0-9.]*\).*/\1 \2/p'
}
read -r dense magnitude < <(test_ppl magnitude)
printf '%-44s %10s\n' "dense model" "$dense"
printf '%-44s %10s\n' "magnitude" "$magnitude"
printf '%-44s %10s\n' "wanda  mul(W, sqrt(X))" "$(test_ppl wanda | cut -d' ' -f2)"
printf '%-44s %10s\n' "paper  mul(abs(mul(W, W)), mms(G))" "$(test_ppl paper | cut -d' ' -f2)"
best=$(sed -n 's/^Best metric.*): `\([^`]*\)`$/\1/p;s/^Best metric by fitness: `\([^`]*\)`.*/\1/p' "$run/report.md" | head -1)
printf '%-44s %10s\n' "found  ${best}" "$(test_ppl "$run/best_metric.json" | cut -d' ' -f2)"
echo
echo "Report: $run/report.md (plot: $run/progress.svg; best metric as a reference tree: $run/best_metric.json)"
