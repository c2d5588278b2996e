//! End to end against moto_server: the flagship example applies, plans clean
//! and destroys cleanly. Each test starts its own moto_server (see
//! `support::moto`).

use std::path::Path;

use crate::support::{moto, repo, strata_in};

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// What strata needs to talk to the moto at `url`: endpoint, dummy
/// credentials, region.
pub(crate) fn aws_env(url: &str) -> [(&'static str, &str); 4] {
    [("AWS_ENDPOINT_URL", url), ("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_REGION", "us-east-1")]
}

/// moto ships this Amazon Linux 2 image in every region.
pub(crate) const MOTO_AMI: &str = "ami_id=ami-04681a1dbd79675a5";

#[test]
fn moto_three_tier_applies_plans_clean_and_destroys() {
    let moto = moto();
    let url = moto.url.clone();
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/three-tier"), &tmp.path().join("examples/three-tier"));
    copy_dir(&repo().join("modules"), &tmp.path().join("modules"));
    let dir = tmp.path().join("examples/three-tier");
    let env = aws_env(&url);

    let out = strata_in(&dir, &["apply", "--auto-approve", "--var", MOTO_AMI], &env);
    assert_eq!(out.code, 0, "apply:\n{}", out.snapshot());
    assert!(out.stdout.contains("Apply complete: 36 created"), "{}", out.stdout);
    // Progress: one line per resource as it starts and ends, layer by layer.
    let started =
        |addr: &str| out.stdout.lines().position(|l| l.contains(&format!("{addr}: creating"))).unwrap_or_else(|| panic!("{addr} started"));
    assert!(started("module.network.aws_vpc.this") < started("module.db.aws_db_instance.primary"));
    assert!(started("module.db.aws_db_instance.primary") < started("module.web.aws_instance.app[0]"));
    assert!(started("module.web.aws_lb.this") < started("aws_route53_record.www"));

    let listed = strata_in(&dir, &["state", "list"], &[]);
    assert_eq!(listed.stdout.lines().count(), 36, "{}", listed.stdout);

    let out = strata_in(&dir, &["plan", "--detailed-exitcode", "--var", MOTO_AMI], &env);
    assert_eq!(out.code, 0, "an applied configuration plans clean (after a refresh against moto):\n{}", out.snapshot());
    let out = strata_in(&dir, &["refresh", "--var", MOTO_AMI], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    // Right after a clean apply a scheduled drift check finds nothing: the
    // account's defaults are left out, every defaulted block reads back as
    // recorded (a target group's stickiness was a false alarm).
    let out = strata_in(&dir, &["drift", "--var", MOTO_AMI], &env);
    assert_eq!(out.code, 0, "drift right after apply:\n{}", out.snapshot());

    let out = strata_in(&dir, &["destroy", "--auto-approve", "--var", MOTO_AMI], &env);
    assert_eq!(out.code, 0, "destroy:\n{}", out.snapshot());
    assert!(out.stdout.contains("36 destroyed"), "{}", out.stdout);
    let listed = strata_in(&dir, &["state", "list"], &[]);
    assert_eq!(listed.stdout, "", "nothing left in the state");
}

#[test]
fn moto_apply_refuses_without_a_terminal_or_auto_approve() {
    let moto = moto();
    let url = moto.url.clone();
    let dir = crate::support::scratch(&[("main.tf", "resource \"aws_vpc\" \"v\" {\n  cidr_block = \"10.9.0.0/16\"\n}\n")]);
    let env = aws_env(&url);
    let out = strata_in(dir.path(), &["apply"], &env);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(out.stderr.contains("--auto-approve"), "{}", out.stderr);
    assert!(!dir.path().join(".strata/state.json").exists(), "nothing was applied");
}

/// `plan` refreshes by default and reads data sources, but writes nothing;
/// `--refresh=false` and missing credentials plan against the recorded state
/// and say that the data sources were not read.
#[test]
fn moto_plan_refreshes_reads_data_sources_and_writes_nothing() {
    let moto = moto();
    let url = moto.url.clone();
    let config = r#"
data "aws_availability_zones" "az" {}
resource "aws_vpc" "v" {
  cidr_block = "10.8.0.0/16"
}
resource "aws_subnet" "s" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.8.1.0/24"
  availability_zone = data.aws_availability_zones.az.names[0]
}
"#;
    let dir = crate::support::scratch(&[("main.tf", config)]);
    let env = aws_env(&url);
    let out = strata_in(dir.path(), &["plan"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(
        out.stdout.lines().any(|l| l.contains("availability_zone ") && l.ends_with("= \"us-east-1a\"")),
        "the data source was read at plan time:\n{}",
        out.stdout
    );
    let out = strata_in(dir.path(), &["apply", "--auto-approve"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let out = strata_in(dir.path(), &["plan", "--detailed-exitcode"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(!out.stdout.contains("not read"), "{}", out.stdout);

    // Deleted outside strata: the refreshing plan creates it again; the
    // state is not written by planning.
    let state_path = dir.path().join(".strata/state.json");
    let before = std::fs::read(&state_path).unwrap();
    let subnet = crate::drift::boto3(
        &moto,
        "print(ec2.describe_subnets(Filters=[{'Name': 'cidr-block', 'Values': ['10.8.1.0/24']}])['Subnets'][0]['SubnetId'])",
    );
    crate::drift::boto3(&moto, &format!("ec2.delete_subnet(SubnetId={subnet:?})"));
    let out = strata_in(dir.path(), &["plan", "--detailed-exitcode", "--json"], &env);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(plan["state"]["refreshed"], true);
    let actions: Vec<(String, String)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["address"].as_str().unwrap().into(), c["action"].as_str().unwrap().into()))
        .collect();
    assert!(actions.contains(&("aws_subnet.s".into(), "create".into())), "{actions:?}");
    assert_eq!(std::fs::read(&state_path).unwrap(), before, "plan wrote the state");

    // Not refreshed: the state still records the subnet; the data source is unread.
    // The subnet's zone comes from the unread data source: unknown, and it
    // forces a replacement — so such a plan is shown but never saved.
    let out = strata_in(dir.path(), &["plan", "--refresh=false", "--detailed-exitcode"], &env);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stdout.contains("Data sources not read (--refresh=false): data.aws_availability_zones.az"), "{}", out.stdout);
    assert!(out.stdout.contains("# aws_subnet.s must be replaced"), "{}", out.stdout);
    assert!(!out.stdout.contains("# aws_vpc.v"), "the VPC was not deleted out of band: {}", out.stdout);
    let out = strata_in(dir.path(), &["plan", "--refresh=false", "--out", "p.plan"], &env);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(out.stderr.contains("strata::plan::data_not_read"), "{}", out.stderr);
    assert!(!dir.path().join("p.plan").exists());
    let no_credentials = [("AWS_ENDPOINT_URL", url.as_str()), ("AWS_REGION", "us-east-1")];
    let out = strata_in(dir.path(), &["plan"], &no_credentials);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stderr.contains("strata::plan::not_refreshed"), "{}", out.stderr);
    assert!(out.stdout.contains("Data sources not read (no AWS credentials were found)"), "{}", out.stdout);
}

/// A plan saved before any state exists applies: the apply's own new state
/// is not "a state created since", and what it makes is the new state's.
#[test]
fn moto_a_plan_saved_without_state_applies() {
    let moto = moto();
    let url = moto.url.clone();
    let dir = crate::support::scratch(&[("main.tf", "resource \"aws_vpc\" \"v\" {\n  cidr_block = \"10.7.0.0/16\"\n}\n")]);
    let env = aws_env(&url);
    let out = strata_in(dir.path(), &["plan", "--out", "first.plan"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let out = strata_in(dir.path(), &["apply", "--auto-approve", "first.plan"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.contains("Apply complete: 1 created"), "{}", out.stdout);
    // The VPC carries the state's lineage: the next plan finds it ours and
    // unchanged (it was tagged with another lineage than the state's, and
    // plan stopped with strata::refresh::foreign_object).
    let out = strata_in(dir.path(), &["plan", "--detailed-exitcode"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    // Applied once, it is stale.
    let out = strata_in(dir.path(), &["apply", "--auto-approve", "first.plan"], &env);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(out.stderr.contains("strata::plan::stale"), "{}", out.stderr);
}

/// A data source that depends on objects the apply creates is read during
/// the apply, once they exist; the plan leaves it unknown instead of
/// failing to find them.
#[test]
fn moto_data_sources_waiting_on_creates_are_read_during_the_apply() {
    let moto = moto();
    let url = moto.url.clone();
    let config = r#"
resource "aws_vpc" "v" {
  cidr_block = "10.6.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.6.1.0/24"
}
data "aws_subnets" "in_vpc" {
  filter {
    name   = "vpc-id"
    values = [aws_vpc.v.id]
  }
  depends_on = [aws_subnet.a]
}
resource "aws_security_group" "sg" {
  name        = "sg"
  vpc_id      = aws_vpc.v.id
  description = "subnets ${length(data.aws_subnets.in_vpc.ids)}"
}
"#;
    let dir = crate::support::scratch(&[("main.tf", config)]);
    let env = aws_env(&url);
    let out = strata_in(dir.path(), &["plan"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.lines().any(|l| l.contains("description") && l.contains("(known after apply)")), "{}", out.stdout);
    let out = strata_in(dir.path(), &["apply", "--auto-approve"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let out = strata_in(dir.path(), &["state", "show", "aws_security_group.sg"], &[]);
    assert!(out.stdout.lines().any(|l| l.contains("description") && l.contains("\"subnets 1\"")), "{}", out.stdout);
    let out = strata_in(dir.path(), &["plan", "--detailed-exitcode"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
}

/// A failed create: the rest of its layer finishes, the next layer does not
/// start, and the end lists what succeeded, what failed (with AWS's error
/// text) and what did not run.
#[test]
fn moto_a_failure_is_reported_with_the_aws_error_and_what_did_and_did_not_run() {
    let moto = moto();
    let url = moto.url.clone();
    let config = r#"
resource "aws_vpc" "v" {
  cidr_block = "10.5.0.0/16"
}
resource "aws_subnet" "outside" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.9.1.0/24"
}
resource "aws_subnet" "inside" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.5.1.0/24"
}
resource "aws_instance" "app" {
  ami           = "ami-04681a1dbd79675a5"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.inside.id
}
"#;
    let dir = crate::support::scratch(&[("main.tf", config)]);
    let out = strata_in(dir.path(), &["apply", "--auto-approve"], &aws_env(&url));
    assert_eq!(out.code, 1, "{}", out.snapshot());
    let section = |name: &str| -> Vec<String> {
        let mut lines = out.stdout.lines().skip_while(|l| *l != name).skip(1);
        std::iter::from_fn(|| lines.next().filter(|l| l.starts_with("  ")).map(|l| l.trim().to_string())).collect()
    };
    let succeeded = section("Succeeded:");
    assert!(succeeded.iter().any(|l| l.starts_with("✓ aws_vpc.v (create)")), "{}", out.stdout);
    assert!(succeeded.iter().any(|l| l.starts_with("✓ aws_subnet.inside (create)")), "{}", out.stdout);
    let failed = section("Failed:");
    assert_eq!(failed.len(), 1, "{}", out.stdout);
    assert!(failed[0].starts_with("✗ aws_subnet.outside (create): InvalidSubnet.Range"), "AWS's code and text: {}", failed[0]);
    assert_eq!(section("Not run:"), ["- aws_instance.app (create): not started: an operation of an earlier layer failed"]);
    assert!(out.stdout.contains("Apply failed: 2 created, 0 updated, 0 destroyed; 1 failed, 1 not run."), "{}", out.stdout);
}

/// Right after a clean apply, a drift check of every example finds nothing
/// (three-tier has its own test): a false alarm on day one gets a scheduled
/// check switched off.
#[test]
fn moto_every_example_is_drift_clean_right_after_apply() {
    for example in ["count-and-for-each", "dynamic-blocks", "layer-override"] {
        let moto = moto();
        let env = aws_env(&moto.url);
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(&repo().join("examples").join(example), &tmp.path().join("examples").join(example));
        copy_dir(&repo().join("modules"), &tmp.path().join("modules"));
        let dir = tmp.path().join("examples").join(example);
        let out = strata_in(&dir, &["apply", "--auto-approve"], &env);
        assert_eq!(out.code, 0, "{example} apply:\n{}", out.snapshot());
        let out = strata_in(&dir, &["drift"], &env);
        assert_eq!(out.code, 0, "{example}: drift right after apply:\n{}", out.snapshot());
        assert!(out.stdout.contains("No drift: the cloud matches the state"), "{example}: {}", out.stdout);
    }
}
