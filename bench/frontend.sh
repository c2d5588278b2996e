#!/usr/bin/env bash
# Measures the configuration front end (parse, evaluate, order) of strata and,
# when terraform is on PATH, of Terraform on the same generated files.
#
# Usage: bash bench/frontend.sh
#
# Environment:
#   SIZES    resource instance counts to generate (default "1000 10000")
#   RUNS     hyperfine runs per strata command (default 10, after 2 warm-ups)
#   TF_RUNS  hyperfine runs per Terraform command (default 10, after 2 warm-ups)
#   STRATA   strata binary to measure (default target/release/strata, built first)
#
# It prints a Markdown table on stdout; progress goes to stderr.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sizes=${SIZES:-"1000 10000"}
runs=${RUNS:-10}
tf_runs=${TF_RUNS:-10}
rss_runs=5

for tool in hyperfine python3; do
  command -v "$tool" >/dev/null || { echo "frontend.sh: $tool is required" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "frontend.sh: GNU time (/usr/bin/time) is required" >&2; exit 1; }

if [ -z "${STRATA:-}" ]; then
  echo "building strata (release)..." >&2
  (cd "$root" && cargo build --release --quiet)
  STRATA=$root/target/release/strata
fi

have_tf=0
if command -v terraform >/dev/null; then
  shared=${SHARED_TERRAFORM:-$root/../shared/terraform}
  if [ -f "$shared/env.sh" ]; then
    # shellcheck source=/dev/null
    source "$shared/env.sh"
  fi
  have_tf=1
else
  echo "terraform is not on PATH: skipping the Terraform side of the comparison" >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints "mean ± σ|min|CPU" in milliseconds for one command, timed by
# hyperfine; CPU is the mean user plus system time, which other load on the
# machine disturbs less than wall time.
# The first argument is the number of runs; the command is run without a shell
# and its output is discarded.
timed() {
  local n=$1
  shift
  local json=$work/hyperfine.json
  hyperfine -N --warmup 2 --runs "$n" --output=null --style=none --export-json "$json" "$*" >&2
  python3 - "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
fmt = ",.1f" if r["mean"] < 0.1 else ",.0f"
ms = lambda s: f"{s * 1000:{fmt}}"
print(f"{ms(r['mean'])} ± {ms(r['stddev'])} ms|{ms(r['min'])} ms|{ms(r['user'] + r['system'])} ms")
PY
}

# Prints the median peak resident set size in MB over $rss_runs runs. GNU time
# reports the largest single process among the command and its waited-for
# children (for Terraform: the aws provider plugin).
peak_rss() {
  local out=$work/time.txt samples=()
  for _ in $(seq "$rss_runs"); do
    /usr/bin/time -f %M -o "$out" "$@" >/dev/null 2>&1
    samples+=("$(tail -n 1 "$out")")
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk '{v[NR] = $1} END {printf "%.0f MB\n", v[int((NR + 1) / 2)] / 1024}'
}

# Prints a whole number with thousands separators, whatever the locale.
commas() { python3 -c 'import sys; print(f"{int(sys.argv[1]):,}")' "$1"; }

# Results keyed by "size command": time ("mean ± σ|min|CPU") and peak RSS.
declare -A counts=() st=() sr=() tt=() tr=()

# strata first, on every size, while the directories hold nothing but the
# generated files; this keeps its (short) part together in time.
for n in $sizes; do
  dir=$work/n$n
  counts[$n]=$(python3 "$root/bench/gen_config.py" "$n" "$dir")
  echo "generated ${counts[$n]} resource instances in $dir" >&2
  "$STRATA" validate "$dir" >/dev/null
  st[$n validate]=$(timed "$runs" "$STRATA" validate "$dir")
  sr[$n validate]=$(peak_rss "$STRATA" validate "$dir")
  st[$n graph]=$(timed "$runs" "$STRATA" graph "$dir" --format json)
  sr[$n graph]=$(peak_rss "$STRATA" graph "$dir" --format json)
done

for n in $sizes; do
  dir=$work/n$n
  if [ "$have_tf" = 1 ]; then
    echo "terraform init in $dir (not timed)..." >&2
    terraform -chdir="$dir" init -backend=false -input=false -no-color >/dev/null
    tt[$n validate]=$(timed "$tf_runs" terraform -chdir="$dir" validate -no-color)
    tr[$n validate]=$(peak_rss terraform -chdir="$dir" validate -no-color)
    tt[$n graph]=$(timed "$tf_runs" terraform -chdir="$dir" graph)
    tr[$n graph]=$(peak_rss terraform -chdir="$dir" graph)
  else
    for c in validate graph; do tt[$n $c]="skipped|skipped|skipped"; tr[$n $c]=skipped; done
  fi
done

rows=()
for n in $sizes; do
  for c in validate graph; do
    label="\`$c\`"
    [ "$c" = graph ] && label='`graph` (JSON to /dev/null)'
    IFS='|' read -r s_mean s_min s_cpu <<<"${st[$n $c]}"
    IFS='|' read -r t_mean t_min t_cpu <<<"${tt[$n $c]}"
    rows+=("| $(commas "${counts[$n]}") | $label | $s_mean | $s_min | $s_cpu | ${sr[$n $c]} | $t_mean | $t_min | $t_cpu | ${tr[$n $c]} |")
  done
done

tf_version="Terraform not installed"
[ "$have_tf" = 1 ] && tf_version=$(terraform version | sed -n 1p)
echo "strata $("$STRATA" --version | awk '{print $NF}'), ${tf_version}, $(nproc) cores;" \
  "hyperfine --warmup 2 (strata --runs $runs, Terraform --runs $tf_runs); peak RSS: median of $rss_runs runs."
echo
echo "| resources | command | strata wall, mean ± σ | min | CPU | peak RSS | Terraform wall, mean ± σ | min | CPU | peak RSS |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
