#!/usr/bin/env bash
# The whole test suite, moto tests included: nothing is skipped. Installs what
# it needs (cargo-nextest, moto[server]), starts moto_server (the AWS API
# emulator the provider tests talk to) and fails if it cannot, runs the doc
# tests, then every test through nextest's `full` profile (.config/nextest.toml),
# whose summary is the last line of the output. Stops moto on exit.
# Usage: bash scripts/test.sh [extra nextest args]
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "test.sh: $*" >&2
  exit 1
}

command -v cargo >/dev/null 2>&1 || fail "cargo is not installed; install Rust 1.95 (rustup) first"
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "test.sh: installing cargo-nextest" >&2
  cargo install --locked cargo-nextest
fi
if ! command -v moto_server >/dev/null 2>&1; then
  echo "test.sh: installing moto[server] from PyPI" >&2
  python3 -m pip install --quiet "moto[server]" || fail "cannot install moto[server] (python3 -m pip install 'moto[server]')"
  # A pyenv python puts new commands on PATH only through its shims.
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
  command -v moto_server >/dev/null 2>&1 || fail "moto[server] is installed but moto_server is not on PATH"
fi

# The CI examples' tests (tests/ci.rs) run the workflows' scripts, which use jq
# as GitHub's runners have it, and so does their stand-in for gh.
if ! command -v jq >/dev/null 2>&1; then
  echo "test.sh: installing jq from Debian's packages" >&2
  { apt-get update -qq && apt-get install -y -qq jq >/dev/null; } || fail "cannot install jq (apt-get install jq)"
fi

# moto_server on a free loopback port, stopped when this script exits. The
# tests in tests/ start their own; the strata-aws tests share this one.
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
up() { python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; }
for _ in $(seq 1 100); do
  if up || ! kill -0 "$moto_pid" 2>/dev/null; then break; fi
  sleep 0.2
done
if ! up; then
  cat "$work/moto.log" >&2 || true
  fail "moto_server did not start on port $port; the moto tests cannot run"
fi
export STRATA_TEST_MOTO_URL="http://127.0.0.1:$port"
# The AWS SDK's own settings too (tests that start strata pass their own).
export AWS_ENDPOINT_URL="$STRATA_TEST_MOTO_URL" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
echo "test.sh: moto_server on $STRATA_TEST_MOTO_URL" >&2

cargo build --workspace --all-targets --locked
# The fuzz targets are a workspace of their own (cargo-fuzz builds them on
# nightly); checking them here keeps an API change from breaking them unseen.
cargo check --manifest-path fuzz/Cargo.toml --all-targets --locked
cargo test --workspace --doc --locked
# Last, so that its summary line ends the output.
cargo nextest run --workspace --profile full --locked "$@"
