#!/usr/bin/env bash
# Installs what PrunerZero needs on a Debian head or compute node, then builds it. Safe to run again.
# Head and compute nodes need the same packages and binaries (deploy/README.md, "Run on a cluster").
#   deploy/install.sh            apt packages + release build
#   deploy/install.sh --debug    apt packages + debug build (what `swift test` uses)
#   deploy/install.sh --deps     apt packages only
#   deploy/install.sh --install DIR   apt packages + release build, binaries copied to DIR (e.g. /usr/local/bin,
#                                      where the systemd units look; or shared storage for Slurm)
set -euo pipefail
cd "$(dirname "$0")/.."

# openssl: TLS certificates (deploy/README.md) and the TLS test; iproute2: the multi-host test (ip netns).
packages=(libnng-dev libmbedtls-dev libopenblas-dev zlib1g-dev pkg-config python3.11-doc openssl iproute2)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install.sh: installing ${missing[*]}" >&2
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v swift >/dev/null || { echo "install.sh: swift is not on PATH (Swift 6.0 or newer is needed)" >&2; exit 1; }

case "${1:-}" in
    --deps) exit 0 ;;
    --debug) swift build ;;
    --install)
        target=${2:?"--install needs a directory"}
        swift build -c release
        bin=$(swift build -c release --show-bin-path)
        install -d "$target"
        install -m 755 "$bin/prunerzero-coordinator" "$bin/prunerzero-worker" "$target/"
        echo "install.sh: installed prunerzero-coordinator and prunerzero-worker in $target" >&2 ;;
    *) swift build -c release ;;
esac
