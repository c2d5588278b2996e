//! `aws_security_group`, and the rule model it shares with
//! `aws_security_group_rule`.
//!
//! Rules are compared as atoms: one protocol, port range and source (a
//! CIDR, an IPv6 CIDR, a prefix list or a security group), with its
//! description. Configured blocks and AWS's permissions group atoms
//! differently; comparing atoms makes the diff independent of grouping.
//!
//! Egress: AWS gives a new group an allow-all egress rule. With no `egress`
//! blocks in the configuration strata leaves that default alone (and does
//! not report it, so the plan stays clean); with `egress` blocks the rules
//! become exactly the configured ones, the default included only if
//! configured. Removing every `egress` block restores the default.
//!
//! In place: tags and the ingress/egress rule sets (authorize what is
//! missing, update changed descriptions, then revoke what is no longer
//! configured). The batched `read` makes one DescribeSecurityGroups call per
//! page; rules that match a configured block keep the block's shape, other
//! rules (drift) appear grouped by protocol, ports and description.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::{self as ec2, Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, Tag, UserIdGroupPair};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{
    Ec2Kind, all_pages, blank, describe_one, find_intent, list_all, prior, prior_id, read_each, retry_dependency, set_tags, tag_spec,
    timeout, unique_name, update_tags, wait_ready,
};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, invalid};

/// Where traffic of a rule comes from (ingress) or goes to (egress).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Source {
    Cidr(String),
    Ipv6(String),
    PrefixList(String),
    Group(String),
}

impl Source {
    pub(super) fn text(&self) -> &str {
        match self {
            Source::Cidr(s) | Source::Ipv6(s) | Source::PrefixList(s) | Source::Group(s) => s,
        }
    }
}

/// One rule as AWS grants it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Atom {
    pub protocol: String,
    pub from: i32,
    pub to: i32,
    pub source: Source,
}

/// The rules of one direction, each with its description.
pub(super) type Rules = BTreeMap<Atom, Option<String>>;

/// AWS's protocol names: `tcp`, `udp`, `icmp`, `icmpv6`, `-1` for all.
fn protocol_name(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "all" | "-1" => "-1".into(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "icmpv6".into(),
        other => other.into(),
    }
}

pub(super) fn atom(protocol: &str, from: Option<i32>, to: Option<i32>, source: Source) -> Atom {
    let protocol = protocol_name(protocol);
    // All protocols means all ports, whatever the configuration wrote.
    let (from, to) = if protocol == "-1" { (0, 0) } else { (from.unwrap_or(0), to.unwrap_or(0)) };
    Atom { protocol, from, to, source }
}

/// The rules of AWS's permissions.
pub(super) fn api_rules(perms: &[IpPermission]) -> Rules {
    let mut rules = Rules::new();
    for p in perms {
        let proto = p.ip_protocol().unwrap_or("-1");
        let mut add = |source: Source, desc: Option<&str>| {
            rules.insert(atom(proto, p.from_port(), p.to_port(), source), desc.map(str::to_string));
        };
        for r in p.ip_ranges() {
            if let Some(c) = r.cidr_ip() {
                add(Source::Cidr(c.into()), r.description());
            }
        }
        for r in p.ipv6_ranges() {
            if let Some(c) = r.cidr_ipv6() {
                add(Source::Ipv6(c.into()), r.description());
            }
        }
        for r in p.prefix_list_ids() {
            if let Some(id) = r.prefix_list_id() {
                add(Source::PrefixList(id.into()), r.description());
            }
        }
        for r in p.user_id_group_pairs() {
            if let Some(id) = r.group_id() {
                add(Source::Group(id.into()), r.description());
            }
        }
    }
    rules
}

/// The rules an inline `ingress`/`egress` block or an
/// `aws_security_group_rule` describes; `own` is the group `self` means.
pub(super) fn block_rules(b: &Value, own: &str) -> Rules {
    let proto = b.str_attr("protocol").unwrap_or("-1");
    let (from, to) = (b.i32_attr("from_port"), b.i32_attr("to_port"));
    let desc = b.string("description");
    let mut sources: Vec<Source> = Vec::new();
    sources.extend(b.str_list("cidr_blocks").into_iter().map(Source::Cidr));
    sources.extend(b.str_list("ipv6_cidr_blocks").into_iter().map(Source::Ipv6));
    sources.extend(b.str_list("prefix_list_ids").into_iter().map(Source::PrefixList));
    sources.extend(b.str_list("security_groups").into_iter().map(Source::Group));
    sources.extend(b.string("source_security_group_id").map(Source::Group));
    if b.bool_attr("self") == Some(true) {
        sources.push(Source::Group(own.to_string()));
    }
    sources.into_iter().map(|s| (atom(proto, from, to, s), desc.clone())).collect()
}

/// The rules as IpPermissions, one per protocol and port range
/// (descriptions only where `describe`).
pub(super) fn permissions<'a>(rules: impl IntoIterator<Item = (&'a Atom, &'a Option<String>)>, describe: bool) -> Vec<IpPermission> {
    // Sources and descriptions by protocol and port range.
    type Grouped<'a> = BTreeMap<(&'a str, i32, i32), Vec<(&'a Source, Option<String>)>>;
    let mut grouped = Grouped::new();
    for (a, d) in rules {
        grouped.entry((a.protocol.as_str(), a.from, a.to)).or_default().push((&a.source, d.clone().filter(|_| describe)));
    }
    grouped
        .into_iter()
        .map(|((protocol, from, to), sources)| {
            let p = IpPermission::builder().ip_protocol(protocol);
            let p = if protocol == "-1" { p } else { p.from_port(from).to_port(to) };
            sources
                .into_iter()
                .fold(p, |p, (source, d)| match source {
                    Source::Cidr(c) => p.ip_ranges(IpRange::builder().cidr_ip(c).set_description(d).build()),
                    Source::Ipv6(c) => p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(d).build()),
                    Source::PrefixList(id) => p.prefix_list_ids(PrefixListId::builder().prefix_list_id(id).set_description(d).build()),
                    Source::Group(id) => p.user_id_group_pairs(UserIdGroupPair::builder().group_id(id).set_description(d).build()),
                })
                .build()
        })
        .collect()
}

/// Authorize, re-describe and revoke so that the group's rules of one
/// direction become `want`.
pub(super) async fn sync_rules(c: &Clients, group: &str, egress: bool, want: &Rules, have: &Rules) -> Result<(), ProviderError> {
    let add: Vec<_> = want.iter().filter(|(a, _)| !have.contains_key(*a)).collect();
    let redescribe: Vec<_> = want.iter().filter(|(a, d)| have.get(*a).is_some_and(|h| h != *d)).collect();
    let drop: Vec<_> = have.iter().filter(|(a, _)| !want.contains_key(*a)).collect();
    if !add.is_empty() {
        let perms = Some(permissions(add, true));
        if egress {
            c.ec2.authorize_security_group_egress().group_id(group).set_ip_permissions(perms).send().await.map_err(aws_err)?;
        } else {
            c.ec2.authorize_security_group_ingress().group_id(group).set_ip_permissions(perms).send().await.map_err(aws_err)?;
        }
    }
    if !redescribe.is_empty() {
        let perms = Some(permissions(redescribe, true));
        if egress {
            c.ec2
                .update_security_group_rule_descriptions_egress()
                .group_id(group)
                .set_ip_permissions(perms)
                .send()
                .await
                .map_err(aws_err)?;
        } else {
            c.ec2
                .update_security_group_rule_descriptions_ingress()
                .group_id(group)
                .set_ip_permissions(perms)
                .send()
                .await
                .map_err(aws_err)?;
        }
    }
    if !drop.is_empty() {
        let perms = Some(permissions(drop, false));
        if egress {
            c.ec2.revoke_security_group_egress().group_id(group).set_ip_permissions(perms).send().await.map_err(aws_err)?;
        } else {
            c.ec2.revoke_security_group_ingress().group_id(group).set_ip_permissions(perms).send().await.map_err(aws_err)?;
        }
    }
    Ok(())
}

/// The rule blocks of a state: configured blocks AWS fully has keep their
/// shape (and order); the remaining rules are grouped into new blocks.
fn to_blocks(configured: &[&Value], own: &str, mut have: Rules) -> Vec<Value> {
    let mut out = Vec::new();
    for b in configured {
        let want = block_rules(b, own);
        if !want.is_empty() && want.iter().all(|(a, d)| have.get(a) == Some(d)) {
            have.retain(|a, _| !want.contains_key(a));
            out.push((*b).clone());
        }
    }
    let mut groups: BTreeMap<(String, i32, i32, Option<String>), Vec<Source>> = BTreeMap::new();
    for (a, d) in have {
        groups.entry((a.protocol, a.from, a.to, d)).or_default().push(a.source);
    }
    for ((protocol, from, to, desc), sources) in groups {
        let list = |keep: fn(&Source) -> bool| {
            let items: Vec<Value> = sources.iter().filter(|s| keep(s)).map(|s| Value::string(s.text())).collect();
            if items.is_empty() { Value::Null } else { Value::List(items.into()) }
        };
        let groups: Vec<Value> = sources
            .iter()
            .filter_map(|s| match s {
                Source::Group(g) if g != own => Some(Value::string(g.clone())),
                _ => None,
            })
            .collect();
        out.push(Value::map([
            ("cidr_blocks", list(|s| matches!(s, Source::Cidr(_)))),
            ("description", desc.map_or(Value::Null, Value::string)),
            ("from_port", Value::Number(f64::from(from))),
            ("ipv6_cidr_blocks", list(|s| matches!(s, Source::Ipv6(_)))),
            ("prefix_list_ids", list(|s| matches!(s, Source::PrefixList(_)))),
            ("protocol", Value::String(protocol.into())),
            ("security_groups", if groups.is_empty() { Value::Null } else { Value::set(groups) }),
            ("self", Value::Bool(sources.contains(&Source::Group(own.to_string())))),
            ("to_port", Value::Number(f64::from(to))),
        ]));
    }
    out
}

/// AWS's default egress: everything to anywhere (IPv4, and IPv6 in a VPC with IPv6).
fn is_default_egress(a: &Atom) -> bool {
    a.protocol == "-1" && (matches!(&a.source, Source::Cidr(c) if c == "0.0.0.0/0") || matches!(&a.source, Source::Ipv6(c) if c == "::/0"))
}

fn allow_all() -> Atom {
    atom("-1", None, None, Source::Cidr("0.0.0.0/0".into()))
}

fn wanted(blocks: &[&Value], own: &str) -> Rules {
    blocks.iter().flat_map(|b| block_rules(b, own)).collect()
}

/// The egress rules the plan asks for: the configured ones, or (with no
/// `egress` blocks) AWS's default ones that exist, else allow-all.
fn wanted_egress(planned: &Value, own: &str, have: &Rules) -> Rules {
    let blocks = planned.blocks("egress");
    if !blocks.is_empty() {
        return wanted(&blocks, own);
    }
    let kept: Rules = have.iter().filter(|(a, _)| is_default_egress(a)).map(|(a, d)| (a.clone(), d.clone())).collect();
    if kept.is_empty() { Rules::from([(allow_all(), None)]) } else { kept }
}

pub struct SecurityGroup;

impl Ec2Kind for SecurityGroup {
    type Obj = ec2::SecurityGroup;
    const ID_FILTER: &'static str = "group-id";

    async fn describe(c: &Clients, filters: Vec<Filter>) -> Result<(Vec<ec2::SecurityGroup>, usize), ProviderError> {
        all_pages!(c.ec2.describe_security_groups().set_filters(Some(filters)).into_paginator().send(), |page| page
            .security_groups
            .unwrap_or_default())
    }

    fn id(o: &ec2::SecurityGroup) -> Option<&str> {
        o.group_id()
    }

    fn made_by_aws(o: &ec2::SecurityGroup) -> bool {
        o.group_name() == Some("default")
    }

    fn tags(o: &ec2::SecurityGroup) -> &[Tag] {
        o.tags()
    }
}

fn state(c: &Clients, base: &Value, g: &ec2::SecurityGroup) -> Value {
    let own = g.group_id().unwrap_or_default();
    let ingress = to_blocks(&base.blocks("ingress"), own, api_rules(g.ip_permissions()));
    let have_egress = api_rules(g.ip_permissions_egress());
    let configured_egress = base.blocks("egress");
    let egress = if configured_egress.is_empty() && have_egress.keys().all(is_default_egress) {
        Vec::new()
    } else {
        to_blocks(&configured_egress, own, have_egress)
    };
    let arn = g
        .security_group_arn()
        .map(str::to_string)
        .unwrap_or_else(|| super::arn(c, g.owner_id().unwrap_or_default(), &format!("security-group/{own}")));
    let mut b = StateBuilder::from_planned(base);
    b.str("id", Some(own))
        .str("arn", Some(arn))
        .str("name", g.group_name())
        .str("description", g.description())
        .str("owner_id", g.owner_id())
        .str("vpc_id", g.vpc_id())
        .set("ingress", Value::List(ingress.into()))
        .set("egress", Value::List(egress.into()));
    set_tags(&mut b, g.tags());
    b.build()
}

async fn current(c: &Clients, id: &str) -> Result<ec2::SecurityGroup, ProviderError> {
    describe_one::<SecurityGroup>(c, id).await?.ok_or_else(|| invalid(format!("security group {id} does not exist")))
}

/// Make both rule sets what the plan says.
async fn sync_group(c: &Clients, planned: &Value, g: &ec2::SecurityGroup) -> Result<(), ProviderError> {
    let id = g.group_id().unwrap_or_default();
    sync_rules(c, id, false, &wanted(&planned.blocks("ingress"), id), &api_rules(g.ip_permissions())).await?;
    let have = api_rules(g.ip_permissions_egress());
    sync_rules(c, id, true, &wanted_egress(planned, id, &have), &have).await
}

#[async_trait]
impl ResourceType for SecurityGroup {
    fn type_name(&self) -> &'static str {
        "aws_security_group"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        read_each::<SecurityGroup>(c, objects, |prior, g| state(c, prior, g)).await
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let name = p.string("name").unwrap_or_else(|| unique_name(p.str_attr("name_prefix")));
        let out = c
            .ec2
            .create_security_group()
            .group_name(name)
            .description(p.str_attr("description").unwrap_or("Managed by Terraform"))
            .set_vpc_id(p.string("vpc_id"))
            .tag_specifications(tag_spec(c, req, ec2::ResourceType::SecurityGroup))
            .send()
            .await
            .map_err(aws_err)?;
        let id = out.group_id.ok_or_else(|| invalid("CreateSecurityGroup returned no group id"))?;
        let g = wait_ready::<SecurityGroup>(c, &id, &format!("security group {id} to exist"), timeout(req.timeouts.create), |_| Ok(true))
            .await?;
        sync_group(c, p, &g).await?;
        Ok(state(c, p, &current(c, &id).await?))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let id = prior_id(req)?;
        update_tags(c, &id, req).await?;
        sync_group(c, &req.planned, &current(c, &id).await?).await?;
        Ok(state(c, &req.planned, &current(c, &id).await?))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let id = prior_id(req)?;
        let Some(g) = describe_one::<SecurityGroup>(c, &id).await? else { return Ok(()) };
        if prior(req)?.bool_attr("revoke_rules_on_delete") == Some(true) {
            // Break references from and to other groups before deleting.
            sync_rules(c, &id, false, &Rules::new(), &api_rules(g.ip_permissions())).await?;
            sync_rules(c, &id, true, &Rules::new(), &api_rules(g.ip_permissions_egress())).await?;
        }
        retry_dependency(timeout(req.timeouts.delete), || async {
            c.ec2.delete_security_group().group_id(&id).send().await.map(|_| ()).map_err(aws_err)
        })
        .await
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(find_intent::<SecurityGroup>(c, token).await?.map(|g| state(c, planned, &g)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        Ok(describe_one::<SecurityGroup>(c, id).await?.map(|g| state(c, &blank("aws_security_group"), &g)))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        list_all::<SecurityGroup>(c).await
    }
}
