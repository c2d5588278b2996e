//! `aws_volume_attachment`: no tags and no id of its own in AWS; the
//! device, instance and volume identify it (its id is Terraform's hash of
//! them), read from the volume's attachments.

use super::*;

pub(super) struct VolumeAttachment;

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
}
