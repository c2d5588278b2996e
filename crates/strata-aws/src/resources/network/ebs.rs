//! `aws_ebs_volume`.
//!
//! Create passes the intent token as ClientToken and waits until the volume
//! is `available`. In place: tags and `size`, `type`, `iops`, `throughput`
//! (one ModifyVolume, then a wait until the modification is `optimizing`
//! or `completed`; the volume is usable again from then on). Delete takes
//! the final snapshot first when `final_snapshot` is set, retries while the
//! volume is still attached (`VolumeInUse`) and waits until it is gone.

use async_trait::async_trait;
use aws_sdk_ec2::types::{self as ec2, Filter, Tag, VolumeModificationState, VolumeState, VolumeType};
use aws_smithy_types::date_time::Format;
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{
    Ec2Kind, account_id, all_pages, arn, blank, describe_one, enum_str, find_intent, list_all, nonempty, prior, prior_id, read_each,
    retry_on, set_tags, tag_spec, timeout, update_tags,
};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, invalid, wait_for};

pub struct Volume;

impl Ec2Kind for Volume {
    type Obj = ec2::Volume;
    const ID_FILTER: &'static str = "volume-id";

    async fn describe(c: &Clients, filters: Vec<Filter>) -> Result<(Vec<ec2::Volume>, usize), ProviderError> {
        all_pages!(c.ec2.describe_volumes().set_filters(Some(filters)).into_paginator().send(), |page| page.volumes.unwrap_or_default())
    }

    fn id(o: &ec2::Volume) -> Option<&str> {
        o.volume_id()
    }

    fn tags(o: &ec2::Volume) -> &[Tag] {
        o.tags()
    }

    fn gone(o: &ec2::Volume) -> bool {
        o.state() == Some(&VolumeState::Deleted)
    }
}

/// The state; `account` (for the ARN when AWS does not give it) when
/// known, else the base's ARN stays.
fn state(c: &Clients, base: &Value, v: &ec2::Volume, account: Option<&str>) -> Value {
    let id = v.volume_id().unwrap_or_default();
    let arn = nonempty(v.volume_arn())
        .map(str::to_string)
        .or_else(|| nonempty(v.owner_id()).or(account).map(|o| arn(c, o, &format!("volume/{id}"))))
        .or_else(|| base.string("arn"));
    let mut b = StateBuilder::from_planned(base);
    b.str("id", Some(id))
        .str("arn", arn)
        .str("availability_zone", v.availability_zone())
        .str("create_time", v.create_time().and_then(|t| t.fmt(Format::DateTime).ok()))
        .bool("encrypted", v.encrypted())
        .str("kms_key_id", nonempty(v.kms_key_id()))
        .num("size", v.size())
        .num("iops", v.iops())
        .num("throughput", v.throughput())
        .str("type", enum_str(v.volume_type()))
        .str("snapshot_id", nonempty(v.snapshot_id()))
        .str("outpost_arn", nonempty(v.outpost_arn()).or(base.str_attr("outpost_arn")))
        // Not configured and off: keep the configuration's null.
        .bool("multi_attach_enabled", v.multi_attach_enabled().filter(|m| *m || base.attr("multi_attach_enabled").is_some()));
    set_tags(&mut b, v.tags());
    b.build()
}

async fn wait_available(c: &Clients, id: &str, t: std::time::Duration) -> Result<ec2::Volume, ProviderError> {
    wait_for(&format!("volume {id} to become available"), t, || async {
        let v = describe_one::<Volume>(c, id).await?;
        match v.as_ref().and_then(|v| v.state()) {
            Some(VolumeState::Available | VolumeState::InUse) => Ok(v),
            Some(VolumeState::Error) => Err(invalid(format!("volume {id} failed: AWS reports it in the error state"))),
            _ => Ok(None),
        }
    })
    .await
}

/// Wait until the latest modification of the volume can be used.
async fn wait_modified(c: &Clients, id: &str, t: std::time::Duration) -> Result<(), ProviderError> {
    wait_for(&format!("the modification of volume {id}"), t, || async {
        let out = c.ec2.describe_volumes_modifications().volume_ids(id).send().await.map_err(aws_err)?;
        let latest = out
            .volumes_modifications()
            .iter()
            .filter(|m| m.volume_id() == Some(id))
            .max_by_key(|m| m.start_time().map(|t| (t.secs(), t.subsec_nanos())));
        match latest.and_then(|m| m.modification_state()) {
            Some(VolumeModificationState::Optimizing | VolumeModificationState::Completed) | None => Ok(Some(())),
            Some(VolumeModificationState::Failed) => Err(invalid(format!(
                "the modification of volume {id} failed: {}",
                latest.and_then(|m| m.status_message()).unwrap_or("no reason given")
            ))),
            _ => Ok(None),
        }
    })
    .await
}

#[async_trait]
impl ResourceType for Volume {
    fn type_name(&self) -> &'static str {
        "aws_ebs_volume"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        read_each::<Volume>(c, objects, |prior, v| state(c, prior, v, None)).await
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let out = c
            .ec2
            .create_volume()
            .set_availability_zone(p.string("availability_zone"))
            .set_size(p.i32_attr("size"))
            .set_volume_type(p.str_attr("type").map(VolumeType::from))
            .set_iops(p.i32_attr("iops"))
            .set_throughput(p.i32_attr("throughput"))
            .set_encrypted(p.bool_attr("encrypted"))
            .set_kms_key_id(p.string("kms_key_id"))
            .set_snapshot_id(p.string("snapshot_id"))
            .set_outpost_arn(p.string("outpost_arn"))
            .set_multi_attach_enabled(p.bool_attr("multi_attach_enabled"))
            .set_client_token(req.token.clone())
            .tag_specifications(tag_spec(c, req, ec2::ResourceType::Volume))
            .send()
            .await
            .map_err(aws_err)?;
        let id = out.volume_id.ok_or_else(|| invalid("CreateVolume returned no volume id"))?;
        let v = wait_available(c, &id, timeout(req.timeouts.create)).await?;
        Ok(state(c, p, &v, Some(&account_id(c).await?)))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let id = prior_id(req)?;
        let p = &req.planned;
        update_tags(c, &id, req).await?;
        let (size, ty, iops, throughput) =
            (super::changed(req, "size"), super::changed(req, "type"), super::changed(req, "iops"), super::changed(req, "throughput"));
        if size || ty || iops || throughput {
            // Provisioned IOPS go with the types that take them, even when only the type changes.
            let takes_iops = matches!(p.str_attr("type"), Some("io1" | "io2" | "gp3"));
            c.ec2
                .modify_volume()
                .volume_id(&id)
                .set_size(p.i32_attr("size").filter(|_| size))
                .set_volume_type(p.str_attr("type").filter(|_| ty).map(VolumeType::from))
                .set_iops(p.i32_attr("iops").filter(|_| iops || (ty && takes_iops)))
                .set_throughput(p.i32_attr("throughput").filter(|_| throughput))
                .send()
                .await
                .map_err(aws_err)?;
            wait_modified(c, &id, timeout(req.timeouts.update)).await?;
        }
        let v = describe_one::<Volume>(c, &id).await?.ok_or_else(|| invalid(format!("volume {id} disappeared during the update")))?;
        Ok(state(c, p, &v, None))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let id = prior_id(req)?;
        let t = timeout(req.timeouts.delete);
        if describe_one::<Volume>(c, &id).await?.is_none() {
            return Ok(());
        }
        if prior(req)?.bool_attr("final_snapshot") == Some(true) {
            let tags = super::ec2_tags(&prior(req)?.str_map("tags_all"));
            let spec = ec2::TagSpecification::builder().resource_type(ec2::ResourceType::Snapshot).set_tags(Some(tags)).build();
            let snap = c
                .ec2
                .create_snapshot()
                .volume_id(&id)
                .description(format!("final snapshot of {} ({id})", req.addr))
                .tag_specifications(spec)
                .send()
                .await;
            let snap = snap.map_err(aws_err)?.snapshot_id.ok_or_else(|| invalid("CreateSnapshot returned no snapshot id"))?;
            wait_for(&format!("final snapshot {snap} of volume {id}"), t, || async {
                let out = c.ec2.describe_snapshots().snapshot_ids(&snap).send().await.map_err(aws_err)?;
                let s = out.snapshots().first().and_then(|s| s.state()).map(|s| s.as_str().to_string());
                match s.as_deref() {
                    Some("completed") => Ok(Some(())),
                    Some("error") => Err(invalid(format!("final snapshot {snap} of volume {id} failed"))),
                    _ => Ok(None),
                }
            })
            .await?;
        }
        retry_on(&["VolumeInUse"], t, || async { c.ec2.delete_volume().volume_id(&id).send().await.map(|_| ()).map_err(aws_err) }).await?;
        wait_for(&format!("volume {id} to be deleted"), t, || async { Ok(describe_one::<Volume>(c, &id).await?.is_none().then_some(())) })
            .await
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        match find_intent::<Volume>(c, token).await? {
            Some(v) => Ok(Some(state(c, planned, &v, Some(&account_id(c).await?)))),
            None => Ok(None),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        match describe_one::<Volume>(c, id).await? {
            Some(v) => Ok(Some(state(c, &blank("aws_ebs_volume"), &v, Some(&account_id(c).await?)))),
            None => Ok(None),
        }
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        list_all::<Volume>(c).await
    }
}
