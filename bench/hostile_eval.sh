#!/usr/bin/env bash
# Runs strata on hostile configurations that try to make evaluation take
# unbounded time or memory (issue 8, items 9 and 10), and prints a Markdown
# table: wall time, peak RSS and exit code of `strata validate` on each.
#
# Usage: bash bench/hostile_eval.sh [CASE...]      (default: every case)
#
# Environment:
#   STRATA    strata binary to measure (default target/release/strata, built first)
#   TIMEOUT   seconds before a run is killed (default 60)
#   MEM_KB    address-space limit of each run, `ulimit -v` (default 4000000, ~4 GB)
#   KEEP      directory to write the inputs into and keep (default: a temp dir, removed)
#
# Every run is capped: a case that hits the timeout or the memory limit shows
# "> TIMEOUT s" or "> MEM_KB" rather than taking the machine down.
# Each case must end with exit code 1 and a diagnostic; the script prints the
# diagnostic's code (`strata::...`) or, without one, the last line of stderr.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
timeout_s=${TIMEOUT:-60}
mem_kb=${MEM_KB:-4000000}

[ -x /usr/bin/time ] || { echo "hostile_eval.sh: GNU time (/usr/bin/time) is required" >&2; exit 1; }

if [ -z "${STRATA:-}" ]; then
  echo "building strata (release)..." >&2
  (cd "$root" && cargo build --release --quiet)
  STRATA=${CARGO_TARGET_DIR:-$root/target}/release/strata
fi

if [ -n "${KEEP:-}" ]; then
  work=$KEEP
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

# Each generator writes one configuration into the directory $1.
gen() {
  local case=$1 dir=$2
  rm -rf "$dir"
  mkdir -p "$dir"
  python3 "$root/bench/gen_hostile.py" "$case" "$dir"
}

cases_all="nested_modules big_strings local_chain nested_local_chain invalid_count \
for_each_range nested_for join_repeat count_big_reference module_for_each_fanout"
cases=${*:-$cases_all}

echo "| input | wall | peak RSS | exit | diagnostic |"
echo "|---|--:|--:|--:|---|"
for c in $cases; do
  dir=$work/$c
  gen "$c" "$dir"
  args=(validate "$dir")
  set +e
  (
    ulimit -v "$mem_kb"
    exec /usr/bin/time -f '%e %M' -o "$work/$c.time" timeout -s KILL "$timeout_s" "$STRATA" "${args[@]}" >"$work/$c.out" 2>"$work/$c.err"
  )
  code=$?
  set -e
  read -r wall rss < <(tail -n 1 "$work/$c.time")
  diag=$( (grep -o 'strata::[a-z_]*::[a-z_]*' "$work/$c.err" || true) | sort -u | tr '\n' ' ')
  [ -z "$diag" ] && diag=$( (grep -v '^\s*$' "$work/$c.err" || true) | tail -n 1 | cut -c1-80)
  if [ "$code" = 137 ]; then
    wall="> ${timeout_s} s (killed)"
  else
    wall="${wall} s"
  fi
  rss="$((rss / 1024)) MB"
  if grep -qi "memory allocation.*failed\|out of memory\|cannot allocate" "$work/$c.err"; then
    rss="> $((mem_kb / 1000)) MB (allocation failed)"
  fi
  echo "| $c | $wall | $rss | $code | $diag |"
done
