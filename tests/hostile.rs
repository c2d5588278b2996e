//! Hostile inputs of issue 8 through the binary: each ends with exit 1 and a
//! diagnostic (or succeeds where the input is legitimate), never a panic or a
//! hang. Sizes here are modest; bench/hostile_inputs.sh runs the full ones.

use crate::support::{scratch, strata_in};

/// Guards against miette's panic (exit 101) on a label past column 65,535:
/// long lines are clipped around the label, and the header keeps the file's
/// line and column.
#[test]
fn an_error_at_the_end_of_a_70_kb_line_is_drawn_clipped() {
    let text = format!("locals {{ x = \"{}${{local.nope}}\" }}\n", "a".repeat(70_000));
    let dir = scratch(&[("main.tf", &text)]);
    let out = strata_in(dir.path(), &["validate"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let col = text.find("local.nope").unwrap() + 1;
    assert!(out.stderr.contains(&format!("main.tf:1:{col}]")), "{}", out.stderr);
    assert!(out.stderr.len() < 4_000, "the line is clipped: {} bytes of output", out.stderr.len());
    insta::assert_snapshot!(out.snapshot());

    // A syntax error at the end of a long line, after a second long line.
    let text = format!("locals {{\n  a = \"{0}\"\n  b = \"{0}\" + }}\n", "b".repeat(70_000));
    let dir = scratch(&[("main.tf", &text)]);
    let out = strata_in(dir.path(), &["validate"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("strata::config::syntax"), "{}", out.stderr);
    assert!(out.stderr.contains("main.tf:3:70012]"), "{}", out.stderr);
    assert!(out.stderr.len() < 4_000, "{} bytes of output", out.stderr.len());
}

/// Guards against a cycle through many locals taking minutes to render (every
/// label was resolved from the start of the file, and miette compares every
/// label with every line): a few labels are drawn, the rest counted.
#[test]
fn a_long_cycle_renders_a_few_labels() {
    let n = 3_000;
    let mut text = String::from("locals {\n");
    for i in 0..n {
        text.push_str(&format!("  l{i} = local.l{}\n", (i + 1) % n));
    }
    text.push_str("}\n");
    let dir = scratch(&[("main.tf", &text)]);
    let out = strata_in(dir.path(), &["validate"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("strata::graph::cycle"), "{}", out.stderr);
    assert!(out.stderr.contains(&format!("{} more locations are not shown", n - 24)), "{}", out.stderr);
    assert_eq!(out.stderr.matches("refers to").count(), 24);
    // The JSON form keeps every label, with its line.
    let out = strata_in(dir.path(), &["validate", "--json"], &[]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let labels = doc["diagnostics"][0]["labels"].as_array().unwrap();
    assert_eq!(labels.len(), n);
    assert_eq!(labels[n - 1]["line"], n + 1);
}

/// Guards against `file()` on a named pipe blocking forever.
#[test]
fn reading_a_named_pipe_is_an_error() {
    let dir = scratch(&[("main.tf", "locals {\n  x = file(\"${path.module}/pipe\")\n}\noutput \"x\" {\n  value = local.x\n}\n")]);
    assert!(std::process::Command::new("mkfifo").arg(dir.path().join("pipe")).status().unwrap().success());
    let out = strata_in(dir.path(), &["validate"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("strata::eval::function_argument"), "{}", out.stderr);
    assert!(out.stderr.contains("it is a named pipe (FIFO), not a regular file"), "{}", out.stderr);
}

/// Guards against `1e308 * 10` becoming an attribute (`Infinity` in text,
/// `null` in JSON).
#[test]
fn non_finite_numbers_are_errors() {
    let dir =
        scratch(&[("main.tf", "resource \"aws_vpc\" \"v\" {\n  cidr_block = \"10.0.0.0/16\"\n  tags       = { n = 1e308 * 10 }\n}\n")]);
    let out = strata_in(dir.path(), &["validate"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    insta::assert_snapshot!(out.snapshot());
    let dir = scratch(&[("main.tf", "locals {\n  x = 1e400\n}\n")]);
    let out = strata_in(dir.path(), &["validate"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("the number literal `1e400` is out of range"), "{}", out.stderr);
}
