//! Layer 1 EC2 types: VPC networking (VPCs, subnets, gateways, route
//! tables, routes, security groups, addresses) and the storage and key
//! objects instances depend on (EBS volumes, key pairs).
//!
//! Tagged types share the helpers below: a Describe filtered by ids (one
//! call per page for a whole batch), crash recovery by the `strata:intent`
//! tag, listing and tag updates. Routes, route table associations and
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

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType as Ec2ResourceType, Tag, TagSpecification};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::ResourceType;
use crate::clients::Clients;
use crate::util::{Attrs, DEFAULT_TIMEOUT, StateBuilder, TAG_INTENT, aws_err, is_not_found, tags_for};

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

/// EC2 filters take at most 200 values; larger batches are split.
const FILTER_VALUES: usize = 200;

/// A tagged EC2 object type, for the shared Describe helpers.
trait Ec2Kind: Send + Sync {
    type Obj: Send + Sync;
    /// The Describe filter that selects objects by id (`vpc-id`).
    const ID_FILTER: &'static str;

    /// One Describe with these filters, every page; returns the objects and
    /// the number of calls.
    fn describe(c: &Clients, filters: Vec<Filter>) -> impl Future<Output = Result<(Vec<Self::Obj>, usize), ProviderError>> + Send;

    fn id(o: &Self::Obj) -> Option<&str>;

    fn tags(o: &Self::Obj) -> &[Tag];

    /// Objects in a terminal state (a deleted NAT gateway) count as gone.
    fn gone(_o: &Self::Obj) -> bool {
        false
    }

    /// Made by AWS, not by a configuration: the account's default VPC and
    /// its default subnets, every VPC's default security group and main
    /// route table.
    fn made_by_aws(_o: &Self::Obj) -> bool {
        false
    }
}

/// Collect every page of a paginated call: `page(token)` returns the items
/// and the next token.
async fn paginate<T, F, Fut>(mut page: F) -> Result<(Vec<T>, usize), ProviderError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), ProviderError>>,
{
    let (mut all, mut calls, mut token) = (Vec::new(), 0, None);
    loop {
        let (items, next) = page(token.take()).await?;
        calls += 1;
        all.extend(items);
        match next {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return Ok((all, calls)),
        }
    }
}

fn filter(name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Filter {
    Filter::builder().name(name).set_values(Some(values.into_iter().map(Into::into).collect())).build()
}

/// Describe the objects with these ids (in chunks the filter accepts),
/// keyed by id; objects in a terminal state are left out.
async fn describe_ids<K: Ec2Kind>(c: &Clients, ids: &[&str]) -> Result<(HashMap<String, K::Obj>, usize), ProviderError> {
    let mut ids: Vec<&str> = ids.iter().copied().filter(|i| !i.is_empty()).collect();
    ids.sort_unstable();
    ids.dedup();
    let (mut found, mut calls) = (HashMap::new(), 0);
    for chunk in ids.chunks(FILTER_VALUES) {
        let (objs, n) = K::describe(c, vec![filter(K::ID_FILTER, chunk.iter().copied())]).await?;
        calls += n;
        for o in objs {
            if let Some(id) = K::id(&o).filter(|_| !K::gone(&o)) {
                found.insert(id.to_string(), o);
            }
        }
    }
    Ok((found, calls))
}

async fn describe_one<K: Ec2Kind>(c: &Clients, id: &str) -> Result<Option<K::Obj>, ProviderError> {
    Ok(describe_ids::<K>(c, &[id]).await?.0.remove(id))
}

/// The batched `read` of a tagged type: `state(prior, object)` builds each
/// state; an object missing from the answer is gone.
async fn read_each<K: Ec2Kind>(
    c: &Clients,
    objects: &[ReadObject],
    state: impl Fn(&Value, &K::Obj) -> Value,
) -> Result<(Vec<ReadResult>, usize), ProviderError> {
    let ids: Vec<&str> = objects.iter().map(|o| o.id.as_str()).collect();
    let (found, calls) = describe_ids::<K>(c, &ids).await?;
    let results = objects.iter().map(|o| ReadResult::new(o.addr.clone(), found.get(&o.id).map(|obj| state(&o.prior, obj)))).collect();
    Ok((results, calls))
}

/// The object a create with this token tagged, if any.
async fn find_intent<K: Ec2Kind>(c: &Clients, token: &str) -> Result<Option<K::Obj>, ProviderError> {
    let (objs, _) = K::describe(c, vec![filter(&format!("tag:{TAG_INTENT}"), [token])]).await?;
    // The tag is checked here too: moto ignores tag filters on some types
    // (NAT gateways) and would answer with every object.
    let tagged = |o: &K::Obj| K::tags(o).iter().any(|t| t.key() == Some(TAG_INTENT) && t.value() == Some(token));
    Ok(objs.into_iter().find(|o| !K::gone(o) && tagged(o)))
}

/// Every object of the type, with its id and tags.
async fn list_all<K: Ec2Kind>(c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
    let (objs, calls) = K::describe(c, Vec::new()).await?;
    let listed = objs
        .iter()
        .filter(|o| !K::gone(o))
        .filter_map(|o| {
            Some(ListedObject { provider_default: K::made_by_aws(o), id: K::id(o)?.to_string(), tags: tag_map(K::tags(o)), parent: None })
        })
        .collect();
    Ok((listed, calls))
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

fn ec2_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// The TagSpecification of a create call: every tag [`tags_for`] gives.
fn tag_spec(c: &Clients, req: &ApplyRequest, ty: Ec2ResourceType) -> TagSpecification {
    let tags = tags_for(c, &req.planned, &req.addr.to_string(), req.token.as_deref());
    TagSpecification::builder().resource_type(ty).set_tags(Some(ec2_tags(&tags))).build()
}

/// `tags` and `tags_all` from the object's tags.
fn set_tags(b: &mut StateBuilder, tags: &[Tag]) {
    b.tags(&tag_map(tags));
}

/// Bring the object's tags to what the plan says: tags that were in the
/// prior `tags_all` and are no longer wanted go; system tags (strata's own,
/// the intent tag of the create included, and AWS's) stay.
async fn update_tags(c: &Clients, id: &str, req: &ApplyRequest) -> Result<(), ProviderError> {
    let wanted = tags_for(c, &req.planned, &req.addr.to_string(), None);
    let (mut changed, stale) = crate::util::tag_changes(req.prior.as_ref().unwrap_or(&Value::Null), &wanted);
    // strata's own tags are written again (`strata:address` follows a move).
    changed.extend(wanted.iter().filter(|(k, _)| k.starts_with(crate::util::STRATA_TAG_PREFIX)).map(|(k, v)| (k.clone(), v.clone())));
    if !stale.is_empty() {
        let stale: Vec<Tag> = stale.iter().map(|k| Tag::builder().key(k).build()).collect();
        c.ec2.delete_tags().resources(id).set_tags(Some(stale)).send().await.map_err(aws_err)?;
    }
    if !changed.is_empty() {
        c.ec2.create_tags().resources(id).set_tags(Some(ec2_tags(&changed))).send().await.map_err(aws_err)?;
    }
    Ok(())
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

/// Poll the object until `ready` says so (it may fail for a terminal
/// state); an object that is not found yet is waited for too (EC2 is
/// eventually consistent right after a create).
async fn wait_ready<K: Ec2Kind>(
    c: &Clients,
    id: &str,
    what: &str,
    timeout: Duration,
    ready: impl Fn(&K::Obj) -> Result<bool, ProviderError>,
) -> Result<K::Obj, ProviderError> {
    crate::util::wait_for(what, timeout, || async {
        match describe_one::<K>(c, id).await? {
            Some(o) if ready(&o)? => Ok(Some(o)),
            _ => Ok(None),
        }
    })
    .await
}

fn flag(b: bool) -> AttributeBooleanValue {
    AttributeBooleanValue::builder().value(b).build()
}

/// An API string that may come back empty for "none" (moto does that).
fn nonempty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}
