#!/usr/bin/env python3
"""Writes one hostile configuration (issue 8, items 9 and 10) into a directory.

Usage: python3 bench/gen_hostile.py CASE DIR [--small]

Each case tries to make evaluation take unbounded time or memory; strata must
stop every one of them with exit code 1 and a diagnostic. `--small` writes a
scaled-down instance of the same shape (the form kept as a fuzz seed under
fuzz/seeds/parse_eval/, where only main.tf is read).
"""

import os
import sys

VPC = 'resource "aws_vpc" "v" {\n  cidr_block = "10.0.0.0/16"\n}\n'


def nested_modules(small):
    # Three nested module calls of count = 1000 each: 10^9 module instances.
    n = 3 if small else 1000
    files = {
        "main.tf": f'module "a" {{\n  source = "./a"\n  count  = {n}\n}}\n',
        "a/main.tf": f'module "b" {{\n  source = "../b"\n  count  = {n}\n}}\n',
        "b/main.tf": f'module "c" {{\n  source = "../c"\n  count  = {n}\n}}\n',
        "c/main.tf": VPC,
    }
    return files


def big_strings(small):
    # A 16 MB string built by doubling, then 400 locals each making a copy
    # of it with one more character: 6.4 GB of text from an 11 KB file.
    doublings = 4 if small else 20
    copies = 4 if small else 400
    lines = ['  s0 = "0123456789abcdef"']
    for i in range(1, doublings + 1):
        lines.append(f'  s{i} = "${{local.s{i - 1}}}${{local.s{i - 1}}}"')
    for i in range(copies):
        lines.append(f'  c{i} = "${{local.s{doublings}}}{i}"')
    return {"main.tf": "locals {\n" + "\n".join(lines) + "\n}\n"}


def local_chain(small):
    # 100,000 locals, each a reference to the one before; the first is a
    # 4 KB string. Linear if values are shared, 400 MB if each is copied.
    n = 10 if small else 100_000
    lines = [f'  l0 = "{"x" * 4096}"']
    lines += [f"  l{i} = local.l{i - 1}" for i in range(1, n)]
    return {"main.tf": "locals {\n" + "\n".join(lines) + "\n}\n"}


def nested_local_chain(small):
    # 100,000 locals, each a list holding the one before: the last is nested
    # 100,000 deep and, copied, all of them hold 5 * 10^9 values.
    n = 10 if small else 100_000
    lines = ['  l0 = "x"']
    lines += [f"  l{i} = [local.l{i - 1}]" for i in range(1, n)]
    return {"main.tf": "locals {\n" + "\n".join(lines) + "\n}\n"}


def invalid_count(small):
    # A variable whose validation fails drives count: evaluating 100,000
    # instances before reporting the error helps nobody.
    n = 20 if small else 100_000
    return {
        "main.tf": f"""variable "app_count" {{
  type    = number
  default = {n}
  validation {{
    condition     = var.app_count >= 1 && var.app_count <= 10
    error_message = "app_count must be between 1 and 10."
  }}
}}

locals {{
  names = [for i in range(var.app_count) : "app-${{i}}"]
}}

resource "aws_instance" "app" {{
  count         = var.app_count
  ami           = "ami-12c6146b"
  instance_type = "t3.micro"
  tags          = {{ Name = local.names[count.index] }}
}}

output "ids" {{
  value = aws_instance.app[*].id
}}
""",
    }


def for_each_range(small):
    # for_each over a set built from nested ranges: 300,000 instances of one
    # resource (`range` itself stops at 1,024 values).
    n = 3 if small else 300
    return {
        "main.tf": f"""resource "aws_vpc" "v" {{
  for_each   = toset(flatten([for i in range(1000) : [for j in range({n}) : "${{i}}-${{j}}"]]))
  cidr_block = "10.0.0.0/16"
}}
"""
    }


def nested_for(small):
    # Nested for expressions: 10^9 steps in one expression.
    n = 10 if small else 1000
    return {"main.tf": f"locals {{\n  grid = [for i in range({n}) : [for j in range({n}) : [for k in range({n}) : i * j * k]]]\n}}\n"}


def join_repeat(small):
    # String repetition with formatlist and join, each local affordable on
    # its own (16 x 800 x 800 characters, 10 MB): 300 of them add up to 3 GB.
    n = 3 if small else 300
    size = 10 if small else 800
    lines = [f'  r{i} = join("", [for k in range({size}) : join("", formatlist("%016d", range({size})))])' for i in range(n)]
    return {"main.tf": "locals {\n" + "\n".join(lines) + "\n}\n"}


def count_big_reference(small):
    # 100,000 instances, each referring to a 1 MB string: 100 GB of planned
    # values if every instance holds its own copy.
    n = 10 if small else 100_000
    doublings = 6 if small else 16
    lines = ['  s0 = "0123456789abcdef"']
    for i in range(1, doublings + 1):
        lines.append(f'  s{i} = "${{local.s{i - 1}}}${{local.s{i - 1}}}"')
    return {
        "main.tf": "locals {\n"
        + "\n".join(lines)
        + f"""
}}

resource "aws_instance" "app" {{
  count         = {n}
  ami           = "ami-12c6146b"
  instance_type = "t3.micro"
  user_data     = local.s{doublings}
}}
"""
    }


def module_for_each_fanout(small):
    # A for_each of 1,000 keys calling a module with count = 1,000: a million
    # instances in total although each block is within its own limit.
    n = 3 if small else 1000
    return {
        "main.tf": f"""module "cell" {{
  source   = "./cell"
  for_each = toset([for i in range({n}) : "c${{i}}"])
}}
""",
        "cell/main.tf": f"""resource "aws_vpc" "v" {{
  count      = {n}
  cidr_block = "10.0.0.0/16"
}}
""",
    }


CASES = {f.__name__: f for f in [
    nested_modules, big_strings, local_chain, nested_local_chain, invalid_count,
    for_each_range, nested_for, join_repeat, count_big_reference, module_for_each_fanout,
]}


def main():
    args = [a for a in sys.argv[1:] if a != "--small"]
    small = "--small" in sys.argv
    if len(args) != 2 or args[0] not in CASES:
        sys.exit(f"usage: gen_hostile.py CASE DIR [--small]; cases: {', '.join(CASES)}")
    case, out = args
    for path, text in CASES[case](small).items():
        full = os.path.join(out, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
