//! `aws_key_pair`: an imported public key. Its id is the key name, as in
//! Terraform.
//!
//! In place: tags (everything else forces a new key pair). DescribeKeyPairs
//! has no pages, so the batched `read` is one call; the public key is not
//! read back there (AWS only returns it on request), nor the ARN (which
//! needs the account id): both keep their recorded values.

use async_trait::async_trait;
use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{self as ec2, Filter, Tag};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{
    Ec2Kind, account_id, arn, blank, enum_str, find_intent, gone_ok, list_all, prior, prior_id, read_each, set_tags, tag_spec, unique_name,
    update_tags,
};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, invalid};

pub struct KeyPair;

impl Ec2Kind for KeyPair {
    type Obj = ec2::KeyPairInfo;
    const ID_FILTER: &'static str = "key-name";

    async fn describe(c: &Clients, filters: Vec<Filter>) -> Result<(Vec<ec2::KeyPairInfo>, usize), ProviderError> {
        let out = c.ec2.describe_key_pairs().set_filters(Some(filters)).send().await.map_err(aws_err)?;
        Ok((out.key_pairs.unwrap_or_default(), 1))
    }

    fn id(o: &ec2::KeyPairInfo) -> Option<&str> {
        o.key_name()
    }

    fn tags(o: &ec2::KeyPairInfo) -> &[Tag] {
        o.tags()
    }
}

/// The state; `account` (for the ARN) when known, else the base's ARN stays.
fn state(c: &Clients, base: &Value, k: &ec2::KeyPairInfo, account: Option<&str>) -> Value {
    let name = k.key_name().unwrap_or_default();
    let mut b = StateBuilder::from_planned(base);
    b.str("id", Some(name))
        .str("key_name", Some(name))
        .str("key_pair_id", k.key_pair_id())
        .str("key_type", enum_str(k.key_type()))
        .str("fingerprint", k.key_fingerprint());
    if let Some(public_key) = k.public_key() {
        // AWS adds the key name as the comment; keep the configured text when it is the same key.
        let same = base.str_attr("public_key").is_some_and(|p| key_body(p) == key_body(public_key));
        if !same {
            b.str("public_key", Some(public_key.trim()));
        }
    }
    if let Some(account) = account {
        b.str("arn", Some(arn(c, account, &format!("key-pair/{name}"))));
    }
    set_tags(&mut b, k.tags());
    b.build()
}

/// The type and key of an OpenSSH public key line, without the comment.
fn key_body(line: &str) -> String {
    line.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

/// Describe one key pair with its public key.
async fn describe_full(c: &Clients, name: &str) -> Result<Option<ec2::KeyPairInfo>, ProviderError> {
    let out =
        c.ec2.describe_key_pairs().filters(super::filter("key-name", [name])).include_public_key(true).send().await.map_err(aws_err)?;
    Ok(out.key_pairs.unwrap_or_default().into_iter().find(|k| k.key_name() == Some(name)))
}

async fn full_state(c: &Clients, base: &Value, name: &str) -> Result<Option<Value>, ProviderError> {
    match describe_full(c, name).await? {
        Some(k) => Ok(Some(state(c, base, &k, Some(&account_id(c).await?)))),
        None => Ok(None),
    }
}

#[async_trait]
impl ResourceType for KeyPair {
    fn type_name(&self) -> &'static str {
        "aws_key_pair"
    }

    fn named(&self) -> bool {
        true
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        read_each::<KeyPair>(c, objects, |prior, k| state(c, prior, k, None)).await
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let public_key = p.str_attr("public_key").ok_or_else(|| invalid("public_key is not known"))?;
        let name = p.string("key_name").unwrap_or_else(|| unique_name(p.str_attr("key_name_prefix")));
        c.ec2
            .import_key_pair()
            .key_name(&name)
            .public_key_material(Blob::new(public_key.as_bytes()))
            .tag_specifications(tag_spec(c, req, ec2::ResourceType::KeyPair))
            .send()
            .await
            .map_err(aws_err)?;
        full_state(c, p, &name).await?.ok_or_else(|| invalid(format!("key pair {name} disappeared after its import")))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let name = prior_id(req)?;
        // Tags of a key pair are addressed by its key pair id.
        let key_id = prior(req)?.string("key_pair_id").ok_or_else(|| invalid(format!("key pair {name} has no recorded key_pair_id")))?;
        update_tags(c, &key_id, req).await?;
        full_state(c, &req.planned, &name).await?.ok_or_else(|| invalid(format!("key pair {name} does not exist")))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        // By name, as Terraform does (moto ignores KeyPairId here).
        let name = prior_id(req)?;
        gone_ok(c.ec2.delete_key_pair().key_name(name).send().await.map(|_| ()).map_err(aws_err))
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        match find_intent::<KeyPair>(c, token).await? {
            Some(k) => full_state(c, planned, k.key_name().unwrap_or_default()).await,
            None => Ok(None),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        full_state(c, &blank("aws_key_pair"), id).await
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        list_all::<KeyPair>(c).await
    }
}
