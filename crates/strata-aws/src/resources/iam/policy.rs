//! `aws_iam_policy` (a customer managed policy; its id is its ARN).
//!
//! In place: the document (a new default version; the oldest non-default
//! version is deleted first when the policy has the five IAM allows) and
//! tags. The batched read takes the documents from
//! GetAccountAuthorizationDetails; the tags, which no list reports, are
//! read per policy by a deep read (ListPolicyTags) and after every change.

use async_trait::async_trait;
use aws_sdk_iam::types::ManagedPolicyDetail;
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{blank, create_tags, document, each_page, gone_ok, has_intent, local_policies, name_for, prior_str, tag_map, tag_update};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, invalid, per_object};

pub struct IamPolicy;

/// The state of a policy from its details (documents included), over `base`.
fn state(base: &Value, p: &ManagedPolicyDetail) -> Value {
    let mut b = StateBuilder::from_planned(base);
    let doc = p.policy_version_list().iter().find(|v| v.is_default_version).and_then(|v| v.document.as_deref());
    b.str("id", p.arn.as_deref())
        .str("arn", p.arn.as_deref())
        // The ARN ends with the name (moto's details leave the name out).
        .str("name", p.policy_name.as_deref().or_else(|| p.arn.as_deref().and_then(|a| a.rsplit('/').next())))
        .str("path", p.path.as_deref())
        .str("policy_id", p.policy_id.as_deref())
        .str("description", p.description.as_deref().filter(|d| !d.is_empty()))
        .num("attachment_count", p.attachment_count.map(f64::from));
    if let Some(doc) = doc {
        b.str("policy", Some(document(doc, base.str_attr("policy"))));
    }
    b.build()
}

/// The policy's tags into its state.
async fn with_tags(c: &Clients, state: Value) -> Result<Value, ProviderError> {
    let Some(arn) = state.string("arn") else { return Ok(state) };
    let mut tags = Vec::new();
    each_page!(c.iam.list_policy_tags().policy_arn(&arn).into_paginator().send(), |page| {
        tags.extend(page.tags);
    });
    let mut b = StateBuilder::from_planned(&state);
    b.tags(&tag_map(&tags));
    Ok(b.build())
}

/// One policy by ARN (GetPolicy, GetPolicyVersion, ListPolicyTags).
async fn full_state(c: &Clients, base: &Value, arn: &str) -> Result<Option<Value>, ProviderError> {
    let policy = match c.iam.get_policy().policy_arn(arn).send().await.map_err(aws_err) {
        Ok(out) => out.policy,
        Err(e) if crate::util::is_not_found(&e) => None,
        Err(e) => return Err(e),
    };
    let Some(p) = policy else { return Ok(None) };
    let version = match p.default_version_id.as_deref() {
        Some(v) => c.iam.get_policy_version().policy_arn(arn).version_id(v).send().await.map_err(aws_err)?.policy_version,
        None => None,
    };
    let detail = ManagedPolicyDetail::builder()
        .set_arn(p.arn.clone())
        .set_policy_name(p.policy_name.clone())
        .set_path(p.path.clone())
        .set_policy_id(p.policy_id.clone())
        .set_description(p.description.clone())
        .set_attachment_count(p.attachment_count)
        .set_policy_version_list(version.map(|v| vec![v]))
        .build();
    Ok(Some(with_tags(c, state(base, &detail)).await?))
}

#[async_trait]
impl ResourceType for IamPolicy {
    fn type_name(&self) -> &'static str {
        "aws_iam_policy"
    }

    fn named(&self) -> bool {
        true
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let (found, calls) = local_policies(c).await?;
        let results = objects.iter().map(|o| ReadResult::new(o.addr.clone(), found.get(&o.id).map(|p| state(&o.prior, p)))).collect();
        Ok((results, calls))
    }

    async fn read_deep(&self, c: &Clients, results: &mut [ReadResult]) -> Result<usize, ProviderError> {
        per_object(c, results, |c, _, state| async move { with_tags(&c, state).await }).await
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let name = name_for(p);
        let out = c
            .iam
            .create_policy()
            .policy_name(&name)
            .set_policy_document(p.string("policy"))
            .set_description(p.string("description"))
            .set_path(p.string("path"))
            .set_tags(Some(create_tags(c, req)?))
            .send()
            .await
            .map_err(aws_err)?;
        let arn = out.policy.and_then(|p| p.arn).ok_or_else(|| invalid("CreatePolicy returned no ARN"))?;
        full_state(c, p, &arn).await?.ok_or_else(|| invalid(format!("policy {arn} disappeared after its create")))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let arn = prior_str(req, "arn")?;
        if super::changed(req, "policy") {
            let mut versions = Vec::new();
            each_page!(c.iam.list_policy_versions().policy_arn(&arn).into_paginator().send(), |page| {
                versions.extend(page.versions.unwrap_or_default());
            });
            // IAM keeps at most five versions: make room by the oldest non-default one.
            if versions.len() >= 5 {
                let oldest = versions.iter().filter(|v| !v.is_default_version).min_by_key(|v| v.create_date.map(|d| d.as_nanos()));
                if let Some(id) = oldest.and_then(|v| v.version_id.as_deref()) {
                    c.iam.delete_policy_version().policy_arn(&arn).version_id(id).send().await.map_err(aws_err)?;
                }
            }
            c.iam
                .create_policy_version()
                .policy_arn(&arn)
                .set_policy_document(req.planned.string("policy"))
                .set_as_default(true)
                .send()
                .await
                .map_err(aws_err)?;
        }
        let (set, stale) = tag_update(c, req)?;
        if !stale.is_empty() {
            c.iam.untag_policy().policy_arn(&arn).set_tag_keys(Some(stale)).send().await.map_err(aws_err)?;
        }
        if !set.is_empty() {
            c.iam.tag_policy().policy_arn(&arn).set_tags(Some(set)).send().await.map_err(aws_err)?;
        }
        full_state(c, &req.planned, &arn).await?.ok_or_else(|| invalid(format!("policy {arn} disappeared during its update")))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let arn = prior_str(req, "arn")?;
        // Non-default versions first: IAM refuses to delete a policy that has any.
        let mut versions = Vec::new();
        let walk = async {
            each_page!(c.iam.list_policy_versions().policy_arn(&arn).into_paginator().send(), |page| {
                versions.extend(page.versions.unwrap_or_default());
            });
            Ok::<(), ProviderError>(())
        };
        gone_ok(walk.await)?;
        for v in versions.iter().filter(|v| !v.is_default_version) {
            if let Some(id) = v.version_id.as_deref() {
                gone_ok(c.iam.delete_policy_version().policy_arn(&arn).version_id(id).send().await.map_err(aws_err))?;
            }
        }
        gone_ok(c.iam.delete_policy().policy_arn(&arn).send().await.map_err(aws_err))
    }

    /// The policy tagged with the token: the account's policies of the
    /// planned path (and name, when configured), then their tags.
    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        let mut candidates = Vec::new();
        let list = c.iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).set_path_prefix(planned.string("path"));
        each_page!(list.into_paginator().send(), |page| {
            for p in page.policies.unwrap_or_default() {
                let name_ok = match (planned.str_attr("name"), planned.str_attr("name_prefix")) {
                    (Some(n), _) => p.policy_name.as_deref() == Some(n),
                    (None, Some(prefix)) => p.policy_name.as_deref().is_some_and(|n| n.starts_with(prefix)),
                    (None, None) => true,
                };
                if name_ok && let Some(arn) = p.arn {
                    candidates.push(arn);
                }
            }
        });
        for arn in candidates {
            let mut tags = Vec::new();
            each_page!(c.iam.list_policy_tags().policy_arn(&arn).into_paginator().send(), |page| {
                tags.extend(page.tags);
            });
            if has_intent(&tags, token) {
                return full_state(c, planned, &arn).await;
            }
        }
        Ok(None)
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        full_state(c, &blank("aws_iam_policy"), id).await
    }

    /// The account's own policies (without tags: no list reports them).
    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let (found, calls) = local_policies(c).await?;
        let listed =
            found.into_keys().map(|id| ListedObject { id, tags: Default::default(), provider_default: false, parent: None }).collect();
        Ok((listed, calls))
    }
}
