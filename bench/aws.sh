#!/usr/bin/env bash
# Side by side against one AWS emulator: strata and Terraform 1.11.4 (hashicorp/aws
# 5.100.0) on ../shared/terraform/compare.tf (a VPC, a subnet, a security group
# and N m5.large instances), behind bench/count_proxy.py, which counts API calls
# by action. One run of each command; wall time and peak RSS from GNU time.
#
# For each N in $NS, from an empty moto each time:
#   Terraform: init (untimed), apply -auto-approve, plan (refreshes; -detailed-exitcode
#              must say "no changes"), apply -refresh-only -auto-approve;
#   moto reset, then strata: apply --auto-approve, plan --detailed-exitcode (the
#              plan-with-refresh row; must exit 0), refresh.
# Then, unless REFRESH_N=0: moto reset, strata apply of REFRESH_N (1,000)
# instances, strata plan and refresh of them (above 250 instances the subnet is
# a /20 instead of compare.tf's /24, which holds 251 addresses); with TF_BIG=1 Terraform does the
# same at REFRESH_N (its apply of 1,000 takes ~20 minutes; its refresh and plan
# there are cut off after TF_BIG_TIMEOUT seconds, 600 by default).
#
# Usage: bash bench/aws.sh > result.md
# Environment:
#   STRATA=path     use this strata binary instead of building the release binary
#   NS="20 100"     instance counts for the side-by-side rows (NS="" none)
#   REFRESH_N=1000  instance count of the large refresh (0 skips it)
#   TF_BIG=0        1 also runs Terraform at REFRESH_N
#   KEEP=1          keep the work directory (logs, states, count files)
# Needs moto_server (moto 5.x), python3, GNU time and terraform on PATH (no
# terraform: the strata rows only). Every command's output goes to a log in the
# work directory; the markdown result goes to stdout, progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
NS=${NS-"20 100"}
REFRESH_N=${REFRESH_N:-1000}
TF_BIG=${TF_BIG:-0}
TF_BIG_TIMEOUT=${TF_BIG_TIMEOUT:-600}
shared=${SHARED_TERRAFORM:-$root/../shared/terraform}

if [ -z "${STRATA:-}" ]; then
  cargo build --release --locked -p strata >&2
  STRATA=${CARGO_TARGET_DIR:-$root/target}/release/strata
fi
STRATA=$(realpath "$STRATA")
have_tf=0
command -v terraform >/dev/null && [ -f "$shared/compare.tf" ] && have_tf=1

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[aws.sh $(date +%T)] $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/$2" && return 0; sleep 0.2; done
  echo "nothing answers on port $1" >&2; return 1
}

moto=$(free_port)
moto_server -H 127.0.0.1 -p "$moto" >"$work/moto.log" 2>&1 &
pids+=($!)
wait_port "$moto" moto-api/
proxy=$(free_port)
python3 "$root/bench/count_proxy.py" "$proxy" "$moto" >"$work/proxy.log" 2>&1 &
pids+=($!)
wait_port "$proxy" __counts
log "moto_server on $moto, counting proxy on $proxy, work directory $work"
endpoint=http://127.0.0.1:$proxy

moto_reset() { curl -sf -X POST "http://127.0.0.1:$moto/moto-api/reset" >/dev/null; }
# Running instances as moto sees them (asked directly, so not counted).
# Running instances as moto sees them, asked directly (so not counted) and
# page by page (moto pages DescribeInstances by 100). moto routes a request
# without an Authorization header to S3, hence the fake one.
check_running() {
  local got
  got=$(python3 - "$moto" <<'PY'
import re, sys, urllib.parse, urllib.request
token, n = None, 0
while True:
    q = {"Action": "DescribeInstances", "Version": "2016-11-15", "MaxResults": "1000",
         "Filter.1.Name": "instance-state-name", "Filter.1.Value.1": "running"}
    if token:
        q["NextToken"] = token
    req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/", data=urllib.parse.urlencode(q).encode(), headers={
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20000101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0"})
    body = urllib.request.urlopen(req).read().decode()
    n += body.count("<instanceId>")
    m = re.search(r"<nextToken>([^<]+)</nextToken>", body)
    if not m:
        break
    token = m.group(1)
print(n)
PY
)
  if [ "$got" = "$1" ]; then log "  moto: $got running instances"; else log "WARNING: moto has $got running instances, not $1"; fi
}

# config N DIR: compare.tf into DIR. Its subnet is a /24 (251 usable addresses,
# moto enforces it too), so above 250 instances both tools get a /20 instead.
config() {
  mkdir -p "$2"
  if [ "$1" -gt 250 ]; then
    sed 's#"10.1.1.0/24"#"10.1.16.0/20"#' "$shared/compare.tf" >"$2/compare.tf"
    grep -q '10.1.16.0/20' "$2/compare.tf" || { log "compare.tf has no 10.1.1.0/24 subnet to widen"; exit 1; }
  else
    cp "$shared/compare.tf" "$2/"
  fi
}

# measure TOOL N OP OK_CODES CMD...: one timed run of CMD with the proxy's counts
# reset before it; appends a row to results.tsv and the counts to counts/ID.json.
# OK_CODES lists the exit codes that are not failures ("0" or "0 2").
results=$work/results.tsv
mkdir -p "$work/counts" "$work/logs"
: >"$results"
measure() {
  local tool=$1 n=$2 op=$3 ok=$4 id rc
  shift 4
  id="$tool-$n-${op// /_}"
  log "$tool N=$n $op ..."
  curl -sf -X POST "$endpoint/__reset" >/dev/null
  rc=0
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/logs/$id.log" 2>&1 || rc=$?
  curl -sf "$endpoint/__counts" >"$work/counts/$id.json"
  read -r secs rss < <(tail -1 "$work/time")
  local status=ok
  if [[ " $ok " != *" $rc "* ]]; then
    status="FAILED (exit $rc)"
    log "WARNING: $tool N=$n $op exited $rc; the end of its output:"
    tail -15 "$work/logs/$id.log" | sed 's/^/    /' >&2
  elif [ "$rc" != 0 ]; then
    status="changes (exit $rc)"
    log "WARNING: $tool N=$n $op reports changes (exit $rc) where none were expected"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$n" "$op" "$secs" "$rss" "$id" "$status" >>"$results"
  log "  $secs s, $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"])' "$work/counts/$id.json") calls, $rss KB"
}

# Terraform: compare.tf plus provider.tf with every endpoint on the proxy.
tf_dir=$work/tf
if [ "$have_tf" = 1 ]; then
  # shellcheck disable=SC1091
  source "$shared/env.sh"
  config 1 "$tf_dir"
  sed "s/PORT/$proxy/g" "$shared/provider.tf" >"$tf_dir/provider.tf"
  log "terraform init (untimed)"
  terraform -chdir="$tf_dir" init -input=false -no-color >"$work/logs/tf-init.log" 2>&1
else
  log "terraform not found: strata rows only"
fi
tf_run() {
  local n=$1 timeout=${2:-0}
  config "$n" "$tf_dir"
  rm -f "$tf_dir"/terraform.tfstate*
  moto_reset
  local to=()
  [ "$timeout" != 0 ] && to=(timeout "$timeout")
  measure terraform "$n" apply 0 terraform -chdir="$tf_dir" apply -auto-approve -input=false -no-color -var "n=$n"
  check_running "$n"
  measure terraform "$n" "plan (refresh)" 0 "${to[@]}" terraform -chdir="$tf_dir" plan -input=false -no-color -detailed-exitcode -var "n=$n"
  measure terraform "$n" refresh 0 "${to[@]}" terraform -chdir="$tf_dir" apply -refresh-only -auto-approve -input=false -no-color -var "n=$n"
}

# strata: the very same compare.tf (no provider block: the standard AWS
# environment points it at the proxy).
strata_env=(env AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
  AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true NO_COLOR=1)
strata_run() {
  local n=$1 dir=$work/strata-$1
  rm -rf "$dir"
  config "$n" "$dir"
  "$STRATA" validate "$dir" >"$work/logs/strata-validate.log" 2>&1 ||
    { log "strata validate rejects compare.tf:"; cat "$work/logs/strata-validate.log" >&2; exit 1; }
  moto_reset
  measure strata "$n" apply 0 "${strata_env[@]}" "$STRATA" apply --auto-approve --var "n=$n" "$dir"
  check_running "$n"
  measure strata "$n" "plan (refresh)" 0 "${strata_env[@]}" "$STRATA" plan --detailed-exitcode --var "n=$n" "$dir"
  measure strata "$n" refresh 0 "${strata_env[@]}" "$STRATA" refresh --var "n=$n" "$dir"
}

log "strata: $("$STRATA" --version)"
[ "$have_tf" = 1 ] && log "terraform: $(terraform version | head -1)"
for n in $NS; do
  [ "$have_tf" = 1 ] && tf_run "$n"
  strata_run "$n"
done
if [ "$REFRESH_N" != 0 ]; then
  strata_run "$REFRESH_N"
  [ "$have_tf" = 1 ] && [ "$TF_BIG" = 1 ] && tf_run "$REFRESH_N" "$TF_BIG_TIMEOUT"
fi

# The markdown result: one row per measurement, strata's row with its ratio to
# Terraform's for the same N and operation, then every action's count.
python3 - "$results" "$work/counts" "$("$STRATA" --version)" "$( [ "$have_tf" = 1 ] && terraform version | head -1)" "$(moto_server --version 2>/dev/null || python3 -c 'import moto; print("moto", moto.__version__)')" <<'PY'
import json, sys
results, counts_dir, strata_v, tf_v, moto_v = sys.argv[1:6]
rows = [l.rstrip("\n").split("\t") for l in open(results) if l.strip()]
data = {}
for tool, n, op, secs, rss, ident, status in rows:
    c = json.load(open(f"{counts_dir}/{ident}.json"))
    data[(tool, n, op)] = dict(secs=float(secs), rss=int(rss) / 1024, calls=c["total"], actions=c["actions"], status=status)
def top(actions, k=4):
    items = sorted(actions.items(), key=lambda kv: (-kv[1], kv[0]))
    s = ", ".join(f"{a} {n}" for a, n in items[:k])
    return s + (f", +{len(items) - k} more" if len(items) > k else "")
def ratio(a, b):
    return f"{a / b:.2f}" if b else "–"
print(f"{strata_v}; {tf_v or 'no terraform'}; {moto_v}; one run each.\n")
print("| N | operation | tool | wall s | API calls | peak RSS MB | strata/TF wall | calls | RSS | status | top actions |")
print("|---:|---|---|---:|---:|---:|---:|---:|---:|---|---|")
for tool, n, op, *_ in rows:
    d = data[(tool, n, op)]
    t = data.get(("terraform", n, op)) if tool == "strata" else None
    r = (ratio(d["secs"], t["secs"]), ratio(d["calls"], t["calls"]), ratio(d["rss"], t["rss"])) if t else ("", "", "")
    print(f"| {n} | {op} | {tool} | {d['secs']:.2f} | {d['calls']:,} | {d['rss']:.0f} | {r[0]} | {r[1]} | {r[2]} | {d['status']} | {top(d['actions'])} |")
print("\nCalls by action:\n")
for tool, n, op, *_ in rows:
    d = data[(tool, n, op)]
    acts = ", ".join(f"{a} {c}" for a, c in sorted(d["actions"].items(), key=lambda kv: (-kv[1], kv[0])))
    print(f"- {tool} N={n} {op} ({d['calls']:,}): {acts or 'none'}")
PY
