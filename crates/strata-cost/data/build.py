#!/usr/bin/env python3
"""Build strata's embedded price catalog from the wide AWS price table.

Input (default `../shared/pricing/wide/` from the repository root):
  prices.csv.gz   service,region,resource,attribute_key,unit,usd_per_unit,source_id
  sources.csv.gz  source_id,source

Output (beside this script), both gzip with a fixed header so that a rebuild
gives the same bytes:
  prices.tsv.gz   the prices, grouped in sections of one service, attribute
                  key and unit (see README.md for the format)
  sources.tsv.gz  id, date of the data, URL and full text of every source

Usage: python3 crates/strata-cost/data/build.py [WIDE_DIR]
Python 3 standard library only.
"""

import csv
import gzip
import io
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
DEFAULT_INPUT = "../shared/pricing/wide"
PRICE_HEADER = ["service", "region", "resource", "attribute_key", "unit", "usd_per_unit", "source_id"]
SOURCE_HEADER = ["source_id", "source"]


def read_csv_gz(path, header):
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != header:
        sys.exit(f"{path}: expected the header {','.join(header)}")
    return rows[1:]


def write_gz(path, text):
    """gzip with no file name and mtime 0: the same text gives the same bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buf, mtime=0) as f:
        f.write(text.encode("utf-8"))
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def clean(field, what):
    if "\t" in field or "\n" in field or "\r" in field:
        sys.exit(f"{what} holds a tab or a line break: {field!r}")
    return field


# `github:OWNER/REPO@COMMIT PATH ...` -> https://github.com/OWNER/REPO/blob/COMMIT/PATH
SOURCE_RE = re.compile(r"github:([\w.-]+/[\w.-]+)@([0-9a-f]{7,40}) (\S+)")
# The data's own date: the first "published", "generated" or "last changed" date.
DATE_RE = re.compile(r"(?:published|generated(?: at)?|last changed) (\d{4}-\d{2}-\d{2})")


def source_url(text):
    m = SOURCE_RE.match(text)
    if not m:
        sys.exit(f"a source that does not start with github:OWNER/REPO@COMMIT PATH: {text!r}")
    return f"https://github.com/{m.group(1)}/blob/{m.group(2)}/{m.group(3)}"


def source_date(text):
    m = DATE_RE.search(text)
    if not m:
        sys.exit(f"a source without the date of its data: {text!r}")
    return m.group(1)


def key_of(service, region, resource, attribute_key):
    """The key strata looks prices up by (catalog.rs `PriceKey`)."""
    attrs = dict(p.split("=", 1) for p in attribute_key.split(";") if "=" in p)
    engine = attrs.get("databaseEngine") or attrs.get("cacheEngine")
    return (service, region, resource, engine, attrs.get("deploymentOption"))


def main():
    wide = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_INPUT
    src_dir = wide if os.path.isabs(wide) else os.path.join(ROOT, wide)
    prices = read_csv_gz(os.path.join(src_dir, "prices.csv.gz"), PRICE_HEADER)
    sources = read_csv_gz(os.path.join(src_dir, "sources.csv.gz"), SOURCE_HEADER)

    ids = {}
    out = [f"# strata price sources, written by build.py from {DEFAULT_INPUT}/sources.csv.gz: id, date of the data, url, source\n"]
    for sid, text in sources:
        if not re.fullmatch(r"s[1-9][0-9]*", sid) or sid in ids:
            sys.exit(f"bad or repeated source id {sid!r}")
        ids[sid] = int(sid[1:])
        out.append(f"{ids[sid]}\t{source_date(text)}\t{source_url(text)}\t{clean(text, sid)}\n")
    write_gz(os.path.join(HERE, "sources.tsv.gz"), "".join(out))

    seen = set()
    used = set()
    sections = {}
    for service, region, resource, attribute_key, unit, usd, sid in prices:
        key = key_of(service, region, resource, attribute_key)
        if key in seen:
            sys.exit(f"two prices for {key}")
        seen.add(key)
        value = float(usd)
        if not (value > 0 and value < 1e6):
            sys.exit(f"{key}: {usd!r} is not a price")
        if sid not in ids:
            sys.exit(f"{key}: unknown source {sid}")
        used.add(sid)
        section = (clean(service, "service"), clean(attribute_key, "attribute_key"), clean(unit, "unit"))
        sections.setdefault(section, []).append((clean(region, "region"), clean(resource, "resource"), usd, ids[sid]))
    out = [f"# strata price catalog, written by build.py from {DEFAULT_INPUT}/prices.csv.gz ({len(prices)} prices)\n"]
    for (service, attribute_key, unit) in sorted(sections):
        out.append(f"@{service}\t{attribute_key}\t{unit}\n")
        for region, resource, usd, sid in sorted(sections[(service, attribute_key, unit)]):
            out.append(f"{region}\t{resource}\t{usd}\t{sid}\n")
    write_gz(os.path.join(HERE, "prices.tsv.gz"), "".join(out))
    print(f"{len(prices)} prices in {len(sections)} sections, {len(sources)} sources ({len(used)} used)")


if __name__ == "__main__":
    main()
