//! Conditions the plan could not decide (unknown until objects exist) are
//! checked during the apply: preconditions before their operation starts,
//! postconditions as soon as it finished, before anything depends on it.

use strata_provider::ApplyAction;

use super::{Env, apply_ok, not_run, run, succeeded};
use crate::apply::{ApplyOptions, Cancel, NoProgress};

fn config(vpc_condition: &str, subnet_condition: &str) -> String {
    format!(
        r#"
resource "aws_vpc" "main" {{
  cidr_block = "10.0.0.0/16"
  lifecycle {{
    postcondition {{
      condition     = {vpc_condition}
      error_message = "the VPC id ${{self.id}} is not a real VPC id"
    }}
  }}
}}
resource "aws_subnet" "a" {{
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
  lifecycle {{
    precondition {{
      condition     = {subnet_condition}
      error_message = "the subnet's VPC must be a real one"
    }}
  }}
}}
resource "aws_instance" "web" {{
  ami           = "ami-1"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.a.id
}}
resource "aws_route53_zone" "z" {{
  name = "example.com"
}}
"#
    )
}

#[tokio::test]
async fn a_false_postcondition_after_create_stops_dependents_and_keeps_the_object() {
    let env = Env::new();
    // The fake's ids start with `fake-vpc-`: unknown at plan, false after the create.
    let main = config(r#"startswith(self.id, "vpc-")"#, "true");
    let outcome = run(&env, &main, ApplyOptions { layer_barrier: false, ..ApplyOptions::default() }, &Cancel::new(), &NoProgress).await;
    assert!(!outcome.is_success());
    let failed: Vec<String> = outcome.failed.iter().map(|f| format!("{} {:?} {}", f.addr, f.error.code, f.recorded)).collect();
    assert_eq!(failed, [r#"aws_vpc.main Some("strata::apply::postcondition_failed") true"#]);
    assert!(outcome.failed[0].error.message.contains("is not a real VPC id"), "{}", outcome.failed[0].error.message);
    let codes: Vec<&str> = outcome.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["strata::config::postcondition_failed"]);
    assert_eq!(succeeded(&outcome), ["aws_route53_zone.z create"], "what does not depend on it goes on");
    assert_eq!(not_run(&outcome).len(), 2, "{:?}", not_run(&outcome));
    // The object exists and stays recorded, as in Terraform.
    assert!(env.state().resource("aws_vpc.main").is_some());
    assert!(env.fake.apply_calls().iter().all(|c| c.addr.as_ref().is_none_or(|a| a.to_string() != "aws_subnet.a")));
}

#[tokio::test]
async fn a_true_postcondition_lets_the_apply_go_on() {
    let env = Env::new();
    apply_ok(&env, &config(r#"startswith(self.id, "fake-vpc-")"#, "true")).await;
    assert!(env.state().resource("aws_instance.web").is_some());
}

#[tokio::test]
async fn a_deferred_precondition_is_checked_before_its_create() {
    let env = Env::new();
    let main = config("true", r#"startswith(aws_vpc.main.id, "vpc-")"#);
    let outcome = run(&env, &main, ApplyOptions::default(), &Cancel::new(), &NoProgress).await;
    let failed: Vec<String> = outcome.failed.iter().map(|f| format!("{} {:?}", f.addr, f.error.code)).collect();
    assert_eq!(failed, [r#"aws_subnet.a Some("strata::apply::precondition_failed")"#]);
    let codes: Vec<&str> = outcome.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["strata::config::precondition_failed"]);
    let calls = env.fake.apply_calls();
    assert!(calls.iter().all(|c| c.addr.as_ref().is_none_or(|a| a.to_string() != "aws_subnet.a")), "the subnet was never created");
    assert!(calls.iter().any(|c| c.kind == crate::fake::CallKind::Apply(ApplyAction::Create)));
    assert!(env.state().resource("aws_subnet.a").is_none());
    assert_eq!(not_run(&outcome).len(), 1, "{:?}", not_run(&outcome));
}

const OUTPUTS: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
output "vpc_id" {
  value = aws_vpc.main.id
  precondition {
    condition     = startswith(aws_vpc.main.id, "vpc-")
    error_message = "the VPC id is not a real VPC id"
  }
}
output "cidr" {
  value = aws_vpc.main.cidr_block
}
check "vpc_id" {
  assert {
    condition     = startswith(aws_vpc.main.id, "vpc-")
    error_message = "the VPC id does not look like one"
  }
}
"#;

/// Guards against output preconditions and check assertions left unchecked
/// when their values were unknown at plan time: after the apply they are
/// known, a false precondition fails the apply and its output is not
/// recorded, and a false assertion warns.
#[tokio::test]
async fn output_preconditions_and_checks_unknown_at_plan_are_checked_after_the_apply() {
    let env = Env::new();
    // The fake's ids start with `fake-vpc-`: unknown at plan, false after the create.
    let outcome = run(&env, OUTPUTS, ApplyOptions::default(), &Cancel::new(), &NoProgress).await;
    assert!(!outcome.is_success(), "{:#?}", outcome.diagnostics);
    assert_eq!(succeeded(&outcome), ["aws_vpc.main create"], "the object is made and recorded");
    let found: Vec<(&str, strata_core::Severity)> = outcome.diagnostics.iter().map(|d| (d.code, d.severity)).collect();
    assert_eq!(
        found,
        [
            ("strata::config::precondition_failed", strata_core::Severity::Error),
            ("strata::config::check_failed", strata_core::Severity::Warning)
        ]
    );
    assert!(outcome.diagnostics.0[0].message.contains("the VPC id is not a real VPC id"), "{:#?}", outcome.diagnostics);
    let state = env.state();
    assert!(state.resource("aws_vpc.main").is_some());
    assert!(!state.outputs.contains_key("vpc_id"), "the failed output is not recorded: {:?}", state.outputs);
    assert!(state.outputs.contains_key("cidr"), "the others are: {:?}", state.outputs);
}

#[tokio::test]
async fn true_output_preconditions_and_checks_say_nothing_after_the_apply() {
    let env = Env::new();
    let outcome = run(&env, &OUTPUTS.replace("\"vpc-\"", "\"fake-vpc-\""), ApplyOptions::default(), &Cancel::new(), &NoProgress).await;
    assert!(outcome.is_success(), "{:#?}", outcome.diagnostics);
    assert!(outcome.diagnostics.is_empty(), "{:#?}", outcome.diagnostics);
    assert!(env.state().outputs.contains_key("vpc_id"));
}
