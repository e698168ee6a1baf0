#!/usr/bin/env bash
# Sets the machine up and runs every check: formatting, clippy, then the test suite
# (which reads ../shared beside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The headless build: the command line without the window (no GTK, no eframe).
cargo check --no-default-features --locked
cargo test --workspace --locked --no-fail-fast
