//! Every fixture configuration: valid ones validate cleanly, invalid ones fail
//! with the diagnostic code their first line names, rendered as snapshots.

use crate::support::{dirs, repo, strata};

#[test]
fn valid_configurations_validate() {
    let root = repo().join("fixtures/configs/valid");
    let all = dirs(&root);
    assert!(all.len() >= 6, "expected the tutorial-style fixtures");
    for dir in all {
        let rel = dir.strip_prefix(repo()).unwrap().display().to_string();
        let out = strata(&["validate", &rel]);
        assert_eq!(out.code, 0, "{rel} should validate:\n{}", out.snapshot());
        assert!(!out.stderr.contains("error"), "{rel}: unexpected errors:\n{}", out.stderr);
    }
}

/// The codes named in the first comment lines of a fixture's main.tf.
fn expected_codes(dir: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("main.tf")).unwrap_or_default();
    let head: String =
        text.lines().take_while(|l| l.trim_start().starts_with('#') || l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let re = regex_lite(&head);
    assert!(!re.is_empty(), "{} names no expected code in its first comment lines", dir.display());
    re
}

fn regex_lite(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("strata::") {
        let tail = &rest[i..];
        let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).unwrap_or(tail.len());
        out.push(tail[..end].trim_end_matches(':').to_string());
        rest = &tail[end..];
    }
    out
}

#[test]
fn invalid_configurations_report_their_codes() {
    let root = repo().join("fixtures/configs/invalid");
    let all = dirs(&root);
    assert!(all.len() >= 10, "expected one fixture per user error");
    for dir in all {
        let rel = dir.strip_prefix(repo()).unwrap().display().to_string();
        let out = strata(&["validate", &rel]);
        assert_eq!(out.code, 1, "{rel} should fail:\n{}", out.snapshot());
        for code in expected_codes(&dir) {
            assert!(out.stderr.contains(&code), "{rel}: expected {code} in:\n{}", out.stderr);
        }
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(format!("invalid_{name}"), out.snapshot());
    }
}

#[test]
fn diagnostics_as_json_carry_positions() {
    let out = strata(&["validate", "fixtures/configs/invalid/multiple-errors", "--json"]);
    assert_eq!(out.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(doc["valid"], false);
    let diags = doc["diagnostics"].as_array().unwrap();
    assert!(diags.len() >= 3, "every error is reported, not only the first: {doc:#}");
    for d in diags {
        let label = &d["labels"][0];
        assert!(label["line"].as_u64().unwrap() >= 1);
        assert!(label["column"].as_u64().unwrap() >= 1);
        assert!(label["file"].as_str().unwrap().ends_with(".tf"));
        assert!(d["code"].as_str().unwrap().starts_with("strata::"));
    }
}
