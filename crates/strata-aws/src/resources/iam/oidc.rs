//! `aws_iam_openid_connect_provider` (its id is its ARN).
//!
//! In place: client ids (Add/RemoveClientIDToOpenIDConnectProvider), the
//! thumbprints and tags. IAM lists providers by ARN only
//! (ListOpenIDConnectProviders, one unpaginated call): the batched read
//! makes that call and then one GetOpenIDConnectProvider per recorded
//! provider that still exists (url, client ids, thumbprints, tags).

use std::collections::BTreeSet;

use async_trait::async_trait;
use aws_sdk_iam::operation::get_open_id_connect_provider::GetOpenIdConnectProviderOutput as Got;
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{blank, changed, create_tags, gone_ok, has_intent, prior, prior_str, tag_map, tag_update};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, invalid};

pub struct OidcProvider;

async fn arns(c: &Clients) -> Result<Vec<String>, ProviderError> {
    let out = c.iam.list_open_id_connect_providers().send().await.map_err(aws_err)?;
    Ok(out.open_id_connect_provider_list.unwrap_or_default().into_iter().filter_map(|e| e.arn).collect())
}

async fn get(c: &Clients, arn: &str) -> Result<Option<Got>, ProviderError> {
    match c.iam.get_open_id_connect_provider().open_id_connect_provider_arn(arn).send().await.map_err(aws_err) {
        Ok(out) => Ok(Some(out)),
        Err(e) if crate::util::is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// IAM reports the url without its scheme; the configured form is kept.
fn state(base: &Value, arn: &str, g: &Got) -> Value {
    let mut b = StateBuilder::from_planned(base);
    let url = g.url.as_deref().unwrap_or_default();
    let recorded = base.str_attr("url").filter(|u| u.trim_start_matches("https://") == url.trim_start_matches("https://"));
    let clients: BTreeSet<&str> = g.client_id_list().iter().map(String::as_str).collect();
    b.str("id", Some(arn))
        .str("arn", Some(arn))
        .str("url", Some(recorded.map_or_else(|| format!("https://{}", url.trim_start_matches("https://")), str::to_string)))
        .strs("client_id_list", clients)
        .strs("thumbprint_list", g.thumbprint_list().iter().cloned());
    b.tags(&tag_map(g.tags()));
    b.build()
}

#[async_trait]
impl ResourceType for OidcProvider {
    fn type_name(&self) -> &'static str {
        "aws_iam_openid_connect_provider"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let existing: BTreeSet<String> = arns(c).await?.into_iter().collect();
        let mut calls = 1;
        let mut results = Vec::new();
        for o in objects {
            let found = match existing.contains(&o.id) {
                true => {
                    calls += 1;
                    get(c, &o.id).await?.map(|g| state(&o.prior, &o.id, &g))
                }
                false => None,
            };
            results.push(ReadResult::new(o.addr.clone(), found));
        }
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let thumbprints = p.str_list("thumbprint_list");
        let out = c
            .iam
            .create_open_id_connect_provider()
            .set_url(p.string("url"))
            .set_client_id_list(Some(p.str_list("client_id_list")))
            .set_thumbprint_list((!thumbprints.is_empty()).then_some(thumbprints))
            .set_tags(Some(create_tags(c, req)?))
            .send()
            .await
            .map_err(aws_err)?;
        let arn = out.open_id_connect_provider_arn.ok_or_else(|| invalid("CreateOpenIDConnectProvider returned no ARN"))?;
        let g = get(c, &arn).await?.ok_or_else(|| invalid(format!("{arn} disappeared after its create")))?;
        Ok(state(p, &arn, &g))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let arn = prior_str(req, "arn")?;
        let p = &req.planned;
        if changed(req, "client_id_list") {
            let want: BTreeSet<String> = p.str_list("client_id_list").into_iter().collect();
            let have: BTreeSet<String> = prior(req)?.str_list("client_id_list").into_iter().collect();
            for id in want.difference(&have) {
                c.iam
                    .add_client_id_to_open_id_connect_provider()
                    .open_id_connect_provider_arn(&arn)
                    .client_id(id)
                    .send()
                    .await
                    .map_err(aws_err)?;
            }
            for id in have.difference(&want) {
                c.iam
                    .remove_client_id_from_open_id_connect_provider()
                    .open_id_connect_provider_arn(&arn)
                    .client_id(id)
                    .send()
                    .await
                    .map_err(aws_err)?;
            }
        }
        if changed(req, "thumbprint_list") && p.attr("thumbprint_list").is_some() {
            c.iam
                .update_open_id_connect_provider_thumbprint()
                .open_id_connect_provider_arn(&arn)
                .set_thumbprint_list(Some(p.str_list("thumbprint_list")))
                .send()
                .await
                .map_err(aws_err)?;
        }
        let (set, stale) = tag_update(c, req)?;
        if !stale.is_empty() {
            c.iam
                .untag_open_id_connect_provider()
                .open_id_connect_provider_arn(&arn)
                .set_tag_keys(Some(stale))
                .send()
                .await
                .map_err(aws_err)?;
        }
        if !set.is_empty() {
            c.iam.tag_open_id_connect_provider().open_id_connect_provider_arn(&arn).set_tags(Some(set)).send().await.map_err(aws_err)?;
        }
        let g = get(c, &arn).await?.ok_or_else(|| invalid(format!("{arn} disappeared during its update")))?;
        Ok(state(p, &arn, &g))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let arn = prior_str(req, "arn")?;
        gone_ok(c.iam.delete_open_id_connect_provider().open_id_connect_provider_arn(arn).send().await.map_err(aws_err))
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        for arn in arns(c).await? {
            if let Some(g) = get(c, &arn).await?
                && has_intent(g.tags(), token)
            {
                return Ok(Some(state(planned, &arn, &g)));
            }
        }
        Ok(None)
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        Ok(get(c, id).await?.map(|g| state(&blank("aws_iam_openid_connect_provider"), id, &g)))
    }

    /// Every provider, with its tags (one GetOpenIDConnectProvider each:
    /// the list reports ARNs only).
    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let all = arns(c).await?;
        let mut calls = 1;
        let mut listed = Vec::new();
        for arn in all {
            calls += 1;
            if let Some(g) = get(c, &arn).await? {
                listed.push(ListedObject { id: arn, tags: tag_map(g.tags()), provider_default: false, parent: None });
            }
        }
        Ok((listed, calls))
    }
}
