//! Loading and evaluation of small configurations written to temp dirs.

use strata_core::{Diagnostics, Mode, Value};

use crate::{Evaluated, VarSources, collect_inputs, evaluate, load};

fn eval_files(files: &[(&str, &str)], vars: &[&str]) -> (Evaluated, Diagnostics) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let (mut config, mut diags) = load(dir.path());
    let sources = VarSources { vars: vars.iter().map(|s| s.to_string()).collect(), ..VarSources::default() };
    let (inputs, d) = collect_inputs(&mut config, &sources);
    diags.extend(d);
    let (ev, d) = evaluate(&config, &inputs, strata_provider::aws::schema(), &crate::NoPriorState);
    diags.extend(d);
    (ev, diags)
}

#[track_caller]
fn eval_ok(files: &[(&str, &str)]) -> Evaluated {
    let (ev, diags) = eval_files(files, &[]);
    assert!(!diags.has_errors(), "unexpected errors: {:#?}", diags);
    ev
}

fn codes(d: &Diagnostics) -> Vec<&'static str> {
    d.iter().map(|d| d.code).collect()
}

fn addrs(ev: &Evaluated) -> Vec<String> {
    ev.resources.iter().map(|r| r.addr.to_string()).collect()
}

fn deps(ev: &Evaluated, addr: &str) -> Vec<String> {
    let r = ev.resources.iter().find(|r| r.addr.to_string() == addr).unwrap_or_else(|| panic!("{addr} not found"));
    let mut d: Vec<String> = r.dependencies.iter().map(|(a, _)| a.to_string()).collect();
    d.sort();
    d
}

#[test]
fn count_and_for_each_expand_instances() {
    let ev = eval_ok(&[(
        "main.tf",
        r#"
locals {
  subnets = { a = "10.0.1.0/24", b = "10.0.2.0/24" }
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "s" {
  for_each   = local.subnets
  vpc_id     = aws_vpc.main.id
  cidr_block = each.value
  tags       = { Name = each.key }
}
resource "aws_instance" "app" {
  count         = 2
  ami           = "ami-1"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.s["a"].id
  tags          = { Name = "app-${count.index}" }
}
output "ids" {
  value = aws_instance.app[*].id
}
"#,
    )]);
    assert_eq!(addrs(&ev), ["aws_instance.app[0]", "aws_instance.app[1]", "aws_subnet.s[\"a\"]", "aws_subnet.s[\"b\"]", "aws_vpc.main"]);
    // `aws_subnet.s["a"]` names one instance: the dependency is that one.
    assert_eq!(deps(&ev, "aws_instance.app[1]"), ["aws_subnet.s[\"a\"]"]);
    let app1 = ev.resources.iter().find(|r| r.addr.to_string() == "aws_instance.app[1]").unwrap();
    let tags = app1.values.as_map().unwrap()["tags"].as_map().unwrap();
    assert_eq!(tags["Name"], Value::string("app-1"));
    assert!(app1.values.as_map().unwrap()["id"].is_unknown(), "computed attributes are unknown");
    assert_eq!(ev.outputs[0].value.as_seq().map(|s| s.len()), Some(2));
}

#[test]
fn module_outputs_and_inputs_carry_dependencies() {
    let ev = eval_ok(&[
        (
            "main.tf",
            r#"
module "net" {
  source = "./net"
  cidr   = "10.1.0.0/16"
}
module "app" {
  source    = "./app"
  count     = 2
  subnet_id = module.net.subnet_id
}
"#,
        ),
        (
            "net/main.tf",
            r#"
variable "cidr" { type = string }
resource "aws_vpc" "v" { cidr_block = var.cidr }
resource "aws_subnet" "s" {
  vpc_id     = aws_vpc.v.id
  cidr_block = cidrsubnet(var.cidr, 8, 1)
}
output "subnet_id" { value = aws_subnet.s.id }
"#,
        ),
        (
            "app/main.tf",
            r#"
variable "subnet_id" { type = string }
resource "aws_instance" "i" {
  ami           = "ami-1"
  instance_type = "t3.micro"
  subnet_id     = var.subnet_id
}
"#,
        ),
    ]);
    assert_eq!(deps(&ev, "module.app[1].aws_instance.i"), ["module.net.aws_subnet.s"]);
    let subnet = ev.resources.iter().find(|r| r.addr.to_string() == "module.net.aws_subnet.s").unwrap();
    assert_eq!(subnet.values.as_map().unwrap()["cidr_block"], Value::string("10.1.1.0/24"));
}

#[test]
fn every_error_is_reported() {
    let (_, d) = eval_files(
        &[(
            "main.tf",
            r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  cidr_blok  = "x"
}
resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.mian.id
  cidr_block = lenght("x")
}
resource "aws_instanse" "x" {}
"#,
        )],
        &[],
    );
    let c = codes(&d);
    for want in [
        "strata::config::unsupported_attribute",
        "strata::config::unknown_reference",
        "strata::eval::unknown_function",
        "strata::config::unsupported_type",
    ] {
        assert!(c.contains(&want), "missing {want} in {c:?}");
    }
    let unknown_ref = d.iter().find(|d| d.code == "strata::config::unknown_reference").unwrap();
    assert_eq!(unknown_ref.help.as_deref(), Some("did you mean `aws_vpc.main`?"));
    // A type a slip of the keyboard from a supported one is suggested.
    let typo = d.iter().find(|d| d.code == "strata::config::unsupported_type").unwrap();
    assert!(typo.help.as_deref().unwrap().starts_with("did you mean `aws_instance`?"), "{typo:?}");
}

/// Unsupported types: one warning per type (not per block or instance, on
/// the first block), unknown values of any type for references (no
/// knock-on errors, not even `for_each` over them), instances placed by
/// their dependencies.
#[test]
fn unsupported_types_warn_once_and_evaluate_to_unknown() {
    let (ev, d) = eval_files(
        &[
            (
                "a.tf",
                r#"
resource "aws_vpc" "main" { cidr_block = "10.0.0.0/16" }
resource "aws_mq_broker" "one" {
  count     = 2
  subnet_id = aws_vpc.main.id
}
data "aws_mq_broker_engine_types" "t" {}
resource "aws_subnet" "s" {
  for_each   = toset(aws_mq_broker.one[*].arn)
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_instance" "i" {
  ami           = "ami-1"
  instance_type = "t3.micro"
  user_data     = "${aws_mq_broker.one[0].instances[0].console_url} ${data.aws_mq_broker_engine_types.t.broker_engine_types[0].engine_type}"
}
"#,
            ),
            ("b.tf", "resource \"aws_mq_broker\" \"two\" {}\n"),
        ],
        &[],
    );
    let c = codes(&d);
    assert_eq!(c, ["strata::config::unsupported_type", "strata::config::unsupported_type"], "{d:?}");
    assert_eq!(ev.unsupported.len(), 2);
    let broker = &ev.unsupported[0];
    assert_eq!((broker.ty.as_str(), broker.blocks, broker.near.as_deref()), ("aws_mq_broker", 2, None));
    let first = d.iter().find(|d| d.message.contains("`aws_mq_broker`")).unwrap();
    assert_eq!(first.primary_span().unwrap().range.start, broker.span.range.start);
    assert!(first.help.as_deref().unwrap().contains("docs/supported-types.md"));
    assert_eq!(ev.unsupported[1].mode, Mode::Data);
    assert_eq!(addrs(&ev), ["aws_instance.i", "aws_mq_broker.one[0]", "aws_mq_broker.one[1]", "aws_mq_broker.two", "aws_vpc.main"]);
    assert_eq!(deps(&ev, "aws_mq_broker.one[1]"), ["aws_vpc.main"]);
    assert_eq!(deps(&ev, "aws_instance.i"), ["aws_mq_broker.one[0]"]);
    let i = ev.resources.iter().find(|r| r.addr.to_string() == "aws_instance.i").unwrap();
    assert!(i.values.as_map().unwrap()["user_data"].is_unknown());
}

#[test]
fn unknown_count_names_the_value() {
    let (_, d) = eval_files(
        &[(
            "main.tf",
            r#"
resource "aws_vpc" "main" { cidr_block = "10.0.0.0/16" }
resource "aws_subnet" "s" {
  count      = length(aws_vpc.main.id) > 3 ? 1 : 0
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
"#,
        )],
        &[],
    );
    let e = d.iter().find(|d| d.code == "strata::config::unknown_count").expect("unknown count reported");
    assert!(e.message.contains("aws_vpc.main.id"), "{}", e.message);
}

#[test]
fn cycles_are_reported_as_paths() {
    let (_, d) = eval_files(
        &[(
            "main.tf",
            r#"
resource "aws_security_group" "a" { description = aws_security_group.b.id }
resource "aws_security_group" "b" { description = local.c }
locals { c = aws_security_group.a.id }
"#,
        )],
        &[],
    );
    let e = d.iter().find(|d| d.code == "strata::graph::cycle").expect("cycle reported");
    assert_eq!(e.labels.len(), 3, "one label per hop");
    assert!(e.message.contains(" → "), "{}", e.message);
}

#[test]
fn dynamic_blocks_and_sensitive_marks() {
    let ev = eval_ok(&[(
        "main.tf",
        r#"
variable "ports" {
  type    = list(number)
  default = [80, 443]
}
variable "pw" {
  type      = string
  sensitive = true
  default   = "correct-horse-battery"
}
resource "aws_security_group" "web" {
  name = "web"
  dynamic "ingress" {
    for_each = var.ports
    iterator = port
    content {
      from_port   = port.value
      to_port     = port.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}
resource "aws_db_instance" "db" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  username          = "app"
  password          = var.pw
}
"#,
    )]);
    let sg = ev.resources.iter().find(|r| r.addr.to_string() == "aws_security_group.web").unwrap();
    let ingress = sg.values.as_map().unwrap()["ingress"].as_seq().unwrap();
    assert_eq!(ingress.len(), 2);
    assert_eq!(ingress[1].as_map().unwrap()["from_port"], Value::Number(443.0));
    let db = ev.resources.iter().find(|r| r.addr.to_string() == "aws_db_instance.db").unwrap();
    assert!(db.values.as_map().unwrap()["password"].is_sensitive());
}

#[test]
fn layer_override_and_lifecycle() {
    let ev = eval_ok(&[(
        "main.tf",
        r#"
resource "aws_ebs_volume" "pg" {
  availability_zone = "eu-west-1a"
  size              = 10
  layer             = "data"
  lifecycle {
    prevent_destroy = true
    ignore_changes  = [tags]
  }
}
"#,
    )]);
    let r = &ev.resources[0];
    assert_eq!(r.layer_override.as_ref().map(|(l, _)| *l), Some(strata_core::Layer::Data));
    assert!(r.prevent_destroy);
    assert_eq!(r.ignore_changes, ["tags"]);
}

#[test]
fn variable_validation_and_types() {
    let files = [(
        "main.tf",
        r#"
variable "env" {
  type = string
  validation {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "env must be dev or prod."
  }
}
variable "cfg" {
  type = object({ size = number, tier = optional(string, "small") })
  default = { size = 1 }
}
output "tier" { value = var.cfg.tier }
"#,
    )];
    let (ev, d) = eval_files(&files, &["env=dev"]);
    assert!(!d.has_errors(), "{d:#?}");
    assert_eq!(ev.outputs[0].value, Value::string("small"));
    let (_, d) = eval_files(&files, &["env=qa"]);
    let e = d.iter().find(|d| d.code == "strata::config::variable_validation").expect("validation fails");
    assert!(e.message.contains("env must be dev or prod."));
}

#[test]
fn settings_block() {
    let ev = eval_ok(&[(
        "main.tf",
        r#"
strata {
  required_version = ">= 0.1"
  strict_layers    = true
  backend "local" {
    path = "state/x.json"
  }
}
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}
"#,
    )]);
    assert!(ev.settings.strict_layers);
    assert_eq!(ev.settings.backend.as_ref().map(|(k, _)| k.as_str()), Some("local"));
    let (_, d) = eval_files(&[("main.tf", "strata {\n  strict_layer = true\n}\n")], &[]);
    assert_eq!(d.iter().next().and_then(|d| d.help.clone()).as_deref(), Some("did you mean `strict_layers`?"));
}

/// Regression (found by cargo fuzz): a syntax error whose offset falls inside
/// a multi-byte character must not panic.
#[test]
fn syntax_error_inside_a_multibyte_character() {
    let (_, d) = eval_files(&[("main.tf", "x \u{79e}")], &[]);
    assert!(d.iter().any(|d| d.code == "strata::config::syntax"), "{d:#?}");
}

/// A number literal past the range of a 64-bit float is not silently
/// infinite, and its error names the literal instead of "expected newline".
#[test]
fn number_literals_out_of_range_are_named() {
    for (text, literal) in [
        ("locals {\n  a = 1e400\n}\n", "1e400"),
        ("locals {\n  a = [1, 2.5E+999]\n}\n", "2.5E+999"),
        (&format!("locals {{\n  a = {}\n}}\n", "9".repeat(400)), &format!("{}…", "9".repeat(40))),
    ] {
        let (_, d) = eval_files(&[("main.tf", text)], &[]);
        let d = d.iter().next().unwrap_or_else(|| panic!("{text}: no error"));
        assert_eq!(d.code, "strata::eval::non_finite_number", "{d:#?}");
        assert_eq!(d.message, format!("the number literal `{literal}` is out of range (it overflows to infinity)"));
    }
    for text in ["locals {\n  a = 1e308\n  b = x1e400 +\n}\n", "locals {\n  a = \"1e400\" +\n}\n"] {
        let (_, d) = eval_files(&[("main.tf", text)], &[]);
        assert!(d.iter().any(|d| d.code == "strata::config::syntax"), "{text}: {d:#?}");
        assert!(d.iter().all(|d| d.code != "strata::eval::non_finite_number"), "{text}: {d:#?}");
    }
}

/// Guards the patched hcl-edit (vendor/hcl-edit): object items are indexed
/// by a hash of their keys while parsing (a 40,000-key map took 32 s, as
/// every key was compared with every earlier one). The objects and the
/// duplicate-key errors must be exactly what upstream gives.
#[test]
fn large_maps_parse_with_their_keys_checked() {
    let n = 20_000;
    let idents: Vec<String> = (0..n).map(|i| format!("    k{i} = {i}")).collect();
    let quoted: Vec<String> = (0..n).map(|i| format!("    \"q{i}\" = {i}")).collect();
    let templates: Vec<String> = (0..n).map(|i| format!("    \"${{local.p}}-{i}\" = {i}")).collect();
    let text = format!(
        "locals {{\n  p = \"x\"\n  a = {{\n{}\n  }}\n  b = {{\n{}\n  }}\n  c = {{\n{}\n  }}\n}}\noutput \"n\" {{\n  value = [length(local.a), length(local.b), length(local.c), local.a.k19999, local.c[\"x-7\"]]\n}}\n",
        idents.join("\n"),
        quoted.join("\n"),
        templates.join("\n")
    );
    let (ev, d) = eval_files(&[("main.tf", &text)], &[]);
    assert!(!d.has_errors(), "{d:#?}");
    let n = n as f64;
    assert_eq!(
        ev.outputs[0].value,
        Value::List(vec![Value::Number(n), Value::Number(n), Value::Number(n), Value::Number(19_999.0), Value::Number(7.0)].into())
    );

    // Syntactic duplicates are still parse errors, at the second key, whatever
    // the spacing; `a` and `"a"` are different keys to the parser (the
    // evaluator reports them as duplicates).
    for (text, at) in [
        ("locals {\n  m = { a = 1, b = 2, a = 3 }\n}\n", "a = 3"),
        ("locals {\n  m = { \"a\" = 1, \"b\" = 2,   \"a\"   = 3 }\n}\n", "\"a\"   = 3"),
        ("locals {\n  m = { \"${x}-1\" = 1, \"${x}-2\" = 2, \"${ x }-1\" = 3 }\n}\n", "\"${ x }-1\" = 3"),
        ("locals {\n  m = { (a) = 1, (b) = 2, ( a ) = 3 }\n}\n", "( a ) = 3"),
    ] {
        let (_, d) = eval_files(&[("main.tf", text)], &[]);
        let d = d.iter().find(|d| d.code == "strata::config::syntax").unwrap_or_else(|| panic!("{text}: {d:#?}"));
        assert!(d.message.contains("redefined object key"), "{d:#?}");
        assert_eq!(d.labels[0].span.range.start, text.find(at).unwrap(), "{text}");
    }
    let (_, d) = eval_files(&[("main.tf", "locals {\n  m = { a = 1, \"a\" = 2 }\n}\n")], &[]);
    assert!(d.iter().all(|d| d.code != "strata::config::syntax"), "{d:#?}");
}

/// A configuration file past the size limit is refused before it is read or
/// parsed, with one clear error (a 50 MB file ran for minutes).
#[test]
fn over_large_configuration_files_are_refused() {
    let big = format!("locals {{\n  a = \"{}\"\n}}\n", "x".repeat(crate::MAX_FILE_BYTES as usize));
    let (_, d) = eval_files(&[("main.tf", "locals {\n  b = 1\n}\n"), ("big.tf", &big)], &[]);
    let errors: Vec<_> = d.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].code, "strata::config::file_too_large");
    assert!(errors[0].message.contains("big.tf is 16.0 MiB, more than the 16.0 MiB strata reads"), "{}", errors[0].message);
}

/// `timeouts` is kept where the type has long-running operations and
/// accepted with a warning elsewhere (Terraform writes it on any resource).
#[test]
fn timeouts_blocks_are_kept_or_flagged() {
    let main = r#"
resource "aws_vpc" "v" {
  cidr_block = "10.0.0.0/16"
  timeouts {
    create = "5m"
  }
}
resource "aws_instance" "i" {
  ami           = "ami-1"
  instance_type = "t3.micro"
  timeouts {
    create = "40m"
  }
}
"#;
    let (ev, d) = eval_files(&[("main.tf", main)], &[]);
    assert_eq!(codes(&d), vec!["strata::config::ignored_block"]);
    assert!(d.iter().next().unwrap().message.contains("`aws_vpc`"), "{d:#?}");
    let i = ev.resources.iter().find(|r| r.addr.to_string() == "aws_instance.i").unwrap();
    let create = i
        .values
        .as_map()
        .and_then(|m| m.get("timeouts"))
        .and_then(|t| t.as_seq())
        .and_then(|s| s.first())
        .and_then(|b| b.as_map())
        .and_then(|b| b.get("create"));
    assert_eq!(create.and_then(|v| v.as_str()), Some("40m"));
}

/// An instance that refers to another resource only by index depends on the
/// instances named, not on all of them (a fleet of N stays N edges, not N²);
/// any unindexed, splat, `depends_on`, `count` or indirect reference keeps
/// the whole resource, and so do indexes that name nothing.
#[test]
fn indexed_references_depend_on_the_instances_they_name() {
    let ev = eval_ok(&[(
        "main.tf",
        r#"
locals {
  apps = aws_instance.app
}
resource "aws_instance" "app" {
  count         = 3
  ami           = "ami-1"
  instance_type = "t3.micro"
}
resource "aws_ebs_volume" "data" {
  count             = 3
  availability_zone = "us-east-1a"
  size              = 10
}
resource "aws_volume_attachment" "one_to_one" {
  count       = 3
  device_name = "/dev/sdh"
  instance_id = aws_instance.app[count.index].id
  volume_id   = aws_ebs_volume.data[(count.index + 1) % 3].id
}
resource "aws_volume_attachment" "mixed" {
  count       = 3
  device_name = "/dev/sdi"
  instance_id = aws_instance.app[count.index].id
  volume_id   = aws_ebs_volume.data[count.index].id
  depends_on  = [aws_ebs_volume.data]
}
resource "aws_eip" "via_local" {
  count    = 3
  instance = local.apps[count.index].id
}
resource "aws_eip" "splat" {
  count    = 3
  instance = element(aws_instance.app[*].id, count.index)
}
resource "aws_eip" "by_string" {
  for_each = toset(["0", "1"])
  instance = aws_instance.app[each.key].id
  tags     = { first = aws_instance.app[0].id }
}
resource "aws_subnet" "s" {
  for_each   = toset(["a", "b", "c"])
  vpc_id     = "vpc-1"
  cidr_block = "10.0.1.0/24"
}
resource "aws_eip" "looped" {
  for_each = toset(["a"])
  tags     = { for each in [{ key = "b" }, { key = "c" }] : each.key => aws_subnet.s[each.key].id }
}
resource "aws_eip" "nowhere" {
  count    = 1
  instance = try(aws_instance.app[count.index + 10].id, null)
}
"#,
    )]);
    assert_eq!(deps(&ev, "aws_volume_attachment.one_to_one[1]"), ["aws_ebs_volume.data[2]", "aws_instance.app[1]"]);
    let all_apps = ["aws_instance.app[0]", "aws_instance.app[1]", "aws_instance.app[2]"];
    let all_data = ["aws_ebs_volume.data[0]", "aws_ebs_volume.data[1]", "aws_ebs_volume.data[2]"];
    let mut mixed: Vec<&str> = all_data.to_vec();
    mixed.push("aws_instance.app[2]");
    assert_eq!(deps(&ev, "aws_volume_attachment.mixed[2]"), mixed, "depends_on keeps the whole resource");
    assert_eq!(deps(&ev, "aws_eip.via_local[0]"), all_apps, "through a local: whole");
    assert_eq!(deps(&ev, "aws_eip.splat[0]"), all_apps, "a splat: whole");
    assert_eq!(deps(&ev, "aws_eip.nowhere[0]"), all_apps, "an index naming no instance: whole");
    assert_eq!(deps(&ev, "aws_eip.by_string[\"1\"]"), all_apps, "a string key on a counted resource: whole");
    assert_eq!(
        deps(&ev, "aws_eip.looped[\"a\"]"),
        ["aws_subnet.s[\"a\"]", "aws_subnet.s[\"b\"]", "aws_subnet.s[\"c\"]"],
        "an index a `for` decides, even one named like the instance's `each`: whole"
    );
}

/// Guards against variable errors that quote or show a sensitive value: a
/// variable declared `sensitive` is secret before its value is read, from
/// every source (environment, --var, variable files), whether the value
/// fails to parse, to evaluate or to convert to the variable's type.
#[test]
fn sensitive_variable_errors_never_show_the_value() {
    let main = r#"
variable "pin" {
  type      = number
  sensitive = true
}
variable "pins" {
  type      = list(number)
  sensitive = true
  default   = []
}
"#;
    let canary = "c4n4ry-var-s3cret";
    // What is tried, the variable files written, and the other sources.
    type Case = (&'static str, Vec<(&'static str, String)>, VarSources);
    let cases: Vec<Case> = vec![
        ("TF_VAR_", vec![], VarSources { env: vec![("TF_VAR_pin".into(), canary.into())], ..VarSources::default() }),
        ("STRATA_VAR_", vec![], VarSources { env: vec![("STRATA_VAR_pin".into(), canary.into())], ..VarSources::default() }),
        (
            "STRATA_VAR_ list",
            vec![],
            VarSources { env: vec![("STRATA_VAR_pins".into(), format!("[\"{canary}\""))], ..VarSources::default() },
        ),
        ("--var list", vec![], VarSources { vars: vec![format!("pins=[1, \"{canary}\"]")], ..VarSources::default() }),
        ("--var", vec![], VarSources { vars: vec![format!("pin={canary}")], ..VarSources::default() }),
        ("tfvars", vec![("terraform.tfvars", format!("pin = \"{canary}\"\n"))], VarSources::default()),
        ("tfvars eval", vec![("terraform.tfvars", format!("pin = 1 + \"{canary}\"\n"))], VarSources::default()),
        ("tfvars syntax", vec![("terraform.tfvars", format!("pin = \"{canary}\n"))], VarSources::default()),
        ("json", vec![("a.auto.tfvars.json", format!("{{\"pins\": [\"{canary}\"]}}"))], VarSources::default()),
        ("json syntax", vec![("a.auto.tfvars.json", format!("{{\"pin\": \"{canary}\" \"x\"}}"))], VarSources::default()),
    ];
    for (what, files, sources) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), main).unwrap();
        for (name, text) in &files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let (mut config, mut diags) = load(dir.path());
        let (inputs, d) = collect_inputs(&mut config, &sources);
        diags.extend(d);
        let (ev, d) = evaluate(&config, &inputs, strata_provider::aws::schema(), &crate::NoPriorState);
        diags.extend(d);
        assert!(diags.has_errors(), "{what}: the value is invalid");
        for d in diags.iter() {
            let text = format!("{} {:?} {:?}", d.message, d.help, d.labels.iter().map(|l| &l.message).collect::<Vec<_>>());
            assert!(!text.contains(canary), "{what}: {text}");
            for l in &d.labels {
                // The renderer shows each labelled line and the lines around it.
                let src = &config.sources.get(l.span.file).text;
                let (line, _) = config.sources.line_col(l.span.file, l.span.range.start);
                let near: Vec<&str> = src.lines().skip(line.saturating_sub(2)).take(3).collect();
                assert!(!near.join("\n").contains(canary), "{what}: a label shows the value: {near:?}");
            }
        }
        assert!(diags.iter().any(|d| d.message.contains("(sensitive value)") || d.message.contains("not shown")), "{what}: {diags:#?}");
        for v in ev.root_variables.values() {
            assert!(v.is_sensitive() || v.is_unknown(), "{what}: {v:?}");
        }
    }
}

/// Guards against a misspelt sensitive variable in a variable file showing
/// its line (and so its value) in the undeclared-name warning's snippet.
#[test]
fn a_misspelt_variable_is_reported_without_its_line_while_any_is_sensitive() {
    let main = "variable \"pin\" {\n  type      = string\n  sensitive = true\n}\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), main).unwrap();
    std::fs::write(dir.path().join("terraform.tfvars"), "pni = \"c4n4ry-misspelt\"\n").unwrap();
    let (mut config, _) = load(dir.path());
    let (_, d) = collect_inputs(&mut config, &VarSources::default());
    let w = d.iter().find(|d| d.code == "strata::config::undeclared_variable").expect("a warning");
    assert!(w.labels.is_empty(), "no snippet: {w:?}");
    assert!(w.message.contains("terraform.tfvars:1:1") && !w.message.contains("c4n4ry"), "{}", w.message);
    assert!(w.help.is_some());
}

/// Evaluate `main.tf` with lowered run-wide limits.
fn eval_with_limits(main: &str, limits: crate::eval::Limits) -> (Evaluated, Diagnostics) {
    let (mut config, mut diags) = crate::load_sources(std::path::Path::new("."), &[("main.tf", main)]);
    let (inputs, d) = collect_inputs(&mut config, &VarSources::default());
    diags.extend(d);
    let (ev, d) = crate::eval::evaluate_with_limits(&config, &inputs, strata_provider::aws::schema(), &crate::NoPriorState, limits);
    diags.extend(d);
    (ev, diags)
}

/// Guards against a variable that fails its validation still driving
/// `count`: 100,000 instances were evaluated (67 s, 1.6 GB) before the error.
/// What depends on it is skipped, and only the validation error is reported.
#[test]
fn an_invalid_variable_stops_what_depends_on_it() {
    let files = [(
        "main.tf",
        r#"
variable "app_count" {
  type = number
  validation {
    condition     = var.app_count >= 1 && var.app_count <= 10
    error_message = "app_count must be between 1 and 10."
  }
}
locals {
  names = [for i in range(var.app_count) : "app-${i}"]
}
resource "aws_instance" "app" {
  count         = var.app_count
  ami           = "ami-12c6146b"
  instance_type = "t3.micro"
  tags          = { Name = local.names[count.index] }
  no_such_argument = 1
}
resource "aws_vpc" "other" {
  cidr_block = "10.0.0.0/16"
}
output "ids" {
  value = aws_instance.app[*].id
}
provider "aws" {
  region = local.names[0]
}
"#,
    )];
    let (ev, d) = eval_files(&files, &["app_count=50"]);
    assert_eq!(
        codes(&d),
        ["strata::config::variable_validation", "strata::config::unsupported_attribute"],
        "the validation error and the static check, no knock-on errors: {d:#?}"
    );
    assert_eq!(addrs(&ev), ["aws_vpc.other"], "no instance of what depends on the invalid variable");
    assert!(ev.outputs.is_empty());
    assert!(ev.root_variables["app_count"].is_unknown());
    // A wrong type is invalid too.
    let (ev, d) = eval_files(&files, &["app_count=many"]);
    assert_eq!(codes(&d), ["strata::config::invalid_variable_value", "strata::config::unsupported_attribute"], "{d:#?}");
    assert_eq!(addrs(&ev), ["aws_vpc.other"]);
}

/// Guards against unbounded module fan-out: three nested module calls of
/// `count = 1000` reached 21 GB in 60 s. The real limit applies, and the
/// calls' instances are counted before any is made, so this stops at once.
#[test]
fn nested_module_counts_stop_at_the_instance_limit() {
    let files = [
        ("main.tf", "module \"a\" {\n  source = \"./a\"\n  count  = 1000\n}\n"),
        ("a/main.tf", "module \"b\" {\n  source = \"../b\"\n  count  = 1000\n}\n"),
        ("b/main.tf", "module \"c\" {\n  source = \"../c\"\n  count  = 1000\n}\n"),
        ("c/main.tf", "resource \"aws_vpc\" \"v\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n"),
    ];
    let (ev, d) = eval_files(&files, &[]);
    assert_eq!(codes(&d), ["strata::config::too_many_instances"], "{d:#?}");
    let e = &d.0[0];
    assert_eq!(e.message, "the configuration expands to more than 100000 resource and module instances");
    assert!(e.help.as_deref().is_some_and(|h| h.contains("nested modules multiply")), "{e:#?}");
    let label = &e.labels[0];
    assert_eq!(label.message, "1000000 more instances here, 1001000 in total");
    assert!(ev.resources.is_empty());
}

/// The same limit across `for_each` and `count` and resources, lowered.
#[test]
fn instances_are_counted_across_modules_and_resources() {
    let main = r#"
resource "aws_vpc" "a" {
  count      = 6
  cidr_block = "10.0.0.0/16"
}
resource "aws_vpc" "b" {
  for_each   = toset(["x", "y", "z"])
  cidr_block = "10.0.0.0/16"
}
"#;
    let limits = |instances| crate::eval::Limits { instances, ..crate::eval::Limits::default() };
    let (ev, d) = eval_with_limits(main, limits(9));
    assert!(!d.has_errors(), "{d:#?}");
    assert_eq!(ev.resources.len(), 9);
    let (_, d) = eval_with_limits(main, limits(8));
    assert_eq!(codes(&d), ["strata::config::too_many_instances"], "{d:#?}");
    assert_eq!(d.0[0].labels[0].message, "3 more instances here, 9 in total");
}

/// Guards against evaluations that add up without bound although each
/// expression is affordable: 400 locals each copying a 16 MB string took
/// 7.5 GB. One budget covers the whole evaluation (the real one here: a
/// shared 16 MB string referred to 70 times is 1.1 GB of text to consume)
/// and its exhaustion is reported once.
#[test]
fn one_work_budget_covers_the_whole_evaluation() {
    let mut main = String::from("locals {\n  s0 = \"0123456789abcdef\"\n");
    for i in 1..=20 {
        main.push_str(&format!("  s{i} = \"${{local.s{}}}${{local.s{}}}\"\n", i - 1, i - 1));
    }
    for i in 0..70 {
        main.push_str(&format!("  n{i} = local.s20 != \"\"\n"));
    }
    main.push_str("}\n");
    let (_, d) = eval_with_limits(&main, crate::eval::Limits::default());
    assert_eq!(codes(&d), ["strata::eval::too_expensive"], "reported once: {d:#?}");
    assert!(d.0[0].help.as_deref().is_some_and(|h| h.contains("the whole evaluation")), "{d:#?}");
    // Within the budget the same locals evaluate.
    let affordable = main.lines().filter(|l| !l.trim_start().starts_with("n") || l.contains("n1 ")).collect::<Vec<_>>().join("\n");
    let (_, d) = eval_with_limits(&affordable, crate::eval::Limits::default());
    assert!(!d.has_errors(), "{d:#?}");
}

/// Guards against instances evaluated after the run's budget is spent: a
/// `count` of 100,000 each charged a 1 MB string went on planning every
/// instance (a gigabyte of planned values) after the first error.
#[test]
fn instances_stop_once_the_run_budget_is_spent() {
    let mut main = String::from("locals {\n  s0 = \"0123456789abcdef\"\n");
    for i in 1..=10 {
        main.push_str(&format!("  s{i} = \"${{local.s{}}}${{local.s{}}}\"\n", i - 1, i - 1));
    }
    main.push_str("}\nresource \"aws_instance\" \"app\" {\n  count         = 1000\n  ami           = \"ami-1\"\n  instance_type = \"t3.micro\"\n  user_data     = local.s10\n}\n");
    let limits = crate::eval::Limits { budget: 200_000, ..crate::eval::Limits::default() };
    let (ev, d) = eval_with_limits(&main, limits);
    assert_eq!(codes(&d), ["strata::eval::too_expensive"], "{d:#?}");
    assert!(ev.resources.len() < 200, "stopped at the first instance over budget: {}", ev.resources.len());
}

/// Guards against a chain of locals each nesting the one before (100,000 of
/// them took 15 GB): values nest at most 256 deep.
#[test]
fn a_chain_of_nesting_locals_stops_at_the_depth_limit() {
    let mut main = String::from("locals {\n  l0 = \"x\"\n");
    for i in 1..1000 {
        main.push_str(&format!("  l{i} = [local.l{}]\n", i - 1));
    }
    main.push_str("}\n");
    let (_, d) = eval_with_limits(&main, crate::eval::Limits::default());
    assert!(!d.is_empty());
    assert!(d.iter().all(|d| d.code == "strata::eval::too_deep"), "{d:#?}");
    assert!(d.iter().any(|d| d.message == "value is nested too deeply"), "{d:#?}");
}

/// Guards against deep copies: a reference shares its value, so a chain of
/// locals (or many outputs of one local) holds one copy.
#[test]
fn references_share_values() {
    let ev = eval_ok(&[(
        "main.tf",
        r#"
locals {
  a = [for i in range(1000) : "item-${i}"]
  b = local.a
  c = local.b
}
output "a" { value = local.a }
output "c" { value = local.c }
"#,
    )]);
    let (Value::List(a), Value::List(c)) = (&ev.outputs[0].value, &ev.outputs[1].value) else { panic!("{:?}", ev.outputs) };
    assert!(a.ptr_eq(c), "one list, not a copy per reference");
}

fn provider_of<'e>(ev: &'e Evaluated, addr: &str) -> &'e str {
    let r = ev.resources.iter().chain(&ev.data).find(|r| r.addr.to_string() == addr).unwrap_or_else(|| panic!("{addr} not found"));
    &r.provider
}

const TWO_REGIONS: &str = r#"
provider "aws" {
  region = "us-east-1"
}
provider "aws" {
  alias  = "west"
  region = "eu-west-1"
}
"#;

/// Regression: `provider = aws.west` was parsed and ignored, so the
/// resource went to the default configuration (the wrong region).
#[test]
fn provider_argument_selects_the_aliased_configuration() {
    let main = r#"
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
"#;
    let ev = eval_ok(&[("providers.tf", TWO_REGIONS), ("main.tf", main)]);
    assert_eq!(provider_of(&ev, "aws_vpc.east"), r#"provider["aws"]"#);
    assert_eq!(provider_of(&ev, "aws_vpc.west"), r#"provider["aws"].west"#);
    assert_eq!(provider_of(&ev, "data.aws_availability_zones.west"), r#"provider["aws"].west"#);
    let addrs: Vec<String> = ev.providers.iter().map(|p| p.address()).collect();
    assert_eq!(addrs, [r#"provider["aws"]"#, r#"provider["aws"].west"#]);
    let west = ev.providers.iter().find(|p| p.alias.as_deref() == Some("west")).unwrap();
    assert_eq!(west.config.as_map().unwrap()["region"], Value::string("eu-west-1"));
}

/// A module's resources use the configuration its call passes as `aws`;
/// without `providers` they inherit the caller's default; aliases go in by
/// name when the module declares them in `configuration_aliases`.
#[test]
fn module_calls_pass_provider_configurations() {
    let main = r#"
module "west" {
  source    = "./modules/net"
  providers = { aws = aws.west }
}
module "plain" {
  source = "./modules/net"
}
module "peer" {
  source    = "./modules/peer"
  providers = { aws.replica = aws.west }
}
"#;
    let net = r#"
resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}
module "inner" {
  source = "../inner"
}
"#;
    let inner = r#"
resource "aws_vpc" "deep" {
  cidr_block = "10.9.0.0/16"
}
"#;
    let peer = r#"
terraform {
  required_providers {
    aws = {
      source                = "hashicorp/aws"
      configuration_aliases = [aws.replica]
    }
  }
}
resource "aws_vpc" "here" {
  cidr_block = "10.3.0.0/16"
}
resource "aws_vpc" "there" {
  provider   = aws.replica
  cidr_block = "10.4.0.0/16"
}
"#;
    let ev = eval_ok(&[
        ("providers.tf", TWO_REGIONS),
        ("main.tf", main),
        ("modules/net/main.tf", net),
        ("modules/inner/main.tf", inner),
        ("modules/peer/main.tf", peer),
    ]);
    assert_eq!(provider_of(&ev, "module.west.aws_vpc.this"), r#"provider["aws"].west"#);
    assert_eq!(provider_of(&ev, "module.west.module.inner.aws_vpc.deep"), r#"provider["aws"].west"#, "passed on down");
    assert_eq!(provider_of(&ev, "module.plain.aws_vpc.this"), r#"provider["aws"]"#);
    assert_eq!(provider_of(&ev, "module.peer.aws_vpc.here"), r#"provider["aws"]"#);
    assert_eq!(provider_of(&ev, "module.peer.aws_vpc.there"), r#"provider["aws"].west"#);
}

#[test]
fn provider_alias_errors_carry_spans_and_help() {
    let cases: &[(&[(&str, &str)], &str, &str)] = &[
        (
            &[("main.tf", "resource \"aws_vpc\" \"a\" {\n  provider   = aws.wset\n  cidr_block = \"10.0.0.0/16\"\n}\n")],
            "strata::config::unknown_provider",
            "did you mean `aws.west`?",
        ),
        (
            &[("main.tf", "resource \"aws_vpc\" \"a\" {\n  provider   = aws.central\n  cidr_block = \"10.0.0.0/16\"\n}\n")],
            "strata::config::unknown_provider",
            "declare it with `provider \"aws\" { alias = \"central\" }`",
        ),
        (
            &[("main.tf", "resource \"aws_vpc\" \"a\" {\n  provider   = \"aws.west\"\n  cidr_block = \"10.0.0.0/16\"\n}\n")],
            "strata::config::invalid_provider_reference",
            "without quotes",
        ),
        (&[("dup.tf", "provider \"aws\" {\n  alias = \"west\"\n}\n")], "strata::config::duplicate_provider", "its own `alias`"),
        (&[("dup.tf", "provider \"aws\" {\n}\n")], "strata::config::duplicate_provider", "may go without `alias`"),
        (
            &[("main.tf", "module \"m\" {\n  source    = \"./m\"\n  providers = { aws = aws.central }\n}\n"), ("m/main.tf", "")],
            "strata::config::unknown_provider",
            "declare it",
        ),
        (
            &[("main.tf", "module \"m\" {\n  source    = \"./m\"\n  providers = { aws.x = aws.west }\n}\n"), ("m/main.tf", "")],
            "strata::config::unexpected_provider",
            "configuration_aliases = [aws.x]",
        ),
        (
            &[
                ("main.tf", "module \"m\" {\n  source = \"./m\"\n}\n"),
                ("m/main.tf", "terraform {\n  required_providers {\n    aws = { configuration_aliases = [aws.x] }\n  }\n}\n"),
            ],
            "strata::config::missing_provider",
            "providers = { aws.x = aws.ALIAS }",
        ),
        (
            &[("main.tf", "module \"m\" {\n  source = \"./m\"\n}\n"), ("m/main.tf", "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n")],
            "strata::config::provider_in_module",
            "providers = { aws = aws.ALIAS }",
        ),
    ];
    for (files, code, help) in cases {
        let mut all: Vec<(&str, &str)> = vec![("providers.tf", TWO_REGIONS)];
        all.extend(files.iter().copied());
        let (_, d) = eval_files(&all, &[]);
        let found = d.iter().find(|d| d.code == *code).unwrap_or_else(|| panic!("{code} expected for {files:?}: {d:#?}"));
        assert!(found.primary_span().is_some(), "{code} has a span");
        let h = found.help.clone().unwrap_or_default();
        assert!(h.contains(help), "{code}: help {h:?} should contain {help:?}");
    }
}
