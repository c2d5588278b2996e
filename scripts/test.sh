#!/usr/bin/env bash
# The whole test suite. Installs what it needs, runs every test, exits non-zero on failure.
# Usage: bash scripts/test.sh [extra nextest args]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "test.sh: cargo is not installed; install Rust 1.95 (rustup) first" >&2
  exit 1
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "test.sh: installing cargo-nextest" >&2
  cargo install --locked cargo-nextest
fi

# Services needed by later test suites (moto_server, PostgreSQL) are started here.

cargo build --workspace --all-targets --locked
cargo nextest run --workspace --no-fail-fast --locked "$@"
cargo test --workspace --doc --locked
