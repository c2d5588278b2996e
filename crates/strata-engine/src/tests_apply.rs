//! Apply, recovery and refresh against the in-memory [`FakeProvider`], with
//! plans made from small configurations by the real planner. The fake
//! refuses what a cloud would (an id that does not exist, a delete of an
//! object still in use, an unknown argument), so a wrong order fails here.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use strata_config::{Config, InputVariables, VarSources, collect_inputs, evaluate, graph_input, load_sources};
use strata_core::{Address, Diagnostics, Layer, Value};
use strata_plan::{Action, Plan, PlanOptions, StatePlanner, build_plan};
use strata_provider::{ApplyAction, Provider, ProviderError};
use strata_state::{Intent, LocalBackend, ResourceState, State};

use crate::apply::{
    ApplyContext, ApplyOptions, ApplyOutcome, Cancel, ConfigReplanner, DestroyReplanner, NoProgress, OpKind, Progress, Replanner, apply,
    merge, parse_duration,
};
use crate::fake::{Call, CallKind, Failure, FakeProvider};
use crate::recover::recover_intents;
use crate::refresh::{import, refresh};

mod conditions;

struct Env {
    _dir: tempfile::TempDir,
    backend: LocalBackend,
    fake: Arc<FakeProvider>,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path().join(".strata/state.json"));
        Env { _dir: dir, backend, fake: Arc::new(FakeProvider::new()) }
    }

    fn provider(&self) -> Arc<dyn Provider> {
        self.fake.clone()
    }

    fn providers(&self) -> crate::providers::Providers {
        crate::providers::Providers::shared(self.provider())
    }

    /// Wait until a provider call on `addr` is running.
    async fn until_called(&self, addr: &str) {
        while !self.fake.apply_calls().iter().any(|c| c.addr.as_ref().is_some_and(|a| a.to_string() == addr)) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn state(&self) -> State {
        self.backend.read().unwrap().expect("a state file")
    }

    /// The last call of `action` on `addr`.
    fn call(&self, addr: &str, action: ApplyAction) -> Call {
        let calls = self.fake.apply_calls();
        calls
            .into_iter()
            .rfind(|c| c.kind == CallKind::Apply(action) && c.addr.as_ref().is_some_and(|a| a.to_string() == addr))
            .unwrap_or_else(|| panic!("no {action:?} call for {addr}"))
    }
}

fn load(main: &str) -> (Config, InputVariables) {
    let (mut config, diags) = load_sources(Path::new("/nonexistent/strata-engine-test"), &[("main.tf", main)]);
    assert!(!diags.has_errors(), "{diags:#?}");
    let (inputs, diags) = collect_inputs(&mut config, &VarSources::default());
    assert!(!diags.has_errors(), "{diags:#?}");
    (config, inputs)
}

fn make_plan(config: &Config, inputs: &InputVariables, state: Option<&State>) -> Plan {
    let schema = strata_provider::aws::schema();
    let (mut ev, d) = evaluate(config, inputs, schema, &StatePlanner::new(state, &[]));
    assert!(!d.has_errors(), "{d:#?}");
    let (nodes, options) = graph_input(&ev, schema);
    let (graph, d) = strata_graph::build(nodes, &options);
    assert!(!d.has_errors(), "{d:#?}");
    let (plan, d) = build_plan(&mut ev, &graph, state, &PlanOptions::default());
    assert!(!d.has_errors(), "{d:#?}");
    plan
}

fn plan_for(env: &Env, main: &str) -> Plan {
    let (config, inputs) = load(main);
    make_plan(&config, &inputs, env.backend.read().unwrap().as_ref())
}

fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| (c.addr.to_string(), c.action)).collect()
}

/// Re-evaluations counted, for the batching test.
struct Counting<'a> {
    inner: ConfigReplanner<'a>,
    planned: AtomicUsize,
}

impl Replanner for Counting<'_> {
    fn planned(&self, state: &State) -> Result<HashMap<Address, Value>, Diagnostics> {
        self.planned.fetch_add(1, Ordering::SeqCst);
        self.inner.planned(state)
    }

    fn outputs(&self, state: &State) -> BTreeMap<String, (Value, bool)> {
        self.inner.outputs(state)
    }
}

/// Progress events as `started aws_vpc.a create` / `finished aws_vpc.a create ok`.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Progress for Recorder {
    fn started(&self, addr: &Address, op: OpKind) {
        self.0.lock().unwrap().push(format!("started {addr} {}", op.as_str()));
    }

    fn finished(&self, addr: &Address, op: OpKind, _: Duration, result: Result<(), &ProviderError>) {
        let r = match result {
            Ok(()) => "ok".to_string(),
            Err(e) => format!("error {e}"),
        };
        self.0.lock().unwrap().push(format!("finished {addr} {} {r}", op.as_str()));
    }
}

async fn run(env: &Env, main: &str, options: ApplyOptions, cancel: &Cancel, progress: &dyn Progress) -> ApplyOutcome {
    let (config, inputs) = load(main);
    let state = env.backend.read().unwrap();
    let plan = make_plan(&config, &inputs, state.as_ref());
    let replanner = ConfigReplanner { config: &config, inputs: &inputs, schema: strata_provider::aws::schema(), data: None };
    let ctx = ApplyContext {
        providers: env.providers(),
        plan: &plan,
        replanner: &replanner,
        backend: &env.backend,
        state: state.unwrap_or_default(),
        options,
        progress,
        cancel: cancel.clone(),
    };
    apply(ctx).await
}

async fn apply_ok(env: &Env, main: &str) -> ApplyOutcome {
    let outcome = run(env, main, ApplyOptions::default(), &Cancel::new(), &NoProgress).await;
    assert!(outcome.is_success(), "{:#?}", (&outcome.failed, &outcome.not_run, &outcome.diagnostics));
    outcome
}

fn names<T>(items: &[T], f: impl Fn(&T) -> String) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(f).collect();
    v.sort();
    v
}

fn succeeded(o: &ApplyOutcome) -> Vec<String> {
    names(&o.succeeded, |s| format!("{} {}", s.addr, s.op.as_str()))
}

fn not_run(o: &ApplyOutcome) -> Vec<String> {
    names(&o.not_run, |s| format!("{}: {}", s.addr, s.reason))
}

fn attr(v: &Value, name: &str) -> Value {
    v.as_map().and_then(|m| m.get(name)).cloned().unwrap_or(Value::Null)
}

fn record_id(state: &State, addr: &str) -> String {
    state.resource(addr).unwrap_or_else(|| panic!("{addr} is not recorded")).id.clone()
}

const NET: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.main.id
}
resource "aws_db_subnet_group" "db" {
  name       = "db"
  subnet_ids = [aws_subnet.a.id]
}
resource "aws_instance" "web" {
  ami                    = "ami-1"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.a.id
  vpc_security_group_ids = [aws_security_group.web.id]
}
output "vpc_id" {
  value = aws_vpc.main.id
}
"#;

#[tokio::test]
async fn creates_bottom_up_layer_by_layer_and_records_everything() {
    let env = Env::new();
    let progress = Recorder::default();
    let outcome = run(&env, NET, ApplyOptions::default(), &Cancel::new(), &progress).await;
    assert!(outcome.is_success(), "{:#?}", outcome.failed);
    assert_eq!(
        succeeded(&outcome),
        [
            "aws_db_subnet_group.db create",
            "aws_instance.web create",
            "aws_security_group.web create",
            "aws_subnet.a create",
            "aws_vpc.main create"
        ]
    );

    let (vpc, subnet, sg) = (
        env.call("aws_vpc.main", ApplyAction::Create),
        env.call("aws_subnet.a", ApplyAction::Create),
        env.call("aws_security_group.web", ApplyAction::Create),
    );
    let (db, web) = (env.call("aws_db_subnet_group.db", ApplyAction::Create), env.call("aws_instance.web", ApplyAction::Create));
    assert!(vpc.ended < Some(subnet.started) && vpc.ended < Some(sg.started), "dependencies first");
    for layer1 in [&vpc, &subnet, &sg] {
        assert!(layer1.ended < Some(db.started), "layer 2 starts after layer 1 finished");
    }
    assert!(db.ended < Some(web.started), "layer 3 starts after layer 2 finished, although it does not depend on it");

    let state = env.state();
    assert_eq!(state.resources.len(), 5);
    assert!(state.intents.is_empty());
    let vpc_id = record_id(&state, "aws_vpc.main");
    assert!(vpc_id.starts_with("fake-vpc-"), "{vpc_id}");
    assert_eq!(attr(subnet.planned.as_ref().unwrap(), "vpc_id"), Value::string(&vpc_id), "the replanner filled in the vpc id");
    let subnet_record = state.resource("aws_subnet.a").unwrap();
    assert_eq!(subnet_record.dependencies, ["aws_vpc.main"]);
    assert_eq!(subnet_record.layer, 1);
    assert_eq!(state.resource("aws_instance.web").unwrap().layer, 3);
    assert_eq!(Value::from_json(&state.outputs["vpc_id"].value), Value::string(&vpc_id));
    assert_eq!(state.lineage, outcome.state.lineage);
    assert_eq!(state.serial, outcome.state.serial);

    let events = progress.0.lock().unwrap().clone();
    assert_eq!(events.len(), 10, "{events:#?}");
    assert!(events.iter().filter(|e| e.starts_with("finished")).all(|e| e.ends_with(" ok")));

    // What was recorded matches the configuration: nothing left to do.
    assert!(!plan_for(&env, NET).has_changes(), "{:#?}", actions(&plan_for(&env, NET)));
}

#[tokio::test]
async fn without_the_barrier_operations_follow_dependencies_only() {
    let env = Env::new();
    env.fake.delay("aws_db_subnet_group.db", Duration::from_millis(300));
    let options = ApplyOptions { layer_barrier: false, ..ApplyOptions::default() };
    let outcome = run(&env, NET, options, &Cancel::new(), &NoProgress).await;
    assert!(outcome.is_success(), "{:#?}", outcome.failed);
    let (db, web) = (env.call("aws_db_subnet_group.db", ApplyAction::Create), env.call("aws_instance.web", ApplyAction::Create));
    assert!(web.started < db.ended.unwrap(), "the instance does not wait for the slow layer-2 object");
    assert!(env.call("aws_subnet.a", ApplyAction::Create).ended < Some(web.started));

    let env = Env::new();
    env.fake.delay("aws_db_subnet_group.db", Duration::from_millis(300));
    apply_ok(&env, NET).await;
    let (db, web) = (env.call("aws_db_subnet_group.db", ApplyAction::Create), env.call("aws_instance.web", ApplyAction::Create));
    assert!(db.ended < Some(web.started), "with the barrier the instance waits");
}

#[tokio::test]
async fn deletes_run_top_down_dependents_first() {
    for layer_barrier in [true, false] {
        let env = Env::new();
        apply_ok(&env, NET).await;
        let options = ApplyOptions { layer_barrier, ..ApplyOptions::default() };
        let outcome = run(&env, "", options, &Cancel::new(), &NoProgress).await;
        assert!(outcome.is_success(), "{:#?}", outcome.failed);
        assert_eq!(outcome.succeeded.len(), 5);
        assert!(outcome.succeeded.iter().all(|s| s.op == OpKind::Delete));
        assert_eq!(env.fake.count(), 0);
        let state = env.state();
        assert!(state.resources.is_empty() && state.outputs.is_empty(), "{state:#?}");

        let del = |a| env.call(a, ApplyAction::Delete);
        assert!(del("aws_instance.web").ended < Some(del("aws_subnet.a").started));
        assert!(del("aws_instance.web").ended < Some(del("aws_security_group.web").started));
        assert!(del("aws_db_subnet_group.db").ended < Some(del("aws_subnet.a").started));
        assert!(del("aws_subnet.a").ended < Some(del("aws_vpc.main").started));
        if layer_barrier {
            assert!(del("aws_db_subnet_group.db").ended < Some(del("aws_security_group.web").started), "layer 2 before layer 1");
        }
    }
}

#[tokio::test]
async fn a_failed_delete_keeps_the_object_and_its_dependencies() {
    let env = Env::new();
    apply_ok(&env, NET).await;
    env.fake.fail_nth("aws_subnet.a", ApplyAction::Delete, 1, "subnet busy");
    let outcome = run(&env, "", ApplyOptions { layer_barrier: false, ..ApplyOptions::default() }, &Cancel::new(), &NoProgress).await;
    assert_eq!(names(&outcome.failed, |f| format!("{} {}", f.addr, f.error)), ["aws_subnet.a Injected: subnet busy"]);
    assert_eq!(not_run(&outcome), ["aws_vpc.main: depends on `aws_subnet.a` (delete), which failed"]);
    let state = env.state();
    assert_eq!(names(&state.resources, |r| r.address.clone()), ["aws_subnet.a", "aws_vpc.main"]);
    assert_eq!(env.fake.count(), 2);
}

const CHAIN: &str = r#"
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
}
"#;

#[tokio::test]
async fn delete_then_create_replaces_dependents_in_order() {
    let env = Env::new();
    apply_ok(&env, CHAIN).await;
    let old = env.state();
    let changed = CHAIN.replace("10.0.1.0/24", "10.0.2.0/24");
    let plan = plan_for(&env, &changed);
    assert_eq!(
        actions(&plan),
        [("aws_subnet.a".to_string(), Action::DeleteThenCreate), ("aws_instance.web".to_string(), Action::DeleteThenCreate)]
    );
    let outcome = run(&env, &changed, ApplyOptions::default(), &Cancel::new(), &NoProgress).await;
    assert!(outcome.is_success(), "{:#?}", outcome.failed);

    let call = |a, k| env.call(a, k);
    assert!(call("aws_instance.web", ApplyAction::Delete).ended < Some(call("aws_subnet.a", ApplyAction::Delete).started));
    assert!(call("aws_subnet.a", ApplyAction::Delete).ended < Some(call("aws_subnet.a", ApplyAction::Create).started));
    assert!(call("aws_subnet.a", ApplyAction::Create).ended < Some(call("aws_instance.web", ApplyAction::Create).started));

    let state = env.state();
    let new_subnet = record_id(&state, "aws_subnet.a");
    assert_ne!(new_subnet, record_id(&old, "aws_subnet.a"));
    assert_eq!(attr(&state.resource("aws_instance.web").unwrap().values(), "subnet_id"), Value::string(&new_subnet));
    assert_eq!(env.fake.count(), 3);
    assert!(!plan_for(&env, &changed).has_changes());
}

const CBD: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.main.id
  lifecycle {
    create_before_destroy = true
  }
}
resource "aws_instance" "web" {
  ami                    = "ami-1"
  instance_type          = "t3.micro"
  vpc_security_group_ids = [aws_security_group.web.id]
}
"#;

#[tokio::test]
async fn create_before_destroy_deletes_the_deposed_object_last() {
    let env = Env::new();
    apply_ok(&env, CBD).await;
    let old_sg = record_id(&env.state(), "aws_security_group.web");
    let changed = CBD.replace("name   = \"web\"", "name   = \"web2\"");
    let plan = plan_for(&env, &changed);
    assert_eq!(
        actions(&plan),
        [("aws_security_group.web".to_string(), Action::CreateThenDelete), ("aws_instance.web".to_string(), Action::Update)]
    );
    env.fake.watch_state(env.backend.path());
    let outcome = run(&env, &changed, ApplyOptions::default(), &Cancel::new(), &NoProgress).await;
    assert!(outcome.is_success(), "{:#?}", outcome.failed);
    assert_eq!(succeeded(&outcome), ["aws_instance.web update", "aws_security_group.web create", "aws_security_group.web delete_deposed"]);

    let (create, update, delete) = (
        env.call("aws_security_group.web", ApplyAction::Create),
        env.call("aws_instance.web", ApplyAction::Update),
        env.call("aws_security_group.web", ApplyAction::Delete),
    );
    assert!(create.ended < Some(update.started) && update.ended < Some(delete.started));
    let during = update.state_at_start.as_ref().map(|s| names(&s.deposed, |r| r.id.clone()));
    assert_eq!(during, Some(vec![old_sg.clone()]), "the old group waits, deposed, while the instance moves to the new one");

    let state = env.state();
    let new_sg = record_id(&state, "aws_security_group.web");
    assert_ne!(new_sg, old_sg);
    assert!(state.deposed.is_empty());
    assert_eq!(env.fake.objects("aws_security_group").into_keys().collect::<Vec<_>>(), [new_sg.as_str()]);
    let groups = attr(&state.resource("aws_instance.web").unwrap().values(), "vpc_security_group_ids");
    assert_eq!(groups.as_seq().map(<[Value]>::to_vec), Some(vec![Value::string(&new_sg)]));
}

#[tokio::test]
async fn a_failed_create_before_destroy_keeps_the_old_object() {
    let env = Env::new();
    apply_ok(&env, CBD).await;
    let old_sg = record_id(&env.state(), "aws_security_group.web");
    env.fake.watch_state(env.backend.path());
    env.fake.fail_nth("aws_security_group.web", ApplyAction::Create, 2, "quota exceeded");
    let changed = CBD.replace("name   = \"web\"", "name   = \"web2\"");
    let outcome = run(&env, &changed, ApplyOptions::default(), &Cancel::new(), &NoProgress).await;
    assert_eq!(names(&outcome.failed, |f| f.addr.to_string()), ["aws_security_group.web"]);
    let create = env.call("aws_security_group.web", ApplyAction::Create);
    let at_call = create.state_at_start.unwrap();
    assert_eq!(names(&at_call.deposed, |r| r.id.clone()), [old_sg.as_str()], "the old object is deposed before the create");
    assert!(at_call.resource("aws_security_group.web").is_none());

    let state = env.state();
    assert_eq!(record_id(&state, "aws_security_group.web"), old_sg, "the old object is current again");
    assert!(state.deposed.is_empty() && state.intents.is_empty());
    assert_eq!(env.fake.objects("aws_security_group").len(), 1);
}

#[tokio::test]
async fn deposed_objects_left_by_a_crash_are_deleted_by_the_next_apply() {
    let env = Env::new();
    apply_ok(&env, CBD).await;
    let mut state = env.state();
    let leftover =
        env.fake.insert("aws_security_group", Value::map([("name", Value::string("old"))]), Some("aws_security_group.web"), None);
    let addr: Address = "aws_security_group.web".parse().unwrap();
    state.deposed.push(ResourceState::from_value(
        &addr,
        Layer::Infrastructure,
        leftover.clone(),
        &Value::map([("id", Value::string(&leftover))]),
    ));
    env.backend.persist(&mut state).unwrap();

    let outcome = apply_ok(&env, CBD).await;
    assert_eq!(succeeded(&outcome), ["aws_security_group.web delete_deposed"]);
    assert!(env.fake.object("aws_security_group", &leftover).is_none());
    assert!(env.state().deposed.is_empty());
}

#[tokio::test]
async fn parallelism_bounds_concurrent_calls() {
    let main = r#"
resource "aws_vpc" "v" {
  count      = 8
  cidr_block = "10.${count.index}.0.0/16"
}
"#;
    for (parallelism, max) in [(3, 3), (1, 1), (16, 8)] {
        let env = Env::new();
        env.fake.set_delay(Duration::from_millis(40));
        let outcome = run(&env, main, ApplyOptions { parallelism, ..ApplyOptions::default() }, &Cancel::new(), &NoProgress).await;
        assert!(outcome.is_success());
        assert_eq!(env.fake.max_in_flight(), max, "parallelism {parallelism}");
        assert_eq!(env.state().resources.len(), 8);
    }
}

const TWO_NETS: &str = r#"
resource "aws_vpc" "a" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_vpc" "b" {
  cidr_block = "10.1.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.a.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_subnet" "b" {
  vpc_id     = aws_vpc.b.id
  cidr_block = "10.1.1.0/24"
}
resource "aws_db_subnet_group" "a" {
  name       = "a"
  subnet_ids = [aws_subnet.a.id]
}
"#;

#[tokio::test]
async fn with_the_barrier_a_failure_finishes_its_layer_and_stops_the_next() {
    let env = Env::new();
    env.fake.fail_nth("aws_vpc.b", ApplyAction::Create, 1, "VpcLimitExceeded");
    let outcome = run(&env, TWO_NETS, ApplyOptions::default(), &Cancel::new(), &NoProgress).await;
    assert_eq!(succeeded(&outcome), ["aws_subnet.a create", "aws_vpc.a create"]);
    assert_eq!(
        names(&outcome.failed, |f| format!("{} {} {}", f.addr, f.op.as_str(), f.error.message)),
        ["aws_vpc.b create VpcLimitExceeded"]
    );
    assert_eq!(
        not_run(&outcome),
        [
            "aws_db_subnet_group.a: not started: an operation of an earlier layer failed",
            "aws_subnet.b: depends on `aws_vpc.b` (create), which failed"
        ]
    );
    assert!(!outcome.interrupted && !outcome.is_success());
    let state = env.state();
    assert_eq!(names(&state.resources, |r| r.address.clone()), ["aws_subnet.a", "aws_vpc.a"]);
    assert!(state.intents.is_empty(), "the failed create left nothing behind");
    assert!(state.outputs.is_empty());
}

#[tokio::test]
async fn without_the_barrier_a_failure_skips_only_its_dependents() {
    let env = Env::new();
    env.fake.fail_nth("aws_vpc.b", ApplyAction::Create, 1, "VpcLimitExceeded");
    let options = ApplyOptions { layer_barrier: false, ..ApplyOptions::default() };
    let outcome = run(&env, TWO_NETS, options, &Cancel::new(), &NoProgress).await;
    assert_eq!(succeeded(&outcome), ["aws_db_subnet_group.a create", "aws_subnet.a create", "aws_vpc.a create"]);
    assert_eq!(not_run(&outcome), ["aws_subnet.b: depends on `aws_vpc.b` (create), which failed"]);
    assert_eq!(env.state().resources.len(), 3);
}

#[tokio::test]
async fn fail_fast_stops_scheduling_at_the_first_failure() {
    let main = r#"
resource "aws_vpc" "v" {
  count      = 4
  cidr_block = "10.${count.index}.0.0/16"
}
"#;
    let env = Env::new();
    env.fake.fail_nth("aws_vpc.v[0]", ApplyAction::Create, 1, "boom");
    let options = ApplyOptions { parallelism: 1, fail_fast: true, ..ApplyOptions::default() };
    let outcome = run(&env, main, options, &Cancel::new(), &NoProgress).await;
    assert!(outcome.succeeded.is_empty());
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(outcome.not_run.len(), 3);
    assert!(outcome.not_run.iter().all(|n| n.reason.contains("--fail-fast")), "{:#?}", outcome.not_run);
    assert_eq!(env.fake.apply_calls().len(), 1);

    // Without it, the rest of the layer still runs.
    let env = Env::new();
    env.fake.fail_nth("aws_vpc.v[0]", ApplyAction::Create, 1, "boom");
    let outcome = run(&env, main, ApplyOptions { parallelism: 1, ..ApplyOptions::default() }, &Cancel::new(), &NoProgress).await;
    assert_eq!(outcome.succeeded.len(), 3);
    assert!(outcome.not_run.is_empty());
}

#[tokio::test]
async fn intents_are_persisted_before_each_create_and_results_before_dependents_start() {
    let env = Env::new();
    env.fake.watch_state(env.backend.path());
    apply_ok(&env, NET).await;
    let creates: Vec<Call> = env.fake.apply_calls();
    assert_eq!(creates.len(), 5);
    for c in &creates {
        let addr = c.addr.as_ref().unwrap().to_string();
        let token = c.token.as_deref().expect("creates carry a token");
        let state = c.state_at_start.as_ref().expect("the state file exists before the first create");
        assert!(
            state.intents.iter().any(|i| i.address == addr && i.token == token && i.operation == "create"),
            "no intent for {addr} on disk when the provider was called: {:#?}",
            state.intents
        );
        assert!(state.resource(&addr).is_none());
    }
    let subnet = env.call("aws_subnet.a", ApplyAction::Create).state_at_start.unwrap();
    assert!(subnet.resource("aws_vpc.main").is_some(), "the vpc was recorded before its dependent started");
    let web = env.call("aws_instance.web", ApplyAction::Create).state_at_start.unwrap();
    assert_eq!(web.resources.len(), 4, "everything below layer 3 was recorded");
    assert!(env.state().intents.is_empty());
}

#[tokio::test]
async fn a_failed_create_whose_object_exists_is_adopted() {
    let env = Env::new();
    let addr: Address = "aws_vpc.main".parse().unwrap();
    let error = ProviderError { code: Some("RequestTimeout".into()), message: "timed out waiting for the vpc".into(), retryable: false };
    env.fake.fail(Failure { addr, action: ApplyAction::Create, nth: 1, error, after_effect: true });
    let main = "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n";
    let outcome = run(&env, main, ApplyOptions::default(), &Cancel::new(), &NoProgress).await;
    assert_eq!(outcome.failed.len(), 1);
    assert!(outcome.failed[0].recorded);
    assert_eq!(outcome.failed[0].error.to_string(), "RequestTimeout: timed out waiting for the vpc");
    let ids: Vec<String> = env.fake.objects("aws_vpc").into_keys().collect();
    assert_eq!(ids.len(), 1);
    let state = env.state();
    assert_eq!(record_id(&state, "aws_vpc.main"), ids[0]);
    assert!(state.intents.is_empty());
    assert!(!plan_for(&env, main).has_changes(), "the adopted object is not created again");
}

#[tokio::test]
async fn recovery_adopts_what_a_crashed_run_created_and_drops_the_rest() {
    let env = Env::new();
    let main = r#"
resource "aws_vpc" "a" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_vpc" "b" {
  cidr_block = "10.1.0.0/16"
}
resource "aws_security_group" "web" {
  name = "web"
}
"#;
    // A crashed run: intents for three creates; only a's object was made;
    // web was being replaced under create_before_destroy.
    let planned = make_plan(&load(main).0, &load(main).1, None);
    let value = |addr: &str| planned.changes.iter().find(|c| c.addr.to_string() == addr).unwrap().after.clone().unwrap();
    let made = env.fake.insert("aws_vpc", Value::map([("cidr_block", Value::string("10.0.0.0/16"))]), Some("aws_vpc.a"), Some("token-a"));
    let old_sg = env.fake.insert("aws_security_group", Value::map([("name", Value::string("web"))]), None, None);
    let mut state = State::new();
    let intent = |address: &str, token: &str| Intent {
        address: address.into(),
        token: token.into(),
        operation: "create".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        ..Default::default()
    };
    state.intents = vec![intent("aws_vpc.a", "token-a"), intent("aws_vpc.b", "token-b"), intent("aws_security_group.web", "token-sg")];
    let sg_addr: Address = "aws_security_group.web".parse().unwrap();
    state.deposed.push(ResourceState::from_value(
        &sg_addr,
        Layer::Infrastructure,
        old_sg.clone(),
        &Value::map([("id", Value::string(&old_sg))]),
    ));
    env.backend.persist(&mut state).unwrap();

    let planned_values: HashMap<Address, Value> = ["aws_vpc.a", "aws_vpc.b"].iter().map(|a| (a.parse().unwrap(), value(a))).collect();
    let report = recover_intents(&env.providers(), &env.backend, &mut state, &planned_values, &Default::default()).await;
    assert_eq!(report.adopted, [("aws_vpc.a".parse().unwrap(), made.clone())]);
    assert_eq!(names(&report.dropped, ToString::to_string), ["aws_security_group.web", "aws_vpc.b"]);
    assert!(report.errors.is_empty() && report.diagnostics.is_empty());
    let lookups: Vec<Call> = env.fake.calls().into_iter().filter(|c| c.kind == CallKind::FindByIntent).collect();
    assert_eq!(lookups.len(), 3);

    let on_disk = env.state();
    assert_eq!(on_disk, state);
    assert!(on_disk.intents.is_empty());
    assert_eq!(record_id(&on_disk, "aws_vpc.a"), made);
    assert_eq!(record_id(&on_disk, "aws_security_group.web"), old_sg, "the deposed object is current again");
    assert!(on_disk.deposed.is_empty());

    // The next apply creates only what is missing: nothing twice.
    let outcome = apply_ok(&env, main).await;
    let created = names(&outcome.succeeded, |s| format!("{} {}", s.addr, s.op.as_str()));
    assert!(created.contains(&"aws_vpc.b create".to_string()) && !created.contains(&"aws_vpc.a create".to_string()), "{created:?}");
    assert_eq!(env.fake.objects("aws_vpc").len(), 2);
}

#[tokio::test]
async fn unknowns_are_resolved_once_per_stage() {
    let main = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_instance" "web" {
  count         = 6
  ami           = "ami-1"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.a.id
}
"#;
    let env = Env::new();
    env.fake.set_delay(Duration::from_millis(10));
    let (config, inputs) = load(main);
    let plan = make_plan(&config, &inputs, None);
    let counting = Counting {
        inner: ConfigReplanner { config: &config, inputs: &inputs, schema: strata_provider::aws::schema(), data: None },
        planned: AtomicUsize::new(0),
    };
    let ctx = ApplyContext {
        providers: env.providers(),
        plan: &plan,
        replanner: &counting,
        backend: &env.backend,
        state: State::new(),
        options: ApplyOptions { parallelism: 2, ..ApplyOptions::default() },
        progress: &NoProgress,
        cancel: Cancel::new(),
    };
    let outcome = apply(ctx).await;
    assert!(outcome.is_success(), "{:#?}", outcome.failed);
    // The subnet once, the six instances (started two at a time) once.
    assert_eq!(counting.planned.load(Ordering::SeqCst), 2);
    let subnet = record_id(&env.state(), "aws_subnet.a");
    for c in env.fake.apply_calls().iter().filter(|c| c.ty == "aws_instance") {
        assert_eq!(attr(c.planned.as_ref().unwrap(), "subnet_id"), Value::string(&subnet));
    }
    assert_eq!(env.state().lineage, plan.lineage, "a first apply keeps the plan's lineage");
}

#[tokio::test]
async fn moved_objects_are_renamed_without_provider_calls() {
    let env = Env::new();
    apply_ok(&env, "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n").await;
    let id = record_id(&env.state(), "aws_vpc.a");
    let calls = env.fake.apply_calls().len();
    let moved = "resource \"aws_vpc\" \"b\" {\n  cidr_block = \"10.0.0.0/16\"\n}\nmoved {\n  from = aws_vpc.a\n  to   = aws_vpc.b\n}\n";
    let outcome = apply_ok(&env, moved).await;
    assert!(outcome.succeeded.is_empty());
    assert_eq!(env.fake.apply_calls().len(), calls);
    let state = env.state();
    assert_eq!(record_id(&state, "aws_vpc.b"), id);
    assert!(state.resource("aws_vpc.a").is_none());
}

#[tokio::test]
async fn a_first_signal_lets_running_calls_finish() {
    let env = Env::new();
    env.fake.delay("aws_vpc.main", Duration::from_millis(300));
    let main = "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n}\nresource \"aws_subnet\" \"a\" {\n  vpc_id     = aws_vpc.main.id\n  cidr_block = \"10.0.1.0/24\"\n}\n";
    let cancel = Cancel::new();
    let (outcome, ()) = tokio::join!(run(&env, main, ApplyOptions::default(), &cancel, &NoProgress), async {
        env.until_called("aws_vpc.main").await;
        assert_eq!(cancel.escalate(), 1);
    });
    assert!(outcome.interrupted);
    assert_eq!(succeeded(&outcome), ["aws_vpc.main create"]);
    assert_eq!(not_run(&outcome), ["aws_subnet.a: not started: the run was interrupted"]);
    let state = env.state();
    assert!(state.resource("aws_vpc.main").is_some() && state.intents.is_empty());
    assert_eq!(env.fake.count(), 1);
}

#[tokio::test]
async fn a_second_signal_returns_at_once_and_leaves_the_intent() {
    let env = Env::new();
    env.fake.delay("aws_vpc.main", Duration::from_secs(20));
    let main = "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n";
    let cancel = Cancel::new();
    let started = Instant::now();
    let (outcome, ()) = tokio::join!(run(&env, main, ApplyOptions::default(), &cancel, &NoProgress), async {
        env.until_called("aws_vpc.main").await;
        cancel.escalate();
        assert_eq!(cancel.escalate(), 2);
        assert_eq!(cancel.escalate(), 2, "the level stops at 2");
    });
    assert!(started.elapsed() < Duration::from_secs(10), "returned without waiting for the call");
    assert!(outcome.interrupted);
    assert_eq!(not_run(&outcome), ["aws_vpc.main: interrupted while running; its intent stays in the state for the next run to recover"]);
    let mut state = env.state();
    assert_eq!(names(&state.intents, |i| i.address.clone()), ["aws_vpc.main"]);

    let report = recover_intents(&env.providers(), &env.backend, &mut state, &HashMap::new(), &Default::default()).await;
    assert_eq!(names(&report.dropped, ToString::to_string), ["aws_vpc.main"]);
    assert!(env.state().intents.is_empty());
}

#[tokio::test]
async fn refresh_reads_each_type_once_and_finds_changes_and_deletions() {
    let main = r#"
resource "aws_vpc" "v" {
  count      = 3
  cidr_block = "10.${count.index}.0.0/16"
  tags       = { Name = "v${count.index}" }
}
resource "aws_subnet" "s" {
  count      = 2
  vpc_id     = aws_vpc.v[0].id
  cidr_block = "10.0.${count.index}.0/24"
}
"#;
    let env = Env::new();
    apply_ok(&env, main).await;
    let state = env.state();
    let gone_subnet = record_id(&state, "aws_subnet.s[1]");
    let drifted = record_id(&state, "aws_vpc.v[2]");
    env.fake.remove("aws_subnet", &gone_subnet);
    env.fake.set_attribute("aws_vpc", &drifted, "tags", Value::map([("Name", Value::string("renamed"))]));
    let before = env.fake.calls().len();

    let outcome = refresh(&env.providers(), &state).await;
    let reads: Vec<Call> = env.fake.calls().into_iter().skip(before).collect();
    assert!(reads.iter().all(|c| c.kind == CallKind::Read));
    assert_eq!(names(&reads, |c| format!("{} {}", c.ty, c.objects)), ["aws_subnet 2", "aws_vpc 3"]);
    assert_eq!(outcome.calls, 2);
    assert!(outcome.errors.is_empty());
    assert_eq!(names(&outcome.gone, ToString::to_string), ["aws_subnet.s[1]"]);
    assert_eq!(outcome.changed.len(), 1);
    assert_eq!(outcome.changed[0].addr.to_string(), "aws_vpc.v[2]");
    assert_eq!(outcome.changed[0].paths, ["tags.Name"]);
    assert_eq!(attr(&attr(&outcome.changed[0].before, "tags"), "Name"), Value::string("v2"));
    assert!(outcome.state.resource("aws_subnet.s[1]").is_none());
    assert_eq!(attr(&outcome.state.resource("aws_vpc.v[2]").unwrap().values(), "tags"), Value::map([("Name", Value::string("renamed"))]));
    assert_eq!(env.state(), state, "refresh itself writes nothing");
}

#[tokio::test]
async fn refresh_keeps_sensitive_marks_and_survives_a_failed_type() {
    let env = Env::new();
    let db = env.fake.insert(
        "aws_db_instance",
        Value::map([
            ("instance_class", Value::string("db.t3.micro")),
            ("password", Value::string("hunter2")),
            ("username", Value::string("admin")),
        ]),
        None,
        None,
    );
    let vpc = env.fake.insert("aws_vpc", Value::map([("cidr_block", Value::string("10.0.0.0/16"))]), None, None);
    let mut state = State::new();
    let db_addr: Address = "aws_db_instance.main".parse().unwrap();
    let marked = Value::map([
        ("id", Value::string(&db)),
        ("instance_class", Value::string("db.t3.micro")),
        ("password", Value::string("hunter2").mark_if(true)),
        ("username", Value::string("admin").mark_if(true)),
    ]);
    state.upsert_resource(ResourceState::from_value(&db_addr, Layer::Data, db.clone(), &marked));
    let vpc_addr: Address = "aws_vpc.main".parse().unwrap();
    state.upsert_resource(ResourceState::from_value(
        &vpc_addr,
        Layer::Infrastructure,
        vpc,
        &Value::map([("cidr_block", Value::string("10.0.0.0/16"))]),
    ));
    env.fake.fail_reads("aws_vpc", "throttled");

    let outcome = refresh(&env.providers(), &state).await;
    let r = outcome.state.resource("aws_db_instance.main").unwrap();
    assert_eq!(r.sensitive_paths, [vec!["password".to_string()], vec!["username".to_string()]], "schema and recorded marks both kept");
    assert!(outcome.changed.is_empty(), "{:#?}", outcome.changed);
    assert_eq!(names(&outcome.errors, |(t, e)| format!("{t} {}", e.message)), ["aws_vpc throttled"]);
    assert_eq!(outcome.state.resource("aws_vpc.main"), state.resource("aws_vpc.main"), "kept as recorded");
    assert!(outcome.gone.is_empty());
}

#[tokio::test]
async fn import_records_an_existing_object() {
    let env = Env::new();
    let id = env.fake.insert("aws_db_instance", Value::map([("password", Value::string("pw"))]), None, None);
    let addr: Address = "aws_db_instance.main".parse().unwrap();
    let r = import(&env.providers(), r#"provider["aws"]"#, &addr, &id, Layer::Data).await.unwrap();
    assert_eq!((r.address.as_str(), r.id.as_str(), r.layer), ("aws_db_instance.main", id.as_str(), 2));
    assert_eq!(r.sensitive_paths, [vec!["password".to_string()]]);
    let missing = import(&env.providers(), r#"provider["aws"]"#, &addr, "fake-db-instance-99", Layer::Data).await.unwrap_err();
    assert_eq!(missing.code.as_deref(), Some("NotFound"));
}

#[test]
fn durations_parse_as_terraform_writes_them() {
    assert_eq!(parse_duration("40m"), Some(Duration::from_secs(2400)));
    assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
    assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
    assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
    assert_eq!(parse_duration("10"), None);
    assert_eq!(parse_duration("5 minutes"), None);
    assert_eq!(parse_duration(""), None);
}

#[test]
fn the_apply_future_can_be_spawned() {
    fn send<T: Send>(_: &T) {}
    let env = Env::new();
    let (config, inputs) = load("");
    let plan = make_plan(&config, &inputs, None);
    let replanner = ConfigReplanner { config: &config, inputs: &inputs, schema: strata_provider::aws::schema(), data: None };
    let ctx = ApplyContext {
        providers: env.providers(),
        plan: &plan,
        replanner: &replanner,
        backend: &env.backend,
        state: State::new(),
        options: ApplyOptions::default(),
        progress: &NoProgress,
        cancel: Cancel::new(),
    };
    let future = apply(ctx);
    send(&future);
    let outcome = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future);
    assert!(outcome.is_success() && outcome.succeeded.is_empty());
}

#[test]
fn merging_takes_what_re_evaluation_learned_and_refuses_what_changed() {
    let key = strata_state::StateKey::from_bytes([3; 32]);
    let obj = |a: Value, b: Value| Value::map([("a", a), ("b", b)]);
    let planned = obj(Value::string("x"), Value::unknown());
    let fresh = obj(Value::string("x"), Value::string("fake-vpc-1"));
    assert_eq!(merge(&planned, &fresh, &mut String::new(), Some(&key)), Ok(fresh.clone()));
    let stale = obj(Value::string("y"), Value::string("fake-vpc-1"));
    assert_eq!(merge(&planned, &stale, &mut String::new(), Some(&key)), Err("`a` was planned as \"x\" but is now \"y\"".to_string()));
    // Unknown again (a data source not read at apply time): the plan's value stands.
    let unknown = obj(Value::unknown(), Value::string("fake-vpc-1"));
    assert_eq!(merge(&planned, &unknown, &mut String::new(), Some(&key)), Ok(fresh));
    // A saved plan holds hashes of sensitive values; the re-evaluated secret must match.
    let secret = Value::string("hunter2").mark_if(true);
    let redacted = Value::Sensitive(Box::new(Value::map([("__sensitive__", Value::string(strata_plan::sensitive_hash(&key, &secret)))])));
    assert_eq!(merge(&redacted, &secret, &mut String::new(), Some(&key)), Ok(secret.clone()));
    let other = Value::string("changed").mark_if(true);
    assert!(merge(&redacted, &other, &mut String::new(), Some(&key)).unwrap_err().contains("sensitive value"));
    // Another state's key (or none) never matches: the hash is keyed.
    let stranger = strata_state::StateKey::from_bytes([4; 32]);
    assert!(merge(&redacted, &secret, &mut String::new(), Some(&stranger)).is_err());
    assert!(merge(&redacted, &secret, &mut String::new(), None).is_err());
}

#[tokio::test]
async fn destroy_deletes_everything_and_every_output() {
    let env = Env::new();
    apply_ok(&env, NET).await;
    assert_eq!(env.state().outputs.len(), 1);
    // A destroy plan: the configuration with nothing in it, against the state.
    let plan = plan_for(&env, "");
    let ctx = ApplyContext {
        providers: env.providers(),
        plan: &plan,
        replanner: &DestroyReplanner,
        backend: &env.backend,
        state: env.state(),
        options: ApplyOptions::default(),
        progress: &NoProgress,
        cancel: Cancel::new(),
    };
    let outcome = apply(ctx).await;
    assert!(outcome.is_success(), "{:#?}", outcome.failed);
    let state = env.state();
    assert!(state.resources.is_empty() && state.outputs.is_empty());
    assert_eq!(env.fake.count(), 0);
}

/// `timeouts { ... }` blocks reach the provider with each operation.
#[tokio::test]
async fn timeouts_blocks_reach_the_provider() {
    let env = Env::new();
    let main = r#"
resource "aws_vpc" "v" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.0.1.0/24"
  timeouts {
    create = "90m"
    delete = "1h30m"
  }
}
resource "aws_subnet" "b" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.0.2.0/24"
}
"#;
    apply_ok(&env, main).await;
    let budgets = |addr: &str| {
        env.fake.apply_calls().into_iter().rev().find(|c| c.addr.as_ref().is_some_and(|a| a.to_string() == addr)).unwrap().timeouts
    };
    assert_eq!(budgets("aws_subnet.a").create, Some(Duration::from_secs(90 * 60)));
    assert_eq!(budgets("aws_subnet.a").update, None);
    assert_eq!(budgets("aws_subnet.b").create, None, "no block: the provider's defaults");
    // A delete takes its budget from the recorded object.
    apply_ok(&env, "").await;
    assert_eq!(budgets("aws_subnet.a").delete, Some(Duration::from_secs(90 * 60)));
}

#[cfg(unix)]
#[tokio::test]
async fn signals_escalate_the_cancellation_level() {
    let cancel = Cancel::new();
    let listener = cancel.listen_for_signals().unwrap();
    let pid = std::process::id().to_string();
    for (signal, level) in [("-TERM", 1), ("-INT", 2)] {
        let status = std::process::Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(status.success());
        let waited = Instant::now();
        while cancel.level() < level {
            assert!(waited.elapsed() < Duration::from_secs(10), "signal {signal} not seen");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    listener.abort();
}

#[tokio::test]
async fn intents_recovery_left_are_looked_up_again_before_their_creates() {
    // A crashed run made a's object but was killed before it set a's DNS
    // attribute; recovery could not resolve the intents of a and b (their
    // lookups need planned values), so they stayed.
    let env = Env::new();
    let main = "resource \"aws_vpc\" \"a\" {\n  cidr_block           = \"10.0.0.0/16\"\n  enable_dns_hostnames = true\n}\nresource \"aws_vpc\" \"b\" {\n  cidr_block = \"10.1.0.0/16\"\n}\n";
    let half_made = Value::map([("cidr_block", Value::string("10.0.0.0/16")), ("enable_dns_hostnames", Value::Bool(false))]);
    let made = env.fake.insert("aws_vpc", half_made, Some("aws_vpc.a"), Some("token-a"));
    let mut state = State::new();
    let intent = |address: &str, token: &str| Intent {
        address: address.into(),
        token: token.into(),
        operation: "create".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        ..Default::default()
    };
    state.intents = vec![intent("aws_vpc.a", "token-a"), intent("aws_vpc.b", "token-b")];
    env.backend.persist(&mut state).unwrap();

    let outcome = apply_ok(&env, main).await;
    assert_eq!(succeeded(&outcome), ["aws_vpc.a create", "aws_vpc.b create"]);
    assert_eq!(env.fake.objects("aws_vpc").len(), 2, "a's object is adopted, not made twice");
    let calls: Vec<String> = env.fake.apply_calls().iter().map(|c| format!("{:?} {}", c.kind, c.addr.as_ref().unwrap())).collect();
    assert_eq!(names(&calls, Clone::clone), ["Apply(Create) aws_vpc.b", "Apply(Update) aws_vpc.a"], "a is adopted and finished");
    let lookups: Vec<Option<String>> = env.fake.calls().into_iter().filter(|c| c.kind == CallKind::FindByIntent).map(|c| c.token).collect();
    assert_eq!(names(&lookups, |t| t.clone().unwrap_or_default()), ["token-a", "token-b"]);
    assert_eq!(env.call("aws_vpc.b", ApplyAction::Create).token.as_deref(), Some("token-b"), "b's create reuses its intent");
    let state = env.state();
    assert_eq!(record_id(&state, "aws_vpc.a"), made);
    assert_eq!(attr(&state.resource("aws_vpc.a").unwrap().values(), "enable_dns_hostnames"), Value::Bool(true));
    assert_eq!(attr(&env.fake.object("aws_vpc", &made).unwrap(), "enable_dns_hostnames"), Value::Bool(true));
    assert!(state.intents.is_empty(), "{:?}", state.intents);
}

/// Recovery before planning gets the planned objects, so that `destroy`
/// right after a killed apply finds (and deletes) what the provider names
/// deterministically instead of leaving it behind.
#[test]
fn destroy_after_a_crash_recovers_objects_found_by_their_planned_values() {
    let env = Env::new();
    let main = r#"
resource "aws_db_instance" "db" {
  identifier        = "db"
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  username          = "app"
  password          = "not-a-secret-42"
}
"#;
    std::fs::write(env._dir.path().join("main.tf"), main).unwrap();
    env.fake.need_planned("aws_db_instance");
    let made =
        env.fake.insert("aws_db_instance", Value::map([("identifier", Value::string("db"))]), Some("aws_db_instance.db"), Some("token-db"));
    let mut state = State::new();
    state.intents.push(Intent {
        address: "aws_db_instance.db".into(),
        token: "token-db".into(),
        operation: "create".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        ..Default::default()
    });
    env.backend.persist(&mut state).unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let live = crate::plan::Live { providers: env.providers(), runtime: &rt, refresh: true, optional: false };
    let mode = crate::plan::RunMode { live: Some(&live), recover: Some(&env.backend), destroy: true, ..Default::default() };
    let run = crate::plan::plan(env._dir.path(), &Default::default(), strata_provider::aws::schema(), mode);
    assert!(!run.diagnostics.has_errors(), "{:#?}", run.diagnostics);
    assert_eq!(actions(run.plan.as_ref().unwrap()), [("aws_db_instance.db".to_string(), Action::Delete)]);
    let on_disk = env.state();
    assert!(on_disk.intents.is_empty());
    assert_eq!(record_id(&on_disk, "aws_db_instance.db"), made);
}

/// A plan run over `env`'s directory (written with `main`) through the fake.
fn plan_run(env: &Env, rt: &tokio::runtime::Runtime, main: &str, recover: bool, destroy: bool) -> crate::plan::PlanRun {
    std::fs::write(env._dir.path().join("main.tf"), main).unwrap();
    let live = crate::plan::Live { providers: env.providers(), runtime: rt, refresh: true, optional: false };
    let mode = crate::plan::RunMode { live: Some(&live), recover: recover.then_some(&env.backend), destroy, ..Default::default() };
    crate::plan::plan(env._dir.path(), &Default::default(), strata_provider::aws::schema(), mode)
}

/// Apply a plan run's plan through the fake (the state the run recovered).
fn apply_run(env: &Env, rt: &tokio::runtime::Runtime, run: &crate::plan::PlanRun, destroy: bool) -> ApplyOutcome {
    let replanner = ConfigReplanner { config: &run.config, inputs: &run.inputs, schema: strata_provider::aws::schema(), data: None };
    let ctx = ApplyContext {
        providers: env.providers(),
        plan: run.plan.as_ref().expect("a plan"),
        replanner: if destroy { &DestroyReplanner } else { &replanner },
        backend: &env.backend,
        state: run.state.clone().unwrap_or_default(),
        options: ApplyOptions::default(),
        progress: &NoProgress,
        cancel: Cancel::new(),
    };
    rt.block_on(apply(ctx))
}

/// A killed apply of `count = 2` made `aws_vpc.v[1]` and a subnet in it
/// (neither recorded, their intents left with identity and dependencies);
/// then `count` was lowered to 0.
fn orphans_after_a_crash(env: &Env) -> (String, String) {
    let vpc =
        env.fake.insert("aws_vpc", Value::map([("cidr_block", Value::string("10.1.0.0/16"))]), Some("aws_vpc.v[1]"), Some("token-vpc"));
    let subnet = env.fake.insert(
        "aws_subnet",
        Value::map([("vpc_id", Value::string(vpc.clone())), ("cidr_block", Value::string("10.1.1.0/24"))]),
        Some("aws_subnet.s[1]"),
        Some("token-subnet"),
    );
    let mut state = State::new();
    let intent = |address: &str, token: &str, deps: &[&str]| Intent {
        address: address.into(),
        token: token.into(),
        operation: "create".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        identity: Some(serde_json::json!({})),
        dependencies: deps.iter().map(ToString::to_string).collect(),
        provider: None,
    };
    state.intents = vec![intent("aws_vpc.v[1]", "token-vpc", &[]), intent("aws_subnet.s[1]", "token-subnet", &["aws_vpc.v[1]"])];
    env.backend.persist(&mut state).unwrap();
    (vpc, subnet)
}

const COUNTED: &str = r#"
variable "n" {
  default = 0
}
resource "aws_vpc" "v" {
  count      = var.n
  cidr_block = "10.${count.index}.0.0/16"
}
resource "aws_subnet" "s" {
  count      = var.n
  vpc_id     = aws_vpc.v[count.index].id
  cidr_block = "10.${count.index}.1.0/24"
}
"#;

/// Regression: an intent whose address left the configuration stayed in
/// the state for ever, and its object ran on untracked ("No changes").
#[test]
fn objects_of_interrupted_creates_no_longer_configured_are_listed_and_deleted_in_teardown_order() {
    let env = Env::new();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (vpc, subnet) = orphans_after_a_crash(&env);

    // `plan` writes nothing, looks the objects up and lists them.
    let run = plan_run(&env, &rt, COUNTED, false, false);
    assert!(!run.diagnostics.has_errors(), "{:#?}", run.diagnostics);
    let plan = run.plan.as_ref().unwrap();
    assert!(plan.has_changes(), "an orphaned object is a change, not \"No changes\"");
    let listed: Vec<(String, Option<String>)> = plan.leftovers.iter().map(|l| (l.address.clone(), l.id.clone())).collect();
    assert_eq!(listed, [("aws_vpc.v[1]".to_string(), Some(vpc.clone())), ("aws_subnet.s[1]".to_string(), Some(subnet.clone()))]);
    assert!(plan.leftovers.iter().all(|l| l.cause == strata_plan::LeftoverCause::InterruptedCreate));
    assert!(plan.interrupted_creates.is_empty());
    assert_eq!(plan.summary().destroy, 2);
    assert_eq!(env.state().intents.len(), 2, "a plan writes nothing");

    // The apply's recovery records them as deposed, and the apply deletes
    // them, the subnet before its VPC (the fake refuses the other order).
    let run = plan_run(&env, &rt, COUNTED, true, false);
    assert!(!run.diagnostics.has_errors(), "{:#?}", run.diagnostics);
    let on_disk = env.state();
    assert!(on_disk.intents.is_empty(), "{:?}", on_disk.intents);
    assert_eq!(on_disk.deposed.len(), 2);
    assert_eq!(run.plan.as_ref().unwrap().leftovers.len(), 2);
    let outcome = apply_run(&env, &rt, &run, false);
    assert!(outcome.is_success(), "{:#?}", (&outcome.failed, &outcome.not_run));
    let deletes: Vec<String> = env.fake.apply_calls().iter().map(|c| format!("{:?} {}", c.kind, c.addr.as_ref().unwrap())).collect();
    assert_eq!(deletes, ["Apply(Delete) aws_subnet.s[1]", "Apply(Delete) aws_vpc.v[1]"]);
    assert_eq!(env.fake.count(), 0, "nothing runs on untracked");
    let state = env.state();
    assert!(state.intents.is_empty() && state.deposed.is_empty() && state.resources.is_empty());

    // And the next plan is clean.
    let run = plan_run(&env, &rt, COUNTED, true, false);
    assert!(!run.plan.unwrap().has_changes());
}

#[test]
fn destroy_deletes_the_objects_of_orphaned_intents() {
    let env = Env::new();
    let rt = tokio::runtime::Runtime::new().unwrap();
    orphans_after_a_crash(&env);
    let run = plan_run(&env, &rt, COUNTED, true, true);
    assert!(!run.diagnostics.has_errors(), "{:#?}", run.diagnostics);
    assert!(run.plan.as_ref().unwrap().has_changes());
    let outcome = apply_run(&env, &rt, &run, true);
    assert!(outcome.is_success(), "{:#?}", (&outcome.failed, &outcome.not_run));
    assert_eq!(env.fake.count(), 0);
    assert!(env.state().intents.is_empty());
}

#[test]
fn an_orphaned_intent_whose_create_made_nothing_is_dropped() {
    let env = Env::new();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut state = State::new();
    state.intents.push(Intent {
        address: "aws_vpc.v[3]".into(),
        token: "token-nothing".into(),
        operation: "create".into(),
        identity: Some(serde_json::json!({})),
        ..Default::default()
    });
    env.backend.persist(&mut state).unwrap();
    let run = plan_run(&env, &rt, COUNTED, false, false);
    assert!(!run.plan.as_ref().unwrap().has_changes(), "nothing to delete");
    let run = plan_run(&env, &rt, COUNTED, true, false);
    assert!(!run.plan.as_ref().unwrap().has_changes());
    assert!(env.state().intents.is_empty(), "the intent does not outlive the run");
}

const NAMED: &str = r#"
resource "aws_db_parameter_group" "pg" {
  name   = "shared"
  family = "postgres16"
}
"#;

/// Regression: an object found by name was read back as ours whatever
/// lineage it carried, so `plan` said "No changes" and `destroy` deleted
/// another deployment's object.
#[test]
fn an_object_another_state_holds_is_never_planned_changed_or_deleted() {
    let env = Env::new();
    let rt = tokio::runtime::Runtime::new().unwrap();
    env.fake.read_by_name("aws_db_parameter_group");
    let run = plan_run(&env, &rt, NAMED, true, false);
    assert!(apply_run(&env, &rt, &run, false).is_success());
    let id = record_id(&env.state(), "aws_db_parameter_group.pg");
    // B's object vanished and A made one with the same name.
    assert!(env.fake.set_lineage("aws_db_parameter_group", &id, Some("lineage-of-a")));

    for destroy in [false, true] {
        let run = plan_run(&env, &rt, NAMED, true, destroy);
        assert!(run.plan.is_none(), "no plan against another state's object (destroy: {destroy})");
        let d = run.diagnostics.iter().find(|d| d.code == "strata::refresh::foreign_object").expect("the foreign object error");
        assert!(d.message.contains("lineage-of-a") && d.message.contains("aws_db_parameter_group.pg"), "{}", d.message);
        assert!(d.help.as_deref().is_some_and(|h| h.contains("strata refresh")), "{:?}", d.help);
    }
    assert!(env.fake.object("aws_db_parameter_group", &id).is_some(), "A's object is left in place");
    assert!(env.fake.apply_calls().iter().all(|c| c.kind == CallKind::Apply(ApplyAction::Create)));

    // Drift reports it.
    let report = rt.block_on(crate::drift::drift(&env.providers(), Some(&env.state()), &Default::default()));
    assert_eq!(report.report.taken.len(), 1);
    assert_eq!(report.report.taken[0].lineage.as_deref(), Some("lineage-of-a"));
    assert!(report.report.has_drift());
}

#[test]
fn a_name_taken_by_an_untagged_object_is_not_ours_unless_imported() {
    let env = Env::new();
    env.fake.read_by_name("aws_db_parameter_group");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let run = plan_run(&env, &rt, NAMED, true, false);
    assert!(apply_run(&env, &rt, &run, false).is_success());
    let id = record_id(&env.state(), "aws_db_parameter_group.pg");
    env.fake.set_lineage("aws_db_parameter_group", &id, None);
    let run = plan_run(&env, &rt, NAMED, true, false);
    assert!(run.diagnostics.iter().any(|d| d.code == "strata::refresh::name_taken"), "{:#?}", run.diagnostics);

    // An imported object carries no strata tags and stays ours.
    let addr: Address = "aws_db_parameter_group.pg".parse().unwrap();
    let mut state = env.state();
    let record = rt.block_on(import(&env.providers(), r#"provider["aws"]"#, &addr, &id, Layer::Data)).unwrap();
    state.upsert_resource(record);
    env.backend.persist(&mut state).unwrap();
    let run = plan_run(&env, &rt, NAMED, true, false);
    assert!(!run.diagnostics.has_errors(), "{:#?}", run.diagnostics);
}

/// Regression: `provider = aws.west` was ignored and every call went to the
/// default configuration. Each operation goes to its configuration's
/// instance, the state records the choice, and once the resource leaves the
/// configuration its delete still goes to the recorded one; a refresh reads
/// each object through its own.
#[tokio::test]
async fn operations_go_to_the_selected_provider_configuration() {
    let env = Env::new();
    let west = Arc::new(FakeProvider::new());
    let west_addr = r#"provider["aws"].west"#;
    let providers = crate::providers::Providers::with_instances(vec![
        (r#"provider["aws"]"#.to_string(), env.provider()),
        (west_addr.to_string(), west.clone() as Arc<dyn Provider>),
    ]);
    let main = r#"
provider "aws" {
  region = "us-east-1"
}
provider "aws" {
  alias  = "west"
  region = "eu-west-1"
}
resource "aws_vpc" "east" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_vpc" "west" {
  provider   = aws.west
  cidr_block = "10.1.0.0/16"
}
"#;
    let apply_with = |main: &'static str| {
        let providers = providers.clone();
        let env = &env;
        async move {
            let (config, inputs) = load(main);
            let state = env.backend.read().unwrap();
            let plan = make_plan(&config, &inputs, state.as_ref());
            let replanner = ConfigReplanner { config: &config, inputs: &inputs, schema: strata_provider::aws::schema(), data: None };
            let ctx = ApplyContext {
                providers,
                plan: &plan,
                replanner: &replanner,
                backend: &env.backend,
                state: state.unwrap_or_default(),
                options: ApplyOptions::default(),
                progress: &NoProgress,
                cancel: Cancel::new(),
            };
            let outcome = apply(ctx).await;
            assert!(outcome.is_success(), "{outcome:#?}");
        }
    };
    apply_with(main).await;
    assert_eq!(env.fake.objects("aws_vpc").len(), 1, "one VPC through the default configuration");
    assert_eq!(west.objects("aws_vpc").len(), 1, "one VPC through the alias");
    let state = env.backend.read().unwrap().unwrap();
    assert_eq!(state.resource("aws_vpc.east").unwrap().provider, None, "the default is not written");
    assert_eq!(state.resource("aws_vpc.west").unwrap().provider.as_deref(), Some(west_addr));
    let west_id = state.resource("aws_vpc.west").unwrap().id.clone();
    assert!(west.object("aws_vpc", &west_id).is_some());

    // Refresh reads each object through its own configuration: nothing is gone.
    let outcome = refresh(&providers, &state).await;
    assert!(outcome.gone.is_empty() && outcome.errors.is_empty(), "{:?} {:?}", outcome.gone, outcome.errors);

    // Unchanged configuration: nothing to do.
    let (config, inputs) = load(main);
    assert!(actions(&make_plan(&config, &inputs, Some(&state))).is_empty());

    // Moving the resource to the default configuration replaces it: deleted
    // where it is, created through the new one.
    let moved = r#"
provider "aws" {
  alias  = "west"
  region = "eu-west-1"
}
resource "aws_vpc" "east" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_vpc" "west" {
  cidr_block = "10.1.0.0/16"
}
"#;
    let (config, inputs) = load(moved);
    let plan = make_plan(&config, &inputs, Some(&state));
    let c = plan.changes.iter().find(|c| c.addr.to_string() == "aws_vpc.west").unwrap();
    assert!(c.action.is_replace(), "{:?}", c.action);
    assert_eq!(c.requires_replace, ["provider"]);

    // Out of the configuration: deleted through the recorded configuration.
    apply_with(
        r#"
provider "aws" {
  alias  = "west"
  region = "eu-west-1"
}
resource "aws_vpc" "east" {
  cidr_block = "10.0.0.0/16"
}
"#,
    )
    .await;
    assert!(west.objects("aws_vpc").is_empty(), "deleted in the alias's cloud");
    assert_eq!(env.fake.objects("aws_vpc").len(), 1, "the default's VPC stays");
    assert!(env.fake.apply_calls().iter().all(|c| c.kind != CallKind::Apply(ApplyAction::Delete)), "no delete went to the default");
}

/// Guards against a refresh bumping the serial (and staling every saved
/// plan) when only a volatile attribute moved: an RDS instance's
/// latest_restorable_time changes every few minutes.
#[tokio::test]
async fn a_refresh_that_finds_only_volatile_changes_keeps_the_record() {
    let env = Env::new();
    let id = env.fake.insert(
        "aws_db_instance",
        Value::map([("identifier", Value::string("db")), ("latest_restorable_time", Value::string("2026-12-03T10:00:00Z"))]),
        Some("aws_db_instance.db"),
        None,
    );
    let mut state = State::new();
    let value = env.fake.object("aws_db_instance", &id).unwrap();
    state.upsert_resource(strata_state::ResourceState::from_value(&"aws_db_instance.db".parse().unwrap(), Layer::Data, &id, &value));
    env.fake.set_attribute("aws_db_instance", &id, "latest_restorable_time", Value::string("2026-12-03T10:05:00Z"));
    let outcome = crate::refresh::refresh(&env.providers(), &state).await;
    assert!(outcome.changed.is_empty(), "{:?}", outcome.changed.iter().map(|c| &c.paths).collect::<Vec<_>>());
    assert_eq!(outcome.state.resources, state.resources, "the record stays as it was");
    // Anything else that moved is a change, the volatile attribute with it.
    env.fake.set_attribute("aws_db_instance", &id, "identifier", Value::string("db2"));
    let outcome = crate::refresh::refresh(&env.providers(), &state).await;
    assert_eq!(outcome.changed.len(), 1);
    assert_eq!(outcome.changed[0].paths, ["identifier", "latest_restorable_time"]);
}
