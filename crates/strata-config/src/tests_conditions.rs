//! Preconditions, postconditions, output preconditions and `check` blocks.

use strata_core::{Diagnostics, Severity};

use crate::{ConditionKind, Config, Evaluated, VarSources, collect_inputs, evaluate, load};

fn eval(text: &str) -> (Config, Evaluated, Diagnostics) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), text).unwrap();
    let (mut config, mut diags) = load(dir.path());
    let (inputs, d) = collect_inputs(&mut config, &VarSources::default());
    diags.extend(d);
    let (ev, d) = evaluate(&config, &inputs, strata_provider::aws::schema(), &crate::NoPriorState);
    diags.extend(d);
    (config, ev, diags)
}

/// Diagnostics as lines: severity, code, position of the primary label, message, label, help.
fn render(config: &Config, diags: &Diagnostics) -> String {
    let mut out = String::new();
    for d in diags.iter() {
        let sev = if d.severity == Severity::Error { "error" } else { "warning" };
        let (at, label) = match d.labels.first() {
            Some(l) => {
                let s = &l.span;
                let (line, col) = config.sources.line_col(s.file, s.range.start);
                (format!("{line}:{col} `{}`", config.sources.snippet(s)), l.message.clone())
            }
            None => (String::new(), String::new()),
        };
        out.push_str(&format!(
            "{sev} {} at {at}\n  {}\n  label: {label}\n  help: {}\n",
            d.code,
            d.message,
            d.help.clone().unwrap_or_default()
        ));
    }
    out
}

#[test]
fn a_false_precondition_fails_the_plan_with_its_message_and_span() {
    let (config, ev, diags) = eval(
        r#"
variable "cidr" {
  default = "10.0.0.0/8"
}
resource "aws_vpc" "main" {
  count      = 2
  cidr_block = var.cidr
  lifecycle {
    precondition {
      condition     = endswith(var.cidr, "/16")
      error_message = "instance ${count.index} needs a /16, got ${var.cidr}"
    }
    precondition {
      condition     = 1 == 1
      error_message = "never shown"
    }
  }
}
"#,
    );
    assert!(diags.has_errors());
    let failures: Vec<String> = ev.condition_failures.iter().map(|f| format!("{} {:?}", f.addr, f.kind)).collect();
    assert_eq!(failures, ["aws_vpc.main[0] Precondition", "aws_vpc.main[1] Precondition"]);
    insta::assert_snapshot!(render(&config, &diags));
}

#[test]
fn true_and_unknown_preconditions_pass_the_plan() {
    let (config, ev, diags) = eval(
        r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
  lifecycle {
    # The id is known only after apply: checked then.
    precondition {
      condition     = aws_vpc.main.id != ""
      error_message = "no vpc"
    }
    precondition {
      condition     = aws_vpc.main.cidr_block == "10.0.0.0/16"
      error_message = "wrong vpc"
    }
  }
}
"#,
    );
    assert!(diags.is_empty(), "{}", render(&config, &diags));
    assert!(ev.condition_failures.is_empty());
}

#[test]
fn postconditions_see_the_planned_object_as_self() {
    let (config, ev, diags) = eval(
        r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  lifecycle {
    postcondition {
      condition     = self.cidr_block == "10.1.0.0/16"
      error_message = "the VPC must be 10.1.0.0/16, not ${self.cidr_block}"
    }
    # Unknown until the object exists: deferred to the apply.
    postcondition {
      condition     = startswith(self.id, "vpc-")
      error_message = "not a VPC id"
    }
  }
}
"#,
    );
    let failures: Vec<String> = ev.condition_failures.iter().map(|f| format!("{} {:?}", f.addr, f.kind)).collect();
    assert_eq!(failures, ["aws_vpc.main Postcondition"]);
    assert_eq!(ev.condition_failures[0].kind, ConditionKind::Postcondition);
    insta::assert_snapshot!(render(&config, &diags));
}

#[test]
fn self_in_a_precondition_and_non_bool_conditions_are_errors() {
    let (config, _, diags) = eval(
        r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  lifecycle {
    precondition {
      condition     = self.cidr_block != ""
      error_message = "x"
    }
    postcondition {
      condition     = "yes"
      error_message = "x"
    }
    postcondition {
      condition     = null
      error_message = "x"
    }
    postcondition {
      condition = true
    }
  }
}
"#,
    );
    insta::assert_snapshot!(render(&config, &diags));
}

#[test]
fn output_and_data_source_conditions_are_checked() {
    let (config, ev, diags) = eval(
        r#"
variable "env" {
  default = "dev"
}
data "aws_ami" "web" {
  most_recent = true
  owners      = ["self"]
  lifecycle {
    precondition {
      condition     = var.env == "prod"
      error_message = "images are looked up for prod only"
    }
  }
}
output "env" {
  value = var.env
  precondition {
    condition     = contains(["staging", "prod"], var.env)
    error_message = "unexpected environment ${var.env}"
  }
}
"#,
    );
    let failures: Vec<String> = ev.condition_failures.iter().map(|f| format!("{} {:?}", f.addr, f.kind)).collect();
    assert_eq!(failures, ["data.aws_ami.web Precondition"]);
    insta::assert_snapshot!(render(&config, &diags));
}

#[test]
fn check_assertions_warn_and_never_fail() {
    let (config, _, diags) = eval(
        r#"
variable "azs" {
  default = ["a"]
}
check "enough_zones" {
  assert {
    condition     = length(var.azs) >= 2
    error_message = "only ${length(var.azs)} zone: not highly available"
  }
  assert {
    condition     = length(var.azs) >= 1
    error_message = "never shown"
  }
}
"#,
    );
    assert!(!diags.has_errors());
    insta::assert_snapshot!(render(&config, &diags));
}
