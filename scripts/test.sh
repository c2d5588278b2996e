#!/usr/bin/env bash
# The whole test suite. Installs what it needs, starts moto_server (the AWS API
# emulator the provider tests talk to), runs every test, stops moto.
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
if ! command -v moto_server >/dev/null 2>&1; then
  echo "test.sh: installing moto[server] from PyPI" >&2
  python3 -m pip install --quiet "moto[server]"
fi

# moto_server on a free loopback port, stopped when this script exits.
work=$(mktemp -d)
moto_pid=""
cleanup() {
  if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$moto_pid" 2>/dev/null; then break; fi
  sleep 0.2
done
if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
  export STRATA_TEST_MOTO_URL="http://127.0.0.1:$port"
  # The AWS SDK's own settings too (tests that start strata pass their own).
  export AWS_ENDPOINT_URL="$STRATA_TEST_MOTO_URL" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
  echo "test.sh: moto_server on $STRATA_TEST_MOTO_URL" >&2
else
  echo "test.sh: moto_server did not start:" >&2
  cat "$work/moto.log" >&2 || true
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "test.sh: outside CI the AWS tests will skip" >&2
fi

cargo build --workspace --all-targets --locked
cargo nextest run --workspace --no-fail-fast --locked "$@"
cargo test --workspace --doc --locked
