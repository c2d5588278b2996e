//! The layer 1 EC2 types against moto: VPC networking, key pairs, volumes.

use std::collections::BTreeMap;

use strata_aws::AwsProvider;
use strata_core::Value;
use strata_provider::{FindByIntentRequest, ImportRequest, ListRequest, Provider};

use crate::support::{self, addr, create, delete, id_of, planned, read, s, update};

/// The token `support::create` uses for this address.
fn token(address: &str) -> String {
    format!("tok-{address}-{}", std::process::id())
}

/// A name unique to this test run.
fn unique(name: &str) -> String {
    format!("{name}-{}", std::process::id())
}

/// An attribute of a state (null when absent).
fn get<'a>(v: &'a Value, name: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    v.as_map().and_then(|m| m.get(name)).unwrap_or(&NULL)
}

fn str_of<'a>(v: &'a Value, name: &str) -> &'a str {
    get(v, name).as_str().unwrap_or_default()
}

fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::map(pairs.iter().map(|(k, v)| (k.to_string(), s(v))))
}

/// Plan an update of `prior` to `config`, as planning does.
fn replan(ty: &str, prior: &Value, config: &[(&str, Value)]) -> Value {
    let schema = strata_provider::aws::schema().resource(ty).unwrap();
    let config = Value::map(config.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let change = strata_provider::plan_change(schema, Some(prior), &config, &[], false);
    assert!(change.requires_replace.is_empty(), "{ty} update forces replacement: {:?}", change.requires_replace);
    change.planned
}

async fn find(p: &AwsProvider, address: &str, ty: &str, planned: &Value) -> Option<Value> {
    let r = p.find_by_intent(FindByIntentRequest { addr: addr(address), ty: ty.into(), token: token(address), planned: planned.clone() }).await;
    assert!(r.error.is_none(), "find_by_intent {address}: {:?}", r.error);
    r.found
}

async fn import(p: &AwsProvider, address: &str, ty: &str, id: &str) -> Option<Value> {
    let r = p.import(ImportRequest { addr: addr(address), ty: ty.into(), id: id.into() }).await;
    assert!(r.error.is_none(), "import {address}: {:?}", r.error);
    r.state
}

/// Every listed object of the type, id → tags.
async fn list(p: &AwsProvider, ty: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let r = p.list(ListRequest { ty: ty.into() }).await;
    assert!(r.error.is_none(), "list {ty}: {:?}", r.error);
    assert!(r.calls >= 1);
    r.objects.into_iter().map(|o| (o.id, o.tags)).collect()
}

/// Read one object back alone.
async fn read_one(p: &AwsProvider, address: &str, ty: &str, state: &Value) -> Option<Value> {
    read(p, ty, &[(address, state)]).await.0.remove(0)
}

async fn vpc(p: &AwsProvider, address: &str, cidr: &str) -> Value {
    create(p, address, "aws_vpc", planned("aws_vpc", &[("cidr_block", s(cidr))])).await
}

#[tokio::test]
async fn vpc_lifecycle() {
    let Some(p) = support::provider().await else { return };
    let name = unique("net-vpc");
    let cfg_a = [("cidr_block", s("10.1.0.0/16")), ("enable_dns_hostnames", Value::Bool(true)), ("tags", tags(&[("Name", &name)]))];
    let a = create(&p, "aws_vpc.a", "aws_vpc", planned("aws_vpc", &cfg_a)).await;
    let b = vpc(&p, "aws_vpc.b", "10.2.0.0/16").await;
    let c = vpc(&p, "aws_vpc.c", "10.3.0.0/16").await;

    let id = id_of(&a);
    assert!(id.starts_with("vpc-"), "{a}");
    assert_eq!(str_of(&a, "arn"), format!("arn:aws:ec2:us-east-1:{}:vpc/{id}", str_of(&a, "owner_id")));
    assert_eq!(get(&a, "cidr_block"), &s("10.1.0.0/16"));
    assert_eq!(get(&a, "enable_dns_hostnames"), &Value::Bool(true));
    assert_eq!(get(&a, "enable_dns_support"), &Value::Bool(true));
    assert_eq!(get(&a, "instance_tenancy"), &s("default"));
    assert!(str_of(&a, "main_route_table_id").starts_with("rtb-"), "{a}");
    assert_eq!(get(&a, "default_route_table_id"), get(&a, "main_route_table_id"));
    assert!(str_of(&a, "default_security_group_id").starts_with("sg-"), "{a}");
    assert!(str_of(&a, "default_network_acl_id").starts_with("acl-"), "{a}");
    assert_eq!(get(&a, "tags"), &tags(&[("Name", &name)]));
    assert_eq!(get(&a, "tags_all"), &tags(&[("Name", &name), ("Team", "platform")]));
    assert_eq!(get(&b, "tags"), &Value::Null);
    assert_eq!(get(&b, "enable_dns_hostnames"), &Value::Bool(false));

    // One DescribeVpcs for the three; what it reads equals what create returned.
    let (states, calls) = read(&p, "aws_vpc", &[("aws_vpc.a", &a), ("aws_vpc.b", &b), ("aws_vpc.c", &c)]).await;
    assert_eq!(calls, 1);
    assert_eq!(states, [Some(a.clone()), Some(b.clone()), Some(c.clone())]);

    // Tags and DNS hostnames change in place; strata's own tags stay.
    let cfg_a2 = [("cidr_block", s("10.1.0.0/16")), ("enable_dns_hostnames", Value::Bool(false)), ("tags", tags(&[("Env", "dev")]))];
    let a2 = update(&p, "aws_vpc.a", "aws_vpc", a.clone(), replan("aws_vpc", &a, &cfg_a2)).await;
    assert_eq!(id_of(&a2), id);
    assert_eq!(get(&a2, "tags"), &tags(&[("Env", "dev")]));
    assert_eq!(get(&a2, "tags_all"), &tags(&[("Env", "dev"), ("Team", "platform")]));
    assert_eq!(get(&a2, "enable_dns_hostnames"), &Value::Bool(false));
    let imported = import(&p, "aws_vpc.a", "aws_vpc", &id).await.expect("import finds the VPC");
    assert_eq!(get(&imported, "enable_dns_hostnames"), &Value::Bool(false));
    assert_eq!(get(&imported, "tags_all"), get(&a2, "tags_all"));
    assert_eq!(get(&imported, "main_route_table_id"), get(&a, "main_route_table_id"));
    assert_eq!(get(&imported, "cidr_block"), &s("10.1.0.0/16"));

    // Crash recovery finds each VPC by its intent tag, even after an update.
    let found = find(&p, "aws_vpc.a", "aws_vpc", &replan("aws_vpc", &a, &cfg_a2)).await.expect("found by intent");
    assert_eq!(found, a2);
    assert_eq!(find(&p, "aws_vpc.b", "aws_vpc", &b).await.map(|v| id_of(&v)), Some(id_of(&b)));
    assert_eq!(find(&p, "aws_vpc.nope", "aws_vpc", &b).await, None);

    let listed = list(&p, "aws_vpc").await;
    assert_eq!(listed.get(&id).and_then(|t| t.get("strata:address")).map(String::as_str), Some("aws_vpc.a"));
    assert_eq!(listed.get(&id).and_then(|t| t.get("Env")).map(String::as_str), Some("dev"));
    assert!(listed.contains_key(&id_of(&c)));

    for (address, state) in [("aws_vpc.a", &a2), ("aws_vpc.b", &b), ("aws_vpc.c", &c)] {
        delete(&p, address, "aws_vpc", state.clone()).await;
    }
    let (states, _) = read(&p, "aws_vpc", &[("aws_vpc.a", &a2), ("aws_vpc.b", &b), ("aws_vpc.c", &c)]).await;
    assert_eq!(states, [None, None, None]);
    // Deleting again is a no-op; importing a deleted VPC finds nothing.
    delete(&p, "aws_vpc.a", "aws_vpc", a2.clone()).await;
    assert_eq!(import(&p, "aws_vpc.a", "aws_vpc", &id).await, None);
}
