//! `strata graph` in every format, on the layer-override example.

use crate::support::{documented_fields, strata, top_level_fields};

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

/// Guards against a panic (exit 101) when the reader goes away:
/// `strata completions bash | head -1` closed the pipe under clap_complete.
#[test]
fn completions_into_a_closed_pipe_end_quietly() {
    use std::process::{Command, Stdio};
    for shell in ["bash", "zsh", "fish"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
            .args(["completions", shell])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run strata");
        // Close the read end before strata writes: its first write fails.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{shell}: {stderr}");
        assert!(!stderr.contains("panicked"), "{shell}: {stderr}");
    }
}

/// issue 9 item 16: the graph JSON is versioned and has what docs/graph-json.md documents.
#[test]
fn graph_json_has_a_format_version_and_the_documented_fields() {
    let out = strata(&["graph", "examples/three-tier", "--json"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["format_version"], 1);
    assert_eq!(top_level_fields(&doc), documented_fields("graph-json.md", 0));
    let node = &doc["nodes"][0];
    for field in ["address", "type", "layer", "layer_name", "wave", "default_layer", "dependencies"] {
        assert!(node.get(field).is_some(), "node without {field}: {node}");
    }
}
