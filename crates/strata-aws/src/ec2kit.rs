//! The EC2 kit every EC2-family type shares (VPCs, subnets, security
//! groups, gateways, route tables, addresses, key pairs, volumes,
//! instances): Describe calls filtered by ids (chunked by the filter's
//! limit, one call per chunk and page), every page through the SDK's
//! generated paginators ([`all_pages!`]), crash recovery by the
//! `strata:intent` tag, listing, and tags written once — at create (a
//! TagSpecification with the default tags, the resource's and strata's),
//! on update (one [`tag_diff`] applied with DeleteTags/CreateTags) and when
//! read (`tags` and `tags_all` from the object's tag list, system tags
//! left out, through [`StateBuilder::tags`]).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::Duration;

use aws_sdk_ec2::types::{Filter, ResourceType as Ec2ResourceType, Tag, TagSpecification};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use crate::clients::Clients;
use crate::util::{StateBuilder, TAG_INTENT, aws_err, tag_diff, tags_for};

/// Every page of a call through the SDK's generated paginator
/// (`builder.into_paginator().send()`): the items `$items` takes from each
/// page (`|$page| ...`) and the number of pages, i.e. of calls. Evaluates to
/// `Result<(Vec<_>, usize), ProviderError>`.
macro_rules! all_pages {
    ($pages:expr, |$page:ident| $items:expr) => {{
        let mut pages = $pages;
        let (mut all, mut calls) = (Vec::new(), 0usize);
        let mut failed = None;
        while let Some(page) = pages.next().await {
            calls += 1;
            match page {
                Ok($page) => all.extend($items),
                Err(e) => {
                    failed = Some($crate::util::aws_err(e));
                    break;
                }
            }
        }
        match failed {
            Some(e) => Err::<(Vec<_>, usize), strata_provider::ProviderError>(e),
            None => Ok((all, calls)),
        }
    }};
}
pub(crate) use all_pages;

/// EC2 filters take at most 200 values; larger batches are split.
pub(crate) const FILTER_VALUES: usize = 200;

/// A tagged EC2 object type, for the shared Describe helpers.
pub(crate) trait Ec2Kind: Send + Sync {
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

pub(crate) fn filter(name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Filter {
    Filter::builder().name(name).set_values(Some(values.into_iter().map(Into::into).collect())).build()
}

/// Describe the objects with these ids (in chunks the filter accepts),
/// keyed by id; objects in a terminal state are left out.
pub(crate) async fn describe_ids<K: Ec2Kind>(c: &Clients, ids: &[&str]) -> Result<(HashMap<String, K::Obj>, usize), ProviderError> {
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

pub(crate) async fn describe_one<K: Ec2Kind>(c: &Clients, id: &str) -> Result<Option<K::Obj>, ProviderError> {
    Ok(describe_ids::<K>(c, &[id]).await?.0.remove(id))
}

/// The batched `read` of a tagged type: `state(prior, object)` builds each
/// state; an object missing from the answer is gone.
pub(crate) async fn read_each<K: Ec2Kind>(
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
pub(crate) async fn find_intent<K: Ec2Kind>(c: &Clients, token: &str) -> Result<Option<K::Obj>, ProviderError> {
    let (objs, _) = K::describe(c, vec![filter(&format!("tag:{TAG_INTENT}"), [token])]).await?;
    // The tag is checked here too: moto ignores tag filters on some types
    // (NAT gateways) and would answer with every object.
    let tagged = |o: &K::Obj| K::tags(o).iter().any(|t| t.key() == Some(TAG_INTENT) && t.value() == Some(token));
    Ok(objs.into_iter().find(|o| !K::gone(o) && tagged(o)))
}

/// Every object of the type, with its id and tags.
pub(crate) async fn list_all<K: Ec2Kind>(c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
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

pub(crate) fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

pub(crate) fn ec2_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// The TagSpecification of a create call: every tag [`tags_for`] gives.
pub(crate) fn tag_spec(c: &Clients, req: &ApplyRequest, ty: Ec2ResourceType) -> TagSpecification {
    let tags = tags_for(c, &req.planned, &req.addr.to_string(), req.token.as_deref());
    TagSpecification::builder().resource_type(ty).set_tags(Some(ec2_tags(&tags))).build()
}

/// `tags` and `tags_all` from the object's tags.
/// `tags_all` of an object with these tags, as [`StateBuilder::tags`] sets
/// it: every tag but strata's own (an instance's volumes, read as blocks).
pub(crate) fn tags_all_value(tags: &BTreeMap<String, String>) -> Value {
    Value::Map(
        tags.iter().filter(|(k, _)| !k.starts_with(crate::util::STRATA_TAG_PREFIX)).map(|(k, v)| (k.clone(), Value::string(v))).collect(),
    )
}

pub(crate) fn set_tags(b: &mut StateBuilder, tags: &[Tag]) {
    b.tags(&tag_map(tags));
}

/// Bring the object's tags to what the plan says: tags that were in the
/// prior `tags_all` and are no longer wanted go; system tags (strata's own,
/// the intent tag of the create included, and AWS's) stay.
pub(crate) async fn update_tags(c: &Clients, id: &str, req: &ApplyRequest) -> Result<(), ProviderError> {
    let wanted = tags_for(c, &req.planned, &req.addr.to_string(), None);
    let (mut changed, stale) = crate::util::tag_changes(req.prior.as_ref().unwrap_or(&Value::Null), &wanted);
    // strata's own tags are written again (`strata:address` follows a move).
    changed.extend(wanted.iter().filter(|(k, _)| k.starts_with(crate::util::STRATA_TAG_PREFIX)).map(|(k, v)| (k.clone(), v.clone())));
    write_tags(c, &[id.to_string()], &changed, &stale).await
}

/// Bring the tags of EC2 objects from `old` to `desired` ([`tag_diff`]:
/// system tags, strata's own written at create and AWS's, never change).
pub(crate) async fn sync_tags(
    c: &Clients,
    ids: &[String],
    old: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    let (set, removed) = tag_diff(old, desired);
    write_tags(c, ids, &set, &removed).await
}

/// One tag change of EC2 objects: DeleteTags for `removed`, CreateTags for
/// `set`, each only when there is something to do.
async fn write_tags(c: &Clients, ids: &[String], set: &BTreeMap<String, String>, removed: &[String]) -> Result<(), ProviderError> {
    if ids.is_empty() {
        return Ok(());
    }
    if !removed.is_empty() {
        let removed: Vec<Tag> = removed.iter().map(|k| Tag::builder().key(k).build()).collect();
        c.ec2.delete_tags().set_resources(Some(ids.to_vec())).set_tags(Some(removed)).send().await.map_err(aws_err)?;
    }
    if !set.is_empty() {
        c.ec2.create_tags().set_resources(Some(ids.to_vec())).set_tags(Some(ec2_tags(set))).send().await.map_err(aws_err)?;
    }
    Ok(())
}

/// A TagSpecification of these tags for objects of type `ty` (a create's
/// other objects: an instance's volumes, a volume's snapshot).
pub(crate) fn tag_spec_of(ty: Ec2ResourceType, tags: &BTreeMap<String, String>) -> TagSpecification {
    TagSpecification::builder().resource_type(ty).set_tags(Some(ec2_tags(tags))).build()
}

/// Poll the object until `ready` says so (it may fail for a terminal
/// state); an object that is not found yet is waited for too (EC2 is
/// eventually consistent right after a create).
pub(crate) async fn wait_ready<K: Ec2Kind>(
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
