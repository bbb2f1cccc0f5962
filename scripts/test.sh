#!/usr/bin/env bash
# Installs everything the test suite needs, builds, and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
exec tests/run.sh "$@"
