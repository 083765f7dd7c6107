#!/usr/bin/env bash
# Copies a finished training run's Hugging Face files into models/<name>/ and records what it measures there:
# validation perplexity (whole validation split), test perplexity (first 1024 windows of the test split), and the
# 16-window validation slice the tests re-check, all on the stored (bf16) weights, plus the corpus split's hashes.
#   deploy/ship-model.sh RUN_DIR MODEL_DIR [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
run=$1
model=$2
data=${3:-runs/data/python-docs}
bin=$(swift build -c release --show-bin-path)
seqlen=256

mkdir -p "$model"
cp "$run/config.json" "$run/model.safetensors" "$run/tokenizer.json" "$run/training-log.jsonl" "$model/"
evaluate() { "$bin/prunerzero-worker" eval --model "$model" --data "$data/$1.txt" --seqlen $seqlen --json ${2:+--max-windows $2} 2>/dev/null | tail -1; }
echo "ship-model: evaluating $model" >&2
slice=$(evaluate validation 16)
validation=$(evaluate validation)
test=$(evaluate test 1024)
cat > "$model/results.json" <<JSON
{
  "model": "$(basename "$model")",
  "weights_sha256": "$(sha256sum "$model/model.safetensors" | cut -d' ' -f1)",
  "validation_slice": $slice,
  "validation": $validation,
  "test": $test,
  "splits": $(cat "$data/splits.json")
}
JSON
cat "$model/results.json"
