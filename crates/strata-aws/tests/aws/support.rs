//! A configured provider pointed at moto.
//!
//! Every test in this binary talks to moto, so every test is named `moto_*`
//! (the convention of the whole repository, README.md, Testing):
//! `cargo nextest run` leaves them out and counts them as skipped,
//! `scripts/test.sh` starts moto, exports `STRATA_TEST_MOTO_URL` and runs
//! them all (`--profile full`). Tests reach moto only through [`moto_url`]
//! (and [`provider`], which calls it): it fails, never skips, when moto is
//! not configured, and fails a test whose name does not start with `moto_`.
//! The tidy test `tidy::tests_that_talk_to_moto_are_named_moto` in `tests/` checks the
//! same statically.

#![allow(dead_code)]

use std::collections::BTreeMap;

use strata_aws::AwsProvider;
use strata_core::{Address, Value};
use strata_provider::{ApplyAction, ApplyRequest, ConfigureRequest, Provider, ReadObject, ReadRequest, Timeouts};

/// The name prefix that marks a test as needing moto (`.config/nextest.toml`
/// filters on it).
pub const MOTO_TEST_PREFIX: &str = "moto_";

/// Fail unless the running test is named `moto_*` (libtest runs every test on
/// a thread named after it).
#[track_caller]
pub fn assert_moto_test() {
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("(unnamed thread)");
    let test = name.rsplit("::").next().unwrap_or(name);
    assert!(
        test.starts_with(MOTO_TEST_PREFIX),
        "`{name}` talks to moto but its name does not start with `{MOTO_TEST_PREFIX}`: rename it `{MOTO_TEST_PREFIX}{test}` so \
         that runs without moto leave it out (README.md, Testing), and reach moto on the test's own thread"
    );
}

/// moto's endpoint (`STRATA_TEST_MOTO_URL`) for the running `moto_*` test.
/// Without it the test fails: it is never skipped from inside.
#[track_caller]
pub fn moto_url() -> String {
    assert_moto_test();
    match std::env::var("STRATA_TEST_MOTO_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "STRATA_TEST_MOTO_URL is not set and this test needs moto_server: run `bash scripts/test.sh` (it starts moto), or \
             start `moto_server -H 127.0.0.1 -p PORT`, export STRATA_TEST_MOTO_URL=http://127.0.0.1:PORT and run \
             `cargo nextest run --profile full -p strata-aws`; to leave the moto tests out, run `cargo nextest run` (they \
             count as skipped) or `cargo test -- --skip {MOTO_TEST_PREFIX}`"
        ),
    }
}

/// The provider block a test configuration would have.
pub fn provider_config(url: &str) -> Value {
    let endpoints: BTreeMap<String, Value> =
        ["ec2", "rds", "elbv2", "route53", "sts"].iter().map(|s| (s.to_string(), Value::string(url))).collect();
    Value::map([
        ("region", Value::string("us-east-1")),
        ("access_key", Value::string("testing")),
        ("secret_key", Value::string("testing")),
        ("endpoints", Value::List(vec![Value::Map(endpoints.into())].into())),
        ("default_tags", Value::List(vec![Value::map([("tags", Value::map([("Team", Value::string("platform"))]))])].into())),
    ])
}

/// A provider configured against moto (see [`moto_url`]).
#[track_caller]
pub fn provider() -> impl Future<Output = AwsProvider> {
    // Outside the future, so that `#[track_caller]` names the test's line.
    let url = moto_url();
    async move {
        let p = AwsProvider::new();
        let d = p.configure(ConfigureRequest { config: provider_config(&url), lineage: "test-lineage".into() }).await;
        assert!(d.is_empty(), "configure: {d:?}");
        p
    }
}

/// A planned object: the schema's attributes filled as planning does.
pub fn planned(ty: &str, config: &[(&str, Value)]) -> Value {
    let schema = strata_provider::aws::schema().resource(ty).unwrap_or_else(|| panic!("{ty} in schema"));
    let config = Value::map(config.iter().map(|(k, v)| (k.to_string(), v.clone())));
    strata_provider::plan_change(schema, None, &config, &[], false).planned
}

pub fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

pub async fn create(p: &AwsProvider, address: &str, ty: &str, planned: Value) -> Value {
    let req = ApplyRequest {
        addr: addr(address),
        ty: ty.into(),
        action: ApplyAction::Create,
        prior: None,
        planned,
        token: Some(format!("tok-{address}-{}", std::process::id())),
        timeouts: Timeouts::default(),
    };
    let r = p.apply(req).await;
    assert!(r.error.is_none(), "create {address}: {:?}", r.error);
    r.new_state.expect("state after create")
}

pub async fn update(p: &AwsProvider, address: &str, ty: &str, prior: Value, planned: Value) -> Value {
    let req = ApplyRequest {
        addr: addr(address),
        ty: ty.into(),
        action: ApplyAction::Update,
        prior: Some(prior),
        planned,
        token: None,
        timeouts: Timeouts::default(),
    };
    let r = p.apply(req).await;
    assert!(r.error.is_none(), "update {address}: {:?}", r.error);
    r.new_state.expect("state after update")
}

pub async fn delete(p: &AwsProvider, address: &str, ty: &str, prior: Value) {
    let req = ApplyRequest {
        addr: addr(address),
        ty: ty.into(),
        action: ApplyAction::Delete,
        prior: Some(prior.clone()),
        planned: Value::Null,
        token: None,
        timeouts: Timeouts::default(),
    };
    let r = p.apply(req).await;
    assert!(r.error.is_none(), "delete {address}: {:?}", r.error);
}

/// Read objects back in one batch; returns the states in order (`None` = gone) and the call count.
pub async fn read(p: &AwsProvider, ty: &str, objects: &[(&str, &Value)]) -> (Vec<Option<Value>>, usize) {
    read_with(p, ty, objects, false).await
}

/// [`read`], with `deep` the per-object reads too.
pub async fn read_with(p: &AwsProvider, ty: &str, objects: &[(&str, &Value)], deep: bool) -> (Vec<Option<Value>>, usize) {
    let req = ReadRequest {
        deep,
        ty: ty.into(),
        objects: objects
            .iter()
            .map(|(a, v)| ReadObject {
                addr: addr(a),
                id: v.as_map().and_then(|m| m.get("id")).and_then(|i| i.as_str()).unwrap_or_default().to_string(),
                prior: (*v).clone(),
            })
            .collect(),
    };
    let r = p.read(req).await;
    assert!(r.error.is_none(), "read {ty}: {:?}", r.error);
    let states = objects.iter().map(|(a, _)| r.objects.iter().find(|o| o.addr.to_string() == *a).and_then(|o| o.state.clone())).collect();
    (states, r.calls)
}

pub fn s(v: &str) -> Value {
    Value::string(v)
}

pub fn id_of(v: &Value) -> String {
    v.as_map().and_then(|m| m.get("id")).and_then(|i| i.as_str()).unwrap_or_default().to_string()
}
