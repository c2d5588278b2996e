//! `aws_security_group_rule`: rules of a group managed one by one. Rules
//! take no tags; a rule is its group, direction, protocol, ports and
//! sources, and its id is `sgrule-<CRC-32 of those>` (deterministic, as
//! Terraform's).
//!
//! In place: `description` (UpdateSecurityGroupRuleDescriptions*); every
//! other change replaces the rule. The batched `read` describes the
//! recorded groups (one call per page): a rule whose sources are all there
//! is unchanged, one with only some left reports those (so the plan
//! replaces it), one with none is gone. Crash recovery looks for the same
//! natural key in the planned group. `import` takes Terraform's
//! `<group id>_<ingress|egress>_<protocol>_<from>_<to>_<source>[_<source>...]`
//! (a source is a CIDR, an IPv6 CIDR, `pl-...`, `sg-...` or `self`).
//! `list` reports each permission of each group as one rule, so rules
//! written inline in an `aws_security_group` are listed too.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_ec2::types as ec2;
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::sg::{Rules, SecurityGroup, Source, api_rules, atom, block_rules, permissions, sync_rules};
use super::{Ec2Kind, blank, describe_ids, describe_one, prior, timeout};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, identity_known, invalid, wait_for};

pub struct SecurityGroupRule;

/// The rule's group, direction (true for egress) and rules.
fn rule_of(v: &Value) -> Result<(String, bool, Rules), ProviderError> {
    let group = v.string("security_group_id").ok_or_else(|| invalid("security_group_id is not known"))?;
    let egress = match v.str_attr("type") {
        Some("ingress") => false,
        Some("egress") => true,
        other => return Err(invalid(format!("the rule type must be \"ingress\" or \"egress\", not {:?}", other.unwrap_or_default()))),
    };
    let rules = block_rules(v, &group);
    if rules.is_empty() {
        return Err(invalid(
            "a security group rule needs a source: cidr_blocks, ipv6_cidr_blocks, prefix_list_ids, source_security_group_id or self",
        ));
    }
    Ok((group, egress, rules))
}

fn rule_id(group: &str, egress: bool, rules: &Rules) -> String {
    let atoms: Vec<String> = rules.keys().map(|a| format!("{}-{}-{}-{}", a.protocol, a.from, a.to, a.source.text())).collect();
    let key = format!("{group}-{}-{}", if egress { "egress" } else { "ingress" }, atoms.join(","));
    format!("sgrule-{}", super::route::crc32(&key))
}

/// The rules of the wanted direction that the group has.
fn present(g: &ec2::SecurityGroup, egress: bool, want: &Rules) -> Rules {
    let have = api_rules(if egress { g.ip_permissions_egress() } else { g.ip_permissions() });
    have.into_iter().filter(|(a, _)| want.contains_key(a)).collect()
}

/// The state of a rule of which `have` is present (at least one atom):
/// the sources that are gone are left out, the description is AWS's.
fn state(base: &Value, group: &str, egress: bool, want: &Rules, have: &Rules) -> Value {
    let mut b = StateBuilder::from_planned(base);
    b.str("id", Some(base.string("id").unwrap_or_else(|| rule_id(group, egress, want))));
    if have.len() < want.len() {
        let has = |s: Source| have.keys().any(|a| a.source == s);
        for (name, make) in [
            ("cidr_blocks", Source::Cidr as fn(String) -> Source),
            ("ipv6_cidr_blocks", Source::Ipv6),
            ("prefix_list_ids", Source::PrefixList),
        ] {
            if base.attr(name).is_some() {
                b.strs(name, base.str_list(name).into_iter().filter(|s| has(make(s.clone()))));
            }
        }
        if let Some(src) = base.string("source_security_group_id") {
            b.str("source_security_group_id", has(Source::Group(src.clone())).then_some(src));
        }
        b.bool("self", Some(has(Source::Group(group.to_string()))));
    }
    b.str("description", have.values().flatten().next().cloned());
    b.build()
}

/// AWS's id of the rule (`sgr-...`) when it is a single AWS rule.
async fn aws_rule_id(c: &Clients, group: &str, egress: bool, want: &Rules) -> Result<Option<String>, ProviderError> {
    let [(only, _)] = want.iter().collect::<Vec<_>>()[..] else { return Ok(None) };
    let out = c.ec2.describe_security_group_rules().filters(super::filter("group-id", [group])).send().await.map_err(aws_err)?;
    let same = |r: &ec2::SecurityGroupRule| {
        let source = r
            .cidr_ipv4()
            .map(|s| Source::Cidr(s.into()))
            .or_else(|| r.cidr_ipv6().map(|s| Source::Ipv6(s.into())))
            .or_else(|| r.prefix_list_id().map(|s| Source::PrefixList(s.into())))
            .or_else(|| r.referenced_group_info().and_then(|g| g.group_id()).map(|s| Source::Group(s.into())));
        r.is_egress() == Some(egress)
            && source.is_some_and(|s| atom(r.ip_protocol().unwrap_or("-1"), r.from_port(), r.to_port(), s) == *only)
    };
    Ok(out.security_group_rules().iter().find(|r| same(r)).and_then(|r| r.security_group_rule_id().map(str::to_string)))
}

async fn group(c: &Clients, id: &str) -> Result<ec2::SecurityGroup, ProviderError> {
    describe_one::<SecurityGroup>(c, id).await?.ok_or_else(|| invalid(format!("security group {id} does not exist")))
}

/// Parse Terraform's import id into a rule's attributes.
fn parse_import(id: &str) -> Option<Value> {
    let parts: Vec<&str> = id.split('_').collect();
    let [group, ty, protocol, from, to, sources @ ..] = parts.as_slice() else { return None };
    if sources.is_empty() || !matches!(*ty, "ingress" | "egress") {
        return None;
    }
    let (from, to) = (from.parse::<i32>().ok()?, to.parse::<i32>().ok()?);
    let pick = |f: fn(&str) -> bool| {
        let items: Vec<Value> = sources.iter().filter(|s| f(s)).map(|s| Value::string(*s)).collect();
        if items.is_empty() { Value::Null } else { Value::List(items.into()) }
    };
    let mut v = blank("aws_security_group_rule").as_map().cloned().unwrap_or_default();
    v.insert("security_group_id".into(), Value::string(*group));
    v.insert("type".into(), Value::string(*ty));
    v.insert("protocol".into(), Value::string(*protocol));
    v.insert("from_port".into(), Value::Number(f64::from(from)));
    v.insert("to_port".into(), Value::Number(f64::from(to)));
    v.insert("self".into(), Value::Bool(sources.contains(&"self")));
    v.insert("source_security_group_id".into(), sources.iter().find(|s| s.starts_with("sg-")).map_or(Value::Null, |s| Value::string(*s)));
    v.insert("prefix_list_ids".into(), pick(|s| s.starts_with("pl-")));
    v.insert("ipv6_cidr_blocks".into(), pick(|s| s.contains(':')));
    v.insert("cidr_blocks".into(), pick(|s| s.contains('.') && s.contains('/')));
    Some(Value::Map(v.into()))
}

#[async_trait]
impl ResourceType for SecurityGroupRule {
    fn type_name(&self) -> &'static str {
        "aws_security_group_rule"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let groups: Vec<&str> = objects.iter().filter_map(|o| o.prior.str_attr("security_group_id")).collect();
        let (found, calls): (HashMap<String, ec2::SecurityGroup>, usize) = describe_ids::<SecurityGroup>(c, &groups).await?;
        let mut results = Vec::with_capacity(objects.len());
        for o in objects {
            let (group, egress, want) = rule_of(&o.prior)?;
            let have = found.get(&group).map(|g| present(g, egress, &want)).unwrap_or_default();
            let state = (!have.is_empty()).then(|| state(&o.prior, &group, egress, &want, &have));
            results.push(ReadResult::new(o.addr.clone(), state));
        }
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let (group_id, egress, want) = rule_of(&req.planned)?;
        let perms = Some(permissions(&want, true));
        let r = if egress {
            c.ec2.authorize_security_group_egress().group_id(&group_id).set_ip_permissions(perms).send().await.map(|_| ()).map_err(aws_err)
        } else {
            c.ec2.authorize_security_group_ingress().group_id(&group_id).set_ip_permissions(perms).send().await.map(|_| ()).map_err(aws_err)
        };
        r.map_err(|mut e| {
            if e.code.as_deref() == Some("InvalidPermission.Duplicate") {
                e.message.push_str(" (another aws_security_group_rule, or an inline rule of the aws_security_group, already has it)");
            }
            e
        })?;
        let have = wait_for(&format!("the rules of {group_id} to show"), timeout(req.timeouts.create), || async {
            let have = present(&group(c, &group_id).await?, egress, &want);
            Ok((have.len() == want.len()).then_some(have))
        })
        .await?;
        let mut base = StateBuilder::from_planned(&req.planned);
        base.str("id", Some(rule_id(&group_id, egress, &want)))
            .str("security_group_rule_id", aws_rule_id(c, &group_id, egress, &want).await?);
        Ok(state(&base.build(), &group_id, egress, &want, &have))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let (group_id, egress, want) = rule_of(&req.planned)?;
        let have = present(&group(c, &group_id).await?, egress, &want);
        // Only descriptions change in place; sync_rules re-describes them.
        sync_rules(c, &group_id, egress, &have.keys().map(|a| (a.clone(), want.get(a).cloned().flatten())).collect(), &have).await?;
        let have = present(&group(c, &group_id).await?, egress, &want);
        Ok(state(&req.planned, &group_id, egress, &want, &have))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let (group_id, egress, want) = rule_of(prior(req)?)?;
        let Some(g) = describe_one::<SecurityGroup>(c, &group_id).await? else { return Ok(()) };
        let have = present(&g, egress, &want);
        let r = sync_rules(c, &group_id, egress, &Rules::new(), &have).await;
        super::gone_ok(r)
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, _token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        identity_known(
            planned,
            "aws_security_group_rule",
            &[
                "security_group_id",
                "type",
                "protocol",
                "from_port",
                "to_port",
                "cidr_blocks",
                "ipv6_cidr_blocks",
                "prefix_list_ids",
                "source_security_group_id",
                "self",
            ],
        )?;
        let Ok((group_id, egress, want)) = rule_of(planned) else { return Ok(None) };
        let Some(g) = describe_one::<SecurityGroup>(c, &group_id).await? else { return Ok(None) };
        let have = present(&g, egress, &want);
        if have.is_empty() {
            return Ok(None);
        }
        let mut base = StateBuilder::from_planned(planned);
        base.str("security_group_rule_id", aws_rule_id(c, &group_id, egress, &have).await?);
        Ok(Some(state(&base.build(), &group_id, egress, &want, &have)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let base = parse_import(id).ok_or_else(|| {
            invalid(format!("cannot import security group rule {id:?}: the id must be <group id>_<ingress|egress>_<protocol>_<from port>_<to port>_<source>..., e.g. sg-0abc_ingress_tcp_443_443_10.0.0.0/16"))
        })?;
        self.find_by_intent(c, "", "", &base).await
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let (groups, calls) = SecurityGroup::describe(c, Vec::new()).await?;
        let mut listed = Vec::new();
        for g in &groups {
            let group_id = g.group_id().unwrap_or_default();
            for (egress, perms) in [(false, g.ip_permissions()), (true, g.ip_permissions_egress())] {
                for p in perms {
                    let rules = api_rules(std::slice::from_ref(p));
                    if !rules.is_empty() {
                        listed.push(ListedObject {
                            provider_default: false,
                            id: rule_id(group_id, egress, &rules),
                            tags: Default::default(),
                            parent: Some(("aws_security_group".into(), group_id.to_string())),
                        });
                    }
                }
            }
        }
        Ok((listed, calls))
    }
}
