//! `aws_iam_role_policy_attachment`: a managed policy attached to a role.
//! Its id is `role/policy_arn` (what Terraform imports by); it has no tags
//! and is found after a crash by that identity. The batched read takes
//! every role's attached policies from GetAccountAuthorizationDetails;
//! drift lists each attachment with its role as parent.

use async_trait::async_trait;
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{Roles, blank, each_page, gone_ok, prior_str, roles};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, identity_known, invalid};

pub struct RolePolicyAttachment;

fn id(role: &str, arn: &str) -> String {
    format!("{role}/{arn}")
}

/// `role/arn` → (role, arn); the ARN holds slashes, the role name none.
fn split(id: &str) -> Option<(&str, &str)> {
    id.split_once('/').filter(|(r, a)| !r.is_empty() && a.starts_with("arn:"))
}

fn state(base: &Value, role: &str, arn: &str) -> Value {
    let mut b = StateBuilder::from_planned(base);
    b.str("id", Some(id(role, arn))).str("role", Some(role)).str("policy_arn", Some(arn));
    b.build()
}

/// Whether the policy is attached to the role (ListAttachedRolePolicies).
async fn attached(c: &Clients, role: &str, arn: &str) -> Result<bool, ProviderError> {
    let mut found = false;
    let walk = async {
        each_page!(c.iam.list_attached_role_policies().role_name(role).into_paginator().send(), |page| {
            found |= page.attached_policies().iter().any(|p| p.policy_arn.as_deref() == Some(arn));
        });
        Ok::<(), ProviderError>(())
    };
    match walk.await {
        Err(e) if crate::util::is_not_found(&e) => Ok(false),
        r => r.map(|()| found),
    }
}

#[async_trait]
impl ResourceType for RolePolicyAttachment {
    fn type_name(&self) -> &'static str {
        "aws_iam_role_policy_attachment"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let (Roles { details, .. }, calls) = roles(c, false).await?;
        let results = objects
            .iter()
            .map(|o| {
                let (role, arn) = (o.prior.str_attr("role").unwrap_or_default(), o.prior.str_attr("policy_arn").unwrap_or_default());
                let found =
                    details.get(role).is_some_and(|d| d.attached_managed_policies().iter().any(|p| p.policy_arn.as_deref() == Some(arn)));
                ReadResult::new(o.addr.clone(), found.then(|| state(&o.prior, role, arn)))
            })
            .collect();
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let (role, arn) = (p.string("role").unwrap_or_default(), p.string("policy_arn").unwrap_or_default());
        c.iam.attach_role_policy().role_name(&role).policy_arn(&arn).send().await.map_err(aws_err)?;
        Ok(state(p, &role, &arn))
    }

    async fn update(&self, _c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        Err(invalid(format!("{}: every argument of a role policy attachment forces a replacement", req.addr)))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let (role, arn) = (prior_str(req, "role")?, prior_str(req, "policy_arn")?);
        gone_ok(c.iam.detach_role_policy().role_name(role).policy_arn(arn).send().await.map_err(aws_err))
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, _token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        identity_known(planned, "aws_iam_role_policy_attachment", &["role", "policy_arn"])?;
        let (role, arn) = (planned.str_attr("role").unwrap_or_default(), planned.str_attr("policy_arn").unwrap_or_default());
        Ok(attached(c, role, arn).await?.then(|| state(planned, role, arn)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let (role, arn) = split(id).ok_or_else(|| invalid(format!("{id:?} is not ROLE/POLICY_ARN")))?;
        Ok(attached(c, role, arn).await?.then(|| state(&blank("aws_iam_role_policy_attachment"), role, arn)))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let (Roles { details, .. }, calls) = roles(c, false).await?;
        let mut listed = Vec::new();
        for (role, d) in &details {
            for arn in d.attached_managed_policies().iter().filter_map(|p| p.policy_arn.as_deref()) {
                listed.push(ListedObject {
                    id: id(role, arn),
                    tags: Default::default(),
                    provider_default: d.path.as_deref().is_some_and(|p| p.starts_with("/aws-service-role/")),
                    parent: Some(("aws_iam_role".into(), role.clone())),
                });
            }
        }
        Ok((listed, calls))
    }
}
