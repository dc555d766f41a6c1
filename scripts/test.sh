#!/usr/bin/env bash
# The test command: installs what is missing (scripts/deps.sh), then builds
# and runs the whole suite (tests/run.sh), whose last line is
# `N passed, N failed`.  Exits non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
exec bash tests/run.sh "$@"
