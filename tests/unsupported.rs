//! Unsupported types do not block what can be done: `validate`, `graph` and
//! `cost` work on a configuration with resource types and data sources strata
//! does not support (one warning per type, placed by their dependencies,
//! listed as not priced), while `plan` and `apply` refuse it with one error
//! per type and nothing else.

use serde_json::Value as J;

use crate::support::{repo, scratch, strata, strata_in};

const FIXTURE: &str = "fixtures/configs/unsupported";

/// The unsupported types of the fixture, each used by at least one block.
const UNSUPPORTED: [&str; 5] = [
    "aws_ec2_instance_state",
    "aws_redshift_cluster",
    "aws_redshift_service_account",
    "aws_redshift_subnet_group",
    "google_storage_bucket",
];

fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

#[test]
fn validate_warns_once_per_unsupported_type() {
    let out = strata(&["validate", FIXTURE]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert_eq!(count(&out.stderr, "strata::config::unsupported_type"), UNSUPPORTED.len(), "{}", out.stderr);
    assert!(!out.stderr.contains('×'), "no errors: {}", out.stderr);
    for ty in UNSUPPORTED {
        assert_eq!(count(&out.stderr, &format!("`{ty}`")), 1, "{ty}: {}", out.stderr);
    }
    insta::assert_snapshot!("unsupported_validate", out.snapshot());
}

#[test]
fn validate_json_lists_unsupported_types_as_warnings() {
    let out = strata(&["validate", FIXTURE, "--json"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let doc: J = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["valid"], true);
    let unsupported: Vec<&J> =
        doc["diagnostics"].as_array().unwrap().iter().filter(|d| d["code"] == "strata::config::unsupported_type").collect();
    assert_eq!(unsupported.len(), UNSUPPORTED.len(), "{doc:#}");
    assert!(unsupported.iter().all(|d| d["severity"] == "warning"), "{doc:#}");
}

#[test]
fn graph_places_unsupported_types_by_their_dependencies() {
    let out = strata(&["graph", FIXTURE, "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let doc: J = serde_json::from_str(&out.stdout).unwrap();
    let node = |addr: &str| {
        doc["nodes"].as_array().unwrap().iter().find(|n| n["address"] == addr).unwrap_or_else(|| panic!("{addr}: {doc:#}")).clone()
    };
    // Layer 1 by default, after what it depends on.
    let group = node("aws_redshift_subnet_group.main");
    assert_eq!((group["layer"].as_u64(), group["default_layer"].as_u64()), (Some(1), Some(1)));
    assert_eq!(group["dependencies"], serde_json::json!(["aws_subnet.a"]));
    assert!(group["wave"].as_u64() > node("aws_subnet.a")["wave"].as_u64());
    assert_eq!(node("aws_redshift_subnet_group.spare[1]")["layer"], 1);
    // `layer = "data"` applies.
    assert_eq!(node("aws_redshift_cluster.main")["layer"], 2);
    // Lifted by what it depends on.
    let state = node("aws_ec2_instance_state.loader");
    assert_eq!((state["layer"].as_u64(), state["lifted_from"].as_u64()), (Some(3), Some(1)));
    assert_eq!(state["lifted_by"], "aws_instance.loader");
    // A supported resource that refers to one depends on it.
    let loader = node("aws_instance.loader");
    assert!(loader["dependencies"].as_array().unwrap().contains(&J::from("aws_redshift_cluster.main")), "{loader:#}");
    assert_eq!(node("google_storage_bucket.mirror")["dependencies"], serde_json::json!(["aws_vpc.main"]));
}

#[test]
fn cost_prices_supported_types_and_lists_unsupported_ones() {
    let out = strata(&["cost", FIXTURE, "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert_eq!(count(&out.stderr, "strata::config::unsupported_type"), UNSUPPORTED.len(), "{}", out.stderr);
    let doc: J = serde_json::from_str(&out.stdout).unwrap();
    let resources = doc["resources"].as_array().unwrap();
    let line = |addr: &str| resources.iter().find(|r| r["address"] == addr).unwrap_or_else(|| panic!("{addr}: {doc:#}"));
    assert!(line("aws_instance.loader")["after_monthly"].as_f64().unwrap() > 0.0);
    assert_eq!(line("aws_vpc.main")["after"]["status"]["kind"], "free");
    for addr in [
        "aws_redshift_subnet_group.main",
        "aws_redshift_subnet_group.spare[0]",
        "aws_redshift_subnet_group.spare[1]",
        "aws_redshift_cluster.main",
        "aws_ec2_instance_state.loader",
        "google_storage_bucket.mirror",
    ] {
        let status = &line(addr)["after"]["status"];
        assert_eq!((status["kind"].as_str(), status["reason"].as_str()), (Some("not_priced"), Some(strata_cost::UNSUPPORTED)), "{addr}");
    }
    assert_eq!(doc["counts"], serde_json::json!({"priced": 1, "free": 3, "not_priced": 6}));
    assert_eq!(doc["lower_bound"], true);
    assert_eq!(doc["total_after"], line("aws_instance.loader")["after_monthly"]);

    let table = strata(&["cost", FIXTURE]);
    assert_eq!(table.code, 0, "{}", table.snapshot());
    assert!(table.stdout.contains("\n      unsupported type, not priced\n"), "{}", table.stdout);
    assert!(table.stdout.contains("6 of 10 resources could not be priced; the total is a lower bound."), "{}", table.stdout);
    let markdown = strata(&["cost", FIXTURE, "--format", "markdown"]);
    assert!(markdown.stdout.contains("- `aws_redshift_cluster.main`: unsupported type, not priced"), "{}", markdown.stdout);
}

#[test]
fn plan_refuses_with_one_error_per_unsupported_type() {
    let out = strata(&["plan", FIXTURE, "--refresh=false"]);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert_eq!(count(&out.stderr, "strata::plan::unsupported_type"), UNSUPPORTED.len(), "{}", out.stderr);
    assert_eq!(count(&out.stderr, "  × "), UNSUPPORTED.len(), "only those errors: {}", out.stderr);
    assert!(!out.stderr.contains("strata::config::unsupported_type"), "{}", out.stderr);
    insta::assert_snapshot!("unsupported_plan", out.snapshot());
}

/// Apply refuses before it asks the cloud anything: no credentials are
/// needed to be told, and nothing is recorded.
#[test]
fn apply_refuses_with_one_error_per_unsupported_type() {
    let dir = scratch(&[("main.tf", &std::fs::read_to_string(repo().join(FIXTURE).join("main.tf")).unwrap())]);
    let out = strata_in(dir.path(), &["apply", ".", "--auto-approve"], &[]);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert_eq!(count(&out.stderr, "strata::plan::unsupported_type"), UNSUPPORTED.len(), "{}", out.stderr);
    assert_eq!(count(&out.stderr, "  × "), UNSUPPORTED.len(), "only those errors: {}", out.stderr);
    assert!(!dir.path().join(".strata/state.json").exists());
}
