//! `default_tags` changes reach `tags_all`; `prevent_destroy` covers instances
//! that `count` no longer names.

use strata_core::Value;

use super::{applied, change, codes, effective, plan_ok, plan_with};
use crate::{Action, PlanOptions};

fn config(default_tags: &str) -> String {
    format!(
        r#"
provider "aws" {{
  region = "us-east-1"
  default_tags {{
    tags = {default_tags}
  }}
}}
resource "aws_vpc" "main" {{
  cidr_block = "10.0.0.0/16"
  tags       = {{ Name = "main", Team = "own" }}
}}
resource "aws_vpc" "ignored" {{
  cidr_block = "10.1.0.0/16"
  lifecycle {{
    ignore_changes = all
  }}
}}
resource "aws_route53_zone" "z" {{
  name = "example.com"
}}
"#
    )
}

fn tags_all(plan: &crate::Plan, addr: &str) -> Value {
    change(plan, addr).after.as_ref().and_then(|a| a.as_map()).and_then(|m| m.get("tags_all")).cloned().unwrap_or(Value::Null)
}

#[test]
fn a_default_tags_change_updates_the_tags_of_existing_objects() {
    let before = config(r#"{ Env = "dev", Team = "platform" }"#);
    let state = applied(&[("main.tf", &before)]);
    let clean = plan_ok(&[("main.tf", &before)], Some(&state), &PlanOptions::default());
    assert!(effective(&clean).is_empty(), "{:?}", effective(&clean));

    let after = config(r#"{ Env = "prod", Team = "platform", Owner = "ops" }"#);
    let plan = plan_ok(&[("main.tf", &after)], Some(&state), &PlanOptions::default());
    assert_eq!(
        effective(&plan),
        [("aws_route53_zone.z".to_string(), Action::Update), ("aws_vpc.main".to_string(), Action::Update)],
        "every object whose tags_all changes is updated in place, except under ignore_changes = all"
    );
    // The resource's own tags win over the provider's defaults.
    let want = Value::map([
        ("Env", Value::string("prod")),
        ("Name", Value::string("main")),
        ("Owner", Value::string("ops")),
        ("Team", Value::string("own")),
    ]);
    assert_eq!(tags_all(&plan, "aws_vpc.main"), want);

    // Once applied (the provider reports the tags it wrote), nothing is left to do.
    let state = applied(&[("main.tf", &after)]);
    let plan = plan_ok(&[("main.tf", &after)], Some(&state), &PlanOptions::default());
    assert!(effective(&plan).is_empty(), "{:?}", effective(&plan));
}

#[test]
fn removing_default_tags_removes_them_from_tags_all() {
    let before = config(r#"{ Env = "dev" }"#);
    let state = applied(&[("main.tf", &before)]);
    let plan = plan_ok(&[("main.tf", &config("{}"))], Some(&state), &PlanOptions::default());
    assert_eq!(change(&plan, "aws_vpc.main").action, Action::Update);
    assert_eq!(tags_all(&plan, "aws_vpc.main"), Value::map([("Name", Value::string("main")), ("Team", Value::string("own"))]));
}

#[test]
fn prevent_destroy_covers_instances_count_no_longer_names() {
    let files = |n: u32| {
        format!(
            r#"
resource "aws_vpc" "v" {{
  count      = {n}
  cidr_block = "10.${{count.index}}.0.0/16"
  lifecycle {{
    prevent_destroy = true
  }}
}}
"#
        )
    };
    let state = applied(&[("main.tf", &files(2))]);
    for n in [1, 0] {
        let (_, diags) = plan_with(&[("main.tf", &files(n))], Some(&state), &PlanOptions::default());
        assert!(codes(&diags).contains(&"strata::plan::prevent_destroy"), "count = {n}: {diags:#?}");
    }
}

#[test]
fn ignore_changes_on_one_map_entry_keeps_its_recorded_value() {
    let files = |deployed: &str| {
        format!(
            r#"
resource "aws_vpc" "v" {{
  cidr_block = "10.0.0.0/16"
  tags       = {{ Name = "v", DeployedAt = "{deployed}" }}
  lifecycle {{
    ignore_changes = [tags["DeployedAt"]]
  }}
}}
"#
        )
    };
    let state = applied(&[("main.tf", &files("monday"))]);
    let plan = plan_ok(&[("main.tf", &files("tuesday"))], Some(&state), &PlanOptions::default());
    assert!(effective(&plan).is_empty(), "{:?}", effective(&plan));
    let changed = files("tuesday").replace(r#"Name = "v""#, r#"Name = "w""#);
    let plan = plan_ok(&[("main.tf", &changed)], Some(&state), &PlanOptions::default());
    let tags = change(&plan, "aws_vpc.v").after.as_ref().and_then(|a| a.as_map()).and_then(|m| m.get("tags")).cloned();
    assert_eq!(tags, Some(Value::map([("DeployedAt", Value::string("monday")), ("Name", Value::string("w"))])));
}
