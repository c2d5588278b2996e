#!/usr/bin/env bash
# The hostile inputs of issue 8 (items 8, 11, 12, 13, 14), each run once through
# `strata validate` under GNU time: wall time, peak RSS and exit code per input.
# Every input must end in under 5 s and 1 GB, with exit 1 and a diagnostic (exit 0
# for the legitimate large map), never a panic (exit 101) or a hang.
#
# Usage: bash bench/hostile_inputs.sh [STRATA_BINARY] > result.md
# Without a binary it builds the release binary. Inputs come from
# bench/gen_hostile_inputs.py into a temporary directory; each run is cut off after
# TIMEOUT seconds (30 by default) and then shows as `timeout`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
TIMEOUT=${TIMEOUT:-30}
if [ -n "${1:-}" ]; then
  STRATA=$1
else
  cargo build --release --locked -p strata >&2
  STRATA=${CARGO_TARGET_DIR:-$root/target}/release/strata
fi
STRATA=$(realpath "$STRATA")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/gen_hostile_inputs.py "$work" > "$work/list.txt"

echo "| input | size | expected exit | exit | wall | peak RSS | first line of stderr |"
echo "|---|---:|---:|---:|---:|---:|---|"
while read -r name expected; do
  dir=$work/$name
  size=$(du -sk --apparent-size "$dir/main.tf" | cut -f1)
  set +e
  (cd "$dir" && timeout -s KILL "$TIMEOUT" /usr/bin/time -f '%e %M' -o "$work/time.txt" \
    "$STRATA" validate . > "$work/out.txt" 2> "$work/err.txt")
  code=$?
  set -e
  if [ "$code" = 137 ] || [ ! -s "$work/time.txt" ]; then
    wall="> ${TIMEOUT} s"; rss="-"; code=timeout
  else
    read -r secs kb < <(grep -E '^[0-9.]+ [0-9]+$' "$work/time.txt" | tail -1)
    wall="${secs} s"; rss="$((kb / 1024)) MB"
  fi
  first=$(grep -m1 -E 'strata::|panicked|×' "$work/err.txt" | cut -c1-90 | sed 's/|/\\|/g' || true)
  echo "| $name | ${size} KB | $expected | $code | $wall | $rss | ${first} |"
done < "$work/list.txt"
