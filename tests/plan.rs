//! `strata plan`, `show PLANFILE` and `cost` against recorded states.

use serde_json::{Value as J, json};

use crate::support::{scratch, strata, strata_in};

const NET: &str = r#"
provider "aws" {
  region = "us-east-1"
}
variable "db_password" {
  type      = string
  sensitive = true
  default   = "s3cr3t-Pa55word-42"
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = "main" }
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_instance" "web" {
  ami           = "ami-123"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.a.id
}
resource "aws_db_instance" "db" {
  identifier        = "db"
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  username          = "app"
  password          = var.db_password
  lifecycle {
    prevent_destroy = true
  }
}
"#;

/// Fill what `plan --json` leaves unknown, as an apply would, and write it
/// as the state: a stand-in for `strata apply` (a later stage). References
/// to new ids settle over a few rounds, one per dependency level.
fn simulate_apply(dir: &std::path::Path) {
    for _ in 0..6 {
        simulate_apply_round(dir);
        if strata_in(dir, &["plan", "--detailed-exitcode"], &[]).code == 0 {
            return;
        }
    }
}

fn simulate_apply_round(dir: &std::path::Path) {
    let out = strata_in(dir, &["plan", "--json"], &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let plan: J = serde_json::from_str(&out.stdout).unwrap();
    let mut n = std::fs::read_to_string(dir.join(".strata/state.json")).map_or(0, |s| s.len());
    fn fill(after: &J, unknown: &J, n: &mut usize) -> J {
        match (after, unknown) {
            (_, J::Bool(true)) => {
                *n += 1;
                J::String(format!("fake-{n}"))
            }
            (J::Object(a), J::Object(u)) => {
                J::Object(a.iter().map(|(k, v)| (k.clone(), fill(v, u.get(k).unwrap_or(&J::Null), n))).collect())
            }
            (J::Array(a), J::Array(u)) => J::Array(a.iter().enumerate().map(|(i, v)| fill(v, u.get(i).unwrap_or(&J::Null), n)).collect()),
            (a, _) => a.clone(),
        }
    }
    let resources: Vec<J> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let mut attrs = fill(&c["after"], &c["after_unknown"], &mut n);
            // The view redacts secrets; the state holds them (it is a secret itself).
            if c["type"] == "aws_db_instance" {
                attrs["password"] = json!("s3cr3t-Pa55word-42");
            }
            let id = attrs["id"].clone();
            json!({"address": c["address"], "type": c["type"], "layer": c["layer"], "id": id, "attributes": attrs,
                   "sensitive_paths": if c["type"] == "aws_db_instance" { json!([["password"]]) } else { json!([]) },
                   "dependencies": c["dependencies"], "created_at": "2026-11-23T00:00:00Z"})
        })
        .collect();
    let state = json!({"version": 1, "lineage": "11111111-2222-4333-8444-555555555555", "serial": 3, "strata_version": "0.1.0",
                       "resources": resources, "intents": [], "outputs": {}});
    std::fs::create_dir_all(dir.join(".strata")).unwrap();
    std::fs::write(dir.join(".strata/state.json"), serde_json::to_string_pretty(&state).unwrap()).unwrap();
}

#[test]
fn three_tier_plans_offline_by_layer() {
    let out = strata(&["plan", "examples/three-tier"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let headers: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("── layer")).collect();
    assert_eq!(headers.len(), 5, "one section per layer: {headers:?}");
    assert!(out.stdout.contains("Plan: 36 to add, 0 to change, 0 to replace, 0 to destroy."));
    assert!(out.stdout.contains("\nCost: "), "plan ends with the cost summary");
    assert!(!out.stdout.contains("dev-only-not-a-real-secret"));
    let out = strata(&["plan", "examples/three-tier", "--detailed-exitcode"]);
    assert_eq!(out.code, 2);
}

#[test]
fn no_changes_then_update_replace_and_delete() {
    let dir = scratch(&[("main.tf", NET)]);
    simulate_apply(dir.path());
    let out = strata_in(dir.path(), &["plan", "--detailed-exitcode"], &[]);
    assert_eq!(out.code, 0, "an applied configuration plans clean:\n{}", out.snapshot());
    assert!(out.stdout.contains("No changes."), "{}", out.stdout);

    let changed = NET.replace("Name = \"main\"", "Name = \"main2\"").replace("ami-123", "ami-456");
    std::fs::write(dir.path().join("main.tf"), &changed).unwrap();
    let out = strata_in(dir.path(), &["plan", "--detailed-exitcode"], &[]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stdout.contains("Plan: 0 to add, 1 to change, 1 to replace, 0 to destroy."), "{}", out.stdout);
    assert!(out.stdout.contains("forces replacement"), "the attribute forcing the replacement is named: {}", out.stdout);

    // Removing the database, which has prevent_destroy, from the configuration deletes it (as Terraform).
    let without_db = NET[..NET.find("resource \"aws_db_instance\"").unwrap()].to_string();
    std::fs::write(dir.path().join("main.tf"), &without_db).unwrap();
    let out = strata_in(dir.path(), &["plan"], &[]);
    assert!(out.stdout.contains("1 to destroy"), "{}", out.snapshot());

    // Forcing the replacement of a prevent_destroy resource is an error with its span.
    std::fs::write(dir.path().join("main.tf"), NET).unwrap();
    let out = strata_in(dir.path(), &["plan", "--replace", "aws_db_instance.db"], &[]);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(out.stderr.contains("strata::plan::prevent_destroy") && out.stderr.contains("main.tf:"), "{}", out.stderr);

    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains("s3cr3t-Pa55word-42"));
    }
}

#[test]
fn saved_plans_show_and_never_hold_secrets() {
    let dir = scratch(&[("main.tf", NET)]);
    let out = strata_in(dir.path(), &["plan", "--out", "tfplan"], &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let saved = std::fs::read_to_string(dir.path().join("tfplan")).unwrap();
    assert!(!saved.contains("s3cr3t-Pa55word-42"), "the plan file holds no secret");
    let shown = strata_in(dir.path(), &["show", "tfplan"], &[]);
    assert_eq!(shown.code, 0);
    assert!(shown.stdout.contains("Plan: 4 to add"), "{}", shown.stdout);
    let json = strata_in(dir.path(), &["show", "tfplan", "--json"], &[]);
    assert!(!json.stdout.contains("s3cr3t-Pa55word-42"));
    let bad = strata_in(dir.path(), &["show", "main.tf"], &[]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("strata::plan::corrupt"), "{}", bad.stderr);
}

#[test]
fn targets_and_bad_addresses() {
    let dir = scratch(&[("main.tf", NET)]);
    let out = strata_in(dir.path(), &["plan", "--target", "aws_instance.web"], &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.contains("Plan: 3 to add"), "the target and its dependencies: {}", out.stdout);
    let out = strata_in(dir.path(), &["plan", "--target", "aws_instance.wbe"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("strata::plan::unknown_target") && out.stderr.contains("aws_instance.web"), "{}", out.stderr);
    let out = strata_in(dir.path(), &["plan", "--replace", "not an address"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("strata::cli::invalid_address"), "{}", out.stderr);
}

#[test]
fn cost_report_formats_baseline_and_budget() {
    let out = strata(&["cost", "examples/three-tier", "--format", "markdown"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Every resource of three-tier is priced (issue 9 item 13): no lower bound.
    assert!(out.stdout.contains("**Monthly cost will increase by $146.11**"), "{}", out.stdout);
    assert!(out.stdout.starts_with("<!-- strata-cost: three-tier -->\n## Cost estimate: three-tier\n"), "{}", out.stdout);
    insta::assert_snapshot!("three_tier_cost_markdown", out.stdout);
    let table = strata(&["cost", "examples/three-tier"]);
    insta::assert_snapshot!("three_tier_cost_table", table.stdout);

    let dir = scratch(&[("main.tf", NET)]);
    let base = strata_in(dir.path(), &["cost", "--format", "json"], &[]);
    assert_eq!(base.code, 0, "{}", base.snapshot());
    std::fs::write(dir.path().join("base.json"), &base.stdout).unwrap();
    std::fs::write(dir.path().join("main.tf"), NET.replace("t3.micro", "t3.large")).unwrap();
    let cmp = strata_in(dir.path(), &["cost", "--format", "markdown", "--compare-to", "base.json"], &[]);
    assert_eq!(cmp.code, 0, "{}", cmp.snapshot());
    assert!(cmp.stdout.contains("will increase by"), "{}", cmp.stdout);

    let budget = format!("{NET}\nstrata {{\n  budget {{\n    monthly_limit = 10\n  }}\n}}\n");
    std::fs::write(dir.path().join("main.tf"), budget).unwrap();
    for cmd in ["plan", "cost"] {
        let out = strata_in(dir.path(), &[cmd], &[]);
        assert_eq!(out.code, 3, "{cmd} exits 3 on a budget violation: {}", out.snapshot());
        assert!(out.stderr.contains("strata::cost::budget_exceeded") && out.stderr.contains("monthly_limit"), "{}", out.stderr);
    }
    let md = strata_in(dir.path(), &["cost", "--format", "markdown"], &[]);
    assert!(md.stdout.contains("**Budget:** monthly_limit $10.00: ✗ breached: `monthly_limit`"), "{}", md.stdout);
    let json = strata_in(dir.path(), &["cost", "--format", "json"], &[]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["budget"]["breached"], serde_json::json!(["monthly_limit"]));
    assert_eq!(doc["budget"]["failed"], true);
}

/// Guards against a budget check that passed while resources went unpriced:
/// three-tier in ap-southeast-2 was within any limit because nothing was
/// priced. The check warns that it is incomplete, and fails (exit 3) with
/// `strict = true`. (The catalog now prices ap-southeast-2; ap-southeast-6,
/// New Zealand, has no EC2 prices.)
#[test]
fn an_unpriced_stack_makes_the_budget_check_incomplete() {
    let config = |strict: bool| {
        format!(
            "provider \"aws\" {{\n  region = \"ap-southeast-6\"\n}}\n\
             resource \"aws_instance\" \"web\" {{\n  ami           = \"ami-1\"\n  instance_type = \"t3.micro\"\n}}\n\
             strata {{\n  budget {{\n    monthly_limit = 1000\n    strict        = {strict}\n  }}\n}}\n"
        )
    };
    let dir = scratch(&[("main.tf", &config(false))]);
    let out = strata_in(dir.path(), &["cost"], &[]);
    assert_eq!(out.code, 0, "a warning: {}", out.snapshot());
    assert!(out.stderr.contains("strata::cost::budget_incomplete") && out.stderr.contains("could not be priced"), "{}", out.stderr);
    let md = strata_in(dir.path(), &["cost", "--format", "markdown"], &[]);
    assert!(md.stdout.contains("**Budget:** monthly_limit $1,000.00: ⚠ within budget as far as priced"), "{}", md.stdout);
    std::fs::write(dir.path().join("main.tf"), config(true)).unwrap();
    for cmd in ["plan", "cost"] {
        let out = strata_in(dir.path(), &[cmd], &[]);
        assert_eq!(out.code, 3, "{cmd}: {}", out.snapshot());
        assert!(out.stderr.contains("strata::cost::budget_incomplete"), "{}", out.stderr);
    }
    let json = strata_in(dir.path(), &["cost", "--format", "json"], &[]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!((doc["budget"]["incomplete"].clone(), doc["budget"]["failed"].clone()), (true.into(), true.into()));
}

/// Guards against "$0.00 a month, unchanged" for a stack the catalog cannot
/// price: three-tier in ap-southeast-2 (36 creates) said so in every form.
/// The catalog now prices ap-southeast-2 (`three_tier_is_priced_in_every_catalog_region`);
/// ap-southeast-6 (New Zealand) has no EC2, RDS or load balancer prices.
#[test]
fn an_unpriced_stack_says_its_total_is_a_lower_bound() {
    let region = ["--var", "region=ap-southeast-6"];
    let plan = strata(&["plan", "examples/three-tier", region[0], region[1]]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(plan.stdout.contains("resources could not be priced; the total is a lower bound: at least $"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("unchanged by this plan"), "{}", plan.stdout);
    let md = strata(&["cost", "examples/three-tier", "--format", "markdown", region[0], region[1]]);
    assert!(md.stdout.contains("could not be priced; the total is a lower bound.**"), "{}", md.stdout);
    assert!(!md.stdout.contains("will not change"), "{}", md.stdout);
    let json = strata(&["cost", "examples/three-tier", "--format", "json", region[0], region[1]]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["lower_bound"], true);
}

/// Issue 9 item 13: three-tier was not priced outside us-east-1 (ap-southeast-2:
/// 0 of 9 priced resources, eu-west-1: 0 of 9). Every resource is now priced
/// or free, and every priced line names its source: text, id, URL and date.
#[test]
fn three_tier_is_priced_in_every_catalog_region() {
    for region in ["ap-southeast-2", "eu-west-1", "sa-east-1", "us-east-1"] {
        let out = strata(&["cost", "examples/three-tier", "--format", "json", "--var", &format!("region={region}")]);
        assert_eq!(out.code, 0, "{region}: {}", out.stderr);
        let doc: J = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!((doc["lower_bound"].clone(), doc["counts"]["not_priced"].clone()), (false.into(), 0.into()), "{region}: {doc}");
        assert_eq!(doc["counts"]["priced"], 9, "{region}");
        let mut components = 0;
        for line in doc["resources"].as_array().unwrap() {
            let after = &line["after"];
            assert!(matches!(after["status"]["kind"].as_str(), Some("priced" | "free")), "{region}: {line}");
            for c in after["components"].as_array().unwrap() {
                components += 1;
                let field = |k: &str| c[k].as_str().unwrap_or_else(|| panic!("{region}: no {k} in {c}"));
                assert!(field("source").starts_with("github:"), "{c}");
                assert!(field("source_id").starts_with('s'), "{c}");
                assert!(field("source_url").starts_with("https://github.com/"), "{c}");
                let date = field("source_date");
                assert!(date.len() == 10 && date.starts_with("202") && date.as_bytes()[4] == b'-', "{c}");
            }
        }
        assert!(components >= 15, "{region}: {components} components");
    }
}

/// Issue 9 item 13: dev -> prod (`multi_az = true` on the primary) showed +8%
/// because the Multi-AZ price was missing, so the database dropped out of the
/// total. The primary's compute and storage now cost twice the Single-AZ ones.
#[test]
fn multi_az_database_costs_twice_single_az() {
    let primary = |env: &str| {
        let args =
            ["cost", "examples/three-tier", "--format", "json", "--var", "region=ap-southeast-2", "--var", &format!("environment={env}")];
        let out = strata(&args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let doc: J = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(doc["counts"]["not_priced"], 0, "{env}: {doc}");
        let line =
            doc["resources"].as_array().unwrap().iter().find(|l| l["address"] == "module.db.aws_db_instance.primary").unwrap().clone();
        let part = |name: &str| line["after"]["components"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone();
        (part("compute"), part("storage gp3"), doc["total_after"].as_f64().unwrap())
    };
    let ((dev_compute, dev_storage, dev_total), (prod_compute, prod_storage, prod_total)) = (primary("dev"), primary("prod"));
    assert_eq!(dev_compute["detail"], "db.t4g.small PostgreSQL");
    assert_eq!(prod_compute["detail"], "db.t4g.small PostgreSQL, Multi-AZ");
    let ratio = |a: &J, b: &J, k: &str| b[k].as_f64().unwrap() / a[k].as_f64().unwrap();
    assert!((1.9..=2.1).contains(&ratio(&dev_compute, &prod_compute, "monthly_usd")), "{dev_compute} {prod_compute}");
    assert!((1.9..=2.1).contains(&ratio(&dev_storage, &prod_storage, "unit_usd")), "{dev_storage} {prod_storage}");
    assert!(prod_total / dev_total > 1.3, "prod {prod_total} vs dev {dev_total}");
}

#[test]
fn prices_from_an_offer_file() {
    let dir = scratch(&[(
        "main.tf",
        "provider \"aws\" {\n  region = \"eu-west-3\"\n}\nresource \"aws_instance\" \"a\" {\n  ami           = \"ami-1\"\n  instance_type = \"t3.medium\"\n}\n",
    )]);
    let plain = strata_in(dir.path(), &["cost", "--format", "json"], &[]);
    let with = strata_in(
        dir.path(),
        &["cost", "--format", "json", "--prices", &crate::support::repo().join("fixtures/prices/ec2-eu-west-3.json").display().to_string()],
        &[],
    );
    assert_eq!(with.code, 0, "{}", with.snapshot());
    // The embedded catalog prices eu-west-3; the offer file's price replaces it, and each line names its source.
    let compute = |s: &str| serde_json::from_str::<J>(s).unwrap()["resources"][0]["after"]["components"][0].clone();
    let (embedded, offer) = (compute(&plain.stdout), compute(&with.stdout));
    assert_eq!(embedded["source_url"], "https://github.com/QuinnyPig/aws-price-watcher/blob/a6645eb2e53e/processed/ec2.json", "{embedded}");
    assert!(offer["source"].as_str().unwrap().contains("ec2-eu-west-3.json"), "{offer}");
    assert_eq!((offer["source_date"].as_str(), offer.get("source_id")), (Some("2024-06-14"), None), "{offer}");
}

/// Guards against usage figures silently unused: an address in the usage
/// file that names no resource (a typo, a renamed module) is a warning with
/// the nearest address, and the figures it names are not applied.
#[test]
fn usage_file_addresses_that_match_nothing_are_warnings() {
    let main = "resource \"aws_nat_gateway\" \"main\" {\n  subnet_id = \"subnet-1\"\n}\n";
    let usage = "aws_nat_gateway.mian:\n  monthly_data_processed_gb: 400\naws_nat_gateway.main:\n  monthly_data_processed_gb: 10\n";
    let dir = scratch(&[("main.tf", main), ("usage.yml", usage)]);
    let out = strata_in(dir.path(), &["cost", "--usage-file", "usage.yml"], &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stderr.contains("strata::cost::usage_unmatched"), "{}", out.stderr);
    assert!(out.stderr.contains("`aws_nat_gateway.mian` in usage.yml names no resource"), "{}", out.stderr);
    assert!(out.stderr.contains("did you mean `aws_nat_gateway.main`?"), "{}", out.stderr);
    assert_eq!(out.stderr.matches("usage_unmatched").count(), 1, "the matching address is not reported: {}", out.stderr);
}

const TWO: &str = r#"
provider "aws" {
  region = "us-east-1"
}
resource "aws_instance" "a" {
  ami           = "ami-123"
  instance_type = "t3.micro"
  tenancy       = "default"
}
resource "aws_instance" "b" {
  ami           = "ami-123"
  instance_type = "t3.micro"
  tenancy       = "default"
}
"#;

/// Guards against `--target` pricing (and budgeting) only the targeted
/// slice: the report is the whole stack after the plan, the targeted change
/// applied and every other recorded object as it is.
#[test]
fn a_targeted_plan_prices_and_budgets_the_whole_stack() {
    let dir = scratch(&[("main.tf", TWO)]);
    simulate_apply(dir.path());
    let both_large = TWO.replace("t3.micro", "t3.large");
    std::fs::write(dir.path().join("main.tf"), &both_large).unwrap();
    let out = strata_in(dir.path(), &["plan", "--target", "aws_instance.a"], &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.contains("Plan: 0 to add, 1 to change"), "{}", out.stdout);
    // Before: two t3.micro ($8.23 each, with the assumed root volume). After:
    // a t3.large ($60.74 + $0.64) and the untargeted t3.micro.
    assert!(out.stdout.contains("Cost: $69.61 a month after this plan, up $53.15 from $16.46"), "{}", out.stdout);
    // A limit the slice keeps but the stack breaks.
    let budget = format!("{both_large}\nstrata {{\n  budget {{\n    monthly_limit = 65\n  }}\n}}\n");
    std::fs::write(dir.path().join("main.tf"), budget).unwrap();
    let out = strata_in(dir.path(), &["plan", "--target", "aws_instance.a"], &[]);
    assert_eq!(out.code, 3, "{}", out.snapshot());
    assert!(out.stderr.contains("strata::cost::budget_exceeded") && out.stderr.contains("$69.61"), "{}", out.stderr);
}

/// The comment's first line is the marker CI finds its own comment by,
/// naming the project: `--project`, else the configuration directory.
#[test]
fn the_comment_marker_names_the_project() {
    let dir = scratch(&[("main.tf", TWO)]);
    let out = strata_in(dir.path(), &["cost", "--format", "markdown", "--project", "shop"], &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.starts_with("<!-- strata-cost: shop -->\n## Cost estimate: shop\n"), "{}", out.stdout);
    let json = strata_in(dir.path(), &["cost", "--format", "json", "--project", "shop"], &[]);
    let doc: J = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!((doc["format_version"].clone(), doc["project"].clone()), (json!(2), json!("shop")));
    let name = dir.path().file_name().unwrap().to_string_lossy().into_owned();
    let out = strata_in(dir.path(), &["cost", "--format", "markdown"], &[]);
    assert!(out.stdout.starts_with(&format!("<!-- strata-cost: {name} -->\n")), "{}", out.stdout);
    let out = strata_in(dir.path(), &["cost", "--format", "markdown", "--project", "a -->b"], &[]);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(out.stderr.contains("strata::cli::invalid_project"), "{}", out.stderr);
    // A directory name that would end the HTML comment is made safe, not refused.
    let odd = dir.path().join("web--->app");
    std::fs::create_dir(&odd).unwrap();
    std::fs::write(odd.join("main.tf"), TWO).unwrap();
    let out = strata_in(&odd, &["cost", "--format", "markdown"], &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.starts_with("<!-- strata-cost: web-_app -->\n"), "{}", out.stdout);
}

/// Guards against `--compare-to` rewriting the baseline's total (three-tier:
/// $137.81 became $112.15 when a database it priced could not be priced):
/// the "before" is what the baseline recorded. A baseline of another region
/// or project is a warning.
#[test]
fn compare_to_keeps_the_baselines_total_and_warns_when_it_differs() {
    let db = |class: &str| {
        format!(
            "{TWO}resource \"aws_db_instance\" \"db\" {{\n  identifier        = \"db\"\n  engine            = \"postgres\"\n  \
             instance_class    = \"{class}\"\n  allocated_storage = 20\n  username          = \"app\"\n  password          = \"not-a-real-secret-1\"\n}}\n"
        )
    };
    let dir = scratch(&[("main.tf", &db("db.t3.micro"))]);
    let base = strata_in(dir.path(), &["cost", "--format", "json", "--project", "shop"], &[]);
    assert_eq!(base.code, 0, "{}", base.snapshot());
    std::fs::write(dir.path().join("base.json"), &base.stdout).unwrap();
    let recorded = serde_json::from_str::<J>(&base.stdout).unwrap()["total_after"].clone();
    std::fs::write(dir.path().join("main.tf"), db("db.x99.nonesuch")).unwrap();
    let cmp = strata_in(dir.path(), &["cost", "--format", "json", "--project", "shop", "--compare-to", "base.json"], &[]);
    assert_eq!(cmp.code, 0, "{}", cmp.snapshot());
    assert!(!cmp.stderr.contains("baseline_mismatch"), "{}", cmp.stderr);
    let doc: J = serde_json::from_str(&cmp.stdout).unwrap();
    assert_eq!(doc["total_before"], recorded, "{}", cmp.stdout);
    assert_eq!(doc["compared_to"]["total"], recorded);
    assert_eq!((doc["delta"].clone(), doc["lower_bound"].clone()), (json!(0.0), json!(true)));
    let md = strata_in(dir.path(), &["cost", "--format", "markdown", "--project", "shop", "--compare-to", "base.json"], &[]);
    assert!(md.stdout.contains("Before: the baseline report.\n"), "{}", md.stdout);

    let elsewhere = db("db.t3.micro").replace("us-east-1", "us-west-2");
    std::fs::write(dir.path().join("main.tf"), elsewhere).unwrap();
    let cmp = strata_in(dir.path(), &["cost", "--format", "markdown", "--compare-to", "base.json"], &[]);
    assert_eq!(cmp.code, 0, "{}", cmp.snapshot());
    assert!(cmp.stderr.contains("strata::cost::baseline_mismatch"), "{}", cmp.stderr);
    assert!(cmp.stderr.contains("the baseline was priced in us-east-1, this run in us-west-2"), "{}", cmp.stderr);
    assert!(cmp.stderr.contains("recorded for project `shop`"), "{}", cmp.stderr);
    assert!(
        cmp.stdout.contains("⚠ Before: the baseline report, recorded for another project shop and region us-east-1."),
        "{}",
        cmp.stdout
    );
}

const USAGE_PRICED: &str = r#"
provider "aws" {
  region = "us-east-1"
}
resource "aws_nat_gateway" "main" {
  subnet_id = "subnet-1"
}
resource "aws_db_instance" "db" {
  identifier        = "db"
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  username          = "app"
  password          = "not-a-real-secret-1"
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
"#;

/// `--sync-usage-file` writes a template of the usage-priced parts, and
/// keeps the figures already there on the next sync.
#[test]
fn sync_usage_file_writes_a_template_and_keeps_figures() {
    let dir = scratch(&[("main.tf", USAGE_PRICED)]);
    let out = strata_in(dir.path(), &["cost", "--sync-usage-file", "usage.yml"], &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stderr.contains("Wrote 2 usage-priced resources to usage.yml."), "{}", out.stderr);
    let text = std::fs::read_to_string(dir.path().join("usage.yml")).unwrap();
    assert!(text.contains("\naws_nat_gateway.main:\n  # monthly_data_processed_gb: 0  # GB processed a month\n"), "{text}");
    assert!(text.contains("\naws_db_instance.db:\n  # monthly_backup_storage_gb: 0"), "{text}");
    assert!(!text.contains("aws_vpc"), "{text}");
    // A figure given in the file is kept and priced.
    std::fs::write(dir.path().join("usage.yml"), text.replace("  # monthly_data_processed_gb: 0", "  monthly_data_processed_gb: 100"))
        .unwrap();
    let out = strata_in(dir.path(), &["cost", "--format", "json", "--sync-usage-file", "usage.yml"], &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let text = std::fs::read_to_string(dir.path().join("usage.yml")).unwrap();
    assert!(text.contains("\naws_nat_gateway.main:\n  monthly_data_processed_gb: 100  # GB processed a month\n"), "{text}");
    let doc: J = serde_json::from_str(&out.stdout).unwrap();
    let nat = doc["resources"].as_array().unwrap().iter().find(|r| r["address"] == "aws_nat_gateway.main").unwrap();
    assert_eq!(nat["after_monthly"], json!(37.35), "32.85 + 100 GB × 0.045");
    let out = strata_in(dir.path(), &["cost", "--usage-file", "usage.yml", "--sync-usage-file", "usage.yml"], &[]);
    assert_eq!(out.code, 2, "the two flags conflict: {}", out.snapshot());
}

/// Infracost's usage files are read: its key names are mapped, and what
/// strata does not price is a warning rather than an error.
#[test]
fn infracost_usage_files_are_read() {
    let usage = "version: 0.1\nresource_usage:\n  aws_nat_gateway.main:\n    monthly_data_processed_gb: 100\n  \
                 aws_db_instance.db:\n    additional_backup_storage_gb: 10\n    monthly_standard_io_requests: 1000000\n  \
                 aws_lambda_function.f:\n    monthly_requests: 5\n";
    let dir = scratch(&[("main.tf", USAGE_PRICED), ("infracost-usage.yml", usage)]);
    let out = strata_in(dir.path(), &["cost", "--format", "json", "--usage-file", "infracost-usage.yml"], &[]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stderr.contains("strata::cost::usage_unused") && out.stderr.contains("aws_lambda_function"), "{}", out.stderr);
    assert!(out.stderr.contains("monthly_standard_io_requests"), "gp2 storage has no I/O price: {}", out.stderr);
    let doc: J = serde_json::from_str(&out.stdout).unwrap();
    let line = |a: &str| doc["resources"].as_array().unwrap().iter().find(|r| r["address"] == a).unwrap().clone();
    assert_eq!(line("aws_nat_gateway.main")["after_monthly"], json!(37.35));
    let db = line("aws_db_instance.db");
    let backup = db["after"]["components"].as_array().unwrap().iter().find(|c| c["name"] == "backup storage").unwrap().clone();
    assert_eq!(backup["quantity"], json!(10.0), "{db}");
}
