//! Conditions and `default_tags` through the binary, against moto: a false
//! precondition blocks plan and apply, a false postcondition stops what
//! depends on the object after its create, and a change of `default_tags`
//! retags every object it reaches.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::e2e::aws_env;
use crate::support::moto;
use crate::support::{scratch, strata_in};

/// Progress lines carry timings; the snapshots keep everything else.
fn without_timings(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with('['))
        .map(|l| match l.find(" in ") {
            Some(i) if l.trim_start().starts_with('✓') => l[..i].to_string(),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn state_addresses(dir: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(dir.join(".strata/state.json")) else { return Vec::new() };
    let state: serde_json::Value = serde_json::from_str(&text).expect("state JSON");
    let mut v: Vec<String> =
        state["resources"].as_array().into_iter().flatten().filter_map(|r| r["address"].as_str().map(str::to_string)).collect();
    v.sort();
    v
}

/// The tags of every EC2 object in moto, by id, read with boto3 (strata's own tags left out).
fn ec2_tags(url: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    const SCRIPT: &str = r#"
import boto3, json, sys
ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
out = {}
for t in ec2.describe_tags()["Tags"]:
    if not t["Key"].startswith("strata:"):
        out.setdefault(t["ResourceId"], {})[t["Key"]] = t["Value"]
print(json.dumps(out))
"#;
    let out = Command::new("python3").args(["-c", SCRIPT, url]).output().expect("run python3 (boto3 ships with moto)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("tags JSON")
}

const PRECONDITION: &str = r#"
variable "env" {
  default = "dev"
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  lifecycle {
    precondition {
      condition     = var.env == "prod"
      error_message = "this network is for prod only, not ${var.env}"
    }
  }
}
"#;

#[test]
fn moto_a_false_precondition_blocks_plan_and_apply() {
    let moto = moto();
    let env = aws_env(&moto.url);
    let dir = scratch(&[("main.tf", PRECONDITION)]);
    let plan = strata_in(dir.path(), &["plan", "."], &env);
    assert_eq!(plan.code, 1, "{}", plan.snapshot());
    insta::assert_snapshot!("precondition_blocks_plan", plan.snapshot());

    let apply = strata_in(dir.path(), &["apply", ".", "--auto-approve"], &env);
    assert_eq!(apply.code, 1, "{}", apply.snapshot());
    assert!(apply.stderr.contains("strata::config::precondition_failed"), "{}", apply.stderr);
    assert!(state_addresses(dir.path()).is_empty(), "nothing was created");
    assert!(ec2_tags(&moto.url).is_empty(), "nothing was created: {:?}", ec2_tags(&moto.url));

    // With the condition true, the same configuration applies.
    let ok = strata_in(dir.path(), &["apply", ".", "--auto-approve", "--var", "env=prod"], &env);
    assert_eq!(ok.code, 0, "{}", ok.snapshot());
    assert_eq!(state_addresses(dir.path()), ["aws_vpc.main"]);
}

const POSTCONDITION: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  lifecycle {
    postcondition {
      condition     = startswith(self.id, "subnet-")
      error_message = "the VPC's id must name a subnet (it never does)"
    }
  }
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_vpc" "other" {
  cidr_block = "10.1.0.0/16"
}
"#;

#[test]
fn moto_a_false_postcondition_after_apply_stops_dependents() {
    let moto = moto();
    let env = aws_env(&moto.url);
    let dir = scratch(&[("main.tf", POSTCONDITION)]);
    let apply = strata_in(dir.path(), &["apply", ".", "--auto-approve", "--parallelism", "1"], &env);
    assert_eq!(apply.code, 1, "{}", apply.snapshot());
    // The object exists and stays recorded; what depends on it never ran.
    assert_eq!(state_addresses(dir.path()), ["aws_vpc.main", "aws_vpc.other"]);
    let tail: String = apply.stdout.split("Succeeded:").nth(1).unwrap_or_default().to_string();
    insta::assert_snapshot!(
        "postcondition_stops_dependents",
        format!("--- stdout (summary)\nSucceeded:{}\n--- stderr\n{}", without_timings(&tail), apply.stderr)
    );

    // Known now: the next plan reports it too.
    let plan = strata_in(dir.path(), &["plan", "."], &env);
    assert_eq!(plan.code, 1, "{}", plan.snapshot());
    assert!(plan.stderr.contains("strata::config::postcondition_failed"), "{}", plan.stderr);
}

fn tagged(default_tags: &str) -> String {
    format!(
        r#"
provider "aws" {{
  default_tags {{
    tags = {default_tags}
  }}
}}
resource "aws_vpc" "main" {{
  cidr_block = "10.0.0.0/16"
  tags       = {{ Name = "main", Env = "mine" }}
}}
resource "aws_subnet" "a" {{
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}}
resource "aws_security_group" "web" {{
  name   = "web"
  vpc_id = aws_vpc.main.id
}}
"#
    )
}

#[test]
fn moto_a_default_tags_change_retags_every_object() {
    let moto = moto();
    let env = aws_env(&moto.url);
    let dir = scratch(&[("main.tf", &tagged(r#"{ Env = "dev", Team = "net" }"#))]);
    let apply = strata_in(dir.path(), &["apply", ".", "--auto-approve"], &env);
    assert_eq!(apply.code, 0, "{}", apply.snapshot());
    let tags = |s: &str| {
        s.split(',')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>()
    };
    let read = ec2_tags(&moto.url);
    let mut seen: Vec<BTreeMap<String, String>> = read.values().cloned().collect();
    seen.sort();
    assert_eq!(seen, [tags("Env=dev,Team=net"), tags("Env=dev,Team=net"), tags("Env=mine,Name=main,Team=net")]);

    std::fs::write(dir.path().join("main.tf"), tagged(r#"{ Env = "prod", Owner = "ops" }"#)).unwrap();
    let plan = strata_in(dir.path(), &["plan", "."], &env);
    assert_eq!(plan.code, 0, "{}", plan.snapshot());
    assert!(plan.stdout.contains("Plan: 0 to add, 3 to change, 0 to replace, 0 to destroy."), "{}", plan.stdout);
    assert!(plan.stdout.contains(r#"~ "Env"   = "dev" -> "prod""#), "{}", plan.stdout);

    let apply = strata_in(dir.path(), &["apply", ".", "--auto-approve"], &env);
    assert_eq!(apply.code, 0, "{}", apply.snapshot());
    let mut seen: Vec<BTreeMap<String, String>> = ec2_tags(&moto.url).values().cloned().collect();
    seen.sort();
    assert_eq!(
        seen,
        [tags("Env=mine,Name=main,Owner=ops"), tags("Env=prod,Owner=ops"), tags("Env=prod,Owner=ops")],
        "Team is gone, Env and Owner are the new defaults, the VPC's own Env wins"
    );

    let plan = strata_in(dir.path(), &["plan", "."], &env);
    assert_eq!(plan.code, 0, "{}", plan.snapshot());
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
}
