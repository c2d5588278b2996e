//! `aws_iam_instance_profile` (its id is its name).
//!
//! In place: the role (RemoveRoleFromInstanceProfile, AddRoleToInstanceProfile)
//! and tags. The batched read is ListInstanceProfiles, one call per page;
//! the tags, which it does not report, are read per profile by a deep read
//! (GetInstanceProfile) and after every change.

use async_trait::async_trait;
use aws_sdk_iam::types::InstanceProfile as Profile;
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{blank, changed, create_tags, date, each_page, gone_ok, has_intent, name_for, prior_str, tag_map, tag_update};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, invalid, per_object};

pub struct InstanceProfile;

fn state(base: &Value, p: &Profile) -> Value {
    let mut b = StateBuilder::from_planned(base);
    b.str("id", Some(&p.instance_profile_name))
        .str("name", Some(&p.instance_profile_name))
        .str("arn", Some(&p.arn))
        .str("path", Some(&p.path))
        .str("unique_id", Some(&p.instance_profile_id))
        .str("create_date", date(&p.create_date))
        .str("role", p.roles.first().map(|r| r.role_name.as_str()));
    b.build()
}

async fn all(c: &Clients) -> Result<(Vec<Profile>, usize), ProviderError> {
    let mut out = Vec::new();
    let calls = each_page!(c.iam.list_instance_profiles().into_paginator().send(), |page| {
        out.extend(page.instance_profiles);
    });
    Ok((out, calls))
}

/// The profile's tags, from GetInstanceProfile (which reports them; moto
/// has no ListInstanceProfileTags).
async fn tags(c: &Clients, name: &str) -> Result<Vec<aws_sdk_iam::types::Tag>, ProviderError> {
    let out = c.iam.get_instance_profile().instance_profile_name(name).send().await.map_err(aws_err)?;
    Ok(out.instance_profile.and_then(|p| p.tags).unwrap_or_default())
}

async fn with_tags(c: &Clients, state: Value) -> Result<Value, ProviderError> {
    let Some(name) = state.string("name") else { return Ok(state) };
    let tags = tags(c, &name).await?;
    let mut b = StateBuilder::from_planned(&state);
    b.tags(&tag_map(&tags));
    Ok(b.build())
}

/// One profile by name (GetInstanceProfile, tags included).
async fn full_state(c: &Clients, base: &Value, name: &str) -> Result<Option<Value>, ProviderError> {
    match c.iam.get_instance_profile().instance_profile_name(name).send().await.map_err(aws_err) {
        Ok(out) => match out.instance_profile {
            Some(p) => {
                let mut b = StateBuilder::from_planned(&state(base, &p));
                b.tags(&tag_map(p.tags()));
                Ok(Some(b.build()))
            }
            None => Ok(None),
        },
        Err(e) if crate::util::is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl ResourceType for InstanceProfile {
    fn type_name(&self) -> &'static str {
        "aws_iam_instance_profile"
    }

    fn named(&self) -> bool {
        true
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let (found, calls) = all(c).await?;
        let results = objects
            .iter()
            .map(|o| ReadResult::new(o.addr.clone(), found.iter().find(|p| p.instance_profile_name == o.id).map(|p| state(&o.prior, p))))
            .collect();
        Ok((results, calls))
    }

    async fn read_deep(&self, c: &Clients, results: &mut [ReadResult]) -> Result<usize, ProviderError> {
        per_object(c, results, |c, _, state| async move { with_tags(&c, state).await }).await
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let name = name_for(p);
        c.iam
            .create_instance_profile()
            .instance_profile_name(&name)
            .set_path(p.string("path"))
            .set_tags(Some(create_tags(c, req)?))
            .send()
            .await
            .map_err(aws_err)?;
        if let Some(role) = p.str_attr("role") {
            c.iam.add_role_to_instance_profile().instance_profile_name(&name).role_name(role).send().await.map_err(aws_err)?;
        }
        full_state(c, p, &name).await?.ok_or_else(|| invalid(format!("instance profile {name} disappeared after its create")))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let name = prior_str(req, "id")?;
        if changed(req, "role") {
            if let Some(old) = req.prior.as_ref().and_then(|p| p.str_attr("role")) {
                gone_ok(
                    c.iam.remove_role_from_instance_profile().instance_profile_name(&name).role_name(old).send().await.map_err(aws_err),
                )?;
            }
            if let Some(role) = req.planned.str_attr("role") {
                c.iam.add_role_to_instance_profile().instance_profile_name(&name).role_name(role).send().await.map_err(aws_err)?;
            }
        }
        let (set, stale) = tag_update(c, req)?;
        if !stale.is_empty() {
            c.iam.untag_instance_profile().instance_profile_name(&name).set_tag_keys(Some(stale)).send().await.map_err(aws_err)?;
        }
        if !set.is_empty() {
            c.iam.tag_instance_profile().instance_profile_name(&name).set_tags(Some(set)).send().await.map_err(aws_err)?;
        }
        full_state(c, &req.planned, &name).await?.ok_or_else(|| invalid(format!("instance profile {name} disappeared during its update")))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let name = prior_str(req, "id")?;
        // Its roles first: IAM refuses to delete a profile that has one.
        let roles = match c.iam.get_instance_profile().instance_profile_name(&name).send().await.map_err(aws_err) {
            Ok(out) => out.instance_profile.map(|p| p.roles).unwrap_or_default(),
            Err(e) if crate::util::is_not_found(&e) => return Ok(()),
            Err(e) => return Err(e),
        };
        for r in roles {
            gone_ok(
                c.iam.remove_role_from_instance_profile().instance_profile_name(&name).role_name(r.role_name).send().await.map_err(aws_err),
            )?;
        }
        gone_ok(c.iam.delete_instance_profile().instance_profile_name(&name).send().await.map_err(aws_err))
    }

    /// By the configured name, else among the profiles of the planned
    /// prefix; either way the intent tag must be the token.
    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        let names: Vec<String> = match planned.str_attr("name") {
            Some(n) => vec![n.to_string()],
            None => {
                let prefix = planned.str_attr("name_prefix").unwrap_or("terraform-");
                all(c).await?.0.into_iter().map(|p| p.instance_profile_name).filter(|n| n.starts_with(prefix)).collect()
            }
        };
        for name in names {
            match tags(c, &name).await {
                Ok(t) if has_intent(&t, token) => return full_state(c, planned, &name).await,
                Ok(_) => {}
                Err(e) if crate::util::is_not_found(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        full_state(c, &blank("aws_iam_instance_profile"), id).await
    }

    /// Every profile (without tags: ListInstanceProfiles does not report them).
    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let (found, calls) = all(c).await?;
        let listed = found
            .into_iter()
            .map(|p| ListedObject {
                id: p.instance_profile_name,
                tags: p.tags.as_deref().map(tag_map).unwrap_or_default(),
                provider_default: false,
                parent: None,
            })
            .collect();
        Ok((listed, calls))
    }
}
