//! `aws_iam_role`.
//!
//! In place: description, max_session_duration (UpdateRole), the trust
//! policy (UpdateAssumeRolePolicy), the permissions boundary, tags, and
//! the deprecated exclusive `inline_policy` blocks and `managed_policy_arns`
//! when configured. Those two are read into the state only when the
//! recorded object has them (the role then manages its policies
//! exclusively); otherwise the role's attachments and inline policies
//! belong to `aws_iam_role_policy_attachment` and `aws_iam_role_policy`,
//! and a role that gains one is not a change of the role. Delete takes the
//! role out of its instance profiles, and with `force_detach_policies` (or
//! exclusive policies) detaches and deletes its policies first.

use std::collections::BTreeSet;

use async_trait::async_trait;
use aws_sdk_iam::types::{Role, RoleDetail};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{
    Roles, blank, changed, create_tags, date, document, each_page, gone_ok, has_intent, name_for, prior, prior_str, roles, tag_map,
    tag_update,
};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, invalid};

pub struct IamRole;

/// Whether the recorded object manages `name` (a list or set) exclusively.
fn tracks(base: &Value, name: &str) -> bool {
    base.attr(name).and_then(|v| v.peel().as_seq()).is_some_and(|s| !s.is_empty())
}

/// The state from ListRoles' `role` and the role's details, over `base`.
fn state(base: &Value, role: &Role, detail: Option<&RoleDetail>) -> Value {
    let mut b = StateBuilder::from_planned(base);
    b.str("id", Some(&role.role_name))
        .str("name", Some(&role.role_name))
        .str("arn", Some(&role.arn))
        .str("unique_id", Some(&role.role_id))
        .str("path", Some(&role.path))
        .str("create_date", date(&role.create_date))
        .str("description", role.description.as_deref().filter(|d| !d.is_empty()))
        .num("max_session_duration", role.max_session_duration.map(f64::from).or(Some(3600.0)));
    if let Some(doc) = role.assume_role_policy_document.as_deref().or(detail.and_then(|d| d.assume_role_policy_document.as_deref())) {
        b.str("assume_role_policy", Some(document(doc, base.str_attr("assume_role_policy"))));
    }
    if let Some(d) = detail {
        b.str("permissions_boundary", d.permissions_boundary.as_ref().and_then(|p| p.permissions_boundary_arn.as_deref()));
        b.tags(&tag_map(d.tags()));
        if tracks(base, "managed_policy_arns") {
            let arns: BTreeSet<&str> = d.attached_managed_policies().iter().filter_map(|p| p.policy_arn.as_deref()).collect();
            b.strs("managed_policy_arns", arns);
        }
        if tracks(base, "inline_policy") {
            let recorded = base.blocks("inline_policy");
            let mut blocks: Vec<Value> = d
                .role_policy_list()
                .iter()
                .map(|p| {
                    let name = p.policy_name.clone().unwrap_or_default();
                    let prior = recorded.iter().find(|r| r.str_attr("name") == Some(name.as_str())).and_then(|r| r.str_attr("policy"));
                    let doc = p.policy_document.as_deref().map(|d| document(d, prior)).unwrap_or_default();
                    Value::map([("name", Value::string(name)), ("policy", Value::string(doc))])
                })
                .collect();
            blocks.sort_by_key(|v| v.string("name"));
            b.set("inline_policy", Value::List(blocks.into()));
        }
    }
    b.build()
}

/// The role by name (GetRole, which reports its tags and boundary too).
async fn get(c: &Clients, name: &str) -> Result<Option<Role>, ProviderError> {
    match c.iam.get_role().role_name(name).send().await.map_err(aws_err) {
        Ok(out) => Ok(out.role),
        Err(e) if crate::util::is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The full state of one role: GetRole and, for the policies, the role's
/// details. Used after a create or update and by import.
async fn full_state(c: &Clients, base: &Value, name: &str) -> Result<Option<Value>, ProviderError> {
    let Some(role) = get(c, name).await? else { return Ok(None) };
    let mut detail = RoleDetail::builder()
        .set_permissions_boundary(role.permissions_boundary.clone())
        .set_tags(role.tags.clone())
        .set_assume_role_policy_document(role.assume_role_policy_document.clone())
        .build();
    if tracks(base, "managed_policy_arns") {
        let mut attached = Vec::new();
        each_page!(c.iam.list_attached_role_policies().role_name(name).into_paginator().send(), |page| {
            attached.extend(page.attached_policies.unwrap_or_default());
        });
        detail.attached_managed_policies = Some(attached);
    }
    if tracks(base, "inline_policy") {
        let mut names = Vec::new();
        each_page!(c.iam.list_role_policies().role_name(name).into_paginator().send(), |page| {
            names.extend(page.policy_names);
        });
        let mut list = Vec::new();
        for n in names {
            let out = c.iam.get_role_policy().role_name(name).policy_name(&n).send().await.map_err(aws_err)?;
            list.push(aws_sdk_iam::types::PolicyDetail::builder().policy_name(n).policy_document(out.policy_document).build());
        }
        detail.role_policy_list = Some(list);
    }
    Ok(Some(state(base, &role, Some(&detail))))
}

/// Inline policies of the `inline_policy` blocks, by name.
fn inline(v: &Value) -> Vec<(String, String)> {
    v.blocks("inline_policy")
        .into_iter()
        .filter_map(|b| Some((b.string("name").filter(|n| !n.is_empty())?, b.string("policy").filter(|p| !p.is_empty())?)))
        .collect()
}

/// Bring the exclusive policies from `old` to `new` (each as configured).
async fn sync_policies(c: &Clients, name: &str, old: &Value, new: &Value) -> Result<(), ProviderError> {
    if new.attr("managed_policy_arns").is_some() {
        let want: BTreeSet<String> = new.str_list("managed_policy_arns").into_iter().collect();
        let have: BTreeSet<String> = old.str_list("managed_policy_arns").into_iter().collect();
        for arn in have.difference(&want) {
            gone_ok(c.iam.detach_role_policy().role_name(name).policy_arn(arn).send().await.map_err(aws_err))?;
        }
        for arn in want.difference(&have) {
            c.iam.attach_role_policy().role_name(name).policy_arn(arn).send().await.map_err(aws_err)?;
        }
    }
    if !new.blocks("inline_policy").is_empty() || !old.blocks("inline_policy").is_empty() {
        let want = inline(new);
        let have = inline(old);
        for (n, _) in have.iter().filter(|(n, _)| !want.iter().any(|(w, _)| w == n)) {
            gone_ok(c.iam.delete_role_policy().role_name(name).policy_name(n).send().await.map_err(aws_err))?;
        }
        for (n, doc) in want.iter().filter(|w| !have.contains(w)) {
            c.iam.put_role_policy().role_name(name).policy_name(n).policy_document(doc).send().await.map_err(aws_err)?;
        }
    }
    Ok(())
}

/// Detach every managed policy and delete every inline policy of the role.
async fn detach_all(c: &Clients, name: &str) -> Result<(), ProviderError> {
    let mut arns = Vec::new();
    each_page!(c.iam.list_attached_role_policies().role_name(name).into_paginator().send(), |page| {
        arns.extend(page.attached_policies.unwrap_or_default().into_iter().filter_map(|p| p.policy_arn));
    });
    for arn in arns {
        gone_ok(c.iam.detach_role_policy().role_name(name).policy_arn(arn).send().await.map_err(aws_err))?;
    }
    let mut names = Vec::new();
    each_page!(c.iam.list_role_policies().role_name(name).into_paginator().send(), |page| {
        names.extend(page.policy_names);
    });
    for n in names {
        gone_ok(c.iam.delete_role_policy().role_name(name).policy_name(n).send().await.map_err(aws_err))?;
    }
    Ok(())
}

#[async_trait]
impl ResourceType for IamRole {
    fn type_name(&self) -> &'static str {
        "aws_iam_role"
    }

    fn named(&self) -> bool {
        true
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let (Roles { listed, details }, calls) = roles(c, true).await?;
        let results = objects
            .iter()
            .map(|o| ReadResult::new(o.addr.clone(), listed.get(&o.id).map(|r| state(&o.prior, r, details.get(&o.id)))))
            .collect();
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let name = name_for(p);
        c.iam
            .create_role()
            .role_name(&name)
            .set_assume_role_policy_document(p.string("assume_role_policy"))
            .set_description(p.string("description"))
            .set_max_session_duration(p.i32_attr("max_session_duration"))
            .set_path(p.string("path"))
            .set_permissions_boundary(p.string("permissions_boundary"))
            .set_tags(Some(create_tags(c, req)?))
            .send()
            .await
            .map_err(aws_err)?;
        sync_policies(c, &name, &Value::Null, p).await?;
        full_state(c, p, &name).await?.ok_or_else(|| invalid(format!("role {name} disappeared after its create")))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let name = prior_str(req, "id")?;
        let p = &req.planned;
        if changed(req, "description") || changed(req, "max_session_duration") {
            c.iam
                .update_role()
                .role_name(&name)
                .description(p.string("description").unwrap_or_default())
                .set_max_session_duration(p.i32_attr("max_session_duration"))
                .send()
                .await
                .map_err(aws_err)?;
        }
        if changed(req, "assume_role_policy") {
            let doc = p.string("assume_role_policy").unwrap_or_default();
            c.iam.update_assume_role_policy().role_name(&name).policy_document(doc).send().await.map_err(aws_err)?;
        }
        if changed(req, "permissions_boundary") {
            match p.string("permissions_boundary").filter(|b| !b.is_empty()) {
                Some(arn) => {
                    c.iam.put_role_permissions_boundary().role_name(&name).permissions_boundary(arn).send().await.map_err(aws_err)?;
                }
                None => gone_ok(c.iam.delete_role_permissions_boundary().role_name(&name).send().await.map_err(aws_err))?,
            }
        }
        let (set, stale) = tag_update(c, req)?;
        if !stale.is_empty() {
            c.iam.untag_role().role_name(&name).set_tag_keys(Some(stale)).send().await.map_err(aws_err)?;
        }
        if !set.is_empty() {
            c.iam.tag_role().role_name(&name).set_tags(Some(set)).send().await.map_err(aws_err)?;
        }
        sync_policies(c, &name, prior(req)?, p).await?;
        full_state(c, p, &name).await?.ok_or_else(|| invalid(format!("role {name} disappeared during its update")))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let name = prior_str(req, "id")?;
        let prior = prior(req)?;
        // Out of its instance profiles first: IAM refuses to delete a role that is in one.
        let mut profiles = Vec::new();
        let listed = c.iam.list_instance_profiles_for_role().role_name(&name).into_paginator().send();
        let walk = async {
            each_page!(listed, |page| {
                profiles.extend(page.instance_profiles.into_iter().map(|p| p.instance_profile_name));
            });
            Ok::<(), ProviderError>(())
        };
        gone_ok(walk.await)?;
        for profile in profiles {
            gone_ok(
                c.iam.remove_role_from_instance_profile().instance_profile_name(profile).role_name(&name).send().await.map_err(aws_err),
            )?;
        }
        if prior.bool_attr("force_detach_policies") == Some(true) || tracks(prior, "managed_policy_arns") || tracks(prior, "inline_policy")
        {
            gone_ok(detach_all(c, &name).await)?;
        }
        gone_ok(c.iam.delete_role().role_name(&name).send().await.map_err(aws_err))
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        let (Roles { details, .. }, _) = roles(c, false).await?;
        let Some(name) = details.values().find(|d| has_intent(d.tags(), token)).and_then(|d| d.role_name.clone()) else {
            return Ok(None);
        };
        full_state(c, planned, &name).await
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        full_state(c, &blank("aws_iam_role"), id).await
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let (Roles { details, .. }, calls) = roles(c, false).await?;
        let listed = details
            .values()
            .filter_map(|d| {
                Some(ListedObject {
                    id: d.role_name.clone()?,
                    tags: tag_map(d.tags()),
                    // Service-linked roles are made by AWS services.
                    provider_default: d.path.as_deref().is_some_and(|p| p.starts_with("/aws-service-role/")),
                    parent: None,
                })
            })
            .collect();
        Ok((listed, calls))
    }
}
