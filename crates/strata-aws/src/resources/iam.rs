//! IAM: roles, managed policies, role policy attachments, inline role
//! policies, instance profiles, users and OpenID Connect providers; data `aws_iam_policy_document`
//! (evaluated locally) and `aws_partition` (from the region).
//!
//! IAM has no describe-by-ids. A batched read lists the account, one call
//! per page through the SDK's paginators: roles from ListRoles (name,
//! description, session duration, trust policy) and
//! GetAccountAuthorizationDetails filtered to roles (tags, permissions
//! boundary, inline policies with their documents, attached policies),
//! which also serves the attachments and inline policies; managed policies
//! from GetAccountAuthorizationDetails filtered to local policies (with
//! their documents); instance profiles from ListInstanceProfiles. Tags of
//! managed policies and instance profiles, which no list reports, are read
//! one object at a time, by a deep read only.
//!
//! Policy documents come back URL-encoded and reformatted: a document
//! equivalent to the recorded one keeps the recorded text
//! ([`strata_provider::policy::policies_equivalent`]).

mod attachment;
mod instance_profile;
mod oidc;
mod policy;
pub(crate) mod policy_document;
mod role;
mod role_policy;
mod user;

use std::collections::{BTreeMap, HashMap};

use aws_sdk_iam::types::{EntityType, ManagedPolicyDetail, Role, RoleDetail, Tag};
use strata_core::Value;
use strata_provider::{ApplyRequest, ProviderError};

use super::ResourceType;
use crate::clients::Clients;
use crate::util::{Attrs, invalid, is_not_found, tags_for};

pub fn types() -> Vec<Box<dyn ResourceType>> {
    vec![
        Box::new(role::IamRole),
        Box::new(policy::IamPolicy),
        Box::new(attachment::RolePolicyAttachment),
        Box::new(role_policy::RolePolicy),
        Box::new(instance_profile::InstanceProfile),
        Box::new(user::User),
        Box::new(oidc::OidcProvider),
    ]
}

/// Every page of a paginated call, through the SDK's paginator: `$stream`
/// is `op.into_paginator().send()`; `$page` is bound to each output in
/// turn. Evaluates to the number of calls made.
macro_rules! each_page {
    ($stream:expr, |$page:ident| $body:block) => {{
        let mut stream = $stream;
        let mut calls = 0usize;
        while let Some(page) = stream.next().await {
            calls += 1;
            let $page = page.map_err(crate::util::aws_err)?;
            $body
        }
        calls
    }};
}
pub(crate) use each_page;

/// The account's roles by name: what ListRoles and the role details of
/// GetAccountAuthorizationDetails report.
pub(crate) struct Roles {
    pub listed: HashMap<String, Role>,
    pub details: HashMap<String, RoleDetail>,
}

/// Every role with its details (two paginated lists). `with_list`: also
/// ListRoles (the role type needs it; attachments and inline policies do not).
async fn roles(c: &Clients, with_list: bool) -> Result<(Roles, usize), ProviderError> {
    let mut listed = HashMap::new();
    let mut calls = 0;
    if with_list {
        calls += each_page!(c.iam.list_roles().into_paginator().send(), |page| {
            for r in page.roles {
                listed.insert(r.role_name.clone(), r);
            }
        });
    }
    let mut details = HashMap::new();
    calls += each_page!(c.iam.get_account_authorization_details().filter(EntityType::Role).into_paginator().send(), |page| {
        for r in page.role_detail_list.unwrap_or_default() {
            if let Some(name) = r.role_name.clone() {
                details.insert(name, r);
            }
        }
    });
    Ok((Roles { listed, details }, calls))
}

/// The account's own managed policies by ARN, with their documents.
async fn local_policies(c: &Clients) -> Result<(HashMap<String, ManagedPolicyDetail>, usize), ProviderError> {
    let mut out = HashMap::new();
    let calls =
        each_page!(c.iam.get_account_authorization_details().filter(EntityType::LocalManagedPolicy).into_paginator().send(), |page| {
            for p in page.policies.unwrap_or_default() {
                if let Some(arn) = p.arn.clone() {
                    out.insert(arn, p);
                }
            }
        });
    Ok((out, calls))
}

/// A policy document as IAM returns it (URL-encoded) made readable; the
/// recorded text when it means the same.
fn document(live: &str, recorded: Option<&str>) -> String {
    let text = if serde_json::from_str::<serde_json::Value>(live).is_ok() { live.to_string() } else { percent_decode(live) };
    match recorded {
        Some(r) if strata_provider::policy::policies_equivalent(r, &text) => r.to_string(),
        _ => text,
    }
}

/// RFC 3986 percent-decoding; text that does not decode is kept as is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect()
}

fn iam_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(|e| invalid(format!("tag {k}: {e}")))).collect()
}

/// The tags of a create call: every tag [`tags_for`] gives.
fn create_tags(c: &Clients, req: &ApplyRequest) -> Result<Vec<Tag>, ProviderError> {
    iam_tags(&tags_for(c, &req.planned, &req.addr.to_string(), req.token.as_deref()))
}

/// The tag changes of an update: (tags to write, keys to remove). strata's
/// own tags are written again (`strata:address` follows a move).
fn tag_update(c: &Clients, req: &ApplyRequest) -> Result<(Vec<Tag>, Vec<String>), ProviderError> {
    let wanted = tags_for(c, &req.planned, &req.addr.to_string(), None);
    let (mut changed, stale) = crate::util::tag_changes(req.prior.as_ref().unwrap_or(&Value::Null), &wanted);
    changed.extend(wanted.iter().filter(|(k, _)| k.starts_with(crate::util::STRATA_TAG_PREFIX)).map(|(k, v)| (k.clone(), v.clone())));
    Ok((iam_tags(&changed)?, stale))
}

fn has_intent(tags: &[Tag], token: &str) -> bool {
    tags.iter().any(|t| t.key == crate::util::TAG_INTENT && t.value == token)
}

/// A name for a created object: the configured one, or the prefix (or
/// `terraform-`) and a time-ordered suffix, as Terraform names them.
fn name_for(planned: &Value) -> String {
    if let Some(n) = planned.str_attr("name") {
        return n.to_string();
    }
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{}{nanos:026}", planned.str_attr("name_prefix").unwrap_or("terraform-"))
}

fn date(d: &aws_smithy_types::DateTime) -> Option<String> {
    d.fmt(aws_smithy_types::date_time::Format::DateTime).ok()
}

/// The prior object of an update or delete.
fn prior(req: &ApplyRequest) -> Result<&Value, ProviderError> {
    req.prior.as_ref().ok_or_else(|| invalid(format!("{} has no recorded state", req.addr)))
}

fn prior_str(req: &ApplyRequest, name: &str) -> Result<String, ProviderError> {
    prior(req)?.string(name).ok_or_else(|| invalid(format!("{} has no recorded {name}", req.addr)))
}

/// Whether the planned value of an attribute differs from the prior one.
fn changed(req: &ApplyRequest, name: &str) -> bool {
    strata_provider::differs(req.prior.as_ref().and_then(|p| p.attr(name)), req.planned.attr(name))
}

/// Treat "does not exist" as success (idempotent deletes).
fn gone_ok<T>(r: Result<T, ProviderError>) -> Result<(), ProviderError> {
    match r {
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(e),
        Ok(_) => Ok(()),
    }
}

/// A state with every attribute of the type's schema (defaults; computed
/// ones null), for `import`.
fn blank(ty: &str) -> Value {
    crate::util::skeleton(ty)
}

/// data `aws_iam_policy`: by `arn` (GetPolicy), or by `name` among the
/// policies under `path_prefix` (ListPolicies, every page), which must
/// match exactly one; then its default version's document.
pub async fn policy_data(c: &Clients, config: &Value, b: &mut crate::util::StateBuilder) -> Result<(), ProviderError> {
    let arn = match (config.str_attr("arn"), config.str_attr("name")) {
        (Some(arn), _) => arn.to_string(),
        (None, Some(name)) => {
            let mut found = Vec::new();
            let list = c.iam.list_policies().set_path_prefix(config.string("path_prefix"));
            each_page!(list.into_paginator().send(), |page| {
                found.extend(
                    page.policies.unwrap_or_default().into_iter().filter(|p| p.policy_name.as_deref() == Some(name)).filter_map(|p| p.arn),
                );
            });
            match found.as_slice() {
                [one] => one.clone(),
                [] => return Err(invalid(format!("no IAM policy named {name:?} found"))),
                _ => return Err(invalid(format!("{} IAM policies are named {name:?}; give `arn` or `path_prefix`", found.len()))),
            }
        }
        (None, None) => return Err(invalid("data aws_iam_policy needs `arn` or `name`")),
    };
    let p = c
        .iam
        .get_policy()
        .policy_arn(&arn)
        .send()
        .await
        .map_err(crate::util::aws_err)?
        .policy
        .ok_or_else(|| invalid(format!("no IAM policy {arn}")))?;
    let doc = match p.default_version_id.as_deref() {
        Some(v) => c
            .iam
            .get_policy_version()
            .policy_arn(&arn)
            .version_id(v)
            .send()
            .await
            .map_err(crate::util::aws_err)?
            .policy_version
            .and_then(|v| v.document),
        None => None,
    };
    b.str("id", Some(&arn))
        .str("arn", Some(&arn))
        .str("name", p.policy_name.as_deref())
        .str("path", p.path.as_deref())
        .str("description", p.description.as_deref())
        .str("policy_id", p.policy_id.as_deref())
        .num("attachment_count", p.attachment_count.map(f64::from))
        .str("policy", doc.map(|d| document(&d, None)))
        .set("tags", Value::Map(tag_map(p.tags()).into_iter().map(|(k, v)| (k, Value::string(v))).collect()));
    Ok(())
}

/// `aws_partition`: the partition of the configured region, without a call.
pub fn partition(region: &str) -> (&'static str, &'static str, &'static str) {
    match region {
        r if r.starts_with("cn-") => ("aws-cn", "amazonaws.com.cn", "cn.com.amazonaws"),
        r if r.starts_with("us-gov-") => ("aws-us-gov", "amazonaws.com", "com.amazonaws"),
        r if r.starts_with("us-iso-") => ("aws-iso", "c2s.ic.gov", "gov.ic.c2s"),
        r if r.starts_with("us-isob-") => ("aws-iso-b", "sc2s.sgov.gov", "gov.sgov.sc2s"),
        r if r.starts_with("eu-isoe-") => ("aws-iso-e", "cloud.adc-e.uk", "uk.adc-e.cloud"),
        r if r.starts_with("us-isof-") => ("aws-iso-f", "csp.hci.ic.gov", "gov.ic.hci.csp"),
        _ => ("aws", "amazonaws.com", "com.amazonaws"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_decoded_and_kept_when_equivalent() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(document(encoded, None), r#"{"Version":"2012-10-17","Statement":[]}"#);
        let recorded = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}";
        assert_eq!(document(encoded, Some(recorded)), recorded);
        assert_eq!(document(encoded, Some(r#"{"Version":"2008-10-17"}"#)), r#"{"Version":"2012-10-17","Statement":[]}"#);
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition("eu-west-1"), ("aws", "amazonaws.com", "com.amazonaws"));
        assert_eq!(partition("cn-north-1"), ("aws-cn", "amazonaws.com.cn", "cn.com.amazonaws"));
        assert_eq!(partition("us-gov-west-1").0, "aws-us-gov");
    }
}
