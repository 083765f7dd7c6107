#!/usr/bin/env bash
# Installs what PrunerZero needs on a Debian head or compute node, then builds it. Safe to run again.
#   deploy/install.sh            apt packages + release build
#   deploy/install.sh --debug    apt packages + debug build (what `swift test` uses)
#   deploy/install.sh --deps     apt packages only
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libnng-dev libmbedtls-dev libopenblas-dev zlib1g-dev pkg-config python3.11-doc)
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
    *) swift build -c release ;;
esac
