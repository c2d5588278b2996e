#![allow(dead_code)]
//! A configured provider pointed at moto.

use std::collections::BTreeMap;

use strata_aws::AwsProvider;
use strata_core::{Address, Value};
use strata_provider::{ApplyAction, ApplyRequest, ConfigureRequest, Provider, ReadObject, ReadRequest, Timeouts};

/// moto's endpoint, or `None` (with a printed reason) when the tests should skip.
pub fn moto_url() -> Option<String> {
    match std::env::var("STRATA_TEST_MOTO_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("STRATA_TEST_MOTO_URL is not set: in CI the AWS tests must run against moto (run them through scripts/test.sh)")
        }
        _ => {
            eprintln!("skipping: moto_server is not running (run scripts/test.sh, or set STRATA_TEST_MOTO_URL)");
            None
        }
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
        ("endpoints", Value::List(vec![Value::Map(endpoints)].into())),
        ("default_tags", Value::List(vec![Value::map([("tags", Value::map([("Team", Value::string("platform"))]))])].into())),
    ])
}

/// A provider configured against moto, or `None` to skip.
pub async fn provider() -> Option<AwsProvider> {
    let url = moto_url()?;
    let p = AwsProvider::new();
    let d = p.configure(ConfigureRequest { config: provider_config(&url), lineage: "test-lineage".into() }).await;
    assert!(d.is_empty(), "configure: {d:?}");
    Some(p)
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
