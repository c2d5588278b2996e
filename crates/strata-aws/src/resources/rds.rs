//! Layer 2: RDS subnet groups, parameter groups and DB instances.
//!
//! RDS objects have names chosen by the caller, so crash recovery looks them
//! up by name: the configured one, or a prefix and a suffix derived from the
//! intent token (the same token yields the same name), and checks that the
//! object carries the token's `strata:intent` tag before adopting it.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_rds::types::{ApplyMethod, DbInstance, DbParameterGroup, DbSubnetGroup as SdkSubnetGroup, Filter, Parameter, Tag};
use aws_smithy_types::date_time::Format;
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::ResourceType;
use super::compute::{changed, empty_planned, id_of, prior_of};
use crate::clients::Clients;
use crate::util::{Attrs, DB_TIMEOUT, StateBuilder, TAG_INTENT, aws_err, invalid, is_not_found, tags_for, wait_for};

pub fn types() -> Vec<Box<dyn ResourceType>> {
    vec![Box::new(SubnetGroup), Box::new(ParameterGroup), Box::new(Instance)]
}

// ---------------------------------------------------------------------------
// Helpers.

/// RDS filters take at most this many values.
const FILTER_VALUES: usize = 100;

/// ModifyDBParameterGroup and ResetDBParameterGroup take at most 20 parameters.
const PARAMETERS_PER_CALL: usize = 20;

/// FNV-1a (64 bit): a stable hash for token-derived name suffixes.
fn fnv64(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The name to create under: the configured one, else the prefix (or
/// `strata-`) and a suffix derived from the intent token.
fn name_for(p: &Value, name: &str, prefix: &str, token: Option<&str>) -> String {
    if let Some(n) = p.str_attr(name) {
        return n.to_string();
    }
    let suffix = token.map_or_else(rand::random::<u64>, fnv64);
    format!("{}{suffix:016x}", p.str_attr(prefix).unwrap_or("strata-"))
}

fn rds_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn rds_tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

async fn list_tags(c: &Clients, arn: &str, calls: &mut usize) -> Result<BTreeMap<String, String>, ProviderError> {
    let r = c.rds.list_tags_for_resource().resource_name(arn).send().await.map_err(aws_err)?;
    *calls += 1;
    Ok(rds_tag_map(r.tag_list()))
}

/// The tags of every object with these ARNs, a few calls at once (batched
/// describes of groups do not report tags, and whose a group is, its
/// `strata:lineage` tag, must be read: the name may belong to another
/// deployment now).
async fn tags_of(c: &Clients, arns: Vec<String>, calls: &mut usize) -> Result<BTreeMap<String, BTreeMap<String, String>>, ProviderError> {
    let reads = arns.into_iter().map(|arn| {
        let c = c.clone();
        async move {
            let mut n = 0;
            let tags = list_tags(&c, &arn, &mut n).await;
            (arn, tags)
        }
    });
    let mut out = BTreeMap::new();
    for (arn, tags) in crate::util::at_most_a_few(reads).await? {
        *calls += 1;
        out.insert(arn, tags?);
    }
    Ok(out)
}

/// A create refused because the name exists (`DBParameterGroupAlreadyExists`,
/// `DBSubnetGroupAlreadyExists`, `DBInstanceAlreadyExists`): the error says
/// whose the object with that name is, by its tags (`tags` is `None` when
/// they could not be read). Another state's object is never adopted.
fn name_taken(c: &Clients, e: ProviderError, name: &str, tags: Option<BTreeMap<String, String>>) -> ProviderError {
    let whose = match tags.as_ref().map(|t| (t.get(strata_provider::TAG_LINEAGE), t.get(strata_provider::TAG_ADDRESS))) {
        None => "whose it is could not be read".to_string(),
        Some((Some(l), addr)) if *l == c.lineage => {
            format!("this state's own object{} holds it", addr.map(|a| format!(" (recorded for {a})")).unwrap_or_default())
        }
        Some((Some(l), addr)) => {
            format!("another strata state (strata:lineage {l}{}) holds it", addr.map(|a| format!(", at {a}")).unwrap_or_default())
        }
        Some((None, _)) => "an object strata did not make (it has no strata:lineage tag) holds it".to_string(),
    };
    ProviderError {
        message: format!(
            "the name `{name}` is taken: {whose}; give this resource another name, or import that object if it should be managed here ({})",
            e.message
        ),
        ..e
    }
}

fn already_exists(e: &ProviderError) -> bool {
    e.code.as_deref().is_some_and(|c| c.ends_with("AlreadyExists") || c.ends_with("AlreadyExistsFault"))
}

/// Bring an RDS object's tags from `old` to `desired` (system tags stay).
async fn sync_tags(
    c: &Clients,
    arn: &str,
    old: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    let (set, removed) = crate::util::tag_diff(old, desired);
    if !set.is_empty() {
        c.rds.add_tags_to_resource().resource_name(arn).set_tags(Some(rds_tags(&set))).send().await.map_err(aws_err)?;
    }
    if !removed.is_empty() {
        c.rds.remove_tags_from_resource().resource_name(arn).set_tag_keys(Some(removed)).send().await.map_err(aws_err)?;
    }
    Ok(())
}

/// A `Some` of `v` when the call failed because the object does not exist.
fn absent<T>(r: Result<T, ProviderError>, v: T) -> Result<T, ProviderError> {
    match r {
        Err(e) if is_not_found(&e) => Ok(v),
        r => r,
    }
}

fn adopt_if_ours(tags: &BTreeMap<String, String>, token: &str) -> bool {
    tags.get(TAG_INTENT).map(String::as_str) == Some(token)
}

/// `tags`/`tags_all` from the tags the object has; when they are unknown
/// (batched reads of groups do not list tags) the base's are kept.
fn set_tags(b: &mut StateBuilder, all: Option<&BTreeMap<String, String>>) {
    if let Some(all) = all {
        b.tags(all);
    }
}

// ---------------------------------------------------------------------------
// aws_db_subnet_group.

struct SubnetGroup;

fn subnet_group_state(base: &Value, g: &SdkSubnetGroup, all: Option<&BTreeMap<String, String>>) -> Value {
    let mut b = StateBuilder::from_planned(base);
    b.str("id", g.db_subnet_group_name())
        .str("name", g.db_subnet_group_name())
        .str("arn", g.db_subnet_group_arn())
        .str("description", g.db_subnet_group_description())
        .str("vpc_id", g.vpc_id())
        .set("subnet_ids", Value::set(g.subnets().iter().filter_map(|s| s.subnet_identifier()).map(Value::string).collect()))
        .set("supported_network_types", Value::set(g.supported_network_types().iter().map(Value::string).collect()));
    set_tags(&mut b, all);
    b.build()
}

/// Subnet groups by name (one call), or all of them (one call per page).
async fn subnet_groups(c: &Clients, name: Option<&str>, calls: &mut usize) -> Result<Vec<SdkSubnetGroup>, ProviderError> {
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let r = c
            .rds
            .describe_db_subnet_groups()
            .set_db_subnet_group_name(name.map(str::to_string))
            .set_marker(marker)
            .send()
            .await
            .map_err(aws_err);
        *calls += 1;
        let Some(r) = absent(r.map(Some), None)? else { return Ok(out) };
        out.extend(r.db_subnet_groups().iter().cloned());
        marker = r.marker().filter(|m| !m.is_empty()).map(str::to_string);
        if marker.is_none() {
            return Ok(out);
        }
    }
}

#[async_trait]
impl ResourceType for SubnetGroup {
    fn type_name(&self) -> &'static str {
        "aws_db_subnet_group"
    }

    fn named(&self) -> bool {
        true
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let mut calls = 0;
        let only = if objects.len() == 1 { objects.first().map(|o| o.id.as_str()) } else { None };
        let groups = if objects.is_empty() { Vec::new() } else { subnet_groups(c, only, &mut calls).await? };
        let found = |o: &ReadObject| groups.iter().find(|g| g.db_subnet_group_name() == Some(o.id.as_str()));
        let arns = objects.iter().filter_map(|o| found(o)?.db_subnet_group_arn().map(str::to_string)).collect();
        let tags = tags_of(c, arns, &mut calls).await?;
        let results = objects
            .iter()
            .map(|o| {
                let g = found(o);
                let all = g.and_then(|g| tags.get(g.db_subnet_group_arn()?));
                ReadResult::new(o.addr.clone(), g.map(|g| subnet_group_state(&o.prior, g, all)))
            })
            .collect();
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let name = name_for(p, "name", "name_prefix", req.token.as_deref());
        let tags = tags_for(c, p, &req.addr.to_string(), req.token.as_deref());
        let r = c
            .rds
            .create_db_subnet_group()
            .db_subnet_group_name(&name)
            .db_subnet_group_description(p.str_attr("description").unwrap_or("Managed by Terraform"))
            .set_subnet_ids(Some(p.str_list("subnet_ids")))
            .set_tags(Some(rds_tags(&tags)))
            .send()
            .await
            .map_err(aws_err);
        let r = match r {
            Err(e) if already_exists(&e) => {
                let mut calls = 0;
                let existing = subnet_groups(c, Some(&name), &mut calls).await.ok().and_then(|g| g.into_iter().next());
                let arn = existing.and_then(|g| g.db_subnet_group_arn().map(str::to_string));
                let tags = match arn {
                    Some(arn) => list_tags(c, &arn, &mut calls).await.ok(),
                    None => None,
                };
                return Err(name_taken(c, e, &name, tags));
            }
            r => r?,
        };
        let g = r.db_subnet_group().ok_or_else(|| invalid("CreateDBSubnetGroup returned no subnet group"))?;
        Ok(subnet_group_state(p, g, Some(&tags)))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let (prior, p) = (prior_of(req)?, &req.planned);
        let name = id_of(prior, &req.addr)?;
        let arn = prior.string("arn").ok_or_else(|| invalid(format!("{}: the recorded state has no arn", req.addr)))?;
        let desired = tags_for(c, p, &req.addr.to_string(), None);
        sync_tags(c, &arn, &prior.str_map("tags_all"), &desired).await?;
        let modified = if changed(prior, p, "subnet_ids") || changed(prior, p, "description") {
            let r = c
                .rds
                .modify_db_subnet_group()
                .db_subnet_group_name(&name)
                .set_db_subnet_group_description(p.string("description"))
                .set_subnet_ids(Some(p.str_list("subnet_ids")))
                .send()
                .await
                .map_err(aws_err)?;
            r.db_subnet_group().cloned()
        } else {
            None
        };
        let g = match modified {
            Some(g) => g,
            None => {
                let mut calls = 0;
                let groups = subnet_groups(c, Some(&name), &mut calls).await?;
                groups.into_iter().next().ok_or_else(|| invalid(format!("DB subnet group {name} disappeared during the update")))?
            }
        };
        Ok(subnet_group_state(p, &g, Some(&desired)))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let name = id_of(prior_of(req)?, &req.addr)?;
        absent(c.rds.delete_db_subnet_group().db_subnet_group_name(name).send().await.map(drop).map_err(aws_err), ())
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        let name = name_for(planned, "name", "name_prefix", Some(token));
        let mut calls = 0;
        let Some(g) = subnet_groups(c, Some(&name), &mut calls).await?.into_iter().next() else { return Ok(None) };
        let tags = list_tags(c, g.db_subnet_group_arn().unwrap_or_default(), &mut calls).await?;
        Ok(adopt_if_ours(&tags, token).then(|| subnet_group_state(planned, &g, Some(&tags))))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let mut calls = 0;
        let Some(g) = subnet_groups(c, Some(id), &mut calls).await?.into_iter().next() else { return Ok(None) };
        let tags = list_tags(c, g.db_subnet_group_arn().unwrap_or_default(), &mut calls).await?;
        Ok(Some(subnet_group_state(&empty_planned("aws_db_subnet_group"), &g, Some(&tags))))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let mut calls = 0;
        let mut out = Vec::new();
        for g in subnet_groups(c, None, &mut calls).await? {
            let (Some(name), Some(arn)) = (g.db_subnet_group_name(), g.db_subnet_group_arn()) else { continue };
            out.push(ListedObject {
                provider_default: false,
                id: name.to_string(),
                tags: list_tags(c, arn, &mut calls).await?,
                parent: None,
            });
        }
        Ok((out, calls))
    }
}

// ---------------------------------------------------------------------------
// aws_db_parameter_group.

struct ParameterGroup;

/// Configured parameters: name → (value, apply method).
fn parameters_of(v: &Value) -> BTreeMap<String, (String, String)> {
    v.blocks("parameter")
        .into_iter()
        .filter_map(|b| Some((b.string("name")?, (b.string("value")?, b.str_attr("apply_method").unwrap_or("immediate").to_string()))))
        .collect()
}

fn sdk_parameter(name: &str, value: Option<&str>, method: &str) -> Parameter {
    Parameter::builder().parameter_name(name).set_parameter_value(value.map(str::to_string)).apply_method(ApplyMethod::from(method)).build()
}

fn parameter_group_state(base: &Value, g: &DbParameterGroup, all: Option<&BTreeMap<String, String>>) -> Value {
    let mut b = StateBuilder::from_planned(base);
    b.str("id", g.db_parameter_group_name())
        .str("name", g.db_parameter_group_name())
        .str("arn", g.db_parameter_group_arn())
        .str("family", g.db_parameter_group_family())
        .str("description", g.description());
    set_tags(&mut b, all);
    b.build()
}

async fn parameter_groups(c: &Clients, name: Option<&str>, calls: &mut usize) -> Result<Vec<DbParameterGroup>, ProviderError> {
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let r = c
            .rds
            .describe_db_parameter_groups()
            .set_db_parameter_group_name(name.map(str::to_string))
            .set_marker(marker)
            .send()
            .await
            .map_err(aws_err);
        *calls += 1;
        let Some(r) = absent(r.map(Some), None)? else { return Ok(out) };
        out.extend(r.db_parameter_groups().iter().cloned());
        marker = r.marker().filter(|m| !m.is_empty()).map(str::to_string);
        if marker.is_none() {
            return Ok(out);
        }
    }
}

/// Set parameters, at most 20 per call.
async fn modify_parameters(c: &Clients, group: &str, params: &BTreeMap<String, (String, String)>) -> Result<(), ProviderError> {
    let all: Vec<Parameter> = params.iter().map(|(n, (v, m))| sdk_parameter(n, Some(v), m)).collect();
    for chunk in all.chunks(PARAMETERS_PER_CALL) {
        c.rds
            .modify_db_parameter_group()
            .db_parameter_group_name(group)
            .set_parameters(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(aws_err)?;
    }
    Ok(())
}

#[async_trait]
impl ResourceType for ParameterGroup {
    fn type_name(&self) -> &'static str {
        "aws_db_parameter_group"
    }

    fn named(&self) -> bool {
        true
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let mut calls = 0;
        let only = if objects.len() == 1 { objects.first().map(|o| o.id.as_str()) } else { None };
        let groups = if objects.is_empty() { Vec::new() } else { parameter_groups(c, only, &mut calls).await? };
        let found = |o: &ReadObject| groups.iter().find(|g| g.db_parameter_group_name() == Some(o.id.as_str()));
        let arns = objects.iter().filter_map(|o| found(o)?.db_parameter_group_arn().map(str::to_string)).collect();
        let tags = tags_of(c, arns, &mut calls).await?;
        let results = objects
            .iter()
            .map(|o| {
                let g = found(o);
                let all = g.and_then(|g| tags.get(g.db_parameter_group_arn()?));
                ReadResult::new(o.addr.clone(), g.map(|g| parameter_group_state(&o.prior, g, all)))
            })
            .collect();
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let name = name_for(p, "name", "name_prefix", req.token.as_deref());
        let family = p.str_attr("family").ok_or_else(|| invalid(format!("{}: `family` is required", req.addr)))?;
        let tags = tags_for(c, p, &req.addr.to_string(), req.token.as_deref());
        let r = c
            .rds
            .create_db_parameter_group()
            .db_parameter_group_name(&name)
            .db_parameter_group_family(family)
            .description(p.str_attr("description").unwrap_or("Managed by Terraform"))
            .set_tags(Some(rds_tags(&tags)))
            .send()
            .await
            .map_err(aws_err);
        let r = match r {
            Err(e) if already_exists(&e) => {
                let mut calls = 0;
                let existing = parameter_groups(c, Some(&name), &mut calls).await.ok().and_then(|g| g.into_iter().next());
                let arn = existing.and_then(|g| g.db_parameter_group_arn().map(str::to_string));
                let tags = match arn {
                    Some(arn) => list_tags(c, &arn, &mut calls).await.ok(),
                    None => None,
                };
                return Err(name_taken(c, e, &name, tags));
            }
            r => r?,
        };
        let g = r.db_parameter_group().ok_or_else(|| invalid("CreateDBParameterGroup returned no parameter group"))?;
        modify_parameters(c, &name, &parameters_of(p)).await?;
        Ok(parameter_group_state(p, g, Some(&tags)))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let (prior, p) = (prior_of(req)?, &req.planned);
        let name = id_of(prior, &req.addr)?;
        let (old, new) = (parameters_of(prior), parameters_of(p));
        let set: BTreeMap<String, (String, String)> =
            new.iter().filter(|(k, v)| old.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
        modify_parameters(c, &name, &set).await?;
        // Parameters no longer configured go back to the family's defaults.
        let reset: Vec<Parameter> =
            old.iter().filter(|(k, _)| !new.contains_key(*k)).map(|(k, (_, m))| sdk_parameter(k, None, m)).collect();
        for chunk in reset.chunks(PARAMETERS_PER_CALL) {
            c.rds
                .reset_db_parameter_group()
                .db_parameter_group_name(&name)
                .set_parameters(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(aws_err)?;
        }
        let arn = prior.string("arn").ok_or_else(|| invalid(format!("{}: the recorded state has no arn", req.addr)))?;
        let desired = tags_for(c, p, &req.addr.to_string(), None);
        sync_tags(c, &arn, &prior.str_map("tags_all"), &desired).await?;
        let mut calls = 0;
        let groups = parameter_groups(c, Some(&name), &mut calls).await?;
        let g = groups.first().ok_or_else(|| invalid(format!("DB parameter group {name} disappeared during the update")))?;
        Ok(parameter_group_state(p, g, Some(&desired)))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let prior = prior_of(req)?;
        if prior.bool_attr("skip_destroy") == Some(true) {
            return Ok(());
        }
        let name = id_of(prior, &req.addr)?;
        absent(c.rds.delete_db_parameter_group().db_parameter_group_name(name).send().await.map(drop).map_err(aws_err), ())
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        let name = name_for(planned, "name", "name_prefix", Some(token));
        let mut calls = 0;
        let Some(g) = parameter_groups(c, Some(&name), &mut calls).await?.into_iter().next() else { return Ok(None) };
        let tags = list_tags(c, g.db_parameter_group_arn().unwrap_or_default(), &mut calls).await?;
        if !adopt_if_ours(&tags, token) {
            return Ok(None);
        }
        // The crash may have come before the parameters were set.
        modify_parameters(c, &name, &parameters_of(planned)).await?;
        Ok(Some(parameter_group_state(planned, &g, Some(&tags))))
    }

    async fn find_orphan(&self, c: &Clients, _addr: &str, token: &str, identity: &Value) -> Result<Option<Value>, ProviderError> {
        let name = name_for(identity, "name", "name_prefix", Some(token));
        let mut calls = 0;
        let Some(g) = parameter_groups(c, Some(&name), &mut calls).await?.into_iter().next() else { return Ok(None) };
        let tags = list_tags(c, g.db_parameter_group_arn().unwrap_or_default(), &mut calls).await?;
        Ok(adopt_if_ours(&tags, token).then(|| parameter_group_state(identity, &g, Some(&tags))))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let mut calls = 0;
        let Some(g) = parameter_groups(c, Some(id), &mut calls).await?.into_iter().next() else { return Ok(None) };
        let tags = list_tags(c, g.db_parameter_group_arn().unwrap_or_default(), &mut calls).await?;
        // The parameters the user set (not the family's defaults).
        let mut params = Vec::new();
        let mut marker = None;
        loop {
            let r = c
                .rds
                .describe_db_parameters()
                .db_parameter_group_name(id)
                .source("user")
                .set_marker(marker)
                .send()
                .await
                .map_err(aws_err)?;
            for prm in r.parameters() {
                let (Some(name), Some(value)) = (prm.parameter_name(), prm.parameter_value()) else { continue };
                let method = prm.apply_method().map_or("immediate", |m| m.as_str());
                params.push(Value::map([
                    ("name", Value::string(name)),
                    ("value", Value::string(value)),
                    ("apply_method", Value::string(method)),
                ]));
            }
            marker = r.marker().filter(|m| !m.is_empty()).map(str::to_string);
            if marker.is_none() {
                break;
            }
        }
        let state = parameter_group_state(&empty_planned("aws_db_parameter_group"), &g, Some(&tags));
        let mut b = StateBuilder::from_planned(&state);
        b.set("parameter", Value::List(params.into()));
        Ok(Some(b.build()))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let mut calls = 0;
        let mut out = Vec::new();
        for g in parameter_groups(c, None, &mut calls).await? {
            let (Some(name), Some(arn)) = (g.db_parameter_group_name(), g.db_parameter_group_arn()) else { continue };
            out.push(ListedObject {
                provider_default: false,
                id: name.to_string(),
                tags: list_tags(c, arn, &mut calls).await?,
                parent: None,
            });
        }
        Ok((out, calls))
    }
}

// ---------------------------------------------------------------------------
// aws_db_instance.

struct Instance;

/// Set an optional, not computed attribute from the API only when the
/// configuration has a value for it: a null there means "no opinion" and
/// must not turn into a diff against the API's default.
fn observe(b: &mut StateBuilder, base: &Value, name: &str, v: Value) {
    if base.attr(name).is_some() {
        b.set(name, v);
    }
}

fn opt<T: Into<Value>>(v: Option<T>) -> Value {
    v.map_or(Value::Null, Into::into)
}

fn num(v: Option<i32>) -> Value {
    v.map_or(Value::Null, |n| Value::Number(f64::from(n)))
}

fn db_state(base: &Value, db: &DbInstance) -> Value {
    let mut b = StateBuilder::from_planned(base);
    let endpoint = db.endpoint();
    let (address, port) =
        (endpoint.and_then(|e| e.address()), endpoint.and_then(|e| e.port()).or(db.db_instance_port().filter(|p| *p > 0)));
    let actual = db.engine_version();
    // A configured version prefix ("15") stays as written while the
    // instance runs a matching minor version ("15.4").
    let version = match (base.str_attr("engine_version"), actual) {
        (Some(want), Some(have)) if have == want || have.starts_with(&format!("{want}.")) => Some(want),
        (_, have) => have,
    };
    b.str("id", db.db_instance_identifier())
        .str("identifier", db.db_instance_identifier())
        .str("arn", db.db_instance_arn())
        .str("resource_id", db.dbi_resource_id())
        .str("status", db.db_instance_status())
        .str("address", address)
        .num("port", port)
        .str("endpoint", address.zip(port).map(|(a, p)| format!("{a}:{p}")))
        .str("hosted_zone_id", endpoint.and_then(|e| e.hosted_zone_id()))
        .str("engine", db.engine())
        .str("engine_version", version)
        .str("engine_version_actual", actual)
        .str("instance_class", db.db_instance_class())
        .num("allocated_storage", db.allocated_storage())
        .str("storage_type", db.storage_type())
        .num("iops", db.iops())
        .num("storage_throughput", db.storage_throughput())
        .str("kms_key_id", db.kms_key_id())
        .str("username", db.master_username())
        .str("db_name", db.db_name())
        .str("db_subnet_group_name", db.db_subnet_group().and_then(|g| g.db_subnet_group_name()))
        .str("parameter_group_name", db.db_parameter_groups().first().and_then(|g| g.db_parameter_group_name()))
        .str("option_group_name", db.option_group_memberships().first().and_then(|g| g.option_group_name()))
        .set(
            "vpc_security_group_ids",
            Value::set(db.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id()).map(Value::string).collect()),
        )
        .bool("multi_az", db.multi_az())
        .num("backup_retention_period", db.backup_retention_period())
        .str("backup_window", db.preferred_backup_window())
        .str("maintenance_window", db.preferred_maintenance_window())
        .str("availability_zone", db.availability_zone())
        .str("ca_cert_identifier", db.ca_certificate_identifier())
        .str("license_model", db.license_model())
        .str("character_set_name", db.character_set_name())
        .str("nchar_character_set_name", db.nchar_character_set_name())
        .str("timezone", db.timezone())
        .str("network_type", db.network_type())
        .str("replica_mode", db.replica_mode().map(|m| m.as_str()))
        .str("monitoring_role_arn", db.monitoring_role_arn())
        .str("performance_insights_kms_key_id", db.performance_insights_kms_key_id())
        .num("performance_insights_retention_period", db.performance_insights_retention_period())
        .str("engine_lifecycle_support", db.engine_lifecycle_support())
        .str("backup_target", db.backup_target())
        .str("domain_fqdn", db.domain_memberships().first().and_then(|d| d.fqdn()))
        .str("master_user_secret_kms_key_id", db.master_user_secret().and_then(|s| s.kms_key_id()))
        .str("latest_restorable_time", db.latest_restorable_time().and_then(|t| t.fmt(Format::DateTime).ok()))
        .strs("replicas", db.read_replica_db_instance_identifiers().iter().cloned());
    let listener = db.listener_endpoint().map(|e| {
        Value::map([
            ("address", opt(e.address().map(Value::string))),
            ("hosted_zone_id", opt(e.hosted_zone_id().map(Value::string))),
            ("port", num(e.port())),
        ])
    });
    b.set("listener_endpoint", Value::List(listener.into_iter().collect()));
    let secret = db.master_user_secret().map(|s| {
        Value::map([
            ("kms_key_id", opt(s.kms_key_id().map(Value::string))),
            ("secret_arn", opt(s.secret_arn().map(Value::string))),
            ("secret_status", opt(s.secret_status().map(Value::string))),
        ])
    });
    b.set("master_user_secret", Value::List(secret.into_iter().collect()));
    if base.attr("replicate_source_db").is_none() {
        b.str("replicate_source_db", db.read_replica_source_db_instance_identifier());
    }
    // Optional attributes without a computed value: reported only where configured.
    let bool_of = |v: Option<bool>| opt(v.map(Value::Bool));
    observe(&mut b, base, "storage_encrypted", bool_of(db.storage_encrypted()));
    observe(&mut b, base, "publicly_accessible", bool_of(db.publicly_accessible()));
    observe(&mut b, base, "deletion_protection", bool_of(db.deletion_protection()));
    observe(&mut b, base, "auto_minor_version_upgrade", bool_of(db.auto_minor_version_upgrade()));
    observe(&mut b, base, "copy_tags_to_snapshot", bool_of(db.copy_tags_to_snapshot()));
    observe(&mut b, base, "iam_database_authentication_enabled", bool_of(db.iam_database_authentication_enabled()));
    observe(&mut b, base, "performance_insights_enabled", bool_of(db.performance_insights_enabled()));
    observe(&mut b, base, "customer_owned_ip_enabled", bool_of(db.customer_owned_ip_enabled()));
    observe(&mut b, base, "monitoring_interval", num(db.monitoring_interval()));
    observe(&mut b, base, "max_allocated_storage", num(db.max_allocated_storage()));
    observe(
        &mut b,
        base,
        "enabled_cloudwatch_logs_exports",
        Value::set(db.enabled_cloudwatch_logs_exports().iter().map(Value::string).collect()),
    );
    b.tags(&rds_tag_map(db.tag_list()));
    b.build()
}

/// DB instances by identifier: one DescribeDBInstances per page (and per 100 ids).
async fn db_instances(c: &Clients, ids: &[String], calls: &mut usize) -> Result<Vec<DbInstance>, ProviderError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(FILTER_VALUES) {
        let filter = Filter::builder().name("db-instance-id").set_values(Some(chunk.to_vec())).build();
        out.extend(describe_db_instances(c, Some(filter), calls).await?);
    }
    Ok(out)
}

async fn describe_db_instances(c: &Clients, filter: Option<Filter>, calls: &mut usize) -> Result<Vec<DbInstance>, ProviderError> {
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let r = c.rds.describe_db_instances().set_filters(filter.clone().map(|f| vec![f])).set_marker(marker).send().await.map_err(aws_err);
        *calls += 1;
        let Some(r) = absent(r.map(Some), None)? else { return Ok(out) };
        out.extend(r.db_instances().iter().cloned());
        marker = r.marker().filter(|m| !m.is_empty()).map(str::to_string);
        if marker.is_none() {
            return Ok(out);
        }
    }
}

async fn db_instance(c: &Clients, id: &str) -> Result<Option<DbInstance>, ProviderError> {
    let mut calls = 0;
    Ok(db_instances(c, &[id.to_string()], &mut calls).await?.into_iter().next())
}

/// Wait until the instance is `available`, then return it.
async fn wait_available(c: &Clients, id: &str, timeout: std::time::Duration) -> Result<DbInstance, ProviderError> {
    wait_for(&format!("DB instance {id} to be available"), timeout, || async {
        match db_instance(c, id).await? {
            Some(db) if db.db_instance_status() == Some("available") => Ok(Some(db)),
            Some(db)
                if matches!(
                    db.db_instance_status(),
                    Some("failed" | "incompatible-parameters" | "incompatible-network" | "storage-full")
                ) =>
            {
                Err(ProviderError {
                    code: Some("DBInstanceFailed".into()),
                    message: format!("DB instance {id} is {}", db.db_instance_status().unwrap_or_default()),
                    retryable: false,
                })
            }
            _ => Ok(None),
        }
    })
    .await
}

fn identifier_for(p: &Value, token: Option<&str>) -> String {
    name_for(p, "identifier", "identifier_prefix", token)
}

impl Instance {
    async fn create_primary(&self, c: &Clients, p: &Value, id: &str, tags: &BTreeMap<String, String>) -> Result<(), ProviderError> {
        let groups = p.str_list("vpc_security_group_ids");
        let logs = p.str_list("enabled_cloudwatch_logs_exports");
        let password = p.attr("password").and_then(|v| v.peel().as_str()).map(str::to_string);
        c.rds
            .create_db_instance()
            .db_instance_identifier(id)
            .set_engine(p.string("engine"))
            .set_engine_version(p.string("engine_version"))
            .set_db_instance_class(p.string("instance_class"))
            .set_allocated_storage(p.i32_attr("allocated_storage"))
            .set_max_allocated_storage(p.i32_attr("max_allocated_storage"))
            .set_storage_type(p.string("storage_type"))
            .set_iops(p.i32_attr("iops"))
            .set_storage_throughput(p.i32_attr("storage_throughput"))
            .set_storage_encrypted(p.bool_attr("storage_encrypted"))
            .set_kms_key_id(p.string("kms_key_id"))
            .set_master_username(p.string("username"))
            .set_master_user_password(password)
            .set_manage_master_user_password(p.bool_attr("manage_master_user_password"))
            .set_master_user_secret_kms_key_id(p.string("master_user_secret_kms_key_id"))
            .set_db_name(p.string("db_name"))
            .set_db_subnet_group_name(p.string("db_subnet_group_name"))
            .set_db_parameter_group_name(p.string("parameter_group_name"))
            .set_option_group_name(p.string("option_group_name"))
            .set_vpc_security_group_ids((!groups.is_empty()).then_some(groups))
            .set_availability_zone(p.string("availability_zone"))
            .set_multi_az(p.bool_attr("multi_az"))
            .set_publicly_accessible(p.bool_attr("publicly_accessible"))
            .set_port(p.i32_attr("port"))
            .set_backup_retention_period(p.i32_attr("backup_retention_period"))
            .set_preferred_backup_window(p.string("backup_window"))
            .set_preferred_maintenance_window(p.string("maintenance_window"))
            .set_deletion_protection(p.bool_attr("deletion_protection"))
            .set_auto_minor_version_upgrade(p.bool_attr("auto_minor_version_upgrade"))
            .set_copy_tags_to_snapshot(p.bool_attr("copy_tags_to_snapshot"))
            .set_license_model(p.string("license_model"))
            .set_character_set_name(p.string("character_set_name"))
            .set_nchar_character_set_name(p.string("nchar_character_set_name"))
            .set_timezone(p.string("timezone"))
            .set_ca_certificate_identifier(p.string("ca_cert_identifier"))
            .set_network_type(p.string("network_type"))
            .set_enable_iam_database_authentication(p.bool_attr("iam_database_authentication_enabled"))
            .set_enable_performance_insights(p.bool_attr("performance_insights_enabled"))
            .set_performance_insights_kms_key_id(p.string("performance_insights_kms_key_id"))
            .set_performance_insights_retention_period(p.i32_attr("performance_insights_retention_period"))
            .set_monitoring_interval(p.i32_attr("monitoring_interval"))
            .set_monitoring_role_arn(p.string("monitoring_role_arn"))
            .set_enable_cloudwatch_logs_exports((!logs.is_empty()).then_some(logs))
            .set_tags(Some(rds_tags(tags)))
            .send()
            .await
            .map_err(aws_err)?;
        Ok(())
    }

    async fn create_replica(
        &self,
        c: &Clients,
        p: &Value,
        id: &str,
        source: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ProviderError> {
        let groups = p.str_list("vpc_security_group_ids");
        c.rds
            .create_db_instance_read_replica()
            .db_instance_identifier(id)
            .source_db_instance_identifier(source)
            .set_db_instance_class(p.string("instance_class"))
            .set_availability_zone(p.string("availability_zone"))
            .set_multi_az(p.bool_attr("multi_az"))
            .set_publicly_accessible(p.bool_attr("publicly_accessible"))
            .set_port(p.i32_attr("port"))
            .set_storage_type(p.string("storage_type"))
            .set_iops(p.i32_attr("iops"))
            .set_kms_key_id(p.string("kms_key_id"))
            .set_db_subnet_group_name(p.string("db_subnet_group_name"))
            .set_db_parameter_group_name(p.string("parameter_group_name"))
            .set_option_group_name(p.string("option_group_name"))
            .set_vpc_security_group_ids((!groups.is_empty()).then_some(groups))
            .set_deletion_protection(p.bool_attr("deletion_protection"))
            .set_auto_minor_version_upgrade(p.bool_attr("auto_minor_version_upgrade"))
            .set_copy_tags_to_snapshot(p.bool_attr("copy_tags_to_snapshot"))
            .set_max_allocated_storage(p.i32_attr("max_allocated_storage"))
            .set_tags(Some(rds_tags(tags)))
            .send()
            .await
            .map_err(aws_err)?;
        Ok(())
    }
}

#[async_trait]
impl ResourceType for Instance {
    fn type_name(&self) -> &'static str {
        "aws_db_instance"
    }

    fn named(&self) -> bool {
        true
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let mut calls = 0;
        let ids: Vec<String> = objects.iter().map(|o| o.id.clone()).filter(|id| !id.is_empty()).collect();
        let found = if ids.is_empty() { Vec::new() } else { db_instances(c, &ids, &mut calls).await? };
        let results = objects
            .iter()
            .map(|o| {
                let db =
                    found.iter().find(|d| d.db_instance_identifier() == Some(o.id.as_str()) && d.db_instance_status() != Some("deleting"));
                ReadResult::new(o.addr.clone(), db.map(|d| db_state(&o.prior, d)))
            })
            .collect();
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        if p.str_attr("snapshot_identifier").is_some()
            || !p.blocks("restore_to_point_in_time").is_empty()
            || !p.blocks("s3_import").is_empty()
        {
            return Err(invalid(format!(
                "{}: restoring a DB instance from a snapshot, a point in time or S3 is not supported yet",
                req.addr
            )));
        }
        let id = identifier_for(p, req.token.as_deref());
        let tags = tags_for(c, p, &req.addr.to_string(), req.token.as_deref());
        let timeout = req.timeouts.create.unwrap_or(DB_TIMEOUT);
        match p.str_attr("replicate_source_db") {
            Some(source) => {
                self.create_replica(c, p, &id, source, &tags).await?;
                wait_available(c, &id, timeout).await?;
                // What CreateDBInstanceReadReplica cannot set.
                let (retention, backup, maintenance) =
                    (p.i32_attr("backup_retention_period"), p.string("backup_window"), p.string("maintenance_window"));
                if retention.is_some() || backup.is_some() || maintenance.is_some() {
                    c.rds
                        .modify_db_instance()
                        .db_instance_identifier(&id)
                        .apply_immediately(true)
                        .set_backup_retention_period(retention)
                        .set_preferred_backup_window(backup)
                        .set_preferred_maintenance_window(maintenance)
                        .send()
                        .await
                        .map_err(aws_err)?;
                }
            }
            None => match self.create_primary(c, p, &id, &tags).await {
                Err(e) if already_exists(&e) => {
                    let tags = db_instance(c, &id).await.ok().flatten().map(|db| rds_tag_map(db.tag_list()));
                    return Err(name_taken(c, e, &id, tags));
                }
                r => r?,
            },
        }
        tracing::info!(address = %req.addr, id = %id, "DB instance created; waiting until it is available");
        let db = wait_available(c, &id, timeout).await?;
        Ok(db_state(p, &db))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let (prior, p) = (prior_of(req)?, &req.planned);
        let id = id_of(prior, &req.addr)?;
        let ch = |name: &str| changed(prior, p, name);
        let groups = p.str_list("vpc_security_group_ids");
        let password = p.attr("password").and_then(|v| v.peel().as_str()).map(str::to_string).filter(|_| ch("password"));
        let m = c
            .rds
            .modify_db_instance()
            .db_instance_identifier(&id)
            .apply_immediately(p.bool_attr("apply_immediately").unwrap_or(false))
            .set_db_instance_class(p.string("instance_class").filter(|_| ch("instance_class")))
            .set_allocated_storage(p.i32_attr("allocated_storage").filter(|_| ch("allocated_storage")))
            .set_max_allocated_storage(p.i32_attr("max_allocated_storage").filter(|_| ch("max_allocated_storage")))
            .set_storage_type(p.string("storage_type").filter(|_| ch("storage_type")))
            .set_iops(p.i32_attr("iops").filter(|_| ch("iops")))
            .set_storage_throughput(p.i32_attr("storage_throughput").filter(|_| ch("storage_throughput")))
            .set_multi_az(p.bool_attr("multi_az").filter(|_| ch("multi_az")))
            .set_publicly_accessible(p.bool_attr("publicly_accessible").filter(|_| ch("publicly_accessible")))
            .set_backup_retention_period(p.i32_attr("backup_retention_period").filter(|_| ch("backup_retention_period")))
            .set_preferred_backup_window(p.string("backup_window").filter(|_| ch("backup_window")))
            .set_preferred_maintenance_window(p.string("maintenance_window").filter(|_| ch("maintenance_window")))
            .set_vpc_security_group_ids(Some(groups).filter(|g| !g.is_empty() && ch("vpc_security_group_ids")))
            .set_db_parameter_group_name(p.string("parameter_group_name").filter(|_| ch("parameter_group_name")))
            .set_option_group_name(p.string("option_group_name").filter(|_| ch("option_group_name")))
            .set_master_user_password(password)
            .set_engine_version(p.string("engine_version").filter(|_| ch("engine_version")))
            .set_allow_major_version_upgrade(p.bool_attr("allow_major_version_upgrade").filter(|_| ch("engine_version")))
            .set_deletion_protection(p.bool_attr("deletion_protection").filter(|_| ch("deletion_protection")))
            .set_auto_minor_version_upgrade(p.bool_attr("auto_minor_version_upgrade").filter(|_| ch("auto_minor_version_upgrade")))
            .set_copy_tags_to_snapshot(p.bool_attr("copy_tags_to_snapshot").filter(|_| ch("copy_tags_to_snapshot")))
            .set_ca_certificate_identifier(p.string("ca_cert_identifier").filter(|_| ch("ca_cert_identifier")))
            .set_enable_iam_database_authentication(
                p.bool_attr("iam_database_authentication_enabled").filter(|_| ch("iam_database_authentication_enabled")),
            )
            .set_enable_performance_insights(p.bool_attr("performance_insights_enabled").filter(|_| ch("performance_insights_enabled")))
            .set_monitoring_interval(p.i32_attr("monitoring_interval").filter(|_| ch("monitoring_interval")))
            .set_monitoring_role_arn(p.string("monitoring_role_arn").filter(|_| ch("monitoring_role_arn")))
            .set_network_type(p.string("network_type").filter(|_| ch("network_type")));
        let anything = [
            "instance_class",
            "allocated_storage",
            "max_allocated_storage",
            "storage_type",
            "iops",
            "storage_throughput",
            "multi_az",
            "publicly_accessible",
            "backup_retention_period",
            "backup_window",
            "maintenance_window",
            "vpc_security_group_ids",
            "parameter_group_name",
            "option_group_name",
            "password",
            "engine_version",
            "deletion_protection",
            "auto_minor_version_upgrade",
            "copy_tags_to_snapshot",
            "ca_cert_identifier",
            "iam_database_authentication_enabled",
            "performance_insights_enabled",
            "monitoring_interval",
            "monitoring_role_arn",
            "network_type",
        ]
        .iter()
        .any(|a| ch(a));
        let timeout = req.timeouts.update.unwrap_or(DB_TIMEOUT);
        if anything {
            m.send().await.map_err(aws_err)?;
            wait_available(c, &id, timeout).await?;
        }
        let arn = prior.string("arn").ok_or_else(|| invalid(format!("{}: the recorded state has no arn", req.addr)))?;
        sync_tags(c, &arn, &prior.str_map("tags_all"), &tags_for(c, p, &req.addr.to_string(), None)).await?;
        let db = wait_available(c, &id, timeout).await?;
        Ok(db_state(p, &db))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let prior = prior_of(req)?;
        let id = id_of(prior, &req.addr)?;
        // Read replicas have no final snapshot of their own.
        let skip = prior.bool_attr("skip_final_snapshot").unwrap_or(false) || prior.attr("replicate_source_db").is_some();
        let snapshot = prior.string("final_snapshot_identifier");
        if !skip && snapshot.is_none() {
            return Err(invalid(format!("{}: final_snapshot_identifier is required when skip_final_snapshot is false", req.addr)));
        }
        let r = c
            .rds
            .delete_db_instance()
            .db_instance_identifier(&id)
            .skip_final_snapshot(skip)
            .set_final_db_snapshot_identifier(snapshot.filter(|_| !skip))
            .set_delete_automated_backups(prior.bool_attr("delete_automated_backups"))
            .send()
            .await
            .map(drop)
            .map_err(aws_err);
        match r {
            Err(e) if is_not_found(&e) => return Ok(()),
            // Already on its way out.
            Err(e) if e.code.as_deref() == Some("InvalidDBInstanceState") && e.message.contains("delet") => {}
            r => r?,
        }
        wait_for(&format!("DB instance {id} to be deleted"), req.timeouts.delete.unwrap_or(DB_TIMEOUT), || async {
            Ok(db_instance(c, &id).await?.is_none().then_some(()))
        })
        .await
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        let id = identifier_for(planned, Some(token));
        let Some(db) = db_instance(c, &id).await? else { return Ok(None) };
        if !adopt_if_ours(&rds_tag_map(db.tag_list()), token) {
            return Ok(None);
        }
        Ok(Some(db_state(planned, &db)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let db = db_instance(c, id).await?;
        Ok(db.map(|db| db_state(&empty_planned("aws_db_instance"), &db)))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let mut calls = 0;
        let all = describe_db_instances(c, None, &mut calls).await?;
        let objects = all
            .iter()
            .filter_map(|d| {
                Some(ListedObject {
                    provider_default: false,
                    id: d.db_instance_identifier()?.to_string(),
                    tags: rds_tag_map(d.tag_list()),
                    parent: None,
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
    fn generated_names_follow_the_token() {
        let p = Value::map([("identifier_prefix", Value::string("app-"))]);
        let a = identifier_for(&p, Some("token-1"));
        assert_eq!(a, identifier_for(&p, Some("token-1")), "the same token gives the same name");
        assert_ne!(a, identifier_for(&p, Some("token-2")));
        assert!(a.starts_with("app-") && a.len() == 4 + 16, "{a}");
        assert!(identifier_for(&Value::Null, Some("t")).starts_with("strata-"));
        let named = Value::map([("identifier", Value::string("main")), ("identifier_prefix", Value::string("x-"))]);
        assert_eq!(identifier_for(&named, Some("t")), "main");
    }
}
