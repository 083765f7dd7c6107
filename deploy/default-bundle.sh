#!/usr/bin/env bash
# Builds the default calibrated bundle for the shipped model (models/pz-llama-4m) into runs/default-bundle, unless
# it is already there for the same model weights. Needs the release build and the python3.11-doc corpus
# (deploy/install.sh installs both). Prints the bundle's path on its last line.
#   deploy/default-bundle.sh [OUT]     OUT defaults to runs/default-bundle
#
# Calibration: 128 windows × 256 tokens from the calibration split (offsets drawn as the reference does, seed 0);
# fitness: the first 32 windows of the validation split; held-out test: the first 256 windows of the test split.
set -euo pipefail
cd "$(dirname "$0")/.."

model=models/pz-llama-4m
out=${1:-runs/default-bundle}
data=runs/data/python-docs
corpus=/usr/share/doc/python3.11/html/_sources

stamp=$(sha256sum "$model/model.safetensors" | cut -d' ' -f1)
if [ -f "$out/manifest.json" ] && [ "$(cat "$out/.model-sha256" 2>/dev/null)" = "$stamp" ]; then
    echo "default bundle: $out is up to date (model $model)" >&2
    echo "$out"
    exit 0
fi

[ -d "$corpus" ] || { echo "default-bundle.sh: $corpus is missing; run deploy/install.sh (python3.11-doc)" >&2; exit 1; }
bin=$(swift build -c release --show-bin-path)
if [ ! -x "$bin/prunerzero-worker" ]; then
    echo "default bundle: building prunerzero-worker (release)" >&2
    swift build -c release --product prunerzero-worker >&2
fi

if [ ! -f "$data/splits.json" ]; then
    echo "default bundle: splitting the Python 3.11 docs into $data" >&2
    "$bin/prunerzero-worker" split-corpus --root "$corpus" --out "$data" >&2
fi
# The split must be the one the model was trained and measured on.
for hash in $(grep -o '"file_list_sha256" *: *"[0-9a-f]*"' "$data/splits.json" | grep -o '[0-9a-f]\{64\}'); do
    grep -q "$hash" "$model/results.json" || {
        echo "default-bundle.sh: $data differs from the split recorded in $model/results.json (corpus version?)" >&2
        exit 1
    }
done

echo "default bundle: calibrating $model into $out (G over 128 windows × 256 tokens, dense X)" >&2
"$bin/prunerzero-worker" calibrate --model "$model" --data "$data/calibration.txt" --nsamples 128 --seqlen 256 \
    --seed 0 --eval-data "$data/validation.txt" --eval-windows 32 --test-data "$data/test.txt" --test-windows 256 \
    --validation-windows 256 \
    --out "$out" --force >&2
echo "$stamp" > "$out/.model-sha256"
echo "$out"
