//! `strata validate`: variables from every source, exit codes, every error at once.

use crate::support::{scratch, strata_in};

const VARS: &str = r#"
variable "region" {
  type = string
}
variable "sizes" {
  type    = list(number)
  default = [1]
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = { Region = var.region, Count = length(var.sizes) }
}
output "region" {
  value = var.region
}
"#;

#[test]
fn missing_required_variable_names_its_sources() {
    let dir = scratch(&[("main.tf", VARS)]);
    let out = strata_in(dir.path(), &["validate"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("strata::config::missing_variable"), "{}", out.stderr);
    assert!(out.stderr.contains("STRATA_VAR_region"), "help names the ways to set it: {}", out.stderr);
}

#[test]
fn variables_from_flags_files_and_environment() {
    let dir = scratch(&[("main.tf", VARS), ("prod.tfvars", "region = \"eu-west-1\"\nsizes = [1, 2, 3]\n")]);
    for (args, env) in [
        (vec!["validate", "--var", "region=eu-west-1"], vec![]),
        (vec!["validate", "--var-file", "prod.tfvars"], vec![]),
        (vec!["validate"], vec![("STRATA_VAR_region", "eu-west-1")]),
        (vec!["validate"], vec![("TF_VAR_region", "eu-west-1")]),
        (vec!["validate", "--var", "region=x", "--var", "sizes=[1, 2]"], vec![]),
    ] {
        let out = strata_in(dir.path(), &args, &env);
        assert_eq!(out.code, 0, "{args:?} {env:?}:\n{}", out.snapshot());
    }
}

#[test]
fn bad_variable_values_are_diagnostics() {
    let dir = scratch(&[("main.tf", VARS)]);
    let out = strata_in(dir.path(), &["validate", "--var", "region=x", "--var", "sizes=[\"a\"]"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("strata::config::invalid_variable_value"), "{}", out.stderr);
    let out = strata_in(dir.path(), &["validate", "--var", "nosuch=1", "--var", "region=x"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("strata::config::undeclared_variable"), "{}", out.stderr);
    let out = strata_in(dir.path(), &["validate", "--var", "region"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("strata::config::invalid_var_flag"), "{}", out.stderr);
    assert!(out.stderr.contains("--var \"region\" has no value"), "{}", out.stderr);
    // Guards against quoting a malformed --var whole: it may be a secret
    // typed without its name (or with `:` for `=`).
    let out = strata_in(dir.path(), &["validate", "--var", "region=x", "--var", "db_password:hunter2-c4n4ry"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("the --var argument number 2 is not NAME=VALUE"), "{}", out.stderr);
    assert!(!out.stderr.contains("c4n4ry") && !out.stdout.contains("c4n4ry"), "{}", out.stderr);
}

#[test]
fn auto_loaded_files_and_precedence() {
    // terraform.tfvars < *.auto.tfvars < --var: the later source wins.
    let main = r#"
variable "name" {
  type = string
  validation {
    condition     = var.name == "from-flag"
    error_message = "got ${var.name}"
  }
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = var.name }
}
"#;
    let dir = scratch(&[("main.tf", main), ("terraform.tfvars", "name = \"from-tfvars\"\n"), ("a.auto.tfvars", "name = \"from-auto\"\n")]);
    let out = strata_in(dir.path(), &["validate"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("got from-auto"), "auto.tfvars beats terraform.tfvars: {}", out.stderr);
    let out = strata_in(dir.path(), &["validate", "--var", "name=from-flag"], &[("STRATA_VAR_name", "from-env")]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let json = scratch(&[("main.tf", main), ("vars.json", r#"{"name": "from-flag"}"#)]);
    let out = strata_in(json.path(), &["validate", "--var-file", "vars.json"], &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
}

#[test]
fn chdir_and_positional_directory() {
    let dir = scratch(&[("sub/main.tf", "resource \"aws_vpc\" \"v\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n")]);
    assert_eq!(strata_in(dir.path(), &["validate", "sub"], &[]).code, 0);
    assert_eq!(strata_in(dir.path(), &["--chdir", "sub", "validate"], &[]).code, 0);
    let out = strata_in(dir.path(), &["validate", "nowhere"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("strata::config::no_configuration"), "{}", out.stderr);
}

#[test]
fn warnings_do_not_fail() {
    let main = r#"
resource "aws_instance" "web" {
  ami           = "ami-123"
  instance_type = "t3.micro"
  provisioner "local-exec" {
    command = "echo hi"
  }
}
"#;
    let dir = scratch(&[("main.tf", main)]);
    let out = strata_in(dir.path(), &["validate"], &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stderr.contains("strata::config::provisioner_ignored"));
    assert!(out.stdout.contains("1 warning"));
}

#[test]
fn sensitive_values_never_appear() {
    let main = r#"
variable "db_password" {
  type      = string
  sensitive = true
}
resource "aws_db_instance" "db" {
  identifier        = "db-${var.db_password}"
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  username          = "app"
  password          = var.db_password
}
output "leak" {
  value = aws_db_instance.db.password
}
"#;
    let dir = scratch(&[("main.tf", main)]);
    let out = strata_in(dir.path(), &["validate", "--var", "db_password=hunter2-very-secret"], &[]);
    assert_eq!(out.code, 1, "an output of a sensitive value must say sensitive = true");
    assert!(out.stderr.contains("strata::config::sensitive_output"), "{}", out.stderr);
    for args in [vec!["validate", "--json"], vec!["graph", "--format", "json"], vec!["graph"]] {
        let mut a = args.clone();
        a.extend(["--var", "db_password=hunter2-very-secret"]);
        let out = strata_in(dir.path(), &a, &[]);
        assert!(!out.stdout.contains("hunter2") && !out.stderr.contains("hunter2"), "{a:?} leaked the secret");
    }
}
