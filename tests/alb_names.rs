//! The names of the ALB era (`aws_alb`, `aws_alb_listener`,
//! `aws_alb_target_group`, `aws_alb_target_group_attachment`) are aliases of
//! the `aws_lb*` types, as in hashicorp/aws: the same schema and
//! implementation, while addresses and the state keep the name written.

use crate::e2e::aws_env;
use crate::support::{moto, scratch, strata_in};

const ALB: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.2.0/24"
  availability_zone = "us-east-1b"
}

resource "aws_security_group" "lb" {
  name   = "legacy-lb"
  vpc_id = aws_vpc.main.id
}

resource "aws_instance" "app" {
  ami           = "ami-04681a1dbd79675a5"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.a.id

  root_block_device {
    volume_type = "gp3"
    volume_size = 8
  }
}

resource "aws_alb" "web" {
  name            = "legacy"
  security_groups = [aws_security_group.lb.id]
  subnets         = [aws_subnet.a.id, aws_subnet.b.id]
  idle_timeout    = 60

  tags = {
    Team = "web"
  }
}

resource "aws_alb_target_group" "app" {
  name     = "legacy-app"
  port     = 8080
  protocol = "HTTP"
  vpc_id   = aws_vpc.main.id
}

resource "aws_alb_listener" "http" {
  load_balancer_arn = aws_alb.web.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_alb_target_group.app.arn
  }
}

resource "aws_alb_target_group_attachment" "app" {
  target_group_arn = aws_alb_target_group.app.arn
  target_id        = aws_instance.app.id
  port             = 8080
}
"#;

/// Offline: validated, placed and priced as the `aws_lb*` types are.
#[test]
fn alb_names_validate_and_price_as_lb_types() {
    let dir = scratch(&[("main.tf", ALB)]);
    let out = strata_in(dir.path(), &["validate", "."], &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(!out.stderr.contains("unsupported"), "{}", out.stderr);

    let graph = strata_in(dir.path(), &["graph", ".", "--format", "json"], &[]);
    let doc: serde_json::Value = serde_json::from_str(&graph.stdout).unwrap();
    let node = |addr: &str| doc["nodes"].as_array().unwrap().iter().find(|n| n["address"] == addr).unwrap().clone();
    assert_eq!(node("aws_alb.web")["default_layer"], 4, "{doc:#}");

    let cost = strata_in(dir.path(), &["cost", ".", "--format", "json"], &[]);
    assert_eq!(cost.code, 0, "{}", cost.snapshot());
    let doc: serde_json::Value = serde_json::from_str(&cost.stdout).unwrap();
    let line = doc["resources"].as_array().unwrap().iter().find(|r| r["address"] == "aws_alb.web").unwrap().clone();
    assert_eq!(line["type"], "aws_alb");
    assert!(line["after_monthly"].as_f64().unwrap() > 0.0, "an ALB is priced as an aws_lb: {line:#}");
}

#[test]
fn moto_alb_names_plan_apply_stay_drift_clean_and_destroy() {
    let moto = moto();
    let env = aws_env(&moto.url);
    let dir = scratch(&[("main.tf", ALB)]);
    let run = |args: &[&str]| strata_in(dir.path(), args, &env);

    let out = run(&["plan", "."]);
    assert_eq!(out.code, 0, "plan:\n{}", out.snapshot());
    assert!(out.stdout.contains("aws_alb.web"), "{}", out.stdout);

    let out = run(&["apply", ".", "--auto-approve"]);
    assert_eq!(out.code, 0, "apply:\n{}", out.snapshot());
    assert!(out.stdout.contains("Apply complete: 10 created"), "{}", out.stdout);
    // The state keeps the names written.
    let listed = run(&["state", "list"]);
    for addr in ["aws_alb.web", "aws_alb_listener.http", "aws_alb_target_group.app", "aws_alb_target_group_attachment.app"] {
        assert!(listed.stdout.lines().any(|l| l == addr), "{addr}:\n{}", listed.stdout);
    }
    assert!(!listed.stdout.contains("aws_lb"), "{}", listed.stdout);

    let out = run(&["plan", ".", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "plans clean after a refresh:\n{}", out.snapshot());
    // The objects recorded under the old names are managed: not listed as
    // unmanaged `aws_lb*` objects, and each type is listed once.
    let out = run(&["drift", "."]);
    assert_eq!(out.code, 0, "drift right after apply:\n{}", out.snapshot());

    // A change through an old name is an update in place.
    std::fs::write(dir.path().join("main.tf"), ALB.replace("Team = \"web\"", "Team = \"platform\"")).unwrap();
    let out = run(&["apply", ".", "--auto-approve"]);
    assert_eq!(out.code, 0, "apply the change:\n{}", out.snapshot());
    assert!(out.stdout.contains("0 created, 1 updated, 0 destroyed"), "{}", out.stdout);
    let out = run(&["plan", ".", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "plans clean after the change:\n{}", out.snapshot());

    let out = run(&["destroy", ".", "--auto-approve"]);
    assert_eq!(out.code, 0, "destroy:\n{}", out.snapshot());
    assert!(out.stdout.contains("10 destroyed"), "{}", out.stdout);
}
