#!/usr/bin/env bash
# Offline plan and cost of 10,000 resources against a state of ~12,500
# (bench/make_state.py: unchanged, updates, replaces, deletes).
# Usage: bash bench/plan.sh  (RUNS=5 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p strata >/dev/null
strata=$PWD/target/release/strata
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/gen_config.py 10000 "$work/cfg" >/dev/null
python3 bench/make_state.py "$strata" "$work/cfg"
rss() { /usr/bin/time -f %M "$@" >/dev/null 2>"$work/rss" || true; tail -1 "$work/rss"; }
hyperfine --warmup 1 --runs "$runs" --export-markdown "$work/t.md" \
  "$strata plan --refresh=false $work/cfg" \
  "$strata cost --format json $work/cfg" >/dev/null
cat "$work/t.md"
echo
echo "peak RSS plan: $(rss "$strata" plan --refresh=false "$work/cfg") KB"
echo "peak RSS cost: $(rss "$strata" cost --format json "$work/cfg") KB"
# The phases of one plan, from the -vv log (load+state, evaluate+plan instances, diff).
NO_COLOR=1 "$strata" -vv plan --refresh=false "$work/cfg" 2>&1 >/dev/null | grep DEBUG | sed 's/^.*DEBUG //'
