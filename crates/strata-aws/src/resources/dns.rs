//! Route 53: hosted zones (layer 1) and record sets (layer 5).
//!
//! Zones are read with ListHostedZones (one call per 100 zones) and
//! ListTagsForResources (one call per 10 zones); only private zones, whose
//! VPC associations can drift, cost a GetHostedZone each. Records are read
//! per zone: one ListResourceRecordSets per page of the zone for all the
//! records recorded in it. Route 53 reports names lower-case, with a
//! trailing dot and `*` escaped as `\052`; names are compared normalised.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeInfo, ChangeStatus, GeoLocation, HostedZone, HostedZoneConfig, ResourceRecord,
    ResourceRecordSet, ResourceRecordSetFailover, ResourceRecordSetRegion, RrType, Tag, TagResourceType, Vpc, VpcRegion,
};
use aws_smithy_types::error::operation::BuildError;
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::ResourceType;
use crate::clients::Clients;
use crate::util::{
    Attrs, DEFAULT_TIMEOUT, StateBuilder, TAG_ADDRESS, aws_err, identity_known, invalid, is_not_found, no_unknowns, skeleton, tag_changes,
    tags_for, wait_for,
};

pub fn types() -> Vec<Box<dyn ResourceType>> {
    vec![Box::new(Zone), Box::new(Record)]
}

type Tags = BTreeMap<String, String>;

/// Zones per ListTagsForResources call, and tags per ChangeTagsForResource call.
const TAG_BATCH: usize = 10;
/// Changes per ChangeResourceRecordSets call when emptying a zone.
const CHANGE_BATCH: usize = 100;
/// Records per ListResourceRecordSets page (the API's maximum).
const RECORD_PAGE: i32 = 300;

/// A name as Route 53 compares it: lower case, no trailing dot, octal
/// escapes (`\052`) decoded.
fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name.trim_end_matches('.');
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 4).filter(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit()));
        match code.and_then(|d| u8::from_str_radix(d, 8).ok()) {
            Some(b) => {
                out.push(char::from(b));
                rest = &rest[i + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out.to_lowercase()
}

/// Keep the configured spelling of a name when Route 53 reports the same
/// name (case, trailing dot), so that a plan shows no change.
fn same_name(base: Option<&str>, reported: &str) -> String {
    match base {
        Some(b) if normalize(b) == normalize(reported) => b.to_string(),
        _ => normalize(reported),
    }
}

/// `Z123` from `/hostedzone/Z123`.
fn bare_zone_id(id: &str) -> &str {
    id.trim_start_matches("/hostedzone/")
}

fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

fn build_err(e: BuildError) -> ProviderError {
    invalid(format!("cannot build the Route 53 request: {e}"))
}

/// Wait until a change is `INSYNC` (Route 53 answers `PENDING` for up to a minute).
async fn wait_insync(c: &Clients, change: Option<&ChangeInfo>, timeout: Duration) -> Result<(), ProviderError> {
    let Some(change) = change.filter(|ch| *ch.status() != ChangeStatus::Insync) else { return Ok(()) };
    let id = change.id();
    wait_for("the Route 53 change to propagate", timeout, || async move {
        let r = c.route53.get_change().id(id).send().await.map_err(aws_err)?;
        Ok(r.change_info().filter(|ch| *ch.status() == ChangeStatus::Insync).map(|_| ()))
    })
    .await
}

// ---------------------------------------------------------------------------
// aws_route53_zone

struct Zone;

/// What GetHostedZone adds to a listed zone.
#[derive(Default)]
struct ZoneDetails {
    name_servers: Option<Vec<String>>,
    vpcs: Option<Vec<Vpc>>,
}

fn zone_state(c: &Clients, base: &Value, zone: &HostedZone, details: &ZoneDetails, tags: &Tags) -> Value {
    let id = bare_zone_id(zone.id());
    let mut s = StateBuilder::from_planned(base);
    s.str("id", Some(id))
        .str("zone_id", Some(id))
        .str("arn", Some(format!("arn:{}:route53:::hostedzone/{id}", partition(&c.region))))
        .str("name", Some(same_name(base.str_attr("name"), zone.name())))
        .str("comment", Some(zone.config().and_then(|cfg| cfg.comment()).unwrap_or_default()));
    if let Some(ns) = &details.name_servers {
        let mut sorted = ns.clone();
        sorted.sort();
        s.strs("name_servers", sorted).str("primary_name_server", ns.first().cloned());
    }
    if let Some(vpcs) = &details.vpcs {
        let blocks = vpcs.iter().map(|v| {
            Value::map([
                ("vpc_id", v.vpc_id().map_or(Value::Null, Value::string)),
                ("vpc_region", v.vpc_region().map_or(Value::Null, |r| Value::string(r.as_str()))),
            ])
        });
        s.set("vpc", Value::List(blocks.collect()));
    }
    s.tags(tags);
    no_unknowns(s.build())
}

/// Every zone, one call per page of 100; stops early once every zone in
/// `wanted` (when given) has been seen.
async fn list_zones(c: &Clients, wanted: Option<&BTreeSet<&str>>, calls: &mut usize) -> Result<Vec<HostedZone>, ProviderError> {
    let mut out: Vec<HostedZone> = Vec::new();
    let mut marker = None;
    loop {
        *calls += 1;
        let r = c.route53.list_hosted_zones().set_marker(marker).send().await.map_err(aws_err)?;
        out.extend(r.hosted_zones().iter().cloned());
        let done = wanted.is_some_and(|w| w.iter().all(|id| out.iter().any(|z| bare_zone_id(z.id()) == *id)));
        match r.next_marker() {
            Some(m) if r.is_truncated() && !done => marker = Some(m.to_string()),
            _ => return Ok(out),
        }
    }
}

/// Tags of many zones, ten per call.
async fn zone_tags(c: &Clients, ids: &[String], calls: &mut usize) -> Result<HashMap<String, Tags>, ProviderError> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(TAG_BATCH) {
        *calls += 1;
        let r = c
            .route53
            .list_tags_for_resources()
            .resource_type(TagResourceType::Hostedzone)
            .set_resource_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(aws_err)?;
        for set in r.resource_tag_sets() {
            if let Some(id) = set.resource_id() {
                let tags = set.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())));
                out.insert(bare_zone_id(id).to_string(), tags.collect());
            }
        }
    }
    Ok(out)
}

async fn change_zone_tags(c: &Clients, id: &str, set: &Tags, removed: &[String]) -> Result<(), ProviderError> {
    let set: Vec<Tag> = set.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
    let rounds = set.len().max(removed.len()).div_ceil(TAG_BATCH);
    for i in 0..rounds {
        let range = |len: usize| (i * TAG_BATCH).min(len)..((i + 1) * TAG_BATCH).min(len);
        let (add, remove) = (set[range(set.len())].to_vec(), removed[range(removed.len())].to_vec());
        c.route53
            .change_tags_for_resource()
            .resource_type(TagResourceType::Hostedzone)
            .resource_id(id)
            .set_add_tags((!add.is_empty()).then_some(add))
            .set_remove_tag_keys((!remove.is_empty()).then_some(remove))
            .send()
            .await
            .map_err(aws_err)?;
    }
    Ok(())
}

/// One zone with its name servers, VPCs and tags; `None` when it is gone.
async fn zone_by_id(c: &Clients, base: &Value, id: &str) -> Result<Option<Value>, ProviderError> {
    let r = match c.route53.get_hosted_zone().id(id).send().await.map_err(aws_err) {
        Ok(r) => r,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(zone) = r.hosted_zone() else { return Ok(None) };
    let private = zone.config().is_some_and(|cfg| cfg.private_zone());
    let details =
        ZoneDetails { name_servers: r.delegation_set().map(|d| d.name_servers().to_vec()), vpcs: private.then(|| r.vpcs().to_vec()) };
    let mut calls = 0;
    let tags = zone_tags(c, &[bare_zone_id(zone.id()).to_string()], &mut calls).await?.remove(bare_zone_id(zone.id())).unwrap_or_default();
    Ok(Some(zone_state(c, base, zone, &details, &tags)))
}

fn vpc(block: &Value, region: &str) -> Vpc {
    Vpc::builder().set_vpc_id(block.string("vpc_id")).vpc_region(VpcRegion::from(block.str_attr("vpc_region").unwrap_or(region))).build()
}

/// Every record of a zone except its SOA and its own NS records, which
/// Route 53 manages.
async fn removable_records(
    c: &Clients,
    zone_id: &str,
    zone_name: &str,
    calls: &mut usize,
) -> Result<Vec<ResourceRecordSet>, ProviderError> {
    let apex = normalize(zone_name);
    Ok(zone_records(c, zone_id, calls)
        .await?
        .unwrap_or_default()
        .into_iter()
        .filter(|r| !(*r.r#type() == RrType::Soa || (*r.r#type() == RrType::Ns && normalize(r.name()) == apex)))
        .collect())
}

#[async_trait]
impl ResourceType for Zone {
    fn type_name(&self) -> &'static str {
        "aws_route53_zone"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let mut calls = 0;
        let wanted: BTreeSet<&str> = objects.iter().map(|o| bare_zone_id(&o.id)).filter(|id| !id.is_empty()).collect();
        if wanted.is_empty() {
            return Ok((objects.iter().map(|o| ReadResult::new(o.addr.clone(), None)).collect(), 0));
        }
        let zones: HashMap<String, HostedZone> = list_zones(c, Some(&wanted), &mut calls)
            .await?
            .into_iter()
            .map(|z| (bare_zone_id(z.id()).to_string(), z))
            .filter(|(id, _)| wanted.contains(id.as_str()))
            .collect();
        let mut tags = zone_tags(c, &zones.keys().cloned().collect::<Vec<_>>(), &mut calls).await?;
        let mut results = Vec::new();
        for o in objects {
            let Some(zone) = zones.get(bare_zone_id(&o.id)) else {
                results.push(ReadResult::new(o.addr.clone(), None));
                continue;
            };
            let mut details = ZoneDetails::default();
            if zone.config().is_some_and(|cfg| cfg.private_zone()) {
                calls += 1;
                let r = c.route53.get_hosted_zone().id(zone.id()).send().await.map_err(aws_err)?;
                details.vpcs = Some(r.vpcs().to_vec());
            }
            let zone_tags = tags.remove(bare_zone_id(&o.id)).unwrap_or_default();
            results.push(ReadResult::new(o.addr.clone(), Some(zone_state(c, &o.prior, zone, &details, &zone_tags))));
        }
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let name = p.string("name").ok_or_else(|| invalid("name is required"))?;
        // The caller reference is the intent token: a retried create with the
        // same token fails instead of making a second zone, and recovery finds it.
        let reference = req.token.clone().unwrap_or_else(|| format!("strata-{:032x}", rand::random::<u128>()));
        let vpcs = p.blocks("vpc");
        let config = HostedZoneConfig::builder().set_comment(p.string("comment")).private_zone(!vpcs.is_empty()).build();
        let r = c
            .route53
            .create_hosted_zone()
            .name(&name)
            .caller_reference(reference)
            .hosted_zone_config(config)
            .set_vpc(vpcs.first().map(|v| vpc(v, &c.region)))
            .set_delegation_set_id(p.string("delegation_set_id"))
            .send()
            .await
            .map_err(aws_err)?;
        let zone = r.hosted_zone().ok_or_else(|| invalid("CreateHostedZone returned no zone"))?;
        let id = bare_zone_id(zone.id()).to_string();
        for v in vpcs.iter().skip(1) {
            c.route53.associate_vpc_with_hosted_zone().hosted_zone_id(&id).vpc(vpc(v, &c.region)).send().await.map_err(aws_err)?;
        }
        let tags = tags_for(c, p, &req.addr.to_string(), req.token.as_deref());
        change_zone_tags(c, &id, &tags, &[]).await?;
        wait_insync(c, r.change_info(), req.timeouts.create.unwrap_or(DEFAULT_TIMEOUT)).await?;
        let details = ZoneDetails {
            name_servers: r.delegation_set().map(|d| d.name_servers().to_vec()),
            vpcs: (!vpcs.is_empty()).then(|| vpcs.iter().map(|v| vpc(v, &c.region)).collect()),
        };
        Ok(zone_state(c, p, zone, &details, &tags))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let (p, prior) = (&req.planned, req.prior.as_ref().unwrap_or(&Value::Null));
        let id = prior.string("id").ok_or_else(|| invalid(format!("{} has no recorded id", req.addr)))?;
        if p.str_attr("comment") != prior.str_attr("comment") {
            c.route53.update_hosted_zone_comment().id(&id).set_comment(p.string("comment")).send().await.map_err(aws_err)?;
        }
        let vpc_ids = |v: &Value| v.blocks("vpc").iter().filter_map(|b| b.string("vpc_id")).collect::<BTreeSet<_>>();
        let (old, new) = (vpc_ids(prior), vpc_ids(p));
        // Associate first: a private zone cannot lose its last VPC.
        for block in p.blocks("vpc").iter().filter(|b| b.str_attr("vpc_id").is_some_and(|v| !old.contains(v))) {
            c.route53.associate_vpc_with_hosted_zone().hosted_zone_id(&id).vpc(vpc(block, &c.region)).send().await.map_err(aws_err)?;
        }
        for block in prior.blocks("vpc").iter().filter(|b| b.str_attr("vpc_id").is_some_and(|v| !new.contains(v))) {
            c.route53.disassociate_vpc_from_hosted_zone().hosted_zone_id(&id).vpc(vpc(block, &c.region)).send().await.map_err(aws_err)?;
        }
        let (set, removed) = tag_changes(prior, &tags_for(c, p, &req.addr.to_string(), None));
        change_zone_tags(c, &id, &set, &removed).await?;
        zone_by_id(c, p, &id).await?.ok_or_else(|| ProviderError {
            code: Some("NoSuchHostedZone".into()),
            message: format!("hosted zone {id} not found"),
            retryable: true,
        })
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let prior = req.prior.as_ref().unwrap_or(&Value::Null);
        let id = prior.string("id").ok_or_else(|| invalid(format!("{} has no recorded id", req.addr)))?;
        let timeout = req.timeouts.delete.unwrap_or(DEFAULT_TIMEOUT);
        if prior.bool_attr("force_destroy") == Some(true) {
            let mut calls = 0;
            let records = match removable_records(c, &id, prior.str_attr("name").unwrap_or_default(), &mut calls).await {
                Err(e) if is_not_found(&e) => return Ok(()),
                r => r?,
            };
            for chunk in records.chunks(CHANGE_BATCH) {
                let changes = chunk
                    .iter()
                    .map(|r| Change::builder().action(ChangeAction::Delete).resource_record_set(r.clone()).build().map_err(build_err));
                let batch = ChangeBatch::builder().set_changes(Some(changes.collect::<Result<_, _>>()?)).build().map_err(build_err)?;
                let r = c.route53.change_resource_record_sets().hosted_zone_id(&id).change_batch(batch).send().await.map_err(aws_err)?;
                wait_insync(c, r.change_info(), timeout).await?;
            }
        }
        match c.route53.delete_hosted_zone().id(&id).send().await.map_err(aws_err) {
            Ok(r) => wait_insync(c, r.change_info(), timeout).await,
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn find_by_intent(&self, c: &Clients, addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        let mut calls = 0;
        let zones = list_zones(c, None, &mut calls).await?;
        let Some(zone) = zones.iter().find(|z| z.caller_reference() == token) else { return Ok(None) };
        let id = bare_zone_id(zone.id());
        // Zones are tagged after they are made: the crash may have come between.
        let tagged = zone_tags(c, &[id.to_string()], &mut calls).await?.remove(id).is_some_and(|t| t.contains_key(TAG_ADDRESS));
        if !tagged {
            change_zone_tags(c, id, &tags_for(c, planned, addr, Some(token)), &[]).await?;
        }
        zone_by_id(c, planned, id).await
    }

    async fn find_orphan(&self, c: &Clients, _addr: &str, token: &str, identity: &Value) -> Result<Option<Value>, ProviderError> {
        let mut calls = 0;
        let zones = list_zones(c, None, &mut calls).await?;
        let Some(zone) = zones.iter().find(|z| z.caller_reference() == token) else { return Ok(None) };
        zone_by_id(c, identity, bare_zone_id(zone.id())).await
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        zone_by_id(c, &skeleton("aws_route53_zone"), bare_zone_id(id)).await
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let mut calls = 0;
        let ids: Vec<String> = list_zones(c, None, &mut calls).await?.iter().map(|z| bare_zone_id(z.id()).to_string()).collect();
        let mut tags = zone_tags(c, &ids, &mut calls).await?;
        Ok((
            ids.into_iter()
                .map(|id| ListedObject { provider_default: false, tags: tags.remove(&id).unwrap_or_default(), id, parent: None })
                .collect(),
            calls,
        ))
    }
}

// ---------------------------------------------------------------------------
// aws_route53_record

struct Record;

/// What identifies a record set in its zone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RecordKey {
    zone: String,
    /// Normalised: lower case, no trailing dot.
    fqdn: String,
    ty: String,
    set_identifier: Option<String>,
}

impl RecordKey {
    fn of(rrs: &ResourceRecordSet, zone: &str) -> RecordKey {
        RecordKey {
            zone: zone.to_string(),
            fqdn: normalize(rrs.name()),
            ty: rrs.r#type().as_str().to_string(),
            set_identifier: rrs.set_identifier().map(str::to_string),
        }
    }

    /// From a recorded object: its zone, fqdn, type and set identifier.
    fn recorded(v: &Value) -> Option<RecordKey> {
        Some(RecordKey {
            zone: bare_zone_id(v.str_attr("zone_id")?).to_string(),
            fqdn: normalize(v.str_attr("fqdn")?),
            ty: v.string("type")?,
            set_identifier: v.string("set_identifier"),
        })
    }

    /// `<zone>_<name>_<type>[_<set identifier>]`. Names may hold `_`
    /// (`_dmarc`): the type is the last segment that is a record type.
    fn parse(id: &str) -> Option<RecordKey> {
        let parts: Vec<&str> = id.split('_').collect();
        let is_type = |s: &str| RrType::values().contains(&s);
        let t = (2..parts.len()).rev().find(|&i| is_type(parts[i]))?;
        let set_identifier = (t + 1 < parts.len()).then(|| parts[t + 1..].join("_"));
        Some(RecordKey { zone: parts[0].to_string(), fqdn: normalize(&parts[1..t].join("_")), ty: parts[t].to_string(), set_identifier })
    }

    fn id(&self) -> String {
        let mut id = format!("{}_{}_{}", self.zone, self.fqdn, self.ty);
        if let Some(s) = &self.set_identifier {
            id.push('_');
            id.push_str(s);
        }
        id
    }

    fn matches(&self, rrs: &ResourceRecordSet) -> bool {
        normalize(rrs.name()) == self.fqdn && rrs.r#type().as_str() == self.ty && rrs.set_identifier() == self.set_identifier.as_deref()
    }
}

/// A record's full name: `name` as is when it is in the zone already,
/// else `name.zone`.
fn fqdn(name: &str, zone_name: &str) -> String {
    let (name, zone) = (normalize(name), normalize(zone_name));
    if name == zone || name.ends_with(&format!(".{zone}")) {
        name
    } else if name.is_empty() {
        zone
    } else {
        format!("{name}.{zone}")
    }
}

/// TXT and SPF values go out quoted, in strings of at most 255 characters.
fn quote(ty: &str, value: &str) -> String {
    if !matches!(ty, "TXT" | "SPF") || value.starts_with('"') {
        return value.to_string();
    }
    let chars: Vec<char> = value.chars().collect();
    let parts: Vec<String> = chars.chunks(255).map(|c| format!("\"{}\"", c.iter().collect::<String>())).collect();
    if parts.is_empty() { "\"\"".to_string() } else { parts.join(" ") }
}

/// A reported TXT or SPF value as configured: quotes and the separators of
/// split strings removed.
fn unquote(ty: &str, value: &str) -> String {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) if matches!(ty, "TXT" | "SPF") => inner.replace("\" \"", ""),
        _ => value.to_string(),
    }
}

/// The record set a (planned or recorded) object describes.
fn record_set(v: &Value, fqdn: &str) -> Result<ResourceRecordSet, ProviderError> {
    for unsupported in ["cidr_routing_policy", "geoproximity_routing_policy"] {
        if !v.blocks(unsupported).is_empty() {
            return Err(invalid(format!("{unsupported} is not supported by strata yet")));
        }
    }
    let ty = v.str_attr("type").ok_or_else(|| invalid("type is required"))?;
    let mut b = ResourceRecordSet::builder()
        .name(fqdn)
        .r#type(RrType::from(ty))
        .set_set_identifier(v.string("set_identifier"))
        .set_health_check_id(v.string("health_check_id"))
        .set_multi_value_answer(v.bool_attr("multivalue_answer_routing_policy"));
    match v.blocks("alias").first() {
        Some(a) => {
            let target = AliasTarget::builder()
                .set_dns_name(a.string("name"))
                .set_hosted_zone_id(a.string("zone_id"))
                .evaluate_target_health(a.bool_attr("evaluate_target_health").unwrap_or(false))
                .build()
                .map_err(build_err)?;
            b = b.alias_target(target);
        }
        None => {
            let records = v
                .str_list("records")
                .iter()
                .map(|r| ResourceRecord::builder().value(quote(ty, r)).build().map_err(build_err))
                .collect::<Result<Vec<_>, _>>()?;
            b = b.set_ttl(v.num_attr("ttl").map(|t| t as i64)).set_resource_records(Some(records));
        }
    }
    if let Some(w) = v.blocks("weighted_routing_policy").first() {
        b = b.set_weight(w.num_attr("weight").map(|n| n as i64));
    }
    if let Some(l) = v.blocks("latency_routing_policy").first() {
        b = b.set_region(l.str_attr("region").map(ResourceRecordSetRegion::from));
    }
    if let Some(f) = v.blocks("failover_routing_policy").first() {
        b = b.set_failover(f.str_attr("type").map(ResourceRecordSetFailover::from));
    }
    if let Some(g) = v.blocks("geolocation_routing_policy").first() {
        let geo = GeoLocation::builder()
            .set_continent_code(g.string("continent"))
            .set_country_code(g.string("country"))
            .set_subdivision_code(g.string("subdivision"));
        b = b.geo_location(geo.build());
    }
    b.build().map_err(build_err)
}

fn record_state(base: &Value, zone: &str, rrs: &ResourceRecordSet) -> Value {
    let key = RecordKey::of(rrs, zone);
    let ty = rrs.r#type().as_str();
    let single = |items: Vec<(&str, Value)>| Value::List(vec![Value::map(items)].into());
    let none = || Value::List(Vec::new().into());
    let base_alias = base.blocks("alias").first().and_then(|a| a.str_attr("name"));
    let mut s = StateBuilder::from_planned(base);
    s.str("id", Some(key.id()))
        .str("zone_id", Some(base.str_attr("zone_id").unwrap_or(zone)))
        .str("name", Some(configured_name(base.str_attr("name"), &key.fqdn)))
        .str("fqdn", Some(&key.fqdn))
        .str("type", Some(ty))
        .str("set_identifier", rrs.set_identifier())
        .str("health_check_id", rrs.health_check_id())
        .set("multivalue_answer_routing_policy", rrs.multi_value_answer().map_or(Value::Null, Value::Bool))
        // Aliases have no TTL of their own (moto reports 0).
        .set("ttl", rrs.ttl().filter(|_| rrs.alias_target().is_none()).map_or(Value::Null, |t| Value::Number(t as f64)))
        .set(
            "records",
            match rrs.resource_records() {
                [] => Value::Null,
                records => Value::set(records.iter().map(|r| Value::string(unquote(ty, r.value()))).collect()),
            },
        )
        .set(
            "alias",
            rrs.alias_target().map_or_else(none, |a| {
                single(vec![
                    ("name", Value::string(same_name(base_alias, a.dns_name()))),
                    ("zone_id", Value::string(a.hosted_zone_id())),
                    ("evaluate_target_health", Value::Bool(a.evaluate_target_health())),
                ])
            }),
        )
        .set("weighted_routing_policy", rrs.weight().map_or_else(none, |w| single(vec![("weight", Value::Number(w as f64))])))
        .set("latency_routing_policy", rrs.region().map_or_else(none, |r| single(vec![("region", Value::string(r.as_str()))])))
        .set("failover_routing_policy", rrs.failover().map_or_else(none, |f| single(vec![("type", Value::string(f.as_str()))])))
        .set(
            "geolocation_routing_policy",
            rrs.geo_location().map_or_else(none, |g| {
                let s = |v: Option<&str>| v.map_or(Value::Null, Value::string);
                single(vec![
                    ("continent", s(g.continent_code())),
                    ("country", s(g.country_code())),
                    ("subdivision", s(g.subdivision_code())),
                ])
            }),
        );
    no_unknowns(s.build())
}

/// The configured `name` (relative or full) when it names the record
/// `fqdn`, else `fqdn` itself.
fn configured_name(base: Option<&str>, fqdn: &str) -> String {
    match base.map(|b| (b, normalize(b))) {
        Some((b, n)) if n == fqdn || fqdn.strip_prefix(n.as_str()).is_some_and(|rest| rest.starts_with('.')) => b.to_string(),
        _ => fqdn.to_string(),
    }
}

/// Every record set of a zone, one call per page; `None` when the zone is gone.
async fn zone_records(c: &Clients, zone: &str, calls: &mut usize) -> Result<Option<Vec<ResourceRecordSet>>, ProviderError> {
    let mut out = Vec::new();
    let mut start: Option<(String, RrType, Option<String>)> = None;
    loop {
        *calls += 1;
        let mut call = c.route53.list_resource_record_sets().hosted_zone_id(zone).max_items(RECORD_PAGE);
        if let Some((name, ty, identifier)) = start.take() {
            call = call.start_record_name(name).start_record_type(ty).set_start_record_identifier(identifier);
        }
        let r = match call.send().await.map_err(aws_err) {
            Ok(r) => r,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        out.extend(r.resource_record_sets().iter().cloned());
        match (r.is_truncated(), r.next_record_name(), r.next_record_type()) {
            (true, Some(name), Some(ty)) => start = Some((name.to_string(), ty.clone(), r.next_record_identifier().map(str::to_string))),
            _ => return Ok(Some(out)),
        }
    }
}

/// The record set with this key as Route 53 has it now (one call).
async fn current(c: &Clients, key: &RecordKey) -> Result<Option<ResourceRecordSet>, ProviderError> {
    let r = c
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(&key.zone)
        .start_record_name(&key.fqdn)
        .start_record_type(RrType::from(key.ty.as_str()))
        .set_start_record_identifier(key.set_identifier.clone())
        .max_items(RECORD_PAGE)
        .send()
        .await;
    match r.map_err(aws_err) {
        Ok(r) => Ok(r.resource_record_sets().iter().find(|rrs| key.matches(rrs)).cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn zone_name(c: &Clients, zone: &str) -> Result<String, ProviderError> {
    let r = c.route53.get_hosted_zone().id(zone).send().await.map_err(aws_err)?;
    r.hosted_zone().map(|z| normalize(z.name())).ok_or_else(|| invalid(format!("hosted zone {zone} not found")))
}

async fn change_records(
    c: &Clients,
    zone: &str,
    changes: Vec<(ChangeAction, ResourceRecordSet)>,
    timeout: Duration,
) -> Result<(), ProviderError> {
    let changes = changes
        .into_iter()
        .map(|(action, rrs)| Change::builder().action(action).resource_record_set(rrs).build().map_err(build_err))
        .collect::<Result<_, _>>()?;
    let batch = ChangeBatch::builder().set_changes(Some(changes)).build().map_err(build_err)?;
    let r = c.route53.change_resource_record_sets().hosted_zone_id(zone).change_batch(batch).send().await.map_err(aws_err)?;
    wait_insync(c, r.change_info(), timeout).await
}

#[async_trait]
impl ResourceType for Record {
    fn type_name(&self) -> &'static str {
        "aws_route53_record"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let mut calls = 0;
        let keys: Vec<Option<RecordKey>> =
            objects.iter().map(|o| RecordKey::recorded(&o.prior).or_else(|| RecordKey::parse(&o.id))).collect();
        let zones: BTreeSet<&str> = keys.iter().flatten().map(|k| k.zone.as_str()).collect();
        let mut records = HashMap::new();
        for zone in zones {
            records.insert(zone, zone_records(c, zone, &mut calls).await?.unwrap_or_default());
        }
        let results = objects
            .iter()
            .zip(&keys)
            .map(|(o, key)| {
                let found = key.as_ref().and_then(|k| records.get(k.zone.as_str())?.iter().find(|r| k.matches(r)).map(|r| (k, r)));
                ReadResult::new(o.addr.clone(), found.map(|(k, r)| record_state(&o.prior, &k.zone, r)))
            })
            .collect();
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let zone = bare_zone_id(p.str_attr("zone_id").ok_or_else(|| invalid("zone_id is required"))?).to_string();
        let name = fqdn(p.str_attr("name").unwrap_or_default(), &zone_name(c, &zone).await?);
        let rrs = record_set(p, &name)?;
        change_records(c, &zone, vec![(ChangeAction::Upsert, rrs.clone())], req.timeouts.create.unwrap_or(DEFAULT_TIMEOUT)).await?;
        Ok(record_state(p, &zone, &rrs))
    }

    /// An UPSERT; a new type or set identifier is another record set, so
    /// the old one is deleted in the same change batch.
    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let (p, prior) = (&req.planned, req.prior.as_ref().unwrap_or(&Value::Null));
        let old = RecordKey::recorded(prior)
            .or_else(|| prior.str_attr("id").and_then(RecordKey::parse))
            .ok_or_else(|| invalid(format!("{} has no recorded key", req.addr)))?;
        let rrs = record_set(p, &old.fqdn)?;
        let mut changes = Vec::new();
        if RecordKey::of(&rrs, &old.zone) != old
            && let Some(existing) = current(c, &old).await?
        {
            changes.push((ChangeAction::Delete, existing));
        }
        changes.push((ChangeAction::Upsert, rrs.clone()));
        change_records(c, &old.zone, changes, req.timeouts.update.unwrap_or(DEFAULT_TIMEOUT)).await?;
        Ok(record_state(p, &old.zone, &rrs))
    }

    /// A DELETE must repeat the record exactly: it is sent as Route 53 has it now.
    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let prior = req.prior.as_ref().unwrap_or(&Value::Null);
        let Some(key) = RecordKey::recorded(prior).or_else(|| prior.str_attr("id").and_then(RecordKey::parse)) else { return Ok(()) };
        let Some(existing) = current(c, &key).await? else { return Ok(()) };
        match change_records(c, &key.zone, vec![(ChangeAction::Delete, existing)], req.timeouts.delete.unwrap_or(DEFAULT_TIMEOUT)).await {
            Err(e) if is_not_found(&e) || e.message.contains("not found") => Ok(()),
            r => r,
        }
    }

    /// Records have no tags: zone, name, type and set identifier are the identity.
    async fn find_by_intent(&self, c: &Clients, _addr: &str, _token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        identity_known(planned, "aws_route53_record", &["zone_id", "name", "type", "set_identifier"])?;
        let (Some(zone), Some(name), Some(ty)) = (planned.str_attr("zone_id"), planned.str_attr("name"), planned.string("type")) else {
            return Ok(None);
        };
        let zone = bare_zone_id(zone).to_string();
        let zone_name = match zone_name(c, &zone).await {
            Err(e) if is_not_found(&e) => return Ok(None),
            r => r?,
        };
        let key = RecordKey { fqdn: fqdn(name, &zone_name), zone, ty, set_identifier: planned.string("set_identifier") };
        Ok(current(c, &key).await?.map(|rrs| record_state(planned, &key.zone, &rrs)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let key = RecordKey::parse(id).ok_or_else(|| invalid(format!("`{id}` is not `<zone id>_<name>_<type>[_<set identifier>]`")))?;
        Ok(current(c, &key).await?.map(|rrs| record_state(&skeleton("aws_route53_record"), &key.zone, &rrs)))
    }

    /// Every record of every zone but the SOA and apex NS records Route 53 manages.
    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let mut calls = 0;
        let mut out = Vec::new();
        for zone in list_zones(c, None, &mut calls).await? {
            let id = bare_zone_id(zone.id()).to_string();
            for rrs in removable_records(c, &id, zone.name(), &mut calls).await? {
                out.push(ListedObject {
                    provider_default: false,
                    id: RecordKey::of(&rrs, &id).id(),
                    tags: BTreeMap::new(),
                    parent: Some(("aws_route53_zone".into(), id.clone())),
                });
            }
        }
        Ok((out, calls))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_compared_without_case_trailing_dot_or_escapes() {
        assert_eq!(normalize("WWW.Example.com."), "www.example.com");
        assert_eq!(normalize("\\052.example.com."), "*.example.com");
        assert_eq!(normalize("a\\b.example.com"), "a\\b.example.com");
        assert_eq!(same_name(Some("Example.com"), "example.com."), "Example.com");
        assert_eq!(same_name(Some("other.com"), "example.com."), "example.com");
        assert_eq!(configured_name(Some("WWW"), "www.example.com"), "WWW");
        assert_eq!(configured_name(Some("www.example.com."), "www.example.com"), "www.example.com.");
        assert_eq!(configured_name(Some("ww"), "www.example.com"), "www.example.com");
    }

    #[test]
    fn relative_names_get_the_zone_appended() {
        assert_eq!(fqdn("www", "example.com."), "www.example.com");
        assert_eq!(fqdn("www.example.com", "example.com"), "www.example.com");
        assert_eq!(fqdn("example.com.", "example.com"), "example.com");
        assert_eq!(fqdn("", "example.com"), "example.com");
    }

    #[test]
    fn record_ids_round_trip_with_underscores_in_names_and_identifiers() {
        let key = RecordKey { zone: "Z1".into(), fqdn: "_dmarc.example.com".into(), ty: "TXT".into(), set_identifier: None };
        assert_eq!(key.id(), "Z1__dmarc.example.com_TXT");
        assert_eq!(RecordKey::parse(&key.id()), Some(key));
        let key = RecordKey { zone: "Z1".into(), fqdn: "www.example.com".into(), ty: "A".into(), set_identifier: Some("blue_1".into()) };
        assert_eq!(RecordKey::parse(&key.id()), Some(key));
        assert_eq!(RecordKey::parse("Z1_www.example.com"), None);
    }

    #[test]
    fn txt_values_are_quoted_and_split_at_255_characters() {
        assert_eq!(quote("TXT", "v=spf1 -all"), "\"v=spf1 -all\"");
        assert_eq!(quote("A", "10.0.0.1"), "10.0.0.1");
        let long = "x".repeat(300);
        let quoted = quote("TXT", &long);
        assert_eq!(quoted, format!("\"{}\" \"{}\"", "x".repeat(255), "x".repeat(45)));
        assert_eq!(unquote("TXT", &quoted), long);
        assert_eq!(unquote("CNAME", "\"x\""), "\"x\"");
    }
}
