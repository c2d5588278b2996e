//! IAM through the real binary against moto: a role whose trust policy
//! comes from `aws_iam_policy_document`, a managed policy and its
//! attachment, an inline policy whose document is unknown until the role
//! exists, an instance profile an instance uses; drift, a clean plan (no
//! diff from JSON formatting), a policy edited in place, an import, and
//! destroy.

use std::path::Path;

use crate::support::{Moto, Output, moto, scratch, strata_in};

const CONFIG: &str = r#"
provider "aws" {
  region = "us-east-1"
}

data "aws_partition" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "read" {
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::strata-*"]
  }
}

# Unknown until the role exists: read during the apply.
data "aws_iam_policy_document" "self" {
  statement {
    actions   = ["iam:GetRole"]
    resources = [aws_iam_role.app.arn]
  }
}

resource "aws_iam_role" "app" {
  name               = "strata-app"
  assume_role_policy = ASSUME
  tags               = { Team = "web" }
}

resource "aws_iam_policy" "read" {
  name   = "strata-read"
  policy = data.aws_iam_policy_document.read.json
}

resource "aws_iam_role_policy_attachment" "read" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_role_policy" "self" {
  name   = "self"
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.self.json
}

resource "aws_iam_instance_profile" "app" {
  name = "strata-app"
  role = aws_iam_role.app.name
}

resource "aws_iam_user" "deploy" {
  name          = "strata-deploy"
  force_destroy = true
  tags          = { Team = "ops" }
}

resource "aws_iam_openid_connect_provider" "ci" {
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}

resource "aws_instance" "app" {
  # An image whose root device is the /dev/sda1 moto attaches.
  ami                  = "ami-03cf127a"
  instance_type        = "t3.micro"
  iam_instance_profile = aws_iam_instance_profile.app.name
}
"#;

const ASSUME_FROM_DOCUMENT: &str = "data.aws_iam_policy_document.assume.json";

/// The same trust policy written by hand, differently formatted.
const ASSUME_BY_HAND: &str = r#"jsonencode({
    Statement = [{ Principal = { Service = ["ec2.amazonaws.com"] }, Action = ["sts:AssumeRole"], Effect = "Allow" }]
    Version   = "2012-10-17"
  })"#;

fn config(assume: &str, read_actions: &str) -> String {
    CONFIG.replace("ASSUME", assume).replace(r#"["s3:GetObject", "s3:ListBucket"]"#, read_actions)
}

fn iam_env(moto: &Moto) -> [(&'static str, &str); 4] {
    crate::e2e::aws_env(&moto.url)
}

fn iam_run(dir: &Path, moto: &Moto, args: &[&str]) -> Output {
    strata_in(dir, args, &iam_env(moto))
}

fn iam_script(moto: &Moto, script: &str) -> String {
    let program = format!(
        "import boto3, json\niam = boto3.client('iam', endpoint_url={:?}, region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\n{script}",
        moto.url
    );
    let out = std::process::Command::new("python3").args(["-c", &program]).output().expect("run python3");
    assert!(out.status.success(), "boto3 script failed:\n{script}\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn recorded(dir: &Path, address: &str) -> serde_json::Value {
    let state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join(".strata/state.json")).unwrap()).unwrap();
    let r = state["resources"].as_array().unwrap().iter().find(|r| r["address"] == address);
    r.unwrap_or_else(|| panic!("{address} in the state")).clone()
}

#[test]
fn moto_iam_roles_policies_and_profiles_apply_plan_clean_change_import_and_destroy() {
    let moto = moto();
    let tmp = scratch(&[("main.tf", &config(ASSUME_FROM_DOCUMENT, r#"["s3:GetObject", "s3:ListBucket"]"#))]);
    let dir = tmp.path();

    let out = iam_run(dir, &moto, &["plan", "--no-color"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    // The trust policy is evaluated locally, as Terraform writes it; the
    // inline policy's document waits for the role's ARN.
    assert!(out.stdout.contains(r#""Service": "ec2.amazonaws.com""#), "{}", out.stdout);
    assert!(out.stdout.contains("aws_iam_role_policy.self will be created"), "{}", out.stdout);

    let out = iam_run(dir, &moto, &["apply", "--auto-approve", "--no-color"]);
    assert_eq!(out.code, 0, "apply:\n{}", out.snapshot());
    assert!(out.stdout.contains("8 created"), "{}", out.stdout);
    let role = recorded(dir, "aws_iam_role.app");
    assert_eq!(role["id"], "strata-app");
    let trust = role["attributes"]["assume_role_policy"].as_str().unwrap().to_string();
    assert!(trust.starts_with("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n"), "{trust}");
    let self_policy = recorded(dir, "aws_iam_role_policy.self");
    assert!(self_policy["attributes"]["policy"].as_str().unwrap().contains("arn:aws:iam::123456789012:role/strata-app"), "{self_policy}");
    let instance = iam_script(
        &moto,
        "import boto3\nec2 = boto3.client('ec2', endpoint_url=iam.meta.endpoint_url, region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\nprint(ec2.describe_iam_instance_profile_associations()['IamInstanceProfileAssociations'][0]['IamInstanceProfile']['Arn'])",
    );
    assert!(instance.ends_with("instance-profile/strata-app"), "{instance}");

    // Drift is clean, and a plan after a refresh finds nothing to do: the
    // documents IAM gives back URL-encoded and reformatted are the same.
    let out = iam_run(dir, &moto, &["drift", "--no-color"]);
    assert_eq!(out.code, 0, "drift:\n{}", out.snapshot());
    let out = iam_run(dir, &moto, &["plan", "--detailed-exitcode", "--no-color"]);
    assert_eq!(out.code, 0, "an applied configuration plans clean:\n{}", out.snapshot());
    // The same trust policy written by hand is no change either.
    std::fs::write(dir.join("main.tf"), config(ASSUME_BY_HAND, r#"["s3:GetObject", "s3:ListBucket"]"#)).unwrap();
    let out = iam_run(dir, &moto, &["plan", "--detailed-exitcode", "--no-color"]);
    assert_eq!(out.code, 0, "an equivalent document is no change:\n{}", out.snapshot());

    // A policy attached by hand is an unmanaged attachment of the role.
    iam_script(
        &moto,
        "arn = iam.create_policy(PolicyName='stray', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 'sqs:*', 'Resource': '*'}]}))['Policy']['Arn']\n\
         iam.attach_role_policy(RoleName='strata-app', PolicyArn=arn)",
    );
    let out = iam_run(dir, &moto, &["drift", "--no-color"]);
    assert_eq!(out.code, 2, "drift:\n{}", out.snapshot());
    assert!(out.stdout.contains("aws_iam_role_policy_attachment strata-app/arn:aws:iam::123456789012:policy/stray"), "{}", out.stdout);
    assert!(!out.stdout.contains("~ aws_iam_role.app"), "the role itself did not change:\n{}", out.stdout);
    iam_script(
        &moto,
        "arn = 'arn:aws:iam::123456789012:policy/stray'\niam.detach_role_policy(RoleName='strata-app', PolicyArn=arn)\niam.delete_policy(PolicyArn=arn)",
    );

    // The managed policy's document edited: one in-place update.
    std::fs::write(dir.join("main.tf"), config(ASSUME_BY_HAND, r#"["s3:GetObject", "s3:ListBucket", "s3:PutObject"]"#)).unwrap();
    let out = iam_run(dir, &moto, &["plan", "--no-color"]);
    assert!(out.stdout.contains("aws_iam_policy.read will be updated in place"), "{}", out.snapshot());
    assert!(out.stdout.contains("1 to change"), "{}", out.stdout);
    let out = iam_run(dir, &moto, &["apply", "--auto-approve", "--no-color"]);
    assert_eq!(out.code, 0, "apply:\n{}", out.snapshot());
    let live = iam_script(
        &moto,
        "p = iam.get_policy(PolicyArn='arn:aws:iam::123456789012:policy/strata-read')['Policy']\n\
         print(json.dumps(iam.get_policy_version(PolicyArn=p['Arn'], VersionId=p['DefaultVersionId'])['PolicyVersion']['Document']))",
    );
    assert!(live.contains("s3:PutObject"), "{live}");
    let out = iam_run(dir, &moto, &["plan", "--detailed-exitcode", "--no-color"]);
    assert_eq!(out.code, 0, "clean after the change:\n{}", out.snapshot());

    // The user renamed and the OIDC provider's thumbprint replaced: in place.
    std::fs::write(
        dir.join("main.tf"),
        std::fs::read_to_string(dir.join("main.tf"))
            .unwrap()
            .replace("\"strata-deploy\"", "\"strata-deployer\"")
            .replace("6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"),
    )
    .unwrap();
    let out = iam_run(dir, &moto, &["apply", "--auto-approve", "--no-color"]);
    assert_eq!(out.code, 0, "apply:\n{}", out.snapshot());
    assert!(out.stdout.contains("0 created, 2 updated, 0 destroyed"), "{}", out.stdout);
    assert_eq!(recorded(dir, "aws_iam_user.deploy")["id"], "strata-deployer");
    let thumbprints = iam_script(
        &moto,
        "print(iam.get_open_id_connect_provider(OpenIDConnectProviderArn=iam.list_open_id_connect_providers()['OpenIDConnectProviderList'][0]['Arn'])['ThumbprintList'])",
    );
    assert_eq!(thumbprints, "['1c58a3a8518e8759bf075b76b750d4f2df264fcd']");

    // A role made outside strata, imported.
    iam_script(
        &moto,
        "iam.create_role(RoleName='outside', Path='/ops/', AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 'sts:AssumeRole', 'Principal': {'Service': 'lambda.amazonaws.com'}}]}))",
    );
    let imported = r#"
resource "aws_iam_role" "outside" {
  name = "outside"
  path = "/ops/"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

data "aws_iam_policy" "read" {
  name = "strata-read"
}

resource "aws_iam_role_policy_attachment" "outside" {
  role       = aws_iam_role.outside.name
  policy_arn = data.aws_iam_policy.read.arn
  # Detached before the policy is deleted.
  depends_on = [aws_iam_policy.read]
}
"#;
    let mut text = std::fs::read_to_string(dir.join("main.tf")).unwrap();
    text.push_str(imported);
    std::fs::write(dir.join("main.tf"), text).unwrap();
    let out = iam_run(dir, &moto, &["import", "aws_iam_role.outside", "outside"]);
    assert_eq!(out.code, 0, "import:\n{}", out.snapshot());
    assert_eq!(recorded(dir, "aws_iam_role.outside")["attributes"]["arn"], "arn:aws:iam::123456789012:role/ops/outside");
    // The imported role matches its configuration; only the attachment of
    // the policy found by name (data `aws_iam_policy`) is to be made.
    let out = iam_run(dir, &moto, &["plan", "--detailed-exitcode", "--no-color"]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stdout.contains("Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy."), "{}", out.stdout);
    assert!(out.stdout.contains("aws_iam_role_policy_attachment.outside will be created"), "{}", out.stdout);
    let out = iam_run(dir, &moto, &["apply", "--auto-approve", "--no-color"]);
    assert_eq!(out.code, 0, "apply:\n{}", out.snapshot());
    assert_eq!(recorded(dir, "aws_iam_role_policy_attachment.outside")["id"], "outside/arn:aws:iam::123456789012:policy/strata-read");
    let out = iam_run(dir, &moto, &["plan", "--detailed-exitcode", "--no-color"]);
    assert_eq!(out.code, 0, "clean after the import:\n{}", out.snapshot());

    let out = iam_run(dir, &moto, &["destroy", "--auto-approve", "--no-color"]);
    assert_eq!(out.code, 0, "destroy:\n{}", out.snapshot());
    let left = iam_script(
        &moto,
        "print(len(iam.list_roles()['Roles']), len(iam.list_policies(Scope='Local')['Policies']), len(iam.list_instance_profiles()['InstanceProfiles']), len(iam.list_users()['Users']), len(iam.list_open_id_connect_providers()['OpenIDConnectProviderList']))",
    );
    assert_eq!(left, "0 0 0 0 0");
}
