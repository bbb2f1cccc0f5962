#!/usr/bin/env bash
# Quick start: installs the build dependencies, builds sipwarden, and runs it
# on its defaults over a capture of real attacks (examples/attack.pcap).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
make -s -j2 build/sipwarden
echo "== sipwarden replay examples/attack.pcap (defaults) =="
build/sipwarden replay examples/attack.pcap
