//! EC2 compute of layer 3: instances (`instance.rs`) and volume attachments
//! (`volume_attachment.rs`), and what both use: Describe calls of instances
//! and their volumes, and waits for instance states through the shared
//! poller (`crate::batch`). The EC2 kit (filters, tags, pages) is
//! `crate::ec2kit`.

mod instance;
mod volume_attachment;

pub use volume_attachment::attachment_id;
pub(crate) use volume_attachment::crc32;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, AttributeValue, BlockDeviceMapping, CreditSpecificationRequest, EbsBlockDevice, Filter, HttpTokensState,
    IamInstanceProfileSpecification, Instance, InstanceMetadataEndpointState, InstanceMetadataOptionsRequest,
    InstanceMetadataProtocolState, InstanceMetadataTagsState, InstanceNetworkInterfaceSpecification, InstanceStateName, InstanceType,
    Placement, ResourceType as Ec2Type, RunInstancesMonitoringEnabled, SecureBlobAttributeValue, ShutdownBehavior, Tenancy, Volume,
    VolumeAttachmentState, VolumeType,
};
use aws_smithy_types::{Blob, base64};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult, differs};

use super::ResourceType;
use crate::batch::{Fetch, Found};
use crate::clients::Clients;
pub(super) use crate::ec2kit::{FILTER_VALUES, filter, tag_map};
use crate::ec2kit::{all_pages, sync_tags, tag_spec_of, tags_all_value};
use crate::util::{
    Attrs, DEFAULT_TIMEOUT, StateBuilder, TAG_INTENT, at_most_a_few, aws_err, identity_known, invalid, is_not_found, tags_for, wait_for,
};

pub fn types() -> Vec<Box<dyn ResourceType>> {
    vec![Box::new(instance::Ec2Instance), Box::new(volume_attachment::VolumeAttachment)]
}

// ---------------------------------------------------------------------------
// EC2 helpers.

/// The ARN partition of a region.
pub(super) fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Whether a configured attribute is set to something other than what the
/// prior state holds (unknown or unset planned values are no change).
pub(super) fn changed(prior: &Value, planned: &Value, name: &str) -> bool {
    let new = planned.peel().as_map().and_then(|m| m.get(name));
    new.is_some_and(|n| !n.is_null() && n.is_wholly_known()) && differs(prior.peel().as_map().and_then(|m| m.get(name)), new)
}

/// The planned object of a type with nothing configured: every attribute
/// present, defaults applied (the base for imported objects).
pub(super) fn empty_planned(ty: &str) -> Value {
    match strata_provider::aws::schema().resource(ty) {
        Some(schema) => strata_provider::plan_change(schema, None, &Value::Map(BTreeMap::new().into()), &[], false).planned,
        None => Value::Map(BTreeMap::new().into()),
    }
}

pub(super) fn prior_of(req: &ApplyRequest) -> Result<&Value, ProviderError> {
    req.prior.as_ref().ok_or_else(|| invalid(format!("{}: no recorded state to change", req.addr)))
}

pub(super) fn id_of(v: &Value, addr: &impl std::fmt::Display) -> Result<String, ProviderError> {
    v.string("id").ok_or_else(|| invalid(format!("{addr}: the recorded state has no id")))
}

// ---------------------------------------------------------------------------
// Describe calls.

type Described = Vec<(Option<String>, Instance)>;

/// Every instance the filters match, each with its reservation's owner, in
/// pages of the API's largest size (1,000; moto's default is 100).
async fn describe_instances(c: &Clients, filters: Vec<Filter>, calls: &mut usize) -> Result<Described, ProviderError> {
    let pages = c.ec2.describe_instances().set_filters(Some(filters)).max_results(1000).into_paginator().send();
    let (out, n) = all_pages!(pages, |page| page
        .reservations()
        .iter()
        .flat_map(|res| res.instances().iter().map(|i| (res.owner_id().map(str::to_string), i.clone())))
        .collect::<Vec<_>>())?;
    *calls += n;
    Ok(out)
}

async fn describe_volumes(c: &Clients, filters: Vec<Filter>, calls: &mut usize) -> Result<Vec<Volume>, ProviderError> {
    let pages = c.ec2.describe_volumes().set_filters(Some(filters)).max_results(500).into_paginator().send();
    let (out, n) = all_pages!(pages, |page| page.volumes.unwrap_or_default())?;
    *calls += n;
    Ok(out)
}

fn state_name(i: &Instance) -> Option<&InstanceStateName> {
    i.state().and_then(|s| s.name())
}

/// Terminated (or terminating) instances count as gone.
fn is_gone(i: &Instance) -> bool {
    matches!(state_name(i), Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown))
}

/// Live instances by id and the volumes attached to them: one
/// DescribeInstances and one DescribeVolumes per page (and per 200 ids).
struct Loaded {
    instances: Described,
    volumes: HashMap<String, Volume>,
}

async fn load(c: &Clients, ids: &[String], calls: &mut usize) -> Result<Loaded, ProviderError> {
    let instances: Described = per_chunk(c, ids, calls, |c, chunk| async move {
        let mut n = 0;
        let found = describe_instances(&c, vec![filter("instance-id", chunk)], &mut n).await?;
        Ok((found.into_iter().filter(|(_, i)| !is_gone(i)).collect(), n))
    })
    .await?;
    let volumes = attached_volumes(c, &instances, calls).await?;
    Ok(Loaded { instances, volumes })
}

async fn attached_volumes(c: &Clients, instances: &Described, calls: &mut usize) -> Result<HashMap<String, Volume>, ProviderError> {
    let live: Vec<String> = instances.iter().filter_map(|(_, i)| i.instance_id().map(str::to_string)).collect();
    let volumes = per_chunk(c, &live, calls, |c, chunk| async move {
        let mut n = 0;
        let found = describe_volumes(&c, vec![filter("attachment.instance-id", chunk)], &mut n).await?;
        Ok((found, n))
    })
    .await?;
    Ok(volumes.into_iter().filter_map(|v| Some((v.volume_id()?.to_string(), v))).collect())
}

/// Describe `ids` in chunks of [`FILTER_VALUES`], a few chunks at once (a
/// refresh of 1,000 instances waits for one round trip, not five); the
/// results in no particular order, the calls added to `calls`.
async fn per_chunk<T, F, Fut>(c: &Clients, ids: &[String], calls: &mut usize, describe: F) -> Result<Vec<T>, ProviderError>
where
    T: Send + 'static,
    F: Fn(Clients, Vec<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, usize), ProviderError>> + Send + 'static,
{
    let mut out = Vec::new();
    for result in at_most_a_few(ids.chunks(FILTER_VALUES).map(|chunk| describe(c.clone(), chunk.to_vec()))).await? {
        let (found, n) = result?;
        *calls += n;
        out.extend(found);
    }
    Ok(out)
}

/// An instance as a poll round saw it: its reservation's owner, the
/// instance and, for waits until it runs, the volumes attached to the
/// instances of that round that run (by volume id).
#[derive(Clone)]
struct Seen {
    owner: Option<String>,
    instance: Instance,
    volumes: Arc<HashMap<String, Volume>>,
}

/// A poll round of instance waits: one DescribeInstances per 200 ids.
fn poll_instances(c: Clients, ids: Vec<String>) -> Pin<Box<dyn Future<Output = Found<Seen>> + Send>> {
    Box::pin(async move { seen(&c, ids, false).await })
}

/// A poll round of waits until instances run: one DescribeInstances per 200
/// ids, and one DescribeVolumes for the volumes of those that run (their
/// state then needs nothing more).
fn poll_running(c: Clients, ids: Vec<String>) -> Pin<Box<dyn Future<Output = Found<Seen>> + Send>> {
    Box::pin(async move { seen(&c, ids, true).await })
}

async fn seen(c: &Clients, ids: Vec<String>, volumes_of_running: bool) -> Found<Seen> {
    let mut calls = 0;
    let instances: Described = per_chunk(c, &ids, &mut calls, |c, chunk| async move {
        let mut n = 0;
        let found = describe_instances(&c, vec![filter("instance-id", chunk)], &mut n).await?;
        Ok((found, n))
    })
    .await?;
    let running: Described = instances.iter().filter(|(_, i)| state_name(i) == Some(&InstanceStateName::Running)).cloned().collect();
    let volumes = if volumes_of_running && !running.is_empty() { attached_volumes(c, &running, &mut calls).await? } else { HashMap::new() };
    let volumes = Arc::new(volumes);
    Ok(instances
        .into_iter()
        .filter_map(|(owner, instance)| Some((instance.instance_id()?.to_string(), Seen { owner, instance, volumes: volumes.clone() })))
        .collect())
}

/// `Some` once the instance is in `want` (with the instance as described
/// then, `None` when it is gone for good); an error when it terminated while
/// strata waited for something else.
fn reached(id: &str, want: &InstanceStateName, found: Option<&Seen>) -> Result<Option<Option<Seen>>, ProviderError> {
    let instance = found.map(|s| &s.instance);
    match instance.and_then(state_name) {
        Some(s) if s == want => Ok(Some(found.cloned())),
        None if *want == InstanceStateName::Terminated => Ok(Some(None)),
        Some(InstanceStateName::Terminated) => {
            let reason = instance.and_then(|i| i.state_reason()).and_then(|r| r.message()).unwrap_or("no reason given");
            Err(ProviderError {
                code: Some("InstanceTerminated".into()),
                message: format!("instance {id} terminated: {reason}"),
                retryable: false,
            })
        }
        _ => Ok(None),
    }
}

/// Wait until the instance is in `want`; the instance as last described.
/// Concurrent waits share one DescribeInstances per poll round
/// ([`crate::batch`]).
async fn wait_state(c: &Clients, id: &str, want: InstanceStateName, timeout: std::time::Duration) -> Result<Option<Seen>, ProviderError> {
    let what = format!("instance {id} to be {}", want.as_str());
    let poller = if want == InstanceStateName::Running {
        c.pollers.get("aws_instance running", poll_running as Fetch<Clients, Seen>)
    } else {
        c.pollers.get("aws_instance", poll_instances as Fetch<Clients, Seen>)
    };
    poller.watch(c, id).until(&what, timeout, |found| reached(id, &want, found)).await
}
