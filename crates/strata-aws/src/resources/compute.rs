//! EC2 compute of layer 3: instances and volume attachments. Also the EC2
//! helpers (filters, tags, ARNs) the data sources share.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, AttributeValue, BlockDeviceMapping, CreditSpecificationRequest, EbsBlockDevice, Filter, HttpTokensState,
    IamInstanceProfileSpecification, Instance, InstanceMetadataEndpointState, InstanceMetadataOptionsRequest,
    InstanceMetadataProtocolState, InstanceMetadataTagsState, InstanceNetworkInterfaceSpecification, InstanceStateName, InstanceType,
    Placement, ResourceType as Ec2Type, RunInstancesMonitoringEnabled, SecureBlobAttributeValue, ShutdownBehavior, Tag, TagSpecification,
    Tenancy, Volume, VolumeAttachmentState, VolumeType,
};
use aws_smithy_types::{Blob, base64};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult, differs};

use super::ResourceType;
use crate::clients::Clients;
use crate::util::{
    Attrs, DEFAULT_TIMEOUT, StateBuilder, TAG_INTENT, at_most_a_few, aws_err, identity_known, invalid, is_not_found, tags_for, wait_for,
};

pub fn types() -> Vec<Box<dyn ResourceType>> {
    vec![Box::new(Ec2Instance), Box::new(VolumeAttachment)]
}

// ---------------------------------------------------------------------------
// EC2 helpers.

/// EC2 accepts at most this many values in one filter; larger batches are split.
pub(super) const FILTER_VALUES: usize = 200;

pub(super) fn filter<S: Into<String>>(name: &str, values: impl IntoIterator<Item = S>) -> Filter {
    Filter::builder().name(name).set_values(Some(values.into_iter().map(Into::into).collect())).build()
}

pub(super) fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

fn ec2_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn tag_spec(ty: Ec2Type, tags: &BTreeMap<String, String>) -> TagSpecification {
    TagSpecification::builder().resource_type(ty).set_tags(Some(ec2_tags(tags))).build()
}

/// Tags as a state value, without strata's bookkeeping tags.
pub(super) fn user_tags_value(tags: &BTreeMap<String, String>) -> Value {
    Value::Map(tags.iter().filter(|(k, _)| !k.starts_with("strata:")).map(|(k, v)| (k.clone(), Value::string(v))).collect())
}

/// Bring the tags of EC2 objects from `old` to `desired`. System tags
/// (strata's own, written at create, and AWS's) are never changed here.
async fn sync_tags(
    c: &Clients,
    ids: &[String],
    old: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    let (set, removed) = crate::util::tag_diff(old, desired);
    let removed: Vec<Tag> = removed.iter().map(|k| Tag::builder().key(k).build()).collect();
    if ids.is_empty() {
        return Ok(());
    }
    if !set.is_empty() {
        c.ec2.create_tags().set_resources(Some(ids.to_vec())).set_tags(Some(ec2_tags(&set))).send().await.map_err(aws_err)?;
    }
    if !removed.is_empty() {
        c.ec2.delete_tags().set_resources(Some(ids.to_vec())).set_tags(Some(removed)).send().await.map_err(aws_err)?;
    }
    Ok(())
}

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
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let r = c
            .ec2
            .describe_instances()
            .set_filters(Some(filters.clone()))
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .map_err(aws_err)?;
        *calls += 1;
        for res in r.reservations() {
            out.extend(res.instances().iter().map(|i| (res.owner_id().map(str::to_string), i.clone())));
        }
        token = r.next_token().filter(|t| !t.is_empty()).map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

async fn describe_volumes(c: &Clients, filters: Vec<Filter>, calls: &mut usize) -> Result<Vec<Volume>, ProviderError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let r = c
            .ec2
            .describe_volumes()
            .set_filters(Some(filters.clone()))
            .max_results(500)
            .set_next_token(token)
            .send()
            .await
            .map_err(aws_err)?;
        *calls += 1;
        out.extend(r.volumes().iter().cloned());
        token = r.next_token().filter(|t| !t.is_empty()).map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
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

/// `Some` once the instance is in `want` (with the instance as described
/// then, `None` when it is gone for good); an error when it terminated while
/// strata waited for something else.
async fn reached(c: &Clients, id: &str, want: InstanceStateName) -> Result<Option<Option<(Option<String>, Instance)>>, ProviderError> {
    let mut calls = 0;
    let found = describe_instances(c, vec![filter("instance-id", [id])], &mut calls).await?.into_iter().next();
    let instance = found.as_ref().map(|(_, i)| i);
    match instance.and_then(state_name) {
        Some(s) if *s == want => Ok(Some(found)),
        None if want == InstanceStateName::Terminated => Ok(Some(None)),
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
async fn wait_state(
    c: &Clients,
    id: &str,
    want: InstanceStateName,
    timeout: std::time::Duration,
) -> Result<Option<(Option<String>, Instance)>, ProviderError> {
    let what = format!("instance {id} to be {}", want.as_str());
    wait_for(&what, timeout, || reached(c, id, want.clone())).await
}

// ---------------------------------------------------------------------------
// aws_instance.

struct Ec2Instance;

/// The user data as RunInstances wants it (base64).
fn user_data(p: &Value) -> Option<String> {
    p.str_attr("user_data").map(base64::encode).or_else(|| p.string("user_data_base64"))
}

/// The user data as raw bytes (ModifyInstanceAttribute encodes blobs itself).
fn user_data_bytes(p: &Value) -> Result<Vec<u8>, ProviderError> {
    match (p.str_attr("user_data"), p.str_attr("user_data_base64")) {
        (Some(s), _) => Ok(s.as_bytes().to_vec()),
        (None, Some(b)) => base64::decode(b).map_err(|e| invalid(format!("user_data_base64 is not valid base64: {e}"))),
        (None, None) => Ok(Vec::new()),
    }
}

fn ebs_device(b: &Value) -> EbsBlockDevice {
    EbsBlockDevice::builder()
        .set_delete_on_termination(b.bool_attr("delete_on_termination"))
        .set_encrypted(b.bool_attr("encrypted"))
        .set_iops(b.i32_attr("iops"))
        .set_kms_key_id(b.string("kms_key_id"))
        .set_throughput(b.i32_attr("throughput"))
        .set_volume_size(b.i32_attr("volume_size"))
        .set_volume_type(b.str_attr("volume_type").map(VolumeType::from))
        .set_snapshot_id(b.string("snapshot_id"))
        .build()
}

/// BlockDeviceMappings from root_block_device, ebs_block_device and
/// ephemeral_block_device. The root device's name comes from the AMI.
async fn block_devices(c: &Clients, p: &Value, ami: &str) -> Result<Vec<BlockDeviceMapping>, ProviderError> {
    let mut out = Vec::new();
    if let Some(root) = p.blocks("root_block_device").first() {
        let images = c.ec2.describe_images().image_ids(ami).send().await.map_err(aws_err)?;
        let name = images.images().first().and_then(|i| i.root_device_name()).map(str::to_string);
        let name = name.ok_or_else(|| invalid(format!("cannot find the root device of AMI {ami}")))?;
        out.push(BlockDeviceMapping::builder().device_name(name).ebs(ebs_device(root)).build());
    }
    for b in p.blocks("ebs_block_device") {
        out.push(BlockDeviceMapping::builder().set_device_name(b.string("device_name")).ebs(ebs_device(b)).build());
    }
    for b in p.blocks("ephemeral_block_device") {
        let m = BlockDeviceMapping::builder().set_device_name(b.string("device_name")).set_virtual_name(b.string("virtual_name"));
        out.push(if b.bool_attr("no_device") == Some(true) { m.no_device("") } else { m }.build());
    }
    Ok(out)
}

fn metadata_options(b: &Value) -> InstanceMetadataOptionsRequest {
    InstanceMetadataOptionsRequest::builder()
        .set_http_endpoint(b.str_attr("http_endpoint").map(InstanceMetadataEndpointState::from))
        .set_http_protocol_ipv6(b.str_attr("http_protocol_ipv6").map(InstanceMetadataProtocolState::from))
        .set_http_put_response_hop_limit(b.i32_attr("http_put_response_hop_limit"))
        .set_http_tokens(b.str_attr("http_tokens").map(HttpTokensState::from))
        .set_instance_metadata_tags(b.str_attr("instance_metadata_tags").map(InstanceMetadataTagsState::from))
        .build()
}

/// Volume tags: default tags, `volume_tags` and strata's address and lineage.
fn volume_tags_for(c: &Clients, p: &Value, address: &str) -> BTreeMap<String, String> {
    let mut tags = tags_for(c, &Value::Null, address, None);
    tags.extend(p.str_map("volume_tags"));
    tags
}

/// One root_block_device / ebs_block_device item from the API, keeping the
/// configured-only fields of `base`.
fn device_block(
    base: Option<&Value>,
    device: Option<&str>,
    volume_id: Option<&str>,
    delete: Option<bool>,
    vol: Option<&Volume>,
    root: bool,
) -> Value {
    let empty = Value::Map(BTreeMap::new().into());
    let mut b = StateBuilder::from_planned(base.unwrap_or(&empty));
    b.str("device_name", device)
        .str("volume_id", volume_id)
        .bool("delete_on_termination", delete)
        .bool("encrypted", vol.and_then(Volume::encrypted))
        .num("iops", vol.and_then(Volume::iops))
        .str("kms_key_id", vol.and_then(Volume::kms_key_id))
        .num("throughput", vol.and_then(Volume::throughput))
        .num("volume_size", vol.and_then(Volume::size))
        .str("volume_type", vol.and_then(Volume::volume_type).map(|t| t.as_str()))
        .set("tags", base.and_then(|b| b.attr("tags")).cloned().unwrap_or(Value::Null))
        .set("tags_all", user_tags_value(&vol.map(|v| tag_map(v.tags())).unwrap_or_default()));
    if !root {
        b.str("snapshot_id", vol.and_then(Volume::snapshot_id).filter(|s| !s.is_empty()));
    }
    b.build()
}

/// The state of an instance: `base` (planned, prior or an empty planned
/// object) overlaid with what the API reports.
fn instance_state(c: &Clients, base: &Value, owner: Option<&str>, i: &Instance, volumes: &HashMap<String, Volume>) -> Value {
    let id = i.instance_id().unwrap_or_default();
    let mut b = StateBuilder::from_planned(base);
    let primary = i
        .network_interfaces()
        .iter()
        .find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0))
        .or_else(|| i.network_interfaces().first());
    let placement = i.placement();
    b.str("id", Some(id))
        .str("arn", owner.map(|o| format!("arn:{}:ec2:{}:{o}:instance/{id}", partition(&c.region), c.region)))
        .str("ami", i.image_id())
        .str("instance_type", i.instance_type().map(|t| t.as_str()))
        .str("availability_zone", placement.and_then(|p| p.availability_zone()))
        .str("tenancy", placement.and_then(|p| p.tenancy()).map(|t| t.as_str()))
        .str("placement_group", placement.and_then(|p| p.group_name()).filter(|g| !g.is_empty()))
        .num("placement_partition_number", placement.and_then(|p| p.partition_number()))
        .str("host_id", placement.and_then(|p| p.host_id()))
        .str("key_name", i.key_name())
        .str("subnet_id", i.subnet_id())
        .str("private_ip", i.private_ip_address())
        .str("public_ip", i.public_ip_address().filter(|s| !s.is_empty()))
        .str("private_dns", i.private_dns_name())
        .str("public_dns", i.public_dns_name().filter(|s| !s.is_empty()))
        .str("primary_network_interface_id", primary.and_then(|n| n.network_interface_id()))
        .str("instance_state", state_name(i).map(|s| s.as_str()))
        .str("instance_lifecycle", i.instance_lifecycle().map(|l| l.as_str()))
        .str("spot_instance_request_id", i.spot_instance_request_id())
        .str("outpost_arn", i.outpost_arn())
        .set("vpc_security_group_ids", Value::set(i.security_groups().iter().filter_map(|g| g.group_id()).map(Value::string).collect()))
        .set("security_groups", Value::set(i.security_groups().iter().filter_map(|g| g.group_name()).map(Value::string).collect()))
        .set(
            "ipv6_addresses",
            Value::List(
                primary
                    .map(|n| n.ipv6_addresses())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|a| a.ipv6_address())
                    .map(Value::string)
                    .collect(),
            ),
        )
        .num("ipv6_address_count", Some(primary.map_or(0, |n| n.ipv6_addresses().len()) as f64))
        .bool("monitoring", i.monitoring().and_then(|m| m.state()).map(|s| matches!(s.as_str(), "enabled" | "pending")))
        .bool("ebs_optimized", i.ebs_optimized())
        .bool("source_dest_check", Some(i.source_dest_check().unwrap_or(true)))
        .num("cpu_core_count", i.cpu_options().and_then(|o| o.core_count()))
        .num("cpu_threads_per_core", i.cpu_options().and_then(|o| o.threads_per_core()))
        .str("iam_instance_profile", i.iam_instance_profile().and_then(|p| p.arn()).and_then(|a| a.rsplit('/').next()));
    let secondary: Vec<Value> = primary
        .map(|n| n.private_ip_addresses())
        .unwrap_or_default()
        .iter()
        .filter(|a| a.primary() != Some(true))
        .filter_map(|a| a.private_ip_address())
        .map(Value::string)
        .collect();
    b.set("secondary_private_ips", Value::set(secondary));
    // Attributes DescribeInstances does not report keep their planned value
    // or the API's default.
    for (name, default) in [("disable_api_stop", false), ("disable_api_termination", false)] {
        b.bool(name, Some(base.bool_attr(name).unwrap_or(default)));
    }
    b.str("instance_initiated_shutdown_behavior", Some(base.str_attr("instance_initiated_shutdown_behavior").unwrap_or("stop")));
    if base.bool_attr("associate_public_ip_address").is_none() {
        b.bool("associate_public_ip_address", Some(i.public_ip_address().is_some_and(|s| !s.is_empty())));
    }
    if let Some(m) = i.metadata_options() {
        let mut mb =
            StateBuilder::from_planned(base.blocks("metadata_options").first().copied().unwrap_or(&Value::Map(BTreeMap::new().into())));
        mb.str("http_endpoint", m.http_endpoint().map(|v| v.as_str()))
            .str("http_protocol_ipv6", m.http_protocol_ipv6().map(|v| v.as_str()))
            .num("http_put_response_hop_limit", m.http_put_response_hop_limit())
            .str("http_tokens", m.http_tokens().map(|v| v.as_str()))
            .str("instance_metadata_tags", m.instance_metadata_tags().map(|v| v.as_str()));
        b.set("metadata_options", Value::List(vec![mb.build()].into()));
    }

    let root_name = i.root_device_name();
    // Volumes attached later (aws_volume_attachment) are not this
    // instance's ebs_block_device blocks: a known object reports only the
    // devices its configuration lists; a new or imported one reports all.
    let all_devices = base.str_attr("id").is_none();
    let (mut root, mut ebs) = (Vec::new(), Vec::new());
    for m in i.block_device_mappings() {
        let Some(e) = m.ebs() else { continue };
        let vol = e.volume_id().and_then(|v| volumes.get(v));
        let device = m.device_name();
        if device.is_some() && device == root_name {
            let base_item = base.blocks("root_block_device").first().copied();
            root.push(device_block(base_item, device, e.volume_id(), e.delete_on_termination(), vol, true));
        } else {
            let base_item = base.blocks("ebs_block_device").into_iter().find(|b| b.str_attr("device_name") == device);
            if base_item.is_none() && !all_devices {
                continue;
            }
            ebs.push((
                device.unwrap_or_default().to_string(),
                device_block(base_item, device, e.volume_id(), e.delete_on_termination(), vol, false),
            ));
        }
    }
    ebs.sort_by(|a, b| a.0.cmp(&b.0));
    b.set("root_block_device", Value::List(root.into()));
    b.set("ebs_block_device", Value::List(ebs.into_iter().map(|(_, v)| v).collect()));
    b.tags(&tag_map(i.tags()));
    b.build()
}

/// Read one live instance back (after create, update or recovery).
async fn read_one(c: &Clients, base: &Value, id: &str) -> Result<Value, ProviderError> {
    let mut calls = 0;
    let loaded = load(c, &[id.to_string()], &mut calls).await?;
    let (owner, i) = loaded.instances.first().ok_or_else(|| ProviderError {
        code: Some("InvalidInstanceID.NotFound".into()),
        message: format!("instance {id} is not running"),
        retryable: false,
    })?;
    Ok(instance_state(c, base, owner.as_deref(), i, &loaded.volumes))
}

/// The state of an instance just described (by a wait): only its volumes
/// are read.
async fn state_of(c: &Clients, base: &Value, described: (Option<String>, Instance)) -> Result<Value, ProviderError> {
    let mut calls = 0;
    let instances = vec![described];
    let volumes = attached_volumes(c, &instances, &mut calls).await?;
    let (owner, i) = &instances[0];
    Ok(instance_state(c, base, owner.as_deref(), i, &volumes))
}

#[async_trait]
impl ResourceType for Ec2Instance {
    fn type_name(&self) -> &'static str {
        "aws_instance"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let mut calls = 0;
        let ids: Vec<String> = objects.iter().map(|o| o.id.clone()).filter(|id| !id.is_empty()).collect();
        let loaded =
            if ids.is_empty() { Loaded { instances: Vec::new(), volumes: HashMap::new() } } else { load(c, &ids, &mut calls).await? };
        let results = objects
            .iter()
            .map(|o| {
                let found = loaded.instances.iter().find(|(_, i)| i.instance_id() == Some(o.id.as_str()));
                let state = found.map(|(owner, i)| instance_state(c, &o.prior, owner.as_deref(), i, &loaded.volumes));
                ReadResult::new(o.addr.clone(), state)
            })
            .collect();
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let address = req.addr.to_string();
        let ami =
            p.str_attr("ami").ok_or_else(|| invalid(format!("{address}: `ami` is required (launch templates are not supported yet)")))?;
        let tags = tags_for(c, p, &address, req.token.as_deref());
        let volume_tags = volume_tags_for(c, p, &address);
        let mut run = c
            .ec2
            .run_instances()
            .image_id(ami)
            .min_count(1)
            .max_count(1)
            .set_client_token(req.token.clone())
            .set_instance_type(p.str_attr("instance_type").map(InstanceType::from))
            .set_key_name(p.string("key_name"))
            .set_ebs_optimized(p.bool_attr("ebs_optimized"))
            .set_disable_api_termination(p.bool_attr("disable_api_termination"))
            .set_disable_api_stop(p.bool_attr("disable_api_stop"))
            .set_instance_initiated_shutdown_behavior(p.str_attr("instance_initiated_shutdown_behavior").map(ShutdownBehavior::from))
            .set_user_data(user_data(p))
            .set_block_device_mappings(Some(block_devices(c, p, ami).await?).filter(|v| !v.is_empty()))
            .tag_specifications(tag_spec(Ec2Type::Instance, &tags))
            .tag_specifications(tag_spec(Ec2Type::Volume, &volume_tags));
        if let Some(m) = p.bool_attr("monitoring") {
            run = run.monitoring(RunInstancesMonitoringEnabled::builder().enabled(m).build());
        }
        if let Some(profile) = p.str_attr("iam_instance_profile") {
            let spec = IamInstanceProfileSpecification::builder();
            run = run.iam_instance_profile(if profile.starts_with("arn:") { spec.arn(profile) } else { spec.name(profile) }.build());
        }
        let placement = Placement::builder()
            .set_availability_zone(p.string("availability_zone"))
            .set_tenancy(p.str_attr("tenancy").map(Tenancy::from))
            .set_group_name(p.string("placement_group"))
            .set_partition_number(p.i32_attr("placement_partition_number"))
            .set_host_id(p.string("host_id"))
            .build();
        run = run.placement(placement);
        if let Some(b) = p.blocks("metadata_options").first() {
            run = run.metadata_options(metadata_options(b));
        }
        if let Some(credits) = p.blocks("credit_specification").first().and_then(|b| b.string("cpu_credits")) {
            run = run.credit_specification(CreditSpecificationRequest::builder().cpu_credits(credits).build());
        }
        let groups = p.str_list("vpc_security_group_ids");
        let groups = (!groups.is_empty()).then_some(groups);
        let names = p.str_list("security_groups");
        run = run.set_security_groups((!names.is_empty()).then_some(names));
        // A public address is asked for on the primary network interface,
        // which then carries the subnet, groups and private address.
        run = match p.bool_attr("associate_public_ip_address") {
            Some(public) => run.network_interfaces(
                InstanceNetworkInterfaceSpecification::builder()
                    .device_index(0)
                    .associate_public_ip_address(public)
                    .delete_on_termination(true)
                    .set_subnet_id(p.string("subnet_id"))
                    .set_groups(groups)
                    .set_private_ip_address(p.string("private_ip"))
                    .build(),
            ),
            None => run.set_subnet_id(p.string("subnet_id")).set_security_group_ids(groups).set_private_ip_address(p.string("private_ip")),
        };
        let out = run.send().await.map_err(aws_err)?;
        let id =
            out.instances().first().and_then(|i| i.instance_id()).ok_or_else(|| invalid("RunInstances returned no instance"))?.to_string();
        tracing::info!(address = %address, id = %id, "instance created; waiting until it runs");
        match wait_state(c, &id, InstanceStateName::Running, req.timeouts.create.unwrap_or(DEFAULT_TIMEOUT)).await? {
            Some(described) => state_of(c, p, described).await,
            None => read_one(c, p, &id).await,
        }
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let (prior, p) = (prior_of(req)?, &req.planned);
        let id = id_of(prior, &req.addr)?;
        let timeout = req.timeouts.update.unwrap_or(DEFAULT_TIMEOUT);
        let modify = || c.ec2.modify_instance_attribute().instance_id(&id);

        // The type and the user data change only while the instance is stopped.
        let new_type = changed(prior, p, "instance_type").then(|| p.string("instance_type")).flatten();
        let new_user_data = changed(prior, p, "user_data") || changed(prior, p, "user_data_base64");
        if new_type.is_some() || new_user_data {
            c.ec2.stop_instances().instance_ids(&id).send().await.map_err(aws_err)?;
            wait_state(c, &id, InstanceStateName::Stopped, timeout).await?;
            if let Some(t) = new_type {
                modify().instance_type(AttributeValue::builder().value(t).build()).send().await.map_err(aws_err)?;
            }
            if new_user_data {
                let blob = SecureBlobAttributeValue::builder().value(Blob::new(user_data_bytes(p)?)).build();
                modify().user_data(blob).send().await.map_err(aws_err)?;
            }
            c.ec2.start_instances().instance_ids(&id).send().await.map_err(aws_err)?;
            wait_state(c, &id, InstanceStateName::Running, timeout).await?;
        }
        if changed(prior, p, "vpc_security_group_ids") {
            modify().set_groups(Some(p.str_list("vpc_security_group_ids"))).send().await.map_err(aws_err)?;
        }
        for name in ["source_dest_check", "disable_api_termination", "disable_api_stop"] {
            if let Some(v) = p.bool_attr(name).filter(|_| changed(prior, p, name)) {
                let value = AttributeBooleanValue::builder().value(v).build();
                let m = modify();
                let m = match name {
                    "source_dest_check" => m.source_dest_check(value),
                    "disable_api_termination" => m.disable_api_termination(value),
                    _ => m.disable_api_stop(value),
                };
                m.send().await.map_err(aws_err)?;
            }
        }
        if let Some(v) =
            p.string("instance_initiated_shutdown_behavior").filter(|_| changed(prior, p, "instance_initiated_shutdown_behavior"))
        {
            modify().instance_initiated_shutdown_behavior(AttributeValue::builder().value(v).build()).send().await.map_err(aws_err)?;
        }
        match p.bool_attr("monitoring").filter(|_| changed(prior, p, "monitoring")) {
            Some(true) => drop(c.ec2.monitor_instances().instance_ids(&id).send().await.map_err(aws_err)?),
            Some(false) => drop(c.ec2.unmonitor_instances().instance_ids(&id).send().await.map_err(aws_err)?),
            None => {}
        }
        if let (Some(old), Some(new)) = (prior.blocks("metadata_options").first(), p.blocks("metadata_options").first()) {
            let fields = ["http_endpoint", "http_protocol_ipv6", "http_put_response_hop_limit", "http_tokens", "instance_metadata_tags"];
            if fields.iter().any(|f| changed(old, new, f)) {
                let o = metadata_options(new);
                c.ec2
                    .modify_instance_metadata_options()
                    .instance_id(&id)
                    .set_http_endpoint(o.http_endpoint().cloned())
                    .set_http_protocol_ipv6(o.http_protocol_ipv6().cloned())
                    .set_http_put_response_hop_limit(o.http_put_response_hop_limit())
                    .set_http_tokens(o.http_tokens().cloned())
                    .set_instance_metadata_tags(o.instance_metadata_tags().cloned())
                    .send()
                    .await
                    .map_err(aws_err)?;
            }
        }
        if let Some(profile) = p.str_attr("iam_instance_profile").filter(|_| changed(prior, p, "iam_instance_profile")) {
            let spec = IamInstanceProfileSpecification::builder();
            let spec = if profile.starts_with("arn:") { spec.arn(profile) } else { spec.name(profile) }.build();
            let current = c
                .ec2
                .describe_iam_instance_profile_associations()
                .filters(filter("instance-id", [id.as_str()]))
                .filters(filter("state", ["associating", "associated"]))
                .send()
                .await
                .map_err(aws_err)?;
            match current.iam_instance_profile_associations().first().and_then(|a| a.association_id()) {
                Some(association) => {
                    c.ec2
                        .replace_iam_instance_profile_association()
                        .association_id(association)
                        .iam_instance_profile(spec)
                        .send()
                        .await
                        .map_err(aws_err)?;
                }
                None => {
                    c.ec2.associate_iam_instance_profile().instance_id(&id).iam_instance_profile(spec).send().await.map_err(aws_err)?;
                }
            }
        }
        // The root volume is resized, retyped and retuned in place.
        if let (Some(old), Some(new)) = (prior.blocks("root_block_device").first(), p.blocks("root_block_device").first()) {
            let retuned = ["volume_size", "volume_type", "iops", "throughput"].iter().any(|a| changed(old, new, a));
            if let Some(volume) = old.str_attr("volume_id").filter(|_| retuned) {
                c.ec2
                    .modify_volume()
                    .volume_id(volume)
                    .set_size(new.i32_attr("volume_size").filter(|_| changed(old, new, "volume_size")))
                    .set_volume_type(new.str_attr("volume_type").filter(|_| changed(old, new, "volume_type")).map(VolumeType::from))
                    .set_iops(new.i32_attr("iops").filter(|_| changed(old, new, "iops")))
                    .set_throughput(new.i32_attr("throughput").filter(|_| changed(old, new, "throughput")))
                    .send()
                    .await
                    .map_err(aws_err)?;
            }
        }
        let address = req.addr.to_string();
        sync_tags(c, std::slice::from_ref(&id), &prior.str_map("tags_all"), &tags_for(c, p, &address, None)).await?;
        let desired_volume_tags = volume_tags_for(c, p, &address);
        for block in prior.blocks("root_block_device").into_iter().chain(prior.blocks("ebs_block_device")) {
            if let Some(volume) = block.string("volume_id") {
                sync_tags(c, &[volume], &block.str_map("tags_all"), &desired_volume_tags).await?;
            }
        }
        read_one(c, p, &id).await
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let id = id_of(prior_of(req)?, &req.addr)?;
        match c.ec2.terminate_instances().instance_ids(&id).send().await.map_err(aws_err) {
            Err(e) if is_not_found(&e) => return Ok(()),
            r => drop(r?),
        }
        wait_state(c, &id, InstanceStateName::Terminated, req.timeouts.delete.unwrap_or(DEFAULT_TIMEOUT)).await.map(|_| ())
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        let mut calls = 0;
        let filters = vec![
            filter(&format!("tag:{TAG_INTENT}"), [token]),
            filter("instance-state-name", ["pending", "running", "stopping", "stopped"]),
        ];
        let found = describe_instances(c, filters, &mut calls).await?;
        let Some((owner, i)) = found.into_iter().next() else { return Ok(None) };
        let volumes = attached_volumes(c, &vec![(owner.clone(), i.clone())], &mut calls).await?;
        Ok(Some(instance_state(c, planned, owner.as_deref(), &i, &volumes)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let mut calls = 0;
        let loaded = load(c, &[id.to_string()], &mut calls).await?;
        let base = empty_planned("aws_instance");
        Ok(loaded.instances.first().map(|(owner, i)| instance_state(c, &base, owner.as_deref(), i, &loaded.volumes)))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let mut calls = 0;
        let filters = vec![filter("instance-state-name", ["pending", "running", "stopping", "stopped"])];
        let found = describe_instances(c, filters, &mut calls).await?;
        let objects = found
            .iter()
            .filter_map(|(_, i)| {
                Some(ListedObject { provider_default: false, id: i.instance_id()?.to_string(), tags: tag_map(i.tags()), parent: None })
            })
            .collect();
        Ok((objects, calls))
    }
}

// ---------------------------------------------------------------------------
// aws_volume_attachment.

struct VolumeAttachment;

/// CRC-32 (IEEE), as Terraform's `hashcode.String`.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// The attachment's id, computed as the AWS provider does so that state
/// moved from Terraform keeps its ids.
pub fn attachment_id(device: &str, instance: &str, volume: &str) -> String {
    format!("vai-{}", crc32(format!("{device}-{instance}-{volume}-").as_bytes()))
}

struct AttachmentKey {
    device: String,
    instance: String,
    volume: String,
}

impl AttachmentKey {
    fn of(v: &Value) -> Option<AttachmentKey> {
        Some(AttachmentKey { device: v.string("device_name")?, instance: v.string("instance_id")?, volume: v.string("volume_id")? })
    }

    fn id(&self) -> String {
        attachment_id(&self.device, &self.instance, &self.volume)
    }

    /// The attachment's state on `volume`, if the volume is attached here.
    fn state_on<'a>(&self, volume: &'a Volume) -> Option<&'a VolumeAttachmentState> {
        volume
            .attachments()
            .iter()
            .find(|a| a.instance_id() == Some(self.instance.as_str()) && a.device() == Some(self.device.as_str()))
            .and_then(|a| a.state())
    }

    fn state(&self, base: &Value) -> Value {
        let mut b = StateBuilder::from_planned(base);
        b.str("id", Some(self.id()))
            .str("device_name", Some(&self.device))
            .str("instance_id", Some(&self.instance))
            .str("volume_id", Some(&self.volume));
        b.build()
    }

    async fn volume(&self, c: &Clients) -> Result<Option<Volume>, ProviderError> {
        let mut calls = 0;
        Ok(describe_volumes(c, vec![filter("volume-id", [self.volume.as_str()])], &mut calls).await?.into_iter().next())
    }
}

fn is_attached(s: Option<&VolumeAttachmentState>) -> bool {
    matches!(s, Some(VolumeAttachmentState::Attached | VolumeAttachmentState::Attaching))
}

fn key_of(v: &Value, addr: &impl std::fmt::Display) -> Result<AttachmentKey, ProviderError> {
    AttachmentKey::of(v).ok_or_else(|| invalid(format!("{addr}: device_name, instance_id and volume_id must be known")))
}

#[async_trait]
impl ResourceType for VolumeAttachment {
    fn type_name(&self) -> &'static str {
        "aws_volume_attachment"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let mut calls = 0;
        let keys: Vec<Option<AttachmentKey>> = objects.iter().map(|o| AttachmentKey::of(&o.prior)).collect();
        let ids: Vec<String> = keys.iter().flatten().map(|k| k.volume.clone()).collect();
        let mut volumes = HashMap::new();
        for chunk in ids.chunks(FILTER_VALUES) {
            for v in describe_volumes(c, vec![filter("volume-id", chunk.iter().cloned())], &mut calls).await? {
                if let Some(id) = v.volume_id() {
                    volumes.insert(id.to_string(), v);
                }
            }
        }
        let results = objects
            .iter()
            .zip(&keys)
            .map(|(o, k)| {
                let state =
                    k.as_ref().filter(|k| volumes.get(&k.volume).is_some_and(|v| is_attached(k.state_on(v)))).map(|k| k.state(&o.prior));
                ReadResult::new(o.addr.clone(), state)
            })
            .collect();
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let key = key_of(&req.planned, &req.addr)?;
        c.ec2.attach_volume().device(&key.device).instance_id(&key.instance).volume_id(&key.volume).send().await.map_err(aws_err)?;
        let what = format!("volume {} to be attached to {}", key.volume, key.instance);
        wait_for(&what, req.timeouts.create.unwrap_or(DEFAULT_TIMEOUT), || async {
            let volume = key.volume(c).await?;
            Ok(volume.as_ref().and_then(|v| key.state_on(v)).filter(|s| **s == VolumeAttachmentState::Attached).map(|_| ()))
        })
        .await?;
        Ok(key.state(&req.planned))
    }

    async fn update(&self, _c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        // Only strata-side settings (force_detach, skip_destroy,
        // stop_instance_before_detaching) change in place.
        Ok(key_of(&req.planned, &req.addr)?.state(&req.planned))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let prior = prior_of(req)?;
        if prior.bool_attr("skip_destroy") == Some(true) {
            return Ok(());
        }
        let key = key_of(prior, &req.addr)?;
        let timeout = req.timeouts.delete.unwrap_or(DEFAULT_TIMEOUT);
        if prior.bool_attr("stop_instance_before_detaching") == Some(true) {
            match c.ec2.stop_instances().instance_ids(&key.instance).send().await.map_err(aws_err) {
                Err(e) if is_not_found(&e) => return Ok(()),
                r => drop(r?),
            }
            wait_state(c, &key.instance, InstanceStateName::Stopped, timeout).await?;
        }
        let detach = c
            .ec2
            .detach_volume()
            .device(&key.device)
            .instance_id(&key.instance)
            .volume_id(&key.volume)
            .set_force(prior.bool_attr("force_detach"))
            .send()
            .await
            .map_err(aws_err);
        match detach {
            Err(e) if is_not_found(&e) || e.code.as_deref() == Some("IncorrectState") => return Ok(()),
            r => drop(r?),
        }
        let what = format!("volume {} to be detached from {}", key.volume, key.instance);
        wait_for(&what, timeout, || async {
            let volume = key.volume(c).await?;
            Ok(volume.as_ref().is_none_or(|v| key.state_on(v).is_none_or(|s| *s == VolumeAttachmentState::Detached)).then_some(()))
        })
        .await
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, _token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        // Attachments have no tags; the device, instance and volume identify one.
        identity_known(planned, "aws_volume_attachment", &["device_name", "instance_id", "volume_id"])?;
        let Some(key) = AttachmentKey::of(planned) else { return Ok(None) };
        let volume = key.volume(c).await?;
        Ok(volume.filter(|v| is_attached(key.state_on(v))).map(|_| key.state(planned)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        // Terraform's import id: DEVICE_NAME:VOLUME_ID:INSTANCE_ID.
        let parts: Vec<&str> = id.split(':').collect();
        let [device, volume, instance] = parts[..] else {
            return Err(invalid(format!("import id {id:?} must be DEVICE_NAME:VOLUME_ID:INSTANCE_ID")));
        };
        let key = AttachmentKey { device: device.into(), instance: instance.into(), volume: volume.into() };
        let found = key.volume(c).await?;
        Ok(found.filter(|v| is_attached(key.state_on(v))).map(|_| key.state(&empty_planned("aws_volume_attachment"))))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let mut calls = 0;
        let volumes = describe_volumes(c, vec![filter("attachment.status", ["attaching", "attached"])], &mut calls).await?;
        // Root volumes come with their instances, not from an attachment:
        // they are not unmanaged attachments.
        let instances =
            describe_instances(c, vec![filter("instance-state-name", ["pending", "running", "stopping", "stopped"])], &mut calls).await?;
        let roots: BTreeSet<(&str, &str)> = instances.iter().filter_map(|(_, i)| Some((i.instance_id()?, i.root_device_name()?))).collect();
        let objects = volumes
            .iter()
            .flat_map(|v| v.attachments())
            .filter(|a| !roots.contains(&(a.instance_id().unwrap_or_default(), a.device().unwrap_or_default())))
            .filter_map(|a| {
                Some(ListedObject {
                    provider_default: false,
                    id: attachment_id(a.device()?, a.instance_id()?, a.volume_id()?),
                    tags: BTreeMap::new(),
                    parent: Some(("aws_instance".into(), a.instance_id()?.to_string())),
                })
            })
            .collect();
        Ok((objects, calls))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_ids_match_terraform() {
        // CRC-32 (IEEE) of "123456789" is the standard check value.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(attachment_id("/dev/sdh", "i-1", "vol-1"), format!("vai-{}", crc32(b"/dev/sdh-i-1-vol-1-")));
    }

    #[test]
    fn user_data_is_base64_encoded_once() {
        let p = Value::map([("user_data", Value::string("echo hi"))]);
        assert_eq!(user_data(&p).as_deref(), Some("ZWNobyBoaQ=="));
        let p = Value::map([("user_data_base64", Value::string("ZWNobyBoaQ=="))]);
        assert_eq!(user_data(&p).as_deref(), Some("ZWNobyBoaQ=="));
        assert_eq!(user_data_bytes(&p).unwrap(), b"echo hi");
    }
}
