//! Provider aliases end to end: several `provider "aws"` blocks, selected by
//! `provider = aws.west` and passed into modules with `providers = { aws =
//! aws.west }`. Cost prices each resource in its configuration's region;
//! against moto (one server answers every region) objects land in the
//! alias's region, plan and drift stay clean after the apply, and destroy
//! removes them from both.

use serde_json::Value as J;

use crate::e2e::aws_env;
use crate::support::{Moto, moto};
use crate::support::{scratch, strata_in};

const TWO_REGIONS: &str = r#"
provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "west"
  region = "eu-west-1"
}

resource "aws_lb" "east" {
  load_balancer_type = "network"
  subnets            = ["subnet-1"]
}

resource "aws_lb" "west" {
  provider           = aws.west
  load_balancer_type = "network"
  subnets            = ["subnet-1"]
}

module "west" {
  source    = "./web"
  providers = { aws = aws.west }
}
"#;

const WEB: &str = r#"
resource "aws_lb" "app" {
  load_balancer_type = "network"
  subnets            = ["subnet-1"]
}
"#;

/// Regression: cost priced every resource in the default configuration's
/// region. A network load balancer is $0.0225 an hour in us-east-1 and
/// $0.0252 in eu-west-1 (plus, for these internet-facing ones, a public IPv4
/// address in their one subnet: $0.005 an hour in both).
#[test]
fn cost_prices_each_resource_in_its_provider_region() {
    let dir = scratch(&[("main.tf", TWO_REGIONS), ("web/main.tf", WEB)]);
    let out = strata_in(dir.path(), &["cost", "--format", "json"], &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let report: J = serde_json::from_str(&out.stdout).unwrap();
    let monthly = |addr: &str| {
        let line = report["resources"].as_array().unwrap().iter().find(|l| l["address"] == addr).unwrap_or_else(|| panic!("{addr}"));
        line["after_monthly"].as_f64().unwrap_or_else(|| panic!("{addr} priced: {line}"))
    };
    let (east, west, module) = (monthly("aws_lb.east"), monthly("aws_lb.west"), monthly("module.west.aws_lb.app"));
    assert!((east - (0.0225 + 0.005) * 730.0).abs() < 0.01, "us-east-1 price: {east}");
    assert!((west - (0.0252 + 0.005) * 730.0).abs() < 0.01, "eu-west-1 price: {west}");
    assert_eq!(module, west, "the module's instance is priced in the region passed to it");
}

/// VPC CIDR blocks (and `Deployed` tags) in one region, through boto3.
fn vpcs_in(moto: &Moto, region: &str) -> Vec<(String, String)> {
    let script = format!(
        "import boto3\nec2 = boto3.client('ec2', endpoint_url={:?}, region_name={region:?}, aws_access_key_id='testing', aws_secret_access_key='testing')\n\
         for v in ec2.describe_vpcs()['Vpcs']:\n    \
           tags = {{t['Key']: t['Value'] for t in v.get('Tags', [])}}\n    \
           print(v['CidrBlock'], tags.get('Deployed', '-'))",
        moto.url
    );
    let out = std::process::Command::new("python3").args(["-c", &script]).output().expect("run python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut v: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("172.31."))
        .filter_map(|l| l.split_once(' ').map(|(a, b)| (a.to_string(), b.to_string())))
        .collect();
    v.sort();
    v
}

const MOTO_CONFIG: &str = r#"
provider "aws" {}

provider "aws" {
  alias  = "west"
  region = "eu-west-1"

  default_tags {
    tags = { Deployed = "west" }
  }

  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/strata-west"
    session_name = "strata-e2e"
  }
}

resource "aws_vpc" "east" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_vpc" "west" {
  provider   = aws.west
  cidr_block = "10.1.0.0/16"
}

data "aws_availability_zones" "west" {
  provider = aws.west
}

resource "aws_subnet" "west" {
  provider          = aws.west
  vpc_id            = aws_vpc.west.id
  cidr_block        = "10.1.1.0/24"
  availability_zone = data.aws_availability_zones.west.names[0]
}

module "net_west" {
  source    = "./net"
  providers = { aws = aws.west }
}
"#;

const NET: &str = r#"
resource "aws_vpc" "this" {
  cidr_block = "10.2.0.0/16"
}
"#;

#[test]
fn moto_aliases_apply_refresh_drift_and_destroy_in_their_regions() {
    let moto = moto();
    let dir = scratch(&[("main.tf", MOTO_CONFIG), ("net/main.tf", NET)]);
    let env = aws_env(&moto.url);

    let out = strata_in(dir.path(), &["apply", "--auto-approve"], &env);
    assert_eq!(out.code, 0, "apply:\n{}", out.snapshot());
    assert!(out.stdout.contains("Apply complete: 4 created"), "{}", out.stdout);
    assert_eq!(vpcs_in(&moto, "us-east-1"), [("10.0.0.0/16".to_string(), "-".to_string())], "only the default's VPC in us-east-1");
    assert_eq!(
        vpcs_in(&moto, "eu-west-1"),
        [("10.1.0.0/16".to_string(), "west".to_string()), ("10.2.0.0/16".to_string(), "west".to_string())],
        "the alias's VPCs (and the module's) in eu-west-1, with the alias's default tags"
    );

    // The state records the configuration of each object.
    let state: J = serde_json::from_str(&std::fs::read_to_string(dir.path().join(".strata/state.json")).unwrap()).unwrap();
    let provider_of = |addr: &str| {
        state["resources"].as_array().unwrap().iter().find(|r| r["address"] == addr).unwrap_or_else(|| panic!("{addr}"))["provider"].clone()
    };
    assert_eq!(provider_of("aws_vpc.east"), J::Null);
    assert_eq!(provider_of("aws_vpc.west"), r#"provider["aws"].west"#);
    assert_eq!(provider_of("aws_subnet.west"), r#"provider["aws"].west"#);
    assert_eq!(provider_of("module.net_west.aws_vpc.this"), r#"provider["aws"].west"#);
    let zone = state["resources"].as_array().unwrap().iter().find(|r| r["address"] == "aws_subnet.west").unwrap()["attributes"]
        ["availability_zone"]
        .clone();
    assert!(zone.as_str().is_some_and(|z| z.starts_with("eu-west-1")), "the data source was read in eu-west-1: {zone}");

    let out = strata_in(dir.path(), &["plan", "--detailed-exitcode"], &env);
    assert_eq!(out.code, 0, "plans clean after the apply (refreshed in both regions):\n{}", out.snapshot());
    let out = strata_in(dir.path(), &["refresh"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.contains("nothing changed"), "{}", out.stdout);
    let out = strata_in(dir.path(), &["drift", "--format", "json"], &env);
    let report: J = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.snapshot()));
    assert_eq!(report["changed"], serde_json::json!([]), "{}", out.stdout);
    assert_eq!(report["deleted"], serde_json::json!([]), "{}", out.stdout);
    assert_eq!(report["errors"], serde_json::json!([]), "{}", out.stdout);

    // Out of the configuration, the module's VPC is deleted through the
    // configuration the state recorded (in eu-west-1).
    let without_module = MOTO_CONFIG.split("module \"net_west\"").next().unwrap();
    std::fs::write(dir.path().join("main.tf"), without_module).unwrap();
    let out = strata_in(dir.path(), &["apply", "--auto-approve"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.contains("1 destroyed"), "{}", out.stdout);
    assert_eq!(vpcs_in(&moto, "eu-west-1"), [("10.1.0.0/16".to_string(), "west".to_string())]);

    let out = strata_in(dir.path(), &["destroy", "--auto-approve"], &env);
    assert_eq!(out.code, 0, "destroy:\n{}", out.snapshot());
    assert!(vpcs_in(&moto, "us-east-1").is_empty() && vpcs_in(&moto, "eu-west-1").is_empty(), "nothing left in either region");
}

/// Objects recorded under an alias whose block was removed cannot be read or
/// deleted: the run says so instead of using the default configuration.
#[test]
fn moto_a_removed_alias_with_recorded_objects_is_an_error() {
    let moto = moto();
    let config = "provider \"aws\" {\n  alias  = \"west\"\n  region = \"eu-west-1\"\n}\nresource \"aws_vpc\" \"w\" {\n  provider   = aws.west\n  cidr_block = \"10.5.0.0/16\"\n}\n";
    let dir = scratch(&[("main.tf", config)]);
    let env = aws_env(&moto.url);
    let out = strata_in(dir.path(), &["apply", "--auto-approve"], &env);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    std::fs::write(dir.path().join("main.tf"), "").unwrap();
    for cmd in [&["plan"][..], &["destroy", "--auto-approve"][..]] {
        let out = strata_in(dir.path(), cmd, &env);
        assert_eq!(out.code, 1, "{}", out.snapshot());
        assert!(out.stderr.contains("strata::plan::provider_missing") && out.stderr.contains("aws_vpc.w"), "{}", out.stderr);
    }
    assert_eq!(vpcs_in(&moto, "eu-west-1"), [("10.5.0.0/16".to_string(), "-".to_string())], "not deleted elsewhere, not forgotten");
}
