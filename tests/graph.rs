//! `strata graph` in every format, on the layer-override example.

use crate::support::strata;

#[test]
fn dot_mermaid_and_json() {
    for format in ["dot", "mermaid", "json"] {
        let out = strata(&["graph", "examples/layer-override", "--format", format]);
        assert_eq!(out.code, 0, "{}", out.snapshot());
        insta::assert_snapshot!(format!("layer_override_{format}"), out.snapshot());
    }
}

#[test]
fn graph_refuses_an_invalid_configuration() {
    let out = strata(&["graph", "fixtures/configs/invalid/cycle"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty(), "no graph on errors");
    assert!(out.stderr.contains("strata::graph::cycle"));
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = strata(&["completions", shell]);
        assert_eq!(out.code, 0);
        assert!(out.stdout.contains("validate") && out.stdout.contains("graph"), "{shell} completions name the commands");
    }
}
