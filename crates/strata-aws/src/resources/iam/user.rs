//! `aws_iam_user` (its id is its name).
//!
//! In place: the name and path (UpdateUser), the permissions boundary and
//! tags. The batched read is GetAccountAuthorizationDetails filtered to
//! users, one call per page (tags and boundary included). Delete with
//! `force_destroy` first removes what IAM refuses to delete a user with:
//! access keys, login profile, attached and inline policies, groups.

use async_trait::async_trait;
use aws_sdk_iam::types::{EntityType, UserDetail};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{blank, changed, create_tags, each_page, gone_ok, has_intent, prior, prior_str, tag_map, tag_update};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, invalid};

pub struct User;

async fn users(c: &Clients) -> Result<(Vec<UserDetail>, usize), ProviderError> {
    let mut out = Vec::new();
    let calls = each_page!(c.iam.get_account_authorization_details().filter(EntityType::User).into_paginator().send(), |page| {
        out.extend(page.user_detail_list.unwrap_or_default());
    });
    Ok((out, calls))
}

fn state(base: &Value, u: &UserDetail) -> Value {
    let mut b = StateBuilder::from_planned(base);
    b.str("id", u.user_name.as_deref())
        .str("name", u.user_name.as_deref())
        .str("arn", u.arn.as_deref())
        .str("path", u.path.as_deref())
        .str("unique_id", u.user_id.as_deref())
        .str("permissions_boundary", u.permissions_boundary.as_ref().and_then(|p| p.permissions_boundary_arn.as_deref()));
    b.tags(&tag_map(u.tags()));
    b.build()
}

/// One user by name (GetUser reports its tags and boundary).
async fn full_state(c: &Clients, base: &Value, name: &str) -> Result<Option<Value>, ProviderError> {
    let user = match c.iam.get_user().user_name(name).send().await.map_err(aws_err) {
        Ok(out) => out.user,
        Err(e) if crate::util::is_not_found(&e) => None,
        Err(e) => return Err(e),
    };
    Ok(user.map(|u| {
        let detail = UserDetail::builder()
            .user_name(u.user_name)
            .user_id(u.user_id)
            .arn(u.arn)
            .path(u.path)
            .set_permissions_boundary(u.permissions_boundary)
            .set_tags(u.tags)
            .build();
        state(base, &detail)
    }))
}

/// What IAM refuses to delete a user with.
async fn strip(c: &Clients, name: &str) -> Result<(), ProviderError> {
    let mut keys = Vec::new();
    each_page!(c.iam.list_access_keys().user_name(name).into_paginator().send(), |page| {
        keys.extend(page.access_key_metadata.into_iter().filter_map(|k| k.access_key_id));
    });
    for k in keys {
        gone_ok(c.iam.delete_access_key().user_name(name).access_key_id(k).send().await.map_err(aws_err))?;
    }
    gone_ok(c.iam.delete_login_profile().user_name(name).send().await.map_err(aws_err))?;
    let mut arns = Vec::new();
    each_page!(c.iam.list_attached_user_policies().user_name(name).into_paginator().send(), |page| {
        arns.extend(page.attached_policies.unwrap_or_default().into_iter().filter_map(|p| p.policy_arn));
    });
    for arn in arns {
        gone_ok(c.iam.detach_user_policy().user_name(name).policy_arn(arn).send().await.map_err(aws_err))?;
    }
    let mut inline = Vec::new();
    each_page!(c.iam.list_user_policies().user_name(name).into_paginator().send(), |page| {
        inline.extend(page.policy_names);
    });
    for p in inline {
        gone_ok(c.iam.delete_user_policy().user_name(name).policy_name(p).send().await.map_err(aws_err))?;
    }
    let mut groups = Vec::new();
    each_page!(c.iam.list_groups_for_user().user_name(name).into_paginator().send(), |page| {
        groups.extend(page.groups.into_iter().map(|g| g.group_name));
    });
    for g in groups {
        gone_ok(c.iam.remove_user_from_group().user_name(name).group_name(g).send().await.map_err(aws_err))?;
    }
    Ok(())
}

#[async_trait]
impl ResourceType for User {
    fn type_name(&self) -> &'static str {
        "aws_iam_user"
    }

    fn named(&self) -> bool {
        true
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let (found, calls) = users(c).await?;
        let results = objects
            .iter()
            .map(|o| {
                ReadResult::new(
                    o.addr.clone(),
                    found.iter().find(|u| u.user_name.as_deref() == Some(o.id.as_str())).map(|u| state(&o.prior, u)),
                )
            })
            .collect();
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let name = p.string("name").ok_or_else(|| invalid(format!("{}: name is not known", req.addr)))?;
        c.iam
            .create_user()
            .user_name(&name)
            .set_path(p.string("path"))
            .set_permissions_boundary(p.string("permissions_boundary"))
            .set_tags(Some(create_tags(c, req)?))
            .send()
            .await
            .map_err(aws_err)?;
        full_state(c, p, &name).await?.ok_or_else(|| invalid(format!("user {name} disappeared after its create")))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let mut name = prior_str(req, "id")?;
        let p = &req.planned;
        if changed(req, "name") || changed(req, "path") {
            let new_name = p.string("name").unwrap_or_else(|| name.clone());
            c.iam
                .update_user()
                .user_name(&name)
                .set_new_user_name(changed(req, "name").then(|| new_name.clone()))
                .set_new_path(p.string("path").filter(|_| changed(req, "path")))
                .send()
                .await
                .map_err(aws_err)?;
            name = new_name;
        }
        if changed(req, "permissions_boundary") {
            match p.string("permissions_boundary").filter(|b| !b.is_empty()) {
                Some(arn) => {
                    c.iam.put_user_permissions_boundary().user_name(&name).permissions_boundary(arn).send().await.map_err(aws_err)?;
                }
                None => gone_ok(c.iam.delete_user_permissions_boundary().user_name(&name).send().await.map_err(aws_err))?,
            }
        }
        let (mut set, stale) = tag_update(c, req)?;
        if changed(req, "name") {
            // Every tag again after a rename (moto files tags under the old name).
            set = super::iam_tags(&crate::util::tags_for(c, p, &req.addr.to_string(), None))?;
        }
        if !stale.is_empty() {
            c.iam.untag_user().user_name(&name).set_tag_keys(Some(stale)).send().await.map_err(aws_err)?;
        }
        if !set.is_empty() {
            c.iam.tag_user().user_name(&name).set_tags(Some(set)).send().await.map_err(aws_err)?;
        }
        full_state(c, p, &name).await?.ok_or_else(|| invalid(format!("user {name} disappeared during its update")))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let name = prior_str(req, "id")?;
        if prior(req)?.bool_attr("force_destroy") == Some(true) {
            gone_ok(strip(c, &name).await)?;
        }
        gone_ok(c.iam.delete_user().user_name(&name).send().await.map_err(aws_err))
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        let (found, _) = users(c).await?;
        Ok(found.iter().find(|u| has_intent(u.tags(), token)).map(|u| state(planned, u)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        full_state(c, &blank("aws_iam_user"), id).await
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let (found, calls) = users(c).await?;
        let listed = found
            .iter()
            .filter_map(|u| Some(ListedObject { id: u.user_name.clone()?, tags: tag_map(u.tags()), provider_default: false, parent: None }))
            .collect();
        Ok((listed, calls))
    }
}
