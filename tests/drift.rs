//! `strata drift` against moto_server: changes made outside strata (through
//! boto3, as another tool would) are found, the ignore file hides unmanaged
//! objects, the state is written only with `--refresh-state`, and each
//! format has its shape. Each test starts its own moto_server (see
//! `support::moto`).

use std::path::Path;

use crate::support::{Moto, Output, moto, scratch, strata_in};

/// Run a boto3 script against moto (`ec2` is a client); its stdout, trimmed.
pub(crate) fn boto3(moto: &Moto, script: &str) -> String {
    let program = format!(
        "import boto3, json\nec2 = boto3.client('ec2', endpoint_url={:?}, region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\n{script}",
        moto.url
    );
    let out = std::process::Command::new("python3").args(["-c", &program]).output().expect("run python3");
    assert!(out.status.success(), "boto3 script failed:\n{script}\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `type.id` lines for a VPC and the subnets, security groups and route
/// tables in it: the account's default VPC, or one made outside strata.
fn vpc_ignore_lines(moto: &Moto, vpc: &str) -> String {
    boto3(
        moto,
        &format!(
            "f = [{{'Name': 'vpc-id', 'Values': [{vpc:?}]}}]\n\
             lines = ['aws_vpc.{vpc}']\n\
             lines += ['aws_subnet.' + s['SubnetId'] for s in ec2.describe_subnets(Filters=f)['Subnets']]\n\
             lines += ['aws_security_group.' + g['GroupId'] for g in ec2.describe_security_groups(Filters=f)['SecurityGroups']]\n\
             lines += ['aws_route_table.' + t['RouteTableId'] for t in ec2.describe_route_tables(Filters=f)['RouteTables']]\n\
             print('\\n'.join(lines))"
        ),
    )
}

const CONFIG: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.20.0.0/16"
  tags       = { Name = "drift-main", Env = "dev" }
}

resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.20.1.0/24"
}

resource "aws_security_group" "web" {
  name   = "drift-web"
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#;

fn env(moto: &Moto) -> [(&'static str, &str); 4] {
    crate::e2e::aws_env(&moto.url)
}

fn drift(dir: &Path, moto: &Moto, extra: &[&str]) -> Output {
    let args: Vec<&str> = ["drift"].into_iter().chain(extra.iter().copied()).collect();
    strata_in(dir, &args, &env(moto))
}

fn state_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(".strata/state.json")).unwrap()).unwrap()
}

fn recorded_id(dir: &Path, address: &str) -> String {
    let state = state_json(dir);
    let r =
        state["resources"].as_array().unwrap().iter().find(|r| r["address"] == address).unwrap_or_else(|| panic!("{address} in the state"));
    r["id"].as_str().unwrap().to_string()
}

/// Every metric line is `name{labels} value` or `name value`, after `# HELP`
/// and `# TYPE ... gauge` lines for each name.
/// Metrics with every series' `config` label checked and taken out: it is
/// the configuration directory's name.
fn without_config(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with('#') {
            out.push_str(line);
        } else {
            let start = line.find("{config=\"").unwrap_or_else(|| panic!("every series is labelled with its configuration: {line}"));
            let value_end = start + 9 + line[start + 9..].find('"').unwrap() + 1;
            let rest = line[value_end..].strip_prefix(',').unwrap_or(&line[value_end..]);
            let rest = rest.strip_prefix('}').unwrap_or(rest);
            let labels = if rest.starts_with(' ') { "" } else { "{" };
            out.push_str(&format!("{}{labels}{rest}", &line[..start]));
        }
        out.push('\n');
    }
    out
}

fn assert_prometheus_shape(text: &str) {
    let mut typed = std::collections::HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert_eq!(kind, "gauge", "{line}");
            typed.insert(name.to_string());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line:?}"));
        assert!(value.parse::<f64>().is_ok(), "value of {line:?}");
        let name = series.split('{').next().unwrap();
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "name of {line:?}");
        assert!(typed.contains(name), "{name} has no # TYPE line before it");
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            assert!(labels.starts_with('{') && labels.ends_with('}'), "labels of {line:?}");
            for pair in labels[1..labels.len() - 1].split(',') {
                let (k, v) = pair.split_once('=').unwrap();
                assert!(k == "config" || k == "kind" || k == "type", "{line:?}");
                assert!(v.starts_with('"') && v.ends_with('"'), "{line:?}");
            }
        }
    }
}

#[test]
fn moto_drift_finds_changes_deletions_and_unmanaged_objects_made_outside_strata() {
    let moto = moto();
    let tmp = scratch(&[("main.tf", CONFIG)]);
    let dir = tmp.path();
    // Before any apply, a survey asked for with --without-state: every
    // object found is unmanaged (without the flag a missing state is an
    // error, tested below).
    let out = drift(dir, &moto, &["--without-state", "--include-defaults", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["state"]["found"], false);
    assert!(!doc["unmanaged"].as_array().unwrap().is_empty(), "{}", out.stdout);
    let out = strata_in(dir, &["apply", "--auto-approve"], &env(&moto));
    assert_eq!(out.code, 0, "apply:\n{}", out.snapshot());

    // The account's default VPC and what is in it were made by AWS: counted
    // and left out (a fresh account reported 9 unmanaged objects), listed
    // when asked for.
    let default_vpc = boto3(&moto, "print([v['VpcId'] for v in ec2.describe_vpcs()['Vpcs'] if v['IsDefault']][0])");
    let out = drift(dir, &moto, &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.contains("default objects the cloud made itself left out (--include-defaults lists them)"), "{}", out.stdout);
    let out = drift(dir, &moto, &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(doc["summary"]["defaults"].as_u64().is_some_and(|n| n >= 4), "{}", out.stdout);
    assert_eq!(doc["unmanaged"], serde_json::json!([]), "{}", out.stdout);
    let out = drift(dir, &moto, &["--include-defaults"]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stdout.contains(&format!("+ aws_vpc {default_vpc} not managed by strata")), "{}", out.stdout);
    assert!(out.stdout.contains(".strataignore"), "the output says how to ignore objects:\n{}", out.stdout);

    // With the defaults ignored, a configuration just applied has no drift:
    // the managed VPC's own default security group and main route table
    // are managed with it.
    let defaults = vpc_ignore_lines(&moto, &default_vpc);
    std::fs::write(dir.join(".strataignore"), format!("# The account's default VPC and what is in it.\n{defaults}\n")).unwrap();
    let out = drift(dir, &moto, &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.contains("No drift"), "{}", out.stdout);
    let ignored = defaults.lines().count();
    assert!(out.stdout.contains(&format!("{ignored} unmanaged objects left out by .strataignore")), "{}", out.stdout);
    let out = drift(dir, &moto, &["--format", "prometheus"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(without_config(&out.stdout).contains("strata_drift_ok 1\n"), "{}", out.stdout);

    // Outside strata: a tag changes, the subnet goes, a VPC appears.
    let (vpc, subnet) = (recorded_id(dir, "aws_vpc.main"), recorded_id(dir, "aws_subnet.a"));
    let stray = boto3(
        &moto,
        &format!(
            "ec2.create_tags(Resources=[{vpc:?}], Tags=[{{'Key': 'Env', 'Value': 'prod'}}])\n\
             ec2.delete_subnet(SubnetId={subnet:?})\n\
             v = ec2.create_vpc(CidrBlock='10.99.0.0/16')['Vpc']['VpcId']\n\
             ec2.create_tags(Resources=[v], Tags=[{{'Key': 'Name', 'Value': 'stray'}}])\n\
             print(v)"
        ),
    );
    let before = std::fs::read(dir.join(".strata/state.json")).unwrap();

    let out = drift(dir, &moto, &[]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    let text = &out.stdout;
    assert!(text.contains("Layer 1 infrastructure"), "grouped by layer:\n{text}");
    assert!(text.contains(&format!("~ aws_vpc.main ({vpc}) changed outside strata:")), "{text}");
    assert!(text.contains("tags.Env: \"dev\" → \"prod\""), "{text}");
    assert!(text.contains(&format!("- aws_subnet.a ({subnet}) deleted outside strata")), "{text}");
    assert!(text.contains(&format!("+ aws_vpc {stray} not managed by strata (Name: stray)")), "{text}");
    assert!(!text.contains(&default_vpc), "ignored objects are left out:\n{text}");
    // It names the state compared and says how to accept or revert.
    assert!(text.contains("recorded in ./.strata/state.json (serial"), "{text}");
    assert!(text.contains("To accept what changed into ./.strata/state.json: `strata drift --refresh-state`"), "{text}");
    assert!(text.contains("to put the cloud back as configured: `strata apply`"), "{text}");

    let out = drift(dir, &moto, &["--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["drift"], true);
    assert_eq!(doc["complete"], true);
    assert_eq!(doc["summary"]["changed"], 1);
    assert_eq!(doc["summary"]["deleted"], 1);
    assert_eq!(doc["changed"][0]["address"], "aws_vpc.main");
    let attrs = doc["changed"][0]["attributes"].as_array().unwrap();
    assert!(
        attrs.iter().any(|a| a["path"] == "tags.Env" && a["before"] == "dev" && a["after"] == "prod" && a["sensitive"] == false),
        "{attrs:?}"
    );
    assert_eq!(doc["deleted"][0]["address"], "aws_subnet.a");
    assert_eq!(doc["deleted"][0]["id"], subnet.as_str());
    let unmanaged = doc["unmanaged"].as_array().unwrap();
    let stray_entry = unmanaged.iter().find(|u| u["id"] == stray.as_str()).unwrap_or_else(|| panic!("{unmanaged:?}"));
    assert_eq!(stray_entry["ignore_line"], format!("aws_vpc.{stray}"));
    assert_eq!(stray_entry["tags"]["Name"], "stray");

    let out = drift(dir, &moto, &["--format", "markdown"]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stdout.starts_with("## strata drift"), "{}", out.stdout);
    assert!(out.stdout.contains("Checked at 20") && out.stdout.contains("against `./.strata/state.json`"), "{}", out.stdout);
    assert!(out.stdout.contains("| `aws_vpc` | 1 | 0 | 1 |"), "{}", out.stdout);
    assert!(out.stdout.contains("| `tags.Env` | `\"dev\"` | `\"prod\"` |"), "{}", out.stdout);

    let out = drift(dir, &moto, &["--format", "prometheus"]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    let metrics = &out.stdout;
    assert_prometheus_shape(metrics);
    for line in [
        "strata_drift_resources{kind=\"changed\",type=\"aws_vpc\"} 1",
        "strata_drift_resources{kind=\"deleted\",type=\"aws_subnet\"} 1",
        "strata_drift_resources{kind=\"changed\",type=\"aws_subnet\"} 0",
        "strata_drift_ok 0",
        "strata_drift_errors 0",
    ] {
        assert!(without_config(metrics).lines().any(|l| l == line), "{line} in:\n{metrics}");
    }
    let name = std::fs::canonicalize(dir).unwrap().file_name().unwrap().to_string_lossy().into_owned();
    assert!(metrics.contains(&format!("strata_drift_ok{{config=\"{name}\"}} 0\n")), "labelled with the configuration's name:\n{metrics}");
    let plain = without_config(metrics);
    let stamp = plain.lines().find_map(|l| l.strip_prefix("strata_drift_last_run_timestamp_seconds ")).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(stamp.parse::<u64>().unwrap().abs_diff(now) < 600, "{stamp} is about now ({now})");
    assert_eq!(std::fs::read(dir.join(".strata/state.json")).unwrap(), before, "drift alone never writes the state");

    // Plan says plainly what was deleted outside strata (it read only as a
    // create among the others).
    let out = strata_in(dir, &["plan"], &env(&moto));
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stderr.contains("strata::refresh::deleted_outside"), "{}", out.stderr);
    assert!(out.stderr.contains("1 recorded object was deleted outside strata: `aws_subnet.a`"), "{}", out.stderr);
    assert!(out.stderr.contains("this plan creates it again"), "{}", out.stderr);

    // An attribute line accepts the tag change (the deleted subnet stays drift).
    std::fs::write(dir.join(".strataignore"), format!("{defaults}\naws_vpc.main.tags\n")).unwrap();
    let out = drift(dir, &moto, &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!((doc["summary"]["changed"].clone(), doc["summary"]["deleted"].clone()), (0.into(), 1.into()), "{}", out.stdout);

    // Ignoring the stray VPC and what came with it leaves the managed drift.
    let stray_lines = vpc_ignore_lines(&moto, &stray);
    std::fs::write(dir.join(".strataignore"), format!("{defaults}\n{stray_lines}\n")).unwrap();
    let out = drift(dir, &moto, &["--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["unmanaged"], 0, "{}", out.stdout);
    assert_eq!(doc["summary"]["changed"], 1);

    // --refresh-state records what the cloud reports; then there is no drift.
    let out = drift(dir, &moto, &["--refresh-state"]);
    assert_eq!(out.code, 2, "the drift is still reported:\n{}", out.snapshot());
    assert!(out.stdout.contains("The state was updated"), "{}", out.stdout);
    let state = state_json(dir);
    let resources = state["resources"].as_array().unwrap();
    assert!(!resources.iter().any(|r| r["address"] == "aws_subnet.a"), "the deleted subnet is gone from the state");
    let main = resources.iter().find(|r| r["address"] == "aws_vpc.main").unwrap();
    assert_eq!(main["attributes"]["tags"]["Env"], "prod");
    let out = drift(dir, &moto, &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
}

#[test]
fn drift_rejects_a_bad_ignore_file_before_calling_the_cloud() {
    let tmp = scratch(&[("main.tf", CONFIG), (".strataignore", "aws_vpc.vpc-1\nvpc-0abc\naws_vpcc.*\n")]);
    // No endpoint is reachable: the check must stop at the ignore file.
    let env = crate::e2e::aws_env("http://127.0.0.1:9");
    let out = strata_in(tmp.path(), &["drift", "--format", "prometheus"], &env);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(out.stderr.contains("strata::drift::bad_ignore"), "{}", out.stderr);
    assert!(out.stderr.contains("strata::drift::unknown_type") && out.stderr.contains("did you mean `aws_vpc`?"), "{}", out.stderr);
    assert!(
        without_config(&out.stdout).contains("strata_drift_ok 0\n") && without_config(&out.stdout).contains("strata_drift_errors 1\n"),
        "a failed check is still a metric:\n{}",
        out.stdout
    );
    assert_prometheus_shape(&out.stdout);
}

/// Guards against a scheduled check without a state reporting the whole
/// account as unmanaged (exit 2): a missing state is an error (exit 1), with
/// a hint when `.strata/state.json` exists but the backend names another
/// file; `--without-state` asks for the survey on purpose.
#[test]
fn a_missing_state_is_an_error_unless_asked_for() {
    let tmp = scratch(&[("main.tf", CONFIG)]);
    // No endpoint is reachable: the check must stop before calling the cloud.
    let env = crate::e2e::aws_env("http://127.0.0.1:9");
    let out = strata_in(tmp.path(), &["drift"], &env);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(out.stderr.contains("strata::drift::no_state"), "{}", out.stderr);
    assert!(out.stderr.contains("--without-state"), "{}", out.stderr);
    let out = strata_in(tmp.path(), &["drift", "--format", "prometheus"], &env);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(without_config(&out.stdout).contains("strata_drift_ok 0\n"), "a failed check is still a metric:\n{}", out.stdout);

    // A state beside the configuration that the backend does not name.
    let with_backend = format!("{CONFIG}\nstrata {{\n  backend \"local\" {{\n    path = \"states/prod.json\"\n  }}\n}}\n");
    std::fs::write(tmp.path().join("main.tf"), with_backend).unwrap();
    std::fs::create_dir_all(tmp.path().join(".strata")).unwrap();
    std::fs::copy(crate::support::repo().join("fixtures/states/valid.json"), tmp.path().join(".strata/state.json")).unwrap();
    let out = strata_in(tmp.path(), &["drift"], &env);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(out.stderr.contains("but its backend names") && out.stderr.contains("states/prod.json"), "{}", out.stderr);
}

const RULES: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.30.0.0/16"
}

resource "aws_security_group" "web" {
  name   = "sets-web"
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
  NEW
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#;

const HTTPS: &str = r#"ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }"#;

/// Issue 9 item 4: one ingress rule added to the configuration plans as
/// that one rule, not the whole list before and after; one added outside
/// strata is drift of that one element.
#[test]
fn moto_one_added_ingress_rule_shows_only_that_rule() {
    let moto = moto();
    let tmp = scratch(&[("main.tf", &RULES.replace("NEW", ""))]);
    let dir = tmp.path();
    let out = strata_in(dir, &["apply", "--auto-approve"], &env(&moto));
    assert_eq!(out.code, 0, "apply:\n{}", out.snapshot());
    std::fs::write(dir.join("main.tf"), RULES.replace("NEW", HTTPS)).unwrap();
    let out = strata_in(dir, &["plan", "--no-color"], &env(&moto));
    assert!(out.stdout.contains("aws_security_group.web will be updated in place"), "{}", out.snapshot());
    assert_eq!(out.stdout.matches("ingress {").count(), 1, "{}", out.stdout);
    assert!(out.stdout.contains("      + ingress {\n"), "{}", out.stdout);
    assert!(out.stdout.contains("= 443\n") && !out.stdout.contains("= 22\n") && !out.stdout.contains("= 80\n"), "{}", out.stdout);
    assert!(out.stdout.contains("# (2 unchanged blocks hidden)"), "{}", out.stdout);
    let out = strata_in(dir, &["plan", "--json"], &env(&moto));
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.snapshot()));
    let sg = doc["changes"].as_array().unwrap().iter().find(|c| c["address"] == "aws_security_group.web").unwrap();
    let sets = sg["set_changes"].as_array().unwrap();
    assert_eq!(sets.len(), 1, "{sets:?}");
    assert_eq!((&sets[0]["path"], sets[0]["removed"].as_array().unwrap().len()), (&serde_json::json!("ingress"), 0));
    assert_eq!(sets[0]["added"].as_array().unwrap().len(), 1);
    assert_eq!(sets[0]["added"][0]["from_port"], 443);

    // Outside strata instead: drift names the one rule.
    std::fs::write(dir.join("main.tf"), RULES.replace("NEW", "")).unwrap();
    let sg_id = recorded_id(dir, "aws_security_group.web");
    boto3(
        &moto,
        &format!(
            "ec2.authorize_security_group_ingress(GroupId={sg_id:?}, IpPermissions=[{{'IpProtocol': 'tcp', 'FromPort': 8443, 'ToPort': 8443, 'IpRanges': [{{'CidrIp': '0.0.0.0/0'}}]}}])"
        ),
    );
    let out = drift(dir, &moto, &[]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    let lines: Vec<&str> = out.stdout.lines().filter(|l| l.contains("ingress")).collect();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert!(lines[0].trim_start().starts_with("ingress: + {") && lines[0].contains("from_port = 8443"), "{}", out.stdout);
    let out = drift(dir, &moto, &["--format", "markdown"]);
    assert!(out.stdout.contains("- added in the cloud: `{ cidr_blocks = [\"0.0.0.0/0\"], from_port = 8443"), "{}", out.stdout);
    let out = drift(dir, &moto, &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let attrs = doc["changed"][0]["attributes"].as_array().unwrap();
    let ingress = attrs.iter().find(|a| a["path"] == "ingress").unwrap_or_else(|| panic!("{}", out.stdout));
    assert_eq!((ingress["removed"].as_array().unwrap().len(), &ingress["added"][0]["from_port"]), (0, &serde_json::json!(8443)));
}

/// One configuration of two: a VPC, a subnet, a route table and its
/// association (which takes no tags).
fn network(cidr: &str) -> String {
    format!(
        r#"
resource "aws_vpc" "main" {{
  cidr_block = "{cidr}.0.0/16"
}}

resource "aws_subnet" "a" {{
  vpc_id     = aws_vpc.main.id
  cidr_block = "{cidr}.1.0/24"
}}

resource "aws_route_table" "rt" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_route_table_association" "a" {{
  subnet_id      = aws_subnet.a.id
  route_table_id = aws_route_table.rt.id
}}
"#
    )
}

/// Issue 9 item 5: two configurations applied into one account. Drift of
/// A alone reports B's association (it has no tags) as unmanaged; with B's
/// state given, by name or by a glob, nothing is unmanaged.
#[test]
fn moto_drift_with_every_state_of_the_account_reports_nothing_unmanaged() {
    let moto = moto();
    let tmp = scratch(&[("a/main.tf", &network("10.41")), ("b/main.tf", &network("10.42"))]);
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for dir in [&a, &b] {
        let out = strata_in(dir, &["apply", "--auto-approve"], &env(&moto));
        assert_eq!(out.code, 0, "apply:\n{}", out.snapshot());
    }
    let b_assoc = recorded_id(&b, "aws_route_table_association.a");
    let unmanaged = |out: &Output| -> Vec<String> {
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.snapshot()));
        doc["unmanaged"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| format!("{}.{}", u["type"].as_str().unwrap(), u["id"].as_str().unwrap()))
            .collect()
    };
    let out = drift(&a, &moto, &["--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(unmanaged(&out).contains(&format!("aws_route_table_association.{b_assoc}")), "{}", out.stdout);

    let b_state = b.join(".strata/state.json");
    let out = drift(&a, &moto, &["--format", "json", "--state", b_state.to_str().unwrap()]);
    assert_eq!(unmanaged(&out), Vec::<String>::new(), "{}", out.snapshot());
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["other_states"][0]["resources"], 4, "{}", out.stdout);

    // A glob that also matches A's own state (left out as the compared one).
    let glob = tmp.path().join("*/.strata/state.json");
    let out = drift(&a, &moto, &["--state", glob.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.contains("Also managed: 4 objects recorded in the state of lineage"), "{}", out.stdout);
    let out = drift(&a, &moto, &["--state", tmp.path().join("c/*.json").to_str().unwrap()]);
    assert_eq!(out.code, 1, "a glob that finds nothing is an error: {}", out.snapshot());
    assert!(out.stderr.contains("strata::drift::no_state"), "{}", out.stderr);
}
