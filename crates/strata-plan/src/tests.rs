//! Plans of small configurations against states made by "applying" earlier
//! plans (unknown values become known, as a provider would report them).

use std::path::Path;

use strata_config::{VarSources, collect_inputs, evaluate, graph_input, load_sources};
use strata_core::{Address, Diagnostics, Type, Value};
use strata_state::{OutputState, ResourceState, State, StateKey};

use crate::{Action, Plan, PlanOptions, StatePlanner, Target, build_plan, check_fresh, config_digest};

mod tags;

fn plan_with(files: &[(&str, &str)], state: Option<&State>, opts: &PlanOptions) -> (Plan, Diagnostics) {
    let (mut config, mut diags) = load_sources(Path::new("/nonexistent/strata-plan-test"), files);
    let (inputs, d) = collect_inputs(&mut config, &VarSources::default());
    diags.extend(d);
    let schema = strata_provider::aws::schema();
    let planner = StatePlanner::new(state, &opts.replace);
    let (mut ev, d) = evaluate(&config, &inputs, schema, &planner);
    diags.extend(d);
    let (nodes, gopts) = graph_input(&ev, schema);
    let (graph, d) = strata_graph::build(nodes, &gopts);
    diags.extend(d);
    let (plan, d) = build_plan(&mut ev, &graph, state, opts);
    diags.extend(d);
    (plan, diags)
}

#[track_caller]
fn plan_ok(files: &[(&str, &str)], state: Option<&State>, opts: &PlanOptions) -> Plan {
    let (plan, diags) = plan_with(files, state, opts);
    assert!(!diags.has_errors(), "unexpected errors: {diags:#?}");
    plan
}

/// What a provider would report after creating the planned objects.
fn known(v: Value, addr: &Address, attr: &str) -> Value {
    match v {
        Value::Unknown(Type::String) => Value::string(format!("{attr}-{addr}")),
        Value::Unknown(Type::Number) => Value::Number(1.0),
        Value::Unknown(Type::Bool) => Value::Bool(false),
        Value::Unknown(_) => Value::Null,
        Value::Sensitive(v) => known(*v, addr, attr).mark_if(true),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, v)| {
                    let v = known(v, addr, &k);
                    (k, v)
                })
                .collect(),
        ),
        Value::List(l) => Value::List(l.into_iter().map(|v| known(v, addr, attr)).collect()),
        v => v,
    }
}

/// The state after applying `plan` to `state`.
fn apply(plan: &Plan, state: Option<&State>) -> State {
    let mut s = state.cloned().unwrap_or_else(|| State { lineage: plan.lineage.clone(), ..State::new() });
    for c in &plan.changes {
        if let Some(from) = &c.moved_from {
            s.remove_resource(&from.to_string());
        }
        match &c.after {
            Some(after) => {
                let after = known(after.clone(), &c.addr, "");
                let id = after.as_map().and_then(|m| m.get("id")).and_then(Value::as_str).unwrap_or_default().to_string();
                let mut r = ResourceState::from_value(&c.addr, c.layer, id, &after);
                r.dependencies = c.dependencies.iter().map(ToString::to_string).collect();
                s.upsert_resource(r);
            }
            None => {
                s.remove_resource(&c.addr.to_string());
            }
        }
    }
    s.outputs = plan
        .outputs
        .iter()
        .filter(|o| o.action != Action::Delete)
        .map(|o| {
            (o.name.clone(), OutputState { value: known(o.after.clone(), &"a.b".parse().unwrap(), "").to_json(), sensitive: o.sensitive })
        })
        .collect();
    s.serial += 1;
    s
}

/// The state after applying `files` until nothing changes: references to
/// attributes known only after apply settle on the second round, as they do
/// when a real apply records each object before planning its dependents.
fn applied(files: &[(&str, &str)]) -> State {
    let mut state = apply(&plan_ok(files, None, &PlanOptions::default()), None);
    for _ in 0..5 {
        let plan = plan_ok(files, Some(&state), &PlanOptions::default());
        if !plan.has_changes() {
            return state;
        }
        state = apply(&plan, Some(&state));
    }
    panic!("applying the configuration does not converge");
}

fn change<'p>(plan: &'p Plan, addr: &str) -> &'p crate::ResourceChange {
    plan.changes.iter().find(|c| c.addr.to_string() == addr).unwrap_or_else(|| panic!("no change for {addr} in {:#?}", actions(plan)))
}

fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes.iter().map(|c| (c.addr.to_string(), c.action)).collect()
}

/// The changes that do something, in plan order.
fn effective(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes.iter().filter(|c| c.action != Action::NoOp || c.moved_from.is_some()).map(|c| (c.addr.to_string(), c.action)).collect()
}

fn codes(d: &Diagnostics) -> Vec<&'static str> {
    d.iter().filter(|d| d.is_error()).map(|d| d.code).collect()
}

const BASE: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_instance" "web" {
  ami           = "ami-1"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.a.id
  tags          = { Name = "web" }
}
"#;

#[test]
fn an_empty_state_creates_everything_in_layer_order() {
    let plan = plan_ok(&[("main.tf", BASE)], None, &PlanOptions::default());
    assert_eq!(
        effective(&plan),
        [
            ("aws_vpc.main".to_string(), Action::Create),
            ("aws_subnet.a".to_string(), Action::Create),
            ("aws_instance.web".to_string(), Action::Create),
        ]
    );
    let web = change(&plan, "aws_instance.web");
    assert_eq!(web.layer, strata_core::Layer::Application);
    assert!(web.before.is_none());
    assert!(web.after.as_ref().unwrap().as_map().unwrap()["id"].is_unknown());
    assert_eq!(web.dependencies, ["aws_subnet.a".parse::<Address>().unwrap()]);
    assert!(!plan.state_found);
    assert_eq!(plan.serial, 0);
    let s = plan.summary();
    assert_eq!((s.add, s.change, s.replace, s.destroy, s.moves), (3, 0, 0, 0, 0));
    assert!(plan.has_changes());
}

#[test]
fn an_applied_configuration_plans_no_changes() {
    let state = applied(&[("main.tf", BASE)]);
    let plan = plan_ok(&[("main.tf", BASE)], Some(&state), &PlanOptions::default());
    assert!(plan.changes.iter().all(|c| c.action == Action::NoOp), "{:?}", actions(&plan));
    assert_eq!(plan.changes.len(), 3, "unchanged instances are kept for the cost report");
    assert!(!plan.has_changes());
    assert_eq!((plan.lineage.as_str(), plan.serial), (state.lineage.as_str(), state.serial));
    assert!(plan.state_found);
    let web = change(&plan, "aws_instance.web");
    assert_eq!(web.after.as_ref().unwrap().as_map().unwrap()["id"], Value::string("id-aws_instance.web"));
}

#[test]
fn an_in_place_change_is_an_update() {
    let state = applied(&[("main.tf", BASE)]);
    let bigger = BASE.replace("t3.micro", "t3.large");
    let plan = plan_ok(&[("main.tf", &bigger)], Some(&state), &PlanOptions::default());
    assert_eq!(effective(&plan), [("aws_instance.web".to_string(), Action::Update)]);
    let web = change(&plan, "aws_instance.web");
    assert!(web.requires_replace.is_empty());
    assert_eq!(web.before.as_ref().unwrap().as_map().unwrap()["instance_type"], Value::string("t3.micro"));
    assert_eq!(plan.summary().change, 1);
}

#[test]
fn a_force_new_change_is_a_replace_naming_the_attribute() {
    let state = applied(&[("main.tf", BASE)]);
    let plan = plan_ok(&[("main.tf", &BASE.replace("ami-1", "ami-2"))], Some(&state), &PlanOptions::default());
    assert_eq!(effective(&plan), [("aws_instance.web".to_string(), Action::DeleteThenCreate)]);
    let web = change(&plan, "aws_instance.web");
    assert_eq!(web.requires_replace, ["ami"]);
    assert!(!web.replace_requested);
    assert_eq!(web.reason.as_deref(), Some("`ami` cannot be changed in place"));
    assert!(web.after.as_ref().unwrap().as_map().unwrap()["id"].is_unknown(), "a replacement gets a new id");
    assert_eq!(plan.summary().replace, 1);
}

#[test]
fn create_before_destroy_replaces_create_first() {
    let with_cbd = BASE
        .replace("tags          = { Name = \"web\" }", "tags = { Name = \"web\" }\n  lifecycle {\n    create_before_destroy = true\n  }");
    let state = applied(&[("main.tf", &with_cbd)]);
    let plan = plan_ok(&[("main.tf", &with_cbd.replace("ami-1", "ami-2"))], Some(&state), &PlanOptions::default());
    assert_eq!(effective(&plan), [("aws_instance.web".to_string(), Action::CreateThenDelete)]);
    assert!(change(&plan, "aws_instance.web").create_before_destroy);
}

#[test]
fn replace_flag_forces_a_replacement_of_every_matching_instance() {
    let files = [("main.tf", BASE)];
    let state = applied(&files);
    let opts = PlanOptions { replace: vec!["aws_instance.web".parse().unwrap()], ..PlanOptions::default() };
    let plan = plan_ok(&files, Some(&state), &opts);
    assert_eq!(effective(&plan), [("aws_instance.web".to_string(), Action::DeleteThenCreate)]);
    let web = change(&plan, "aws_instance.web");
    assert!(web.replace_requested && web.requires_replace.is_empty());
    assert_eq!(web.reason.as_deref(), Some("replacement requested with --replace"));
    assert!(web.after.as_ref().unwrap().as_map().unwrap()["id"].is_unknown());
}

#[test]
fn objects_no_longer_configured_are_deleted_in_teardown_order() {
    let full = format!(
        "{BASE}{}",
        r#"
resource "aws_db_instance" "db" {
  identifier        = "db"
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  password          = "hunter2-secret"
}
resource "aws_lb" "front" {
  name    = "front"
  subnets = [aws_subnet.a.id]
}
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "www"
  type    = "CNAME"
  ttl     = 60
  records = [aws_lb.front.dns_name]
}
"#
    );
    let state = applied(&[("main.tf", &full)]);
    // Keep only the zone: everything else goes, dependents first.
    let zone_only = "resource \"aws_route53_zone\" \"z\" {\n  name = \"example.com\"\n}\n";
    let plan = plan_ok(&[("main.tf", zone_only)], Some(&state), &PlanOptions::default());
    let order: Vec<String> = effective(&plan)
        .into_iter()
        .map(|(a, action)| {
            assert_eq!(action, Action::Delete);
            a
        })
        .collect();
    assert_eq!(order, ["aws_route53_record.www", "aws_lb.front", "aws_instance.web", "aws_db_instance.db", "aws_subnet.a", "aws_vpc.main"]);
    let www = change(&plan, "aws_route53_record.www");
    assert_eq!(www.reason.as_deref(), Some("not in configuration"));
    assert_eq!(www.layer, strata_core::Layer::Frontend);
    assert!(www.after.is_none());
    let db = change(&plan, "aws_db_instance.db");
    assert!(db.before.as_ref().unwrap().as_map().unwrap()["password"].is_sensitive(), "secrets stay marked");
    assert_eq!(plan.summary().destroy, 6);
}

#[test]
fn deletes_inside_one_layer_put_dependents_first() {
    let chain = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_route_table" "rt" {
  vpc_id = aws_vpc.main.id
}
resource "aws_route_table_association" "assoc" {
  subnet_id      = aws_subnet.a.id
  route_table_id = aws_route_table.rt.id
}
"#;
    let state = applied(&[("main.tf", chain)]);
    let plan = plan_ok(&[("main.tf", "")], Some(&state), &PlanOptions::default());
    let order: Vec<String> = effective(&plan).into_iter().map(|(a, _)| a).collect();
    assert_eq!(order, ["aws_route_table_association.assoc", "aws_route_table.rt", "aws_subnet.a", "aws_vpc.main"]);
}

#[test]
fn a_shrunk_count_names_the_removed_index() {
    let two = "resource \"aws_eip\" \"ip\" {\n  count = 4\n  domain = \"vpc\"\n}\n";
    let state = applied(&[("main.tf", two)]);
    let plan = plan_ok(&[("main.tf", &two.replace("count = 4", "count = 3"))], Some(&state), &PlanOptions::default());
    assert_eq!(effective(&plan), [("aws_eip.ip[3]".to_string(), Action::Delete)]);
    assert_eq!(change(&plan, "aws_eip.ip[3]").reason.as_deref(), Some("count index 3 no longer exists"));

    let each = "resource \"aws_eip\" \"ip\" {\n  for_each = toset([\"a\", \"b\"])\n  domain = \"vpc\"\n}\n";
    let state = applied(&[("main.tf", each)]);
    let plan = plan_ok(&[("main.tf", &each.replace(", \"b\"", ""))], Some(&state), &PlanOptions::default());
    assert_eq!(effective(&plan), [("aws_eip.ip[\"b\"]".to_string(), Action::Delete)]);
    assert_eq!(change(&plan, "aws_eip.ip[\"b\"]").reason.as_deref(), Some("for_each key \"b\" no longer exists"));
}

#[test]
fn moved_blocks_rename_instead_of_replacing() {
    let state = applied(&[("main.tf", BASE)]);
    let renamed = BASE.replace("\"aws_instance\" \"web\"", "\"aws_instance\" \"app\"")
        + "moved {\n  from = aws_instance.web\n  to   = aws_instance.app\n}\n";
    let plan = plan_ok(&[("main.tf", &renamed)], Some(&state), &PlanOptions::default());
    assert_eq!(effective(&plan), [("aws_instance.app".to_string(), Action::NoOp)]);
    let app = change(&plan, "aws_instance.app");
    assert_eq!(app.moved_from, Some("aws_instance.web".parse().unwrap()));
    assert_eq!(app.reason.as_deref(), Some("moved from aws_instance.web"));
    assert!(plan.has_changes(), "a move is a change");
    assert_eq!(plan.summary().moves, 1);

    // A move combined with an edit is an update of the moved object.
    let edited = renamed.replace("t3.micro", "t3.large");
    let plan = plan_ok(&[("main.tf", &edited)], Some(&state), &PlanOptions::default());
    assert_eq!(effective(&plan), [("aws_instance.app".to_string(), Action::Update)]);

    // Once applied, the move block is a no-op (its source is gone): ignored.
    let moved_state = apply(&plan_ok(&[("main.tf", &renamed)], Some(&state), &PlanOptions::default()), Some(&state));
    assert!(moved_state.resource("aws_instance.web").is_none());
    let plan = plan_ok(&[("main.tf", &renamed)], Some(&moved_state), &PlanOptions::default());
    assert!(!plan.has_changes(), "{:?}", effective(&plan));
}

#[test]
fn a_move_onto_an_existing_object_is_an_error() {
    let two = format!("{BASE}resource \"aws_instance\" \"app\" {{\n  ami = \"ami-1\"\n  instance_type = \"t3.micro\"\n}}\n");
    let state = applied(&[("main.tf", &two)]);
    let without_web = two.replace("resource \"aws_instance\" \"web\"", "resource \"aws_instance\" \"gone\"");
    let files = [("main.tf", without_web.as_str()), ("moved.tf", "moved {\n  from = aws_instance.web\n  to   = aws_instance.app\n}\n")];
    let (_, diags) = plan_with(&files, Some(&state), &PlanOptions::default());
    assert_eq!(codes(&diags), ["strata::plan::moved_conflict"]);
    assert!(diags.iter().next().unwrap().primary_span().is_some());
}

#[test]
fn prevent_destroy_stops_a_replacement_but_not_an_orphan_delete() {
    let protected =
        BASE.replace("tags          = { Name = \"web\" }", "tags = { Name = \"web\" }\n  lifecycle {\n    prevent_destroy = true\n  }");
    let state = applied(&[("main.tf", BASE)]);
    let (plan, diags) = plan_with(&[("main.tf", &protected.replace("ami-1", "ami-2"))], Some(&state), &PlanOptions::default());
    assert_eq!(codes(&diags), ["strata::plan::prevent_destroy"]);
    let d = diags.iter().find(|d| d.is_error()).unwrap();
    assert!(d.message.contains("aws_instance.web"), "{}", d.message);
    assert!(d.help.as_deref().unwrap().contains("`ami`"));
    assert!(d.primary_span().is_some(), "labelled on the resource");
    assert!(change(&plan, "aws_instance.web").action.is_replace());

    // In-place updates are fine.
    let plan = plan_ok(&[("main.tf", &protected.replace("t3.micro", "t3.large"))], Some(&state), &PlanOptions::default());
    assert_eq!(effective(&plan), [("aws_instance.web".to_string(), Action::Update)]);
    // Removed from configuration, the setting is gone with it (as in Terraform).
    let without = protected.split("resource \"aws_instance\"").next().unwrap().to_string();
    let plan = plan_ok(&[("main.tf", &without)], Some(&state), &PlanOptions::default());
    assert_eq!(effective(&plan), [("aws_instance.web".to_string(), Action::Delete)]);
}

#[test]
fn targets_keep_their_dependencies_only() {
    let files = format!("{BASE}resource \"aws_eip\" \"ip\" {{\n  domain = \"vpc\"\n}}\n");
    let target = |t: &str| PlanOptions { targets: vec![t.parse::<Target>().unwrap()], ..PlanOptions::default() };
    let plan = plan_ok(&[("main.tf", &files)], None, &target("aws_instance.web"));
    let addrs: Vec<String> = plan.changes.iter().map(|c| c.addr.to_string()).collect();
    assert_eq!(addrs, ["aws_vpc.main", "aws_subnet.a", "aws_instance.web"]);
    assert_eq!(plan.targets, ["aws_instance.web"]);

    // Deletes are kept only when targeted themselves.
    let state = applied(&[("main.tf", &files)]);
    let plan = plan_ok(&[("main.tf", "")], Some(&state), &target("aws_eip.ip"));
    assert_eq!(effective(&plan), [("aws_eip.ip".to_string(), Action::Delete)]);
}

#[test]
fn unknown_targets_are_errors_with_a_suggestion() {
    let opts = PlanOptions {
        targets: vec!["aws_instance.wbe".parse().unwrap()],
        replace: vec!["aws_vpc.nope".parse().unwrap()],
        ..PlanOptions::default()
    };
    let (_, diags) = plan_with(&[("main.tf", BASE)], None, &opts);
    assert_eq!(codes(&diags), ["strata::plan::unknown_target", "strata::plan::unknown_target"]);
    let first = diags.iter().find(|d| d.is_error()).unwrap();
    assert!(first.message.contains("--target aws_instance.wbe"), "{}", first.message);
    assert_eq!(first.help.as_deref(), Some("did you mean `aws_instance.web`?"));

    // A module target matching nothing is reported too; one matching something is not.
    let opts = PlanOptions { targets: vec!["module.net".parse().unwrap()], ..PlanOptions::default() };
    assert_eq!(codes(&plan_with(&[("main.tf", BASE)], None, &opts).1), ["strata::plan::unknown_target"]);
}

#[test]
fn output_changes_compare_with_recorded_outputs() {
    let with_outputs = format!(
        "{BASE}output \"ip\" {{\n  value = \"10.0.0.1\"\n}}\noutput \"old\" {{\n  value = \"x\"\n}}\noutput \"token\" {{\n  value = \"t0p\"\n  sensitive = true\n}}\n"
    );
    let plan = plan_ok(&[("main.tf", &with_outputs)], None, &PlanOptions::default());
    let outs: Vec<(&str, Action)> = plan.outputs.iter().map(|o| (o.name.as_str(), o.action)).collect();
    assert_eq!(outs, [("ip", Action::Create), ("old", Action::Create), ("token", Action::Create)]);
    assert!(plan.outputs[2].sensitive && plan.outputs[2].after.is_sensitive());

    let state = apply(&plan, None);
    let next = with_outputs.replace("10.0.0.1", "10.0.0.2").replace("output \"old\" {\n  value = \"x\"\n}\n", "");
    let plan = plan_ok(&[("main.tf", &next)], Some(&state), &PlanOptions::default());
    let outs: Vec<(&str, Action)> = plan.outputs.iter().map(|o| (o.name.as_str(), o.action)).collect();
    assert_eq!(outs, [("ip", Action::Update), ("old", Action::Delete), ("token", Action::NoOp)]);
    assert_eq!(plan.outputs[0].before, Some(Value::string("10.0.0.1")));
    assert!(plan.has_changes(), "output changes count");
}

fn secret_plan() -> Plan {
    let db = r#"
resource "aws_db_instance" "db" {
  identifier        = "db"
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  password          = "hunter2-secret"
}
output "pw" {
  value     = aws_db_instance.db.password
  sensitive = true
}
"#;
    let mut plan = plan_ok(&[("main.tf", db)], None, &PlanOptions { config_digest: "d1".into(), ..PlanOptions::default() });
    assert!(change(&plan, "aws_db_instance.db").after.as_ref().unwrap().as_map().unwrap()["password"].is_sensitive());
    plan.created_at = "2026-01-01T00:00:00Z".into();
    plan
}

#[test]
fn saved_plans_round_trip_without_secrets() {
    let plan = secret_plan();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let key = StateKey::from_bytes([7; 32]);
    plan.save(&path, &key).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("hunter2"), "the secret is in the plan file");
    let hash = crate::sensitive_hash(&key, &Value::string("hunter2-secret"));
    assert!(text.contains(&format!("\"__sensitive__\": \"{hash}\"")));
    assert!(text.contains("\"__unknown__\": true"));

    let loaded = Plan::load(&path).unwrap();
    assert_eq!(loaded.changes.len(), plan.changes.len());
    assert_eq!((loaded.lineage.as_str(), loaded.serial, loaded.config_digest.as_str()), (plan.lineage.as_str(), 0, "d1"));
    let db = change(&loaded, "aws_db_instance.db");
    let after = db.after.as_ref().unwrap().as_map().unwrap();
    assert!(after["password"].is_sensitive());
    assert_eq!(crate::redacted_hash(&after["password"]), Some(hash.as_str()));
    assert!(after["id"].is_unknown());
    assert_eq!(after["engine"], Value::string("postgres"));
    assert_eq!(db.action, Action::Create);
    // Saving a loaded plan keeps the recorded hashes: the file is stable.
    let again = dir.path().join("again.json");
    loaded.save(&again, &key).unwrap();
    assert_eq!(std::fs::read_to_string(&again).unwrap(), text);
    assert_eq!(Plan::load(&again).unwrap(), loaded);
}

#[test]
fn bad_plan_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let code = |text: &str| {
        let p = dir.path().join("p.json");
        std::fs::write(&p, text).unwrap();
        Plan::load(&p).unwrap_err().code
    };
    assert_eq!(Plan::load(&dir.path().join("missing.json")).unwrap_err().code, "strata::plan::unreadable");
    assert_eq!(code("{\"format_version\": 1, \"changes\": ["), "strata::plan::corrupt");
    assert_eq!(code("[]"), "strata::plan::corrupt");
    assert_eq!(code("{\"format_version\": 1}"), "strata::plan::corrupt");
    assert_eq!(code("{\"format_version\": 9, \"strata_version\": \"9.0.0\"}"), "strata::plan::future_version");
    let mut bad_layer = secret_plan().to_json_pretty(&StateKey::from_bytes([7; 32]));
    bad_layer = bad_layer.replacen("\"layer\": 2", "\"layer\": 7", 1);
    assert_eq!(code(&bad_layer), "strata::plan::corrupt");
}

#[test]
fn stale_plans_are_refused_naming_the_change() {
    let files = [("main.tf", BASE)];
    let state = applied(&files);
    let plan = plan_ok(&files, Some(&state), &PlanOptions { config_digest: "d1".into(), ..PlanOptions::default() });
    assert!(check_fresh(&plan, Some(&state), "d1").is_ok());

    let mut newer = state.clone();
    newer.serial = 7;
    let err = check_fresh(&plan, Some(&newer), "d1").unwrap_err();
    assert_eq!(err.code, "strata::plan::stale");
    assert!(err.message.contains(&format!("state serial {} → 7", state.serial)), "{}", err.message);

    let other = State::new();
    assert!(check_fresh(&plan, Some(&other), "d1").unwrap_err().message.contains("lineage differs"));
    assert!(check_fresh(&plan, None, "d1").unwrap_err().message.contains("no longer exists"));
    let err = check_fresh(&plan, Some(&newer), "d2").unwrap_err();
    assert!(err.message.contains("serial") && err.message.contains("configuration or variable values changed"), "{}", err.message);

    let fresh = plan_ok(&files, None, &PlanOptions { config_digest: "d1".into(), ..PlanOptions::default() });
    assert!(check_fresh(&fresh, None, "d1").is_ok());
    assert!(check_fresh(&fresh, Some(&state), "d1").unwrap_err().message.contains("a state was created"));
    // The apply of a plan made without state starts a state of its own (never written yet).
    assert!(check_fresh(&fresh, Some(&State::new()), "d1").is_ok());
}

#[test]
fn config_digest_is_stable_and_hides_secrets() {
    let files = |a: &'static str| vec![("b.tf".to_string(), "b"), ("a.tf".to_string(), a)];
    let vars = |pw: &str| vec![("region".to_string(), Value::string("eu-west-1"), false), ("pw".to_string(), Value::string(pw), true)];
    let key = StateKey::from_bytes([7; 32]);
    let config_digest = |f: &[(String, &str)], v: &[(String, Value, bool)]| config_digest(&key, f, v);
    let d = config_digest(&files("a"), &vars("s3cret"));
    assert_eq!(d.len(), 64);
    // Order of inputs does not matter; content does.
    let mut reversed = files("a");
    reversed.reverse();
    let mut rv = vars("s3cret");
    rv.reverse();
    assert_eq!(config_digest(&reversed, &rv), d);
    assert_ne!(config_digest(&files("a2"), &vars("s3cret")), d);
    assert_ne!(config_digest(&files("a"), &vars("other")), d);
    // Moving text between file name and content changes the digest.
    assert_ne!(config_digest(&[("ab".to_string(), "")], &[]), config_digest(&[("a".to_string(), "b")], &[]));
    // A value marked sensitive inside a non-sensitive variable is hashed too:
    // the digest is the same as for the flagged variable.
    let marked =
        vec![("region".to_string(), Value::string("eu-west-1"), false), ("pw".to_string(), Value::string("s3cret").mark_if(true), false)];
    assert_eq!(config_digest(&files("a"), &marked), d);
    assert_ne!(
        config_digest(&files("a"), &[("pw".to_string(), Value::string("s3cret"), false)]),
        config_digest(&files("a"), &[("pw".to_string(), Value::string("s3cret"), true)])
    );
}

/// Guards against hashes of secrets that can be checked offline: the
/// sensitive values of a saved plan and the configuration digest are keyed
/// with the state's key, so the unkeyed sha256 of a guessed secret matches
/// nothing in the file, and another key gives other hashes.
#[test]
fn hashes_of_secrets_are_keyed() {
    use sha2::Digest as _;
    let plan = secret_plan();
    let key = StateKey::from_bytes([7; 32]);
    let text = plan.to_json_pretty(&key);
    let unkeyed: String = sha2::Sha256::digest(b"\"hunter2-secret\"").iter().map(|b| format!("{b:02x}")).collect();
    assert!(!text.contains(&unkeyed), "a guess of the secret must not be verifiable");
    let other = plan.to_json_pretty(&StateKey::from_bytes([8; 32]));
    assert_ne!(text, other, "the hashes depend on the key");
    let vars = [("pw".to_string(), Value::string("hunter2-secret"), true)];
    assert_ne!(config_digest(&key, &[], &vars), config_digest(&StateKey::from_bytes([8; 32]), &[], &vars));
    assert!(!config_digest(&key, &[], &vars).contains(&unkeyed));
}

/// Guards against world-readable plan files: a saved plan is written with
/// mode 0600 whatever the umask, and replaces an older one atomically.
#[cfg(unix)]
#[test]
fn plan_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    secret_plan().save(&path, &StateKey::from_bytes([7; 32])).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["plan.json"], "no temporary file left behind");
}
