#!/usr/bin/env bash
# Sets the machine up and starts the FaceSorter window (extra arguments are passed on).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec cargo run --release --locked -- "$@"
