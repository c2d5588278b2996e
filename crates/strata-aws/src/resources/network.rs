//! Layer 1 EC2 types: VPC networking (VPCs, subnets, gateways, route
//! tables, routes, security groups, addresses) and the storage and key
//! objects instances depend on (EBS volumes, key pairs).
//!
//! Tagged types share the EC2 kit (`crate::ec2kit`): a Describe filtered by
//! ids (one call per page for a whole batch), crash recovery by the
//! `strata:intent` tag, listing and tags. Routes, route table associations and
//! security group rules take no tags; their modules say how they are found.

mod association;
mod ebs;
mod eip;
mod igw;
mod key_pair;
mod nat;
mod route;
mod route_table;
mod sg;
mod sg_rule;
mod subnet;
mod vpc;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::AttributeBooleanValue;
use strata_core::Value;
use strata_provider::{ApplyRequest, ProviderError};

use super::ResourceType;
use crate::clients::Clients;
use crate::ec2kit::{
    Ec2Kind, FILTER_VALUES, all_pages, describe_ids, describe_one, ec2_tags, filter, find_intent, list_all, read_each, set_tags, tag_spec,
    update_tags, wait_ready,
};
use crate::util::{Attrs, DEFAULT_TIMEOUT, StateBuilder, aws_err, is_not_found};

pub fn types() -> Vec<Box<dyn ResourceType>> {
    vec![
        Box::new(vpc::Vpc),
        Box::new(subnet::Subnet),
        Box::new(igw::InternetGateway),
        Box::new(route_table::RouteTable),
        Box::new(route::Route),
        Box::new(association::Association),
        Box::new(sg::SecurityGroup),
        Box::new(sg_rule::SecurityGroupRule),
        Box::new(eip::Eip),
        Box::new(nat::NatGateway),
        Box::new(key_pair::KeyPair),
        Box::new(ebs::Volume),
    ]
}

/// Whether the planned value of an attribute differs from the prior one.
fn changed(req: &ApplyRequest, name: &str) -> bool {
    let prior = req.prior.as_ref().and_then(|p| p.attr(name));
    strata_provider::differs(prior, req.planned.attr(name))
}

/// The prior object of an update or delete.
fn prior(req: &ApplyRequest) -> Result<&Value, ProviderError> {
    req.prior.as_ref().ok_or_else(|| crate::util::invalid(format!("{} has no recorded state", req.addr)))
}

/// The recorded id of an update or delete.
fn prior_id(req: &ApplyRequest) -> Result<String, ProviderError> {
    prior(req)?.string("id").ok_or_else(|| crate::util::invalid(format!("{} has no recorded id", req.addr)))
}

fn timeout(t: Option<Duration>) -> Duration {
    t.unwrap_or(DEFAULT_TIMEOUT)
}

/// `arn:aws:ec2:<region>:<account>:<resource>` (the partition follows the region).
fn arn(c: &Clients, owner: &str, resource: &str) -> String {
    let partition = match c.region.as_str() {
        r if r.starts_with("cn-") => "aws-cn",
        r if r.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    };
    format!("arn:{partition}:ec2:{}:{owner}:{resource}", c.region)
}

/// The account id, for ARNs of objects the API does not give an owner for.
async fn account_id(c: &Clients) -> Result<String, ProviderError> {
    let out = c.sts.get_caller_identity().send().await.map_err(aws_err)?;
    out.account.ok_or_else(|| crate::util::invalid("sts GetCallerIdentity returned no account"))
}

/// A state with every attribute of the type's schema, for `import`: what
/// planning an empty configuration gives (defaults; computed ones null).
fn blank(ty: &str) -> Value {
    match strata_provider::aws::schema().resource(ty) {
        Some(schema) => {
            StateBuilder::from_planned(&strata_provider::plan_change(schema, None, &Value::Map(BTreeMap::new().into()), &[], false).planned)
                .build()
        }
        None => Value::Map(BTreeMap::new().into()),
    }
}

/// Treat "does not exist" as success (idempotent deletes).
fn gone_ok(r: Result<(), ProviderError>) -> Result<(), ProviderError> {
    match r {
        Err(e) if is_not_found(&e) => Ok(()),
        r => r,
    }
}

/// Run a delete that AWS refuses with `DependencyViolation` while
/// dependents are still going away (network interfaces of a deleted load
/// balancer or NAT gateway): retry until `timeout`, then report AWS's error.
async fn retry_dependency<F, Fut>(timeout: Duration, op: F) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), ProviderError>>,
{
    retry_on(&["DependencyViolation"], timeout, op).await
}

/// Run `op` (not found counts as done), retrying while AWS answers with one
/// of `codes`, until `timeout`; then report AWS's error.
async fn retry_on<F, Fut>(codes: &[&str], timeout: Duration, mut op: F) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), ProviderError>>,
{
    let started = Instant::now();
    let mut delay = Duration::from_millis(500);
    loop {
        match gone_ok(op().await) {
            Err(e) if e.code.as_deref().is_some_and(|c| codes.contains(&c)) && started.elapsed() + delay < timeout => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            r => return r,
        }
    }
}

/// Order `items` as the base's items are ordered (matched by `key`), new
/// ones last, so that a set block read back compares equal to the plan.
fn order_like(base: &[&Value], mut items: Vec<Value>, key: impl Fn(&Value) -> String) -> Vec<Value> {
    let rank = |v: &Value| {
        let k = key(v);
        base.iter().position(|b| key(b) == k).unwrap_or(usize::MAX)
    };
    items.sort_by_key(|v| rank(v));
    items
}

/// A string field of an optional SDK enum (`Tenancy`, `VolumeType`).
fn enum_str<T: AsRef<str>>(v: Option<&T>) -> Option<String> {
    v.map(|v| v.as_ref().to_string())
}

/// A unique name for a created object without one: the prefix (or
/// `terraform-`) and a time-ordered suffix, as Terraform names them.
fn unique_name(prefix: Option<&str>) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{}{nanos:026}", prefix.unwrap_or("terraform-"))
}

fn flag(b: bool) -> AttributeBooleanValue {
    AttributeBooleanValue::builder().value(b).build()
}

/// An API string that may come back empty for "none" (moto does that).
fn nonempty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}
