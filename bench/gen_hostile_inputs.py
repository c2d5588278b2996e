#!/usr/bin/env python3
"""Write the hostile configurations of issue 8 (items 8, 11, 12, 13, 14).

Usage: python3 bench/gen_hostile_inputs.py OUTDIR [--small]

Each input is a directory OUTDIR/<name> holding a main.tf (and, for the file
function inputs, the file it reads). With --small the same shapes are written
at sizes small enough to keep as fuzz seeds; the full sizes are the ones the
issue names. Prints one line per input: name, then the expected exit code.
The output depends only on the arguments.
"""

import os
import sys


def long_line(cols):
    # One line: a string of COLS characters, then an unknown reference at its end.
    return 'locals { x = "' + "a" * cols + '${local.nope}" }\n'


def long_line_syntax(cols):
    # One line whose syntax error sits after COLS characters.
    return 'locals { x = "' + "a" * cols + '" + }\n'


def big_map(keys):
    lines = ["locals {", "  m = {"]
    lines += [f"    k{i} = {i}" for i in range(keys)]
    lines += ["  }", "}", 'output "n" {', "  value = length(local.m)", "}", ""]
    return "\n".join(lines)


def big_map_one_line(keys):
    # The same map on one line (commas between items), about 13 bytes a key.
    items = ", ".join(f"key{i} = {i}" for i in range(keys))
    return "locals {\n  m = { " + items + " }\n}\n"


def cycle(n):
    lines = ["locals {"]
    lines += [f"  l{i} = local.l{(i + 1) % n}" for i in range(n)]
    lines += ["}", ""]
    return "\n".join(lines)


FILE_READ = """locals {{
  x = {call}
}}
output "x" {{
  value = local.x
}}
"""

NON_FINITE = {
    "inf_multiply": "1e308 * 10",
    "inf_literal": "1e400",
    "inf_tonumber": 'tonumber("1e400")',
    "inf_pow": "pow(10, 400)",
    "nan_log": "log(-1, 10)",
}


def main():
    out = sys.argv[1]
    small = "--small" in sys.argv[2:]
    inputs = {}
    cols = 70_000 if not small else 65_600
    inputs["long_line"] = (long_line(cols), 1)
    inputs["long_line_syntax"] = (long_line_syntax(cols), 1)
    inputs["map_40k"] = (big_map(40_000 if not small else 2_000), 0)
    if not small:
        # Under the 16 MiB file limit: parsed, in linear time.
        inputs["map_15mb"] = (big_map_one_line(750_000), 0)
        inputs["map_50mb"] = (big_map_one_line(2_300_000), 1)
    inputs["cycle_100k"] = (cycle(100_000 if not small else 1_000), 1)
    inputs["file_fifo"] = (FILE_READ.format(call='file("${path.module}/fifo")'), 1)
    inputs["templatefile_fifo"] = (FILE_READ.format(call='templatefile("${path.module}/fifo", {})'), 1)
    inputs["file_dev_zero"] = (FILE_READ.format(call='filebase64("/dev/zero")'), 1)
    inputs["file_dir"] = (FILE_READ.format(call='file(path.module)'), 1)
    if not small:
        inputs["file_huge"] = (FILE_READ.format(call='filebase64("${path.module}/huge")'), 1)
    for name, expr in NON_FINITE.items():
        inputs[name] = (f'output "x" {{\n  value = {expr}\n}}\n', 1)
    for name, (text, code) in inputs.items():
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "main.tf"), "w") as f:
            f.write(text)
        if name.endswith("_fifo") and not small:
            fifo = os.path.join(d, "fifo")
            if not os.path.exists(fifo):
                os.mkfifo(fifo)
        if name == "file_huge":
            # A sparse regular file of 2 GiB: no disk space, but far past any sane read.
            with open(os.path.join(d, "huge"), "wb") as f:
                f.truncate(2 << 30)
        print(name, code)


if __name__ == "__main__":
    main()
