//! Tags changed outside strata, the most common console drift, against
//! moto_server: every tag of an object is compared with the configuration's
//! `tags` merged with the provider's `default_tags`, whether or not its key
//! is written in `tags`. `plan` removes or restores them (an in-place
//! update), `apply` does it on the real object, `drift` reports them by key;
//! strata's own tags stay invisible and untouched, and `ignore_changes`
//! keeps working. Each test starts its own moto_server (see `support::moto`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::e2e::aws_env;
use crate::support::{Moto, Output, moto, scratch, strata_in};

/// Python helpers over the objects recorded in the state: `tags(address)`
/// (every tag of the object, strata's own included), `set_tag(address,
/// key, value)` and `del_tag(address, key)`, through the service's own
/// tagging API, as the console would.
const HELPERS: &str = r#"
import boto3, json, sys
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
ec2, rds, elb, r53 = (boto3.client(n, **kw) for n in ("ec2", "rds", "elbv2", "route53"))
obj = {r["address"]: r for r in json.load(open(sys.argv[2]))["resources"]}
def arn(a): return obj[a]["attributes"]["arn"]
def tags(a):
    ty, i = obj[a]["type"], obj[a]["id"]
    if ty == "aws_db_instance": l = rds.list_tags_for_resource(ResourceName=arn(a))["TagList"]
    elif ty == "aws_lb_target_group": l = elb.describe_tags(ResourceArns=[arn(a)])["TagDescriptions"][0]["Tags"]
    elif ty == "aws_route53_zone": l = r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=i)["ResourceTagSet"]["Tags"]
    else: l = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [i]}])["Tags"]
    return {t["Key"]: t["Value"] for t in l}
def set_tag(a, k, v):
    ty, i, t = obj[a]["type"], obj[a]["id"], [{"Key": k, "Value": v}]
    if ty == "aws_db_instance": rds.add_tags_to_resource(ResourceName=arn(a), Tags=t)
    elif ty == "aws_lb_target_group": elb.add_tags(ResourceArns=[arn(a)], Tags=t)
    elif ty == "aws_route53_zone": r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=i, AddTags=t)
    else: ec2.create_tags(Resources=[i], Tags=t)
def del_tag(a, k):
    ec2.delete_tags(Resources=[obj[a]["id"]], Tags=[{"Key": k}])
"#;

/// Run `script` after [`HELPERS`] against moto and the state in `dir`; its stdout.
fn aws(moto: &Moto, dir: &Path, script: &str) -> String {
    let program = format!("{HELPERS}\n{script}");
    let state = dir.join(".strata/state.json");
    let out = std::process::Command::new("python3")
        .args(["-c", &program, &moto.url, &state.to_string_lossy()])
        .output()
        .expect("run python3 (boto3 ships with moto)");
    assert!(out.status.success(), "boto3 script failed:\n{script}\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Every tag of the object recorded at `address`.
fn tags_of(moto: &Moto, dir: &Path, address: &str) -> BTreeMap<String, String> {
    serde_json::from_str(&aws(moto, dir, &format!("print(json.dumps(tags({address:?})))"))).unwrap()
}

fn run(dir: &Path, moto: &Moto, args: &[&str]) -> Output {
    strata_in(dir, args, &aws_env(&moto.url))
}

/// `tags` before and after of each change of a `plan --json`, by address,
/// for the changes that are not no-ops.
fn planned_tags(out: &Output) -> BTreeMap<String, (String, serde_json::Value, serde_json::Value)> {
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.snapshot()));
    doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no_op")
        .map(|c| {
            let address = c["address"].as_str().unwrap().to_string();
            (address, (c["action"].as_str().unwrap().to_string(), c["before"]["tags"].clone(), c["after"]["tags"].clone()))
        })
        .collect()
}

const MOTO_DEFAULTS: &str = "aws_db_parameter_group.default.*\n";

const CONFIG: &str = r#"
provider "aws" {
  default_tags {
    tags = { Team = "platform" }
  }
}

resource "aws_vpc" "main" {
  cidr_block = "10.60.0.0/16"
  tags       = { Name = "tags-main" }
}

resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.60.1.0/24"
}

resource "aws_db_instance" "db" {
  identifier          = "tags-db"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  username            = "app"
  password            = "correct-horse-battery"
  skip_final_snapshot = true
  tags                = { Name = "tags-db" }
}

resource "aws_lb_target_group" "app" {
  name     = "tags-app"
  port     = 8080
  protocol = "HTTP"
  vpc_id   = aws_vpc.main.id
}

resource "aws_route53_zone" "kept" {
  name = "tags.internal"
  tags = { Name = "kept" }

  lifecycle {
    ignore_changes = [tags["Owner"]]
  }
}

resource "aws_security_group" "any" {
  name   = "tags-any"
  vpc_id = aws_vpc.main.id

  lifecycle {
    ignore_changes = [tags]
  }
}
"#;

#[test]
fn moto_tags_changed_outside_strata_are_planned_back_applied_and_reported_as_drift() {
    let moto = moto();
    // moto makes a default parameter group for the database, which no
    // configuration manages.
    let tmp = scratch(&[("main.tf", CONFIG), (".strataignore", MOTO_DEFAULTS)]);
    let dir = tmp.path();
    let out = run(dir, &moto, &["apply", "--auto-approve"]);
    assert_eq!(out.code, 0, "apply:\n{}", out.snapshot());
    let out = run(dir, &moto, &["drift"]);
    assert_eq!(out.code, 0, "no drift right after apply:\n{}", out.snapshot());
    let out = run(dir, &moto, &["plan", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "a clean plan right after apply (strata's own tags are invisible):\n{}", out.snapshot());

    // In the console: an owner tag on everything, a renamed VPC, the
    // subnet's default tag removed.
    let everything = [
        "aws_vpc.main",
        "aws_subnet.a",
        "aws_db_instance.db",
        "aws_lb_target_group.app",
        "aws_route53_zone.kept",
        "aws_security_group.any",
    ];
    let mut script: Vec<String> = everything.iter().map(|a| format!("set_tag({a:?}, 'Owner', 'bob')")).collect();
    script.push("set_tag('aws_vpc.main', 'Name', 'renamed')".into());
    script.push("del_tag('aws_subnet.a', 'Team')".into());
    aws(&moto, dir, &script.join("\n"));

    // drift: each tag by key, exit 2; the ignored ones are not drift.
    let out = run(dir, &moto, &["drift"]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    let text = &out.stdout;
    for address in ["aws_vpc.main", "aws_subnet.a", "aws_db_instance.db", "aws_lb_target_group.app"] {
        let section = text.split(&format!("~ {address} (")).nth(1).unwrap_or_else(|| panic!("{address} changed:\n{text}"));
        let section = section.split("\n  ~ ").next().unwrap();
        assert!(section.contains(r#"tags.Owner: null → "bob""#), "{address}:\n{text}");
    }
    assert!(text.contains(r#"tags.Name: "tags-main" → "renamed""#), "{text}");
    assert!(text.contains(r#"tags.Team: "platform" → null"#), "a default tag removed is drift:\n{text}");
    assert!(!text.contains("aws_route53_zone.kept") && !text.contains("aws_security_group.any"), "ignore_changes:\n{text}");
    assert!(!text.contains("tags.strata:"), "strata's own tags are never drift:\n{text}");
    assert!(text.contains("Drift: 4 changed, 0 deleted"), "{text}");
    let out = run(dir, &moto, &["drift", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = doc["changed"].as_array().unwrap().iter().find(|c| c["address"] == "aws_db_instance.db").expect("the database changed");
    assert_eq!(db["attributes"], serde_json::json!([{"path": "tags.Owner", "before": null, "after": "bob", "sensitive": false}]));

    // An attribute line of .strataignore leaves a type's tag changes out.
    std::fs::write(dir.join(".strataignore"), format!("{MOTO_DEFAULTS}aws_lb_target_group.*.tags\n")).unwrap();
    let out = run(dir, &moto, &["drift"]);
    assert!(out.stdout.contains("Drift: 3 changed") && !out.stdout.contains("aws_lb_target_group.app"), "{}", out.snapshot());
    std::fs::write(dir.join(".strataignore"), MOTO_DEFAULTS).unwrap();

    // plan: an in-place update per object whose tags nobody declared or
    // declared otherwise; the ignored ones keep theirs.
    let out = run(dir, &moto, &["plan", "--json"]);
    let changes = planned_tags(&out);
    let expect = |before: serde_json::Value, after: serde_json::Value| ("update".to_string(), before, after);
    use serde_json::json;
    assert_eq!(
        changes,
        BTreeMap::from([
            ("aws_vpc.main".into(), expect(json!({"Name": "renamed", "Owner": "bob"}), json!({"Name": "tags-main"}))),
            ("aws_subnet.a".into(), expect(json!({"Owner": "bob"}), json!(null))),
            ("aws_db_instance.db".into(), expect(json!({"Name": "tags-db", "Owner": "bob"}), json!({"Name": "tags-db"}))),
            ("aws_lb_target_group.app".into(), expect(json!({"Owner": "bob"}), json!(null))),
        ]),
        "{}",
        out.stdout
    );
    let out = run(dir, &moto, &["plan", "--detailed-exitcode"]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stdout.contains(r#"- "Owner" = "bob" -> null"#), "{}", out.stdout);
    assert!(
        out.stdout.lines().any(|l| l.trim().starts_with(r#"+ "Team""#) && l.ends_with(r#"= "platform""#)),
        "the subnet's default tag is put back:\n{}",
        out.stdout
    );
    assert!(out.stdout.contains("Plan: 0 to add, 4 to change, 0 to replace, 0 to destroy."), "{}", out.stdout);

    // apply: the tags really are gone or back; strata's own and the ignored stay.
    let out = run(dir, &moto, &["apply", "--auto-approve"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    for address in everything {
        let tags = tags_of(&moto, dir, address);
        let ignored = ["aws_route53_zone.kept", "aws_security_group.any"].contains(&address);
        assert_eq!(tags.contains_key("Owner"), ignored, "{address}: {tags:?}");
        assert_eq!(tags.get("Team").map(String::as_str), Some("platform"), "{address}: {tags:?}");
        assert!(tags.contains_key("strata:lineage") && tags.contains_key("strata:address"), "{address}: {tags:?}");
    }
    assert_eq!(tags_of(&moto, dir, "aws_vpc.main").get("Name").map(String::as_str), Some("tags-main"));
    let out = run(dir, &moto, &["drift"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let out = run(dir, &moto, &["plan", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
}

/// With no `tags` and no `default_tags` anywhere, a tag added in the
/// console is still drift, and the plan removes it.
#[test]
fn moto_a_tag_added_to_an_object_configured_without_tags_is_drift() {
    let moto = moto();
    let tmp = scratch(&[("main.tf", "resource \"aws_vpc\" \"bare\" {\n  cidr_block = \"10.61.0.0/16\"\n}\n")]);
    let dir = tmp.path();
    let out = run(dir, &moto, &["apply", "--auto-approve"]);
    assert_eq!(out.code, 0, "apply:\n{}", out.snapshot());
    aws(&moto, dir, "set_tag('aws_vpc.bare', 'Owner', 'bob')");

    let out = run(dir, &moto, &["drift"]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stdout.contains(r#"tags.Owner: null → "bob""#), "{}", out.stdout);
    let out = run(dir, &moto, &["plan", "--detailed-exitcode"]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stdout.contains("# aws_vpc.bare will be updated in place"), "{}", out.stdout);
    assert!(out.stdout.contains(r#"- "Owner" = "bob" -> null"#), "{}", out.stdout);

    let out = run(dir, &moto, &["apply", "--auto-approve"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let tags = tags_of(&moto, dir, "aws_vpc.bare");
    assert!(!tags.contains_key("Owner"), "{tags:?}");
    assert!(tags.contains_key("strata:lineage"), "{tags:?}");
    let out = run(dir, &moto, &["drift"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
}
