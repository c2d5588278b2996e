//! `aws_iam_role_policy`: an inline policy of a role. Its id is
//! `role:name`; it has no tags and is found after a crash by that identity.
//! The batched read takes every role's inline policies, documents included,
//! from GetAccountAuthorizationDetails; drift lists each with its role as
//! parent. In place: the document (PutRolePolicy).

use async_trait::async_trait;
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{Roles, blank, document, gone_ok, name_for, prior_str, roles};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, identity_known, invalid};

pub struct RolePolicy;

fn state(base: &Value, role: &str, name: &str, doc: &str) -> Value {
    let mut b = StateBuilder::from_planned(base);
    b.str("id", Some(format!("{role}:{name}")))
        .str("role", Some(role))
        .str("name", Some(name))
        .str("policy", Some(document(doc, base.str_attr("policy"))));
    b.build()
}

/// The policy's document (GetRolePolicy), if the role has it.
async fn get(c: &Clients, role: &str, name: &str) -> Result<Option<String>, ProviderError> {
    match c.iam.get_role_policy().role_name(role).policy_name(name).send().await.map_err(aws_err) {
        Ok(out) => Ok(Some(out.policy_document)),
        Err(e) if crate::util::is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn put(c: &Clients, p: &Value, role: &str, name: &str) -> Result<Value, ProviderError> {
    let doc = p.string("policy").unwrap_or_default();
    c.iam.put_role_policy().role_name(role).policy_name(name).policy_document(&doc).send().await.map_err(aws_err)?;
    let live =
        get(c, role, name).await?.ok_or_else(|| invalid(format!("inline policy {name} of role {role} disappeared after its put")))?;
    Ok(state(p, role, name, &live))
}

#[async_trait]
impl ResourceType for RolePolicy {
    fn type_name(&self) -> &'static str {
        "aws_iam_role_policy"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let (Roles { details, .. }, calls) = roles(c, false).await?;
        let results = objects
            .iter()
            .map(|o| {
                let (role, name) = (o.prior.str_attr("role").unwrap_or_default(), o.prior.str_attr("name").unwrap_or_default());
                let doc = details
                    .get(role)
                    .and_then(|d| d.role_policy_list().iter().find(|p| p.policy_name.as_deref() == Some(name)))
                    .and_then(|p| p.policy_document.as_deref());
                ReadResult::new(o.addr.clone(), doc.map(|doc| state(&o.prior, role, name, doc)))
            })
            .collect();
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let role = p.string("role").unwrap_or_default();
        put(c, p, &role, &name_for(p)).await
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let (role, name) = (prior_str(req, "role")?, prior_str(req, "name")?);
        put(c, &req.planned, &role, &name).await
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let (role, name) = (prior_str(req, "role")?, prior_str(req, "name")?);
        gone_ok(c.iam.delete_role_policy().role_name(role).policy_name(name).send().await.map_err(aws_err))
    }

    /// By role and name; a policy named by a prefix only cannot be told
    /// from others and is not adopted.
    async fn find_by_intent(&self, c: &Clients, _addr: &str, _token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        identity_known(planned, "aws_iam_role_policy", &["role"])?;
        let (Some(role), Some(name)) = (planned.str_attr("role"), planned.str_attr("name")) else { return Ok(None) };
        Ok(get(c, role, name).await?.map(|doc| state(planned, role, name, &doc)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let (role, name) = id.split_once(':').ok_or_else(|| invalid(format!("{id:?} is not ROLE:POLICY_NAME")))?;
        Ok(get(c, role, name).await?.map(|doc| state(&blank("aws_iam_role_policy"), role, name, &doc)))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let (Roles { details, .. }, calls) = roles(c, false).await?;
        let mut listed = Vec::new();
        for (role, d) in &details {
            for name in d.role_policy_list().iter().filter_map(|p| p.policy_name.as_deref()) {
                listed.push(ListedObject {
                    id: format!("{role}:{name}"),
                    tags: Default::default(),
                    provider_default: false,
                    parent: Some(("aws_iam_role".into(), role.clone())),
                });
            }
        }
        Ok((listed, calls))
    }
}
