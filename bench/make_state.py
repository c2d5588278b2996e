#!/usr/bin/env python3
"""Write a state for a configuration, as if it had been applied, then mix in changes.

Usage: make_state.py STRATA DIR [--updates F] [--replaces F] [--deletes F]

Rounds of `strata plan --json` fill what the plan leaves unknown with fake
ids (one round per dependency level), until the configuration plans clean
against the state. Then fractions of the instances are altered in the state
so that the next plan updates them (a tag differs), replaces them (a
force-new attribute differs) or deletes them (copies under addresses the
configuration does not have). Deterministic.
"""
import argparse, json, os, re, subprocess, sys

FORCE_NEW = {  # one force-new attribute per type, changed to force a replacement
    "aws_vpc": "cidr_block", "aws_subnet": "cidr_block", "aws_instance": "ami",
    "aws_db_instance": "identifier", "aws_security_group": "name", "aws_lb": "name",
    "aws_lb_target_group": "name", "aws_route53_record": "name", "aws_db_subnet_group": "name",
}

def plan(strata, d):
    out = subprocess.run([strata, "plan", "--json", "--refresh=false", d], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"plan failed:\n{out.stderr[:2000]}")
    return json.loads(out.stdout)

def fill(after, unknown, counter):
    if unknown is True:
        counter[0] += 1
        return f"fake-{counter[0]}"
    if isinstance(after, dict) and isinstance(unknown, dict):
        return {k: fill(v, unknown.get(k), counter) for k, v in after.items()}
    if isinstance(after, list) and isinstance(unknown, list):
        return [fill(v, unknown[i] if i < len(unknown) else None, counter) for i, v in enumerate(after)]
    return after

def state_path(d):
    return os.path.join(d, ".strata", "state.json")

def write(d, resources):
    os.makedirs(os.path.join(d, ".strata"), exist_ok=True)
    state = {"version": 1, "lineage": "00000000-0000-4000-8000-000000000001", "serial": 1,
             "strata_version": "0.1.0", "resources": resources, "intents": [], "outputs": {}}
    with open(state_path(d), "w") as f:
        json.dump(state, f)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("strata"); ap.add_argument("dir")
    ap.add_argument("--updates", type=float, default=0.25)
    ap.add_argument("--replaces", type=float, default=0.10)
    ap.add_argument("--deletes", type=float, default=0.15)
    a = ap.parse_args()
    if os.path.exists(state_path(a.dir)):
        os.remove(state_path(a.dir))
    counter = [0]
    by_addr = {}
    for _ in range(10):
        p = plan(a.strata, a.dir)
        pending = [c for c in p["changes"] if c["action"] != "no_op"]
        if not pending:
            break
        for c in p["changes"]:
            if c["action"] == "no_op" and c["address"] in by_addr:
                continue
            attrs = fill(c["after"], c["after_unknown"], counter)
            by_addr[c["address"]] = {"address": c["address"], "type": c["type"], "layer": c["layer"],
                                     "id": attrs.get("id") or f"fake-{c['address']}", "attributes": attrs,
                                     "sensitive_paths": [], "dependencies": c["dependencies"],
                                     "created_at": "2026-11-23T00:00:00Z"}
        write(a.dir, list(by_addr.values()))
    resources = list(by_addr.values())
    n = len(resources)
    updates = replaces = deletes = 0
    extra = []
    for i, r in enumerate(resources):
        slot = (i * 7919) % 100 / 100.0  # spread the changes over the whole configuration
        if slot < a.updates and isinstance(r["attributes"].get("tags"), dict):
            r["attributes"]["tags"] = dict(r["attributes"]["tags"], Changed="before")
            updates += 1
        elif slot < a.updates + a.replaces and r["type"] in FORCE_NEW and isinstance(r["attributes"].get(FORCE_NEW[r["type"]]), str):
            r["attributes"][FORCE_NEW[r["type"]]] += "-old"
            replaces += 1
        elif slot < a.updates + a.replaces + a.deletes:
            gone = json.loads(json.dumps(r))
            # aws_subnet.a["x"] -> aws_subnet.a_gone["x"]: an instance the configuration no longer has.
            gone["address"] = re.sub(r'(aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)(\[[^\]]*\])?$', r'\1_gone\2', r["address"])
            extra.append(gone)
            deletes += 1
    write(a.dir, resources + extra)
    print(f"state: {n} instances in configuration, {len(extra)} extra; altered {updates} to update, {replaces} to replace, {deletes} to delete")

main()
