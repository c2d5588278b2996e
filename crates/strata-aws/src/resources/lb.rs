//! Layer 4: Elastic Load Balancing v2 — load balancers, target groups,
//! listeners and target registrations.
//!
//! Reads are batched: one Describe call per 20 ARNs (the API's limit for
//! tags) plus one DescribeTags call per 20 objects found. Attributes set
//! through Modify*Attributes have no batched read: a refresh keeps their
//! recorded values; a deep read (drift), import and crash recovery read
//! them per object.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, AuthenticateCognitoActionConditionalBehaviorEnum, AuthenticateCognitoActionConfig,
    AuthenticateOidcActionConditionalBehaviorEnum, AuthenticateOidcActionConfig, Certificate, FixedResponseActionConfig,
    ForwardActionConfig, IpAddressType, Listener as ApiListener, LoadBalancer as ApiLoadBalancer, LoadBalancerAttribute,
    LoadBalancerSchemeEnum, LoadBalancerStateEnum, LoadBalancerTypeEnum, Matcher, ProtocolEnum, RedirectActionConfig,
    RedirectActionStatusCodeEnum, SubnetMapping, Tag, TargetDescription, TargetGroup as ApiTargetGroup, TargetGroupAttribute,
    TargetGroupIpAddressTypeEnum, TargetGroupStickinessConfig, TargetGroupTuple, TargetHealthStateEnum, TargetTypeEnum,
};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::ResourceType;
use crate::clients::Clients;
use crate::util::{
    Attrs, DEFAULT_TIMEOUT, StateBuilder, TAG_INTENT, aws_err, identity_known, invalid, is_not_found, no_unknowns, per_object, skeleton,
    tag_changes, tags_for, wait_for,
};

pub fn types() -> Vec<Box<dyn ResourceType>> {
    vec![Box::new(LoadBalancer), Box::new(TargetGroup), Box::new(Listener), Box::new(TargetGroupAttachment)]
}

/// ARNs per DescribeLoadBalancers / DescribeTargetGroups / DescribeTags call.
const BATCH: usize = 20;
/// Page size when listing everything (the API's maximum).
const PAGE: i32 = 400;
/// How long a target group deletion is retried while a listener that was
/// just deleted still holds it (`ResourceInUse`).
const IN_USE_TIMEOUT: Duration = Duration::from_secs(120);

type Tags = BTreeMap<String, String>;

// ---------------------------------------------------------------------------
// Helpers shared by the four types.

/// A set of strings, as set-typed attributes are recorded.
fn str_set<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    Value::set(items.into_iter().map(Value::string).collect())
}

/// A name from `name`, else `name_prefix` (or `default_prefix`) and a
/// random suffix, at most 32 characters as ELB names are.
fn resource_name(planned: &Value, default_prefix: &str) -> String {
    if let Some(name) = planned.str_attr("name") {
        return name.to_string();
    }
    let prefix = planned.str_attr("name_prefix").unwrap_or(default_prefix);
    format!("{prefix}{:032x}", rand::random::<u128>()).chars().take(32).collect()
}

fn elb_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// An attribute value as the API takes it: `true`, `60`, `defensive`.
fn attr_string(v: &Value) -> Option<String> {
    v.peel().to_template_string()
}

/// An attribute value the API reported, typed as the schema has it.
fn attr_value(s: &str) -> Value {
    match s {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => s.parse::<f64>().map_or_else(|_| Value::string(s), Value::Number),
    }
}

/// Tags of many resources, 20 ARNs per DescribeTags call.
async fn describe_tags(c: &Clients, arns: &[String], calls: &mut usize) -> Result<HashMap<String, Tags>, ProviderError> {
    let mut out = HashMap::new();
    for chunk in arns.chunks(BATCH) {
        *calls += 1;
        let r = c.elbv2.describe_tags().set_resource_arns(Some(chunk.to_vec())).send().await.map_err(aws_err)?;
        for d in r.tag_descriptions() {
            if let Some(arn) = d.resource_arn() {
                let tags = d.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())));
                out.insert(arn.to_string(), tags.collect());
            }
        }
    }
    Ok(out)
}

/// Bring an object's tags from the recorded ones to the planned ones.
async fn update_tags(c: &Clients, req: &ApplyRequest, arn: &str) -> Result<(), ProviderError> {
    let prior = req.prior.as_ref().unwrap_or(&Value::Null);
    let (set, removed) = tag_changes(prior, &tags_for(c, &req.planned, &req.addr.to_string(), None));
    if !removed.is_empty() {
        c.elbv2.remove_tags().resource_arns(arn).set_tag_keys(Some(removed)).send().await.map_err(aws_err)?;
    }
    if !set.is_empty() {
        c.elbv2.add_tags().resource_arns(arn).set_tags(Some(elb_tags(&set))).send().await.map_err(aws_err)?;
    }
    Ok(())
}

/// The object created under `token`, among objects and their tags.
fn with_intent<'a, T>(objects: &'a [(String, T)], tags: &HashMap<String, Tags>, token: &str) -> Option<&'a (String, T)> {
    objects.iter().find(|(arn, _)| tags.get(arn).and_then(|t| t.get(TAG_INTENT)).is_some_and(|t| t == token))
}

fn prior_arn(req: &ApplyRequest) -> Result<String, ProviderError> {
    req.prior.as_ref().and_then(|p| p.string("id")).ok_or_else(|| invalid(format!("{} has no recorded id", req.addr)))
}

// ---------------------------------------------------------------------------
// aws_lb

struct LoadBalancer;

/// Load balancer attributes: schema attribute, API key, the load balancer
/// types that have it.
const LB_ATTRIBUTES: &[(&str, &str, &[&str])] = &[
    ("enable_deletion_protection", "deletion_protection.enabled", &["application", "network", "gateway"]),
    ("idle_timeout", "idle_timeout.timeout_seconds", &["application"]),
    ("enable_http2", "routing.http2.enabled", &["application"]),
    ("drop_invalid_header_fields", "routing.http.drop_invalid_header_fields.enabled", &["application"]),
    ("desync_mitigation_mode", "routing.http.desync_mitigation_mode", &["application"]),
    ("preserve_host_header", "routing.http.preserve_host_header.enabled", &["application"]),
    ("xff_header_processing_mode", "routing.http.xff_header_processing.mode", &["application"]),
    ("enable_xff_client_port", "routing.http.xff_client_port.enabled", &["application"]),
    ("enable_tls_version_and_cipher_suite_headers", "routing.http.x_amzn_tls_version_and_cipher_suite.enabled", &["application"]),
    ("enable_waf_fail_open", "waf.fail_open.enabled", &["application"]),
    ("client_keep_alive", "client_keep_alive.seconds", &["application"]),
    ("enable_cross_zone_load_balancing", "load_balancing.cross_zone.enabled", &["network", "gateway"]),
    ("dns_record_client_routing_policy", "dns_record.client_routing_policy", &["network"]),
    ("enable_zonal_shift", "zonal_shift.config.enabled", &["application", "network"]),
];

/// The attributes an object asks for, by API key.
fn lb_attributes(v: &Value) -> BTreeMap<String, String> {
    let ty = v.str_attr("load_balancer_type").unwrap_or("application");
    let mut out: BTreeMap<String, String> = LB_ATTRIBUTES
        .iter()
        .filter(|(_, _, types)| types.contains(&ty))
        .filter_map(|(name, key, _)| Some((key.to_string(), attr_string(v.attr(name)?)?)))
        .collect();
    let logs: &[(&str, &str)] = if ty == "application" {
        &[("access_logs", "access_logs"), ("connection_logs", "connection_logs")]
    } else {
        &[("access_logs", "access_logs")]
    };
    for (block, key) in logs {
        if let Some(b) = v.blocks(block).first() {
            out.insert(format!("{key}.s3.enabled"), b.bool_attr("enabled").unwrap_or(false).to_string());
            out.insert(format!("{key}.s3.bucket"), b.string("bucket").unwrap_or_default());
            out.insert(format!("{key}.s3.prefix"), b.string("prefix").unwrap_or_default());
        }
    }
    out
}

async fn modify_lb_attributes(c: &Clients, arn: &str, attrs: BTreeMap<String, String>) -> Result<(), ProviderError> {
    if attrs.is_empty() {
        return Ok(());
    }
    let attrs = attrs.into_iter().map(|(k, v)| LoadBalancerAttribute::builder().key(k).value(v).build()).collect();
    c.elbv2.modify_load_balancer_attributes().load_balancer_arn(arn).set_attributes(Some(attrs)).send().await.map_err(aws_err)?;
    Ok(())
}

/// Overlay the attributes the API reports (one call) on a state.
async fn read_lb_attributes(c: &Clients, arn: &str, state: Value) -> Result<Value, ProviderError> {
    let r = c.elbv2.describe_load_balancer_attributes().load_balancer_arn(arn).send().await.map_err(aws_err)?;
    let reported: HashMap<&str, &str> = r.attributes().iter().filter_map(|a| Some((a.key()?, a.value()?))).collect();
    let mut s = StateBuilder::from_planned(&state);
    for (name, key, _) in LB_ATTRIBUTES {
        if let Some(v) = reported.get(key) {
            s.set(name, attr_value(v));
        }
    }
    if reported.get("access_logs.s3.enabled") == Some(&"true") {
        let get = |k: &str| reported.get(format!("access_logs.s3.{k}").as_str()).map(|v| Value::string(*v)).unwrap_or(Value::Null);
        s.set(
            "access_logs",
            Value::List(vec![Value::map([("enabled", Value::Bool(true)), ("bucket", get("bucket")), ("prefix", get("prefix"))])].into()),
        );
    }
    Ok(s.build())
}

fn lb_state(base: &Value, lb: &ApiLoadBalancer, tags: &Tags) -> Value {
    let arn = lb.load_balancer_arn().unwrap_or_default();
    let mut s = StateBuilder::from_planned(base);
    s.str("id", Some(arn))
        .str("arn", Some(arn))
        .str("arn_suffix", arn.rsplit_once(":loadbalancer/").map(|(_, r)| r))
        .str("name", lb.load_balancer_name())
        .str("dns_name", lb.dns_name())
        .str("zone_id", lb.canonical_hosted_zone_id())
        .str("vpc_id", lb.vpc_id())
        .bool("internal", lb.scheme().map(|s| *s == LoadBalancerSchemeEnum::Internal))
        .str("load_balancer_type", lb.r#type().map(|t| t.as_str()))
        .str("ip_address_type", lb.ip_address_type().map(|t| t.as_str()))
        .set("security_groups", str_set(lb.security_groups().iter().map(String::as_str)))
        .set("subnets", str_set(lb.availability_zones().iter().filter_map(|z| z.subnet_id())));
    if let Some(v) = lb.enforce_security_group_inbound_rules_on_private_link_traffic() {
        s.str("enforce_security_group_inbound_rules_on_private_link_traffic", Some(v));
    }
    if let Some(pool) = lb.customer_owned_ipv4_pool() {
        s.str("customer_owned_ipv4_pool", Some(pool));
    }
    // subnet_mapping is a set block: it is reported only where the
    // configuration uses it, or subnets alone would always differ from it.
    if !base.blocks("subnet_mapping").is_empty() {
        let mappings = lb.availability_zones().iter().map(|z| {
            let address = z.load_balancer_addresses().first();
            Value::map([
                ("subnet_id", Value::string(z.subnet_id().unwrap_or_default())),
                ("allocation_id", address.and_then(|a| a.allocation_id()).map_or(Value::Null, Value::string)),
                ("private_ipv4_address", address.and_then(|a| a.private_ipv4_address()).map_or(Value::Null, Value::string)),
                ("ipv6_address", address.and_then(|a| a.ipv6_address()).map_or(Value::Null, Value::string)),
                ("outpost_id", z.outpost_id().map_or(Value::Null, Value::string)),
            ])
        });
        s.set("subnet_mapping", Value::List(mappings.collect()));
    }
    s.tags(tags);
    no_unknowns(s.build())
}

/// What the batched reads of load balancers and target groups share: by
/// ARN, 20 per call, and a listing in pages of [`PAGE`].
trait Described: Clone + Send + Sync + Sized + 'static {
    fn arn(&self) -> &str;
    fn by_arns(c: &Clients, arns: Vec<String>) -> impl Future<Output = Result<Vec<Self>, ProviderError>> + Send;
    /// One page of every object, and the marker of the next.
    fn page(c: &Clients, marker: Option<String>) -> impl Future<Output = Result<(Vec<Self>, Option<String>), ProviderError>> + Send;
    /// The object with this name (names are unique per region and kind).
    fn by_name(c: &Clients, name: &str) -> impl Future<Output = Result<Vec<Self>, ProviderError>> + Send;
}

impl Described for ApiLoadBalancer {
    fn arn(&self) -> &str {
        self.load_balancer_arn().unwrap_or_default()
    }

    async fn by_arns(c: &Clients, arns: Vec<String>) -> Result<Vec<Self>, ProviderError> {
        let r = c.elbv2.describe_load_balancers().set_load_balancer_arns(Some(arns)).send().await.map_err(aws_err)?;
        Ok(r.load_balancers().to_vec())
    }

    async fn page(c: &Clients, marker: Option<String>) -> Result<(Vec<Self>, Option<String>), ProviderError> {
        let r = c.elbv2.describe_load_balancers().page_size(PAGE).set_marker(marker).send().await.map_err(aws_err)?;
        Ok((r.load_balancers().to_vec(), r.next_marker().map(str::to_string)))
    }

    async fn by_name(c: &Clients, name: &str) -> Result<Vec<Self>, ProviderError> {
        let r = c.elbv2.describe_load_balancers().names(name).send().await.map_err(aws_err)?;
        Ok(r.load_balancers().to_vec())
    }
}

impl Described for ApiTargetGroup {
    fn arn(&self) -> &str {
        self.target_group_arn().unwrap_or_default()
    }

    async fn by_arns(c: &Clients, arns: Vec<String>) -> Result<Vec<Self>, ProviderError> {
        let r = c.elbv2.describe_target_groups().set_target_group_arns(Some(arns)).send().await.map_err(aws_err)?;
        Ok(r.target_groups().to_vec())
    }

    async fn page(c: &Clients, marker: Option<String>) -> Result<(Vec<Self>, Option<String>), ProviderError> {
        let r = c.elbv2.describe_target_groups().page_size(PAGE).set_marker(marker).send().await.map_err(aws_err)?;
        Ok((r.target_groups().to_vec(), r.next_marker().map(str::to_string)))
    }

    async fn by_name(c: &Clients, name: &str) -> Result<Vec<Self>, ProviderError> {
        let r = c.elbv2.describe_target_groups().names(name).send().await.map_err(aws_err)?;
        Ok(r.target_groups().to_vec())
    }
}

/// Objects by ARN, 20 per call. When one of them no longer exists the whole
/// call fails (LoadBalancerNotFound, TargetGroupNotFound); then every object
/// is listed and the wanted ones picked out.
async fn describe<T: Described>(c: &Clients, arns: &[String], calls: &mut usize) -> Result<Vec<(String, T)>, ProviderError> {
    let mut out = Vec::new();
    for chunk in arns.chunks(BATCH) {
        *calls += 1;
        match T::by_arns(c, chunk.to_vec()).await {
            Ok(found) => out.extend(found.into_iter().map(|o| (o.arn().to_string(), o))),
            Err(e) if is_not_found(&e) => {
                let wanted: BTreeSet<&String> = arns.iter().collect();
                return Ok(all::<T>(c, calls).await?.into_iter().filter(|(arn, _)| wanted.contains(arn)).collect());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Every object of the kind, page by page.
async fn all<T: Described>(c: &Clients, calls: &mut usize) -> Result<Vec<(String, T)>, ProviderError> {
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        *calls += 1;
        let (found, next) = T::page(c, marker).await?;
        out.extend(found.into_iter().map(|o| (o.arn().to_string(), o)));
        match next {
            Some(m) if !m.is_empty() => marker = Some(m),
            _ => return Ok(out),
        }
    }
}

/// The batched read both kinds share: one Describe per 20 ARNs, one
/// DescribeTags per 20 found, each state built by `state(prior, object, tags)`.
async fn read_described<T: Described>(
    c: &Clients,
    objects: &[ReadObject],
    state: impl Fn(&Value, &T, &Tags) -> Value,
) -> Result<(Vec<ReadResult>, usize), ProviderError> {
    let mut calls = 0;
    let arns: Vec<String> = objects.iter().map(|o| o.id.clone()).filter(|id| !id.is_empty()).collect();
    let found: HashMap<String, T> = describe::<T>(c, &arns, &mut calls).await?.into_iter().collect();
    let tags = describe_tags(c, &found.keys().cloned().collect::<Vec<_>>(), &mut calls).await?;
    let results = objects
        .iter()
        .map(|o| {
            ReadResult::new(o.addr.clone(), found.get(&o.id).map(|found| state(&o.prior, found, tags.get(&o.id).unwrap_or(&Tags::new()))))
        })
        .collect();
    Ok((results, calls))
}

/// After a crash: the object of this kind that carries the intent `token`,
/// with its ARN and tags. The name is deterministic when configured: one
/// call finds it; otherwise every object is listed.
async fn find_tagged<T: Described>(c: &Clients, planned: &Value, token: &str) -> Result<Option<(String, T, Tags)>, ProviderError> {
    let mut calls = 0;
    let candidates: Vec<(String, T)> = match planned.str_attr("name") {
        Some(name) => match T::by_name(c, name).await {
            Ok(found) => found.into_iter().map(|o| (o.arn().to_string(), o)).collect(),
            Err(e) if is_not_found(&e) => Vec::new(),
            Err(e) => return Err(e),
        },
        None => all::<T>(c, &mut calls).await?,
    };
    let mut tags = describe_tags(c, &candidates.iter().map(|(arn, _)| arn.clone()).collect::<Vec<_>>(), &mut calls).await?;
    let Some((arn, found)) = with_intent(&candidates, &tags, token).cloned() else { return Ok(None) };
    let tags = tags.remove(&arn).unwrap_or_default();
    Ok(Some((arn, found, tags)))
}

/// Every object of this kind in the region with its tags (drift).
async fn list_described<T: Described>(c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
    let mut calls = 0;
    let arns: Vec<String> = all::<T>(c, &mut calls).await?.into_iter().map(|(arn, _)| arn).collect();
    let mut tags = describe_tags(c, &arns, &mut calls).await?;
    Ok((
        arns.into_iter()
            .map(|id| ListedObject { provider_default: false, tags: tags.remove(&id).unwrap_or_default(), id, parent: None })
            .collect(),
        calls,
    ))
}

/// One object and its tags; `None` when it does not exist.
async fn with_tags<T: Described>(c: &Clients, arn: &str) -> Result<Option<(T, Tags)>, ProviderError> {
    let mut calls = 0;
    let Some((_, found)) = describe::<T>(c, &[arn.to_string()], &mut calls).await?.into_iter().next() else { return Ok(None) };
    let tags = describe_tags(c, &[arn.to_string()], &mut calls).await?.remove(arn).unwrap_or_default();
    Ok(Some((found, tags)))
}

async fn lb_state_of(c: &Clients, base: &Value, arn: &str) -> Result<Value, ProviderError> {
    match with_tags::<ApiLoadBalancer>(c, arn).await? {
        Some((lb, tags)) => Ok(lb_state(base, &lb, &tags)),
        None => Err(ProviderError {
            code: Some("LoadBalancerNotFound".into()),
            message: format!("load balancer {arn} not found"),
            retryable: true,
        }),
    }
}

fn subnet_mappings(planned: &Value) -> Option<Vec<SubnetMapping>> {
    let blocks = planned.blocks("subnet_mapping");
    (!blocks.is_empty()).then(|| {
        blocks
            .iter()
            .map(|m| {
                SubnetMapping::builder()
                    .set_subnet_id(m.string("subnet_id"))
                    .set_allocation_id(m.string("allocation_id"))
                    .set_private_ipv4_address(m.string("private_ipv4_address"))
                    .set_ipv6_address(m.string("ipv6_address"))
                    .build()
            })
            .collect()
    })
}

#[async_trait]
impl ResourceType for LoadBalancer {
    fn type_name(&self) -> &'static str {
        "aws_lb"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        read_described(c, objects, lb_state).await
    }

    async fn read_deep(&self, c: &Clients, results: &mut [ReadResult]) -> Result<usize, ProviderError> {
        per_object(c, results, |c, id, state| async move { read_lb_attributes(&c, &id, state).await }).await
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let ty = p.str_attr("load_balancer_type").unwrap_or("application");
        let tags = tags_for(c, p, &req.addr.to_string(), req.token.as_deref());
        let subnets = p.str_list("subnets");
        let security_groups = p.str_list("security_groups");
        let r = c
            .elbv2
            .create_load_balancer()
            .name(resource_name(p, "tf-lb-"))
            .r#type(LoadBalancerTypeEnum::from(ty))
            .scheme(if p.bool_attr("internal") == Some(true) {
                LoadBalancerSchemeEnum::Internal
            } else {
                LoadBalancerSchemeEnum::InternetFacing
            })
            .set_subnets((!subnets.is_empty()).then_some(subnets))
            .set_subnet_mappings(subnet_mappings(p))
            .set_security_groups((!security_groups.is_empty()).then_some(security_groups))
            .set_ip_address_type(p.str_attr("ip_address_type").map(IpAddressType::from))
            .set_customer_owned_ipv4_pool(p.string("customer_owned_ipv4_pool"))
            .set_tags(Some(elb_tags(&tags)))
            .send()
            .await
            .map_err(aws_err)?;
        let arn = r
            .load_balancers()
            .first()
            .and_then(|lb| lb.load_balancer_arn())
            .ok_or_else(|| invalid("CreateLoadBalancer returned no load balancer"))?;
        let timeout = req.timeouts.create.unwrap_or(DEFAULT_TIMEOUT);
        let lb = wait_for("the load balancer to become active", timeout, || async move {
            let mut calls = 0;
            match describe::<ApiLoadBalancer>(c, &[arn.to_string()], &mut calls).await?.into_iter().next() {
                Some((_, lb)) => match lb.state().and_then(|s| s.code()) {
                    Some(LoadBalancerStateEnum::Active) => Ok(Some(lb)),
                    Some(LoadBalancerStateEnum::Failed) => Err(invalid(format!(
                        "load balancer {arn} failed to provision: {}",
                        lb.state().and_then(|s| s.reason()).unwrap_or("no reason given")
                    ))),
                    _ => Ok(None),
                },
                // Just created: not visible yet.
                None => Ok(None),
            }
        })
        .await?;
        modify_lb_attributes(c, arn, lb_attributes(p)).await?;
        Ok(lb_state(p, &lb, &tags))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let arn = prior_arn(req)?;
        let (p, prior) = (&req.planned, req.prior.as_ref().unwrap_or(&Value::Null));
        let changed = |name: &str| strata_provider::differs(prior.attr(name), p.attr(name));
        if changed("security_groups") {
            c.elbv2
                .set_security_groups()
                .load_balancer_arn(&arn)
                .set_security_groups(Some(p.str_list("security_groups")))
                .send()
                .await
                .map_err(aws_err)?;
        }
        if changed("subnets") || strata_provider::differs(prior.attr("subnet_mapping"), p.attr("subnet_mapping")) {
            let subnets = p.str_list("subnets");
            c.elbv2
                .set_subnets()
                .load_balancer_arn(&arn)
                .set_subnets((!subnets.is_empty()).then_some(subnets))
                .set_subnet_mappings(subnet_mappings(p))
                .send()
                .await
                .map_err(aws_err)?;
        }
        if changed("ip_address_type")
            && let Some(t) = p.str_attr("ip_address_type")
        {
            c.elbv2.set_ip_address_type().load_balancer_arn(&arn).ip_address_type(IpAddressType::from(t)).send().await.map_err(aws_err)?;
        }
        let old = lb_attributes(prior);
        modify_lb_attributes(c, &arn, lb_attributes(p).into_iter().filter(|(k, v)| old.get(k) != Some(v)).collect()).await?;
        update_tags(c, req, &arn).await?;
        lb_state_of(c, p, &arn).await
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let arn = prior_arn(req)?;
        match c.elbv2.delete_load_balancer().load_balancer_arn(&arn).send().await.map_err(aws_err) {
            Err(e) if !is_not_found(&e) => return Err(e),
            _ => {}
        }
        let arn = arn.as_str();
        wait_for("the load balancer to be deleted", req.timeouts.delete.unwrap_or(DEFAULT_TIMEOUT), || async move {
            let mut calls = 0;
            Ok(describe::<ApiLoadBalancer>(c, &[arn.to_string()], &mut calls).await?.is_empty().then_some(()))
        })
        .await
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        let Some((arn, lb, tags)) = find_tagged::<ApiLoadBalancer>(c, planned, token).await? else { return Ok(None) };
        read_lb_attributes(c, &arn, lb_state(planned, &lb, &tags)).await.map(Some)
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let Some((lb, tags)) = with_tags::<ApiLoadBalancer>(c, id).await? else { return Ok(None) };
        let state = lb_state(&skeleton("aws_lb"), &lb, &tags);
        read_lb_attributes(c, id, state).await.map(Some)
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        list_described::<ApiLoadBalancer>(c).await
    }
}

// ---------------------------------------------------------------------------
// aws_lb_target_group

struct TargetGroup;

/// The target group attributes an object asks for, by API key.
fn tg_attributes(v: &Value) -> BTreeMap<String, String> {
    let protocol = v.str_attr("protocol").unwrap_or_default();
    let target_type = v.str_attr("target_type").unwrap_or("instance");
    let http = matches!(protocol, "HTTP" | "HTTPS");
    let network = matches!(protocol, "TCP" | "TLS" | "UDP" | "TCP_UDP");
    let mut out = BTreeMap::new();
    let mut put = |key: &str, name: &str, applies: bool| {
        if let Some(s) = v.attr(name).and_then(attr_string).filter(|_| applies) {
            out.insert(key.to_string(), s);
        }
    };
    put("deregistration_delay.timeout_seconds", "deregistration_delay", target_type != "lambda");
    put("slow_start.duration_seconds", "slow_start", http);
    put("load_balancing.algorithm.type", "load_balancing_algorithm_type", http);
    put("load_balancing.algorithm.anomaly_mitigation", "load_balancing_anomaly_mitigation", http);
    put("load_balancing.cross_zone.enabled", "load_balancing_cross_zone_enabled", target_type != "lambda");
    put("proxy_protocol_v2.enabled", "proxy_protocol_v2", network);
    put("deregistration_delay.connection_termination.enabled", "connection_termination", network);
    put("preserve_client_ip.enabled", "preserve_client_ip", network || target_type == "ip");
    put("lambda.multi_value_headers.enabled", "lambda_multi_value_headers_enabled", target_type == "lambda");
    if let Some(st) = v.blocks("stickiness").first() {
        let ty = st.str_attr("type").unwrap_or_default();
        out.insert("stickiness.enabled".into(), st.bool_attr("enabled").unwrap_or(true).to_string());
        out.insert("stickiness.type".into(), ty.to_string());
        let duration = st.attr("cookie_duration").and_then(attr_string);
        match ty {
            "lb_cookie" => {
                out.extend(duration.map(|d| ("stickiness.lb_cookie.duration_seconds".to_string(), d)));
            }
            "app_cookie" => {
                out.extend(duration.map(|d| ("stickiness.app_cookie.duration_seconds".to_string(), d)));
                out.extend(st.string("cookie_name").map(|n| ("stickiness.app_cookie.cookie_name".to_string(), n)));
            }
            _ => {}
        }
    }
    out
}

async fn modify_tg_attributes(c: &Clients, arn: &str, attrs: BTreeMap<String, String>) -> Result<(), ProviderError> {
    if attrs.is_empty() {
        return Ok(());
    }
    let attrs = attrs.into_iter().map(|(k, v)| TargetGroupAttribute::builder().key(k).value(v).build()).collect();
    c.elbv2.modify_target_group_attributes().target_group_arn(arn).set_attributes(Some(attrs)).send().await.map_err(aws_err)?;
    Ok(())
}

/// Overlay the attributes the API reports (one call) on a state.
async fn read_tg_attributes(c: &Clients, arn: &str, state: Value) -> Result<Value, ProviderError> {
    let r = c.elbv2.describe_target_group_attributes().target_group_arn(arn).send().await.map_err(aws_err)?;
    let reported: HashMap<&str, &str> = r.attributes().iter().filter_map(|a| Some((a.key()?, a.value()?))).collect();
    let mut s = StateBuilder::from_planned(&state);
    let strings = [
        ("deregistration_delay", "deregistration_delay.timeout_seconds"),
        ("load_balancing_algorithm_type", "load_balancing.algorithm.type"),
        ("load_balancing_anomaly_mitigation", "load_balancing.algorithm.anomaly_mitigation"),
        ("load_balancing_cross_zone_enabled", "load_balancing.cross_zone.enabled"),
        ("preserve_client_ip", "preserve_client_ip.enabled"),
    ];
    for (name, key) in strings {
        if let Some(v) = reported.get(key) {
            s.str(name, Some(*v));
        }
    }
    let typed = [
        ("slow_start", "slow_start.duration_seconds"),
        ("proxy_protocol_v2", "proxy_protocol_v2.enabled"),
        ("connection_termination", "deregistration_delay.connection_termination.enabled"),
        ("lambda_multi_value_headers_enabled", "lambda.multi_value_headers.enabled"),
    ];
    for (name, key) in typed {
        if let Some(v) = reported.get(key) {
            s.set(name, attr_value(v));
        }
    }
    if let Some(ty) = reported.get("stickiness.type") {
        let duration_key =
            if *ty == "app_cookie" { "stickiness.app_cookie.duration_seconds" } else { "stickiness.lb_cookie.duration_seconds" };
        let block = Value::map([
            ("type", Value::string(*ty)),
            ("enabled", Value::Bool(reported.get("stickiness.enabled") == Some(&"true"))),
            ("cookie_duration", reported.get(duration_key).map_or(Value::Null, |d| attr_value(d))),
            ("cookie_name", reported.get("stickiness.app_cookie.cookie_name").map_or(Value::Null, |n| Value::string(*n))),
        ]);
        s.set("stickiness", Value::List(vec![block].into()));
    }
    Ok(s.build())
}

fn tg_state(base: &Value, tg: &ApiTargetGroup, tags: &Tags) -> Value {
    let arn = tg.target_group_arn().unwrap_or_default();
    let health_check = Value::map([
        ("enabled", tg.health_check_enabled().map_or(Value::Null, Value::Bool)),
        ("healthy_threshold", tg.healthy_threshold_count().map_or(Value::Null, |n| Value::Number(n.into()))),
        ("interval", tg.health_check_interval_seconds().map_or(Value::Null, |n| Value::Number(n.into()))),
        ("matcher", tg.matcher().and_then(|m| m.http_code().or(m.grpc_code())).map_or(Value::Null, Value::string)),
        ("path", tg.health_check_path().map_or(Value::Null, Value::string)),
        ("port", tg.health_check_port().map_or(Value::Null, Value::string)),
        ("protocol", tg.health_check_protocol().map_or(Value::Null, |p| Value::string(p.as_str()))),
        ("timeout", tg.health_check_timeout_seconds().map_or(Value::Null, |n| Value::Number(n.into()))),
        ("unhealthy_threshold", tg.unhealthy_threshold_count().map_or(Value::Null, |n| Value::Number(n.into()))),
    ]);
    let mut s = StateBuilder::from_planned(base);
    s.str("id", Some(arn))
        .str("arn", Some(arn))
        .str("arn_suffix", arn.rsplit_once(':').map(|(_, r)| r))
        .str("name", tg.target_group_name())
        .num("port", tg.port())
        .str("protocol", tg.protocol().map(|p| p.as_str()))
        .str("vpc_id", tg.vpc_id())
        .str("target_type", tg.target_type().map(|t| t.as_str()))
        .set("load_balancer_arns", str_set(tg.load_balancer_arns().iter().map(String::as_str)))
        .set("health_check", Value::List(vec![health_check].into()));
    if let Some(v) = tg.protocol_version() {
        s.str("protocol_version", Some(v));
    }
    if let Some(t) = tg.ip_address_type() {
        s.str("ip_address_type", Some(t.as_str()));
    }
    s.tags(tags);
    no_unknowns(s.build())
}

fn matcher(hc: &Value, planned: &Value) -> Option<Matcher> {
    let code = hc.string("matcher")?;
    Some(if planned.str_attr("protocol_version") == Some("GRPC") {
        Matcher::builder().grpc_code(code).build()
    } else {
        Matcher::builder().http_code(code).build()
    })
}

#[async_trait]
impl ResourceType for TargetGroup {
    fn type_name(&self) -> &'static str {
        "aws_lb_target_group"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        read_described(c, objects, tg_state).await
    }

    async fn read_deep(&self, c: &Clients, results: &mut [ReadResult]) -> Result<usize, ProviderError> {
        per_object(c, results, |c, id, state| async move { read_tg_attributes(&c, &id, state).await }).await
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let tags = tags_for(c, p, &req.addr.to_string(), req.token.as_deref());
        let mut b = c
            .elbv2
            .create_target_group()
            .name(resource_name(p, "tf-"))
            .set_port(p.i32_attr("port"))
            .set_protocol(p.str_attr("protocol").map(ProtocolEnum::from))
            .set_protocol_version(p.string("protocol_version"))
            .set_vpc_id(p.string("vpc_id"))
            .set_target_type(p.str_attr("target_type").map(TargetTypeEnum::from))
            .set_ip_address_type(p.str_attr("ip_address_type").map(TargetGroupIpAddressTypeEnum::from))
            .set_tags(Some(elb_tags(&tags)));
        if let Some(hc) = p.blocks("health_check").first() {
            b = b
                .set_health_check_enabled(hc.bool_attr("enabled"))
                .set_health_check_path(hc.string("path"))
                .set_health_check_port(hc.string("port"))
                .set_health_check_protocol(hc.str_attr("protocol").map(ProtocolEnum::from))
                .set_health_check_interval_seconds(hc.i32_attr("interval"))
                .set_health_check_timeout_seconds(hc.i32_attr("timeout"))
                .set_healthy_threshold_count(hc.i32_attr("healthy_threshold"))
                .set_unhealthy_threshold_count(hc.i32_attr("unhealthy_threshold"))
                .set_matcher(matcher(hc, p));
        }
        let r = b.send().await.map_err(aws_err)?;
        let tg = r.target_groups().first().ok_or_else(|| invalid("CreateTargetGroup returned no target group"))?;
        let arn = tg.target_group_arn().unwrap_or_default();
        modify_tg_attributes(c, arn, tg_attributes(p)).await?;
        Ok(tg_state(p, tg, &tags))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let arn = prior_arn(req)?;
        let (p, prior) = (&req.planned, req.prior.as_ref().unwrap_or(&Value::Null));
        if let Some(hc) = p.blocks("health_check").first()
            && strata_provider::differs(prior.attr("health_check"), p.attr("health_check"))
        {
            c.elbv2
                .modify_target_group()
                .target_group_arn(&arn)
                .set_health_check_enabled(hc.bool_attr("enabled"))
                .set_health_check_path(hc.string("path"))
                .set_health_check_port(hc.string("port"))
                .set_health_check_protocol(hc.str_attr("protocol").map(ProtocolEnum::from))
                .set_health_check_interval_seconds(hc.i32_attr("interval"))
                .set_health_check_timeout_seconds(hc.i32_attr("timeout"))
                .set_healthy_threshold_count(hc.i32_attr("healthy_threshold"))
                .set_unhealthy_threshold_count(hc.i32_attr("unhealthy_threshold"))
                .set_matcher(matcher(hc, p))
                .send()
                .await
                .map_err(aws_err)?;
        }
        let (old, new) = (tg_attributes(prior), tg_attributes(p));
        let mut changes: BTreeMap<String, String> =
            new.iter().filter(|(k, v)| old.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
        if old.get("stickiness.enabled").is_some_and(|e| e == "true") && !new.contains_key("stickiness.enabled") {
            changes.insert("stickiness.enabled".into(), "false".into());
        }
        modify_tg_attributes(c, &arn, changes).await?;
        update_tags(c, req, &arn).await?;
        match with_tags::<ApiTargetGroup>(c, &arn).await? {
            Some((tg, tags)) => Ok(tg_state(p, &tg, &tags)),
            None => Err(ProviderError {
                code: Some("TargetGroupNotFound".into()),
                message: format!("target group {arn} not found"),
                retryable: true,
            }),
        }
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let arn = prior_arn(req)?;
        let arn = arn.as_str();
        wait_for("the target group to be released by its listeners", req.timeouts.delete.unwrap_or(IN_USE_TIMEOUT), || async move {
            match c.elbv2.delete_target_group().target_group_arn(arn).send().await.map_err(aws_err) {
                Ok(_) => Ok(Some(())),
                Err(e) if is_not_found(&e) => Ok(Some(())),
                Err(e) if e.code.as_deref() == Some("ResourceInUse") => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        let Some((arn, tg, tags)) = find_tagged::<ApiTargetGroup>(c, planned, token).await? else { return Ok(None) };
        read_tg_attributes(c, &arn, tg_state(planned, &tg, &tags)).await.map(Some)
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let Some((tg, tags)) = with_tags::<ApiTargetGroup>(c, id).await? else { return Ok(None) };
        let state = tg_state(&skeleton("aws_lb_target_group"), &tg, &tags);
        read_tg_attributes(c, id, state).await.map(Some)
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        list_described::<ApiTargetGroup>(c).await
    }
}

// ---------------------------------------------------------------------------
// aws_lb_listener

struct Listener;

/// The API's form of one `default_action` block (`order` defaults to the
/// block's position, as AWS needs an order once there are several).
fn action(v: &Value, index: usize) -> Result<Action, ProviderError> {
    let ty = v.str_attr("type").unwrap_or_default();
    let order = v.i32_attr("order").unwrap_or(i32::try_from(index + 1).unwrap_or(i32::MAX));
    let a = Action::builder().r#type(ActionTypeEnum::from(ty)).order(order);
    let first = |name: &str| v.blocks(name).first().copied();
    let a = match ty {
        "forward" => match first("forward") {
            Some(f) => {
                let groups: Vec<TargetGroupTuple> = f
                    .blocks("target_group")
                    .iter()
                    .map(|g| TargetGroupTuple::builder().set_target_group_arn(g.string("arn")).set_weight(g.i32_attr("weight")).build())
                    .collect();
                let stickiness = f.blocks("stickiness").first().map(|s| {
                    TargetGroupStickinessConfig::builder()
                        .set_enabled(s.bool_attr("enabled"))
                        .set_duration_seconds(s.i32_attr("duration"))
                        .build()
                });
                a.forward_config(
                    ForwardActionConfig::builder().set_target_groups(Some(groups)).set_target_group_stickiness_config(stickiness).build(),
                )
            }
            None => a.set_target_group_arn(v.string("target_group_arn")),
        },
        "redirect" => {
            let r = first("redirect").ok_or_else(|| invalid("a redirect default_action needs a redirect block"))?;
            a.redirect_config(
                RedirectActionConfig::builder()
                    .set_host(r.string("host"))
                    .set_path(r.string("path"))
                    .set_port(r.string("port"))
                    .set_protocol(r.string("protocol"))
                    .set_query(r.string("query"))
                    .set_status_code(r.str_attr("status_code").map(RedirectActionStatusCodeEnum::from))
                    .build(),
            )
        }
        "fixed-response" => {
            let f = first("fixed_response").ok_or_else(|| invalid("a fixed-response default_action needs a fixed_response block"))?;
            a.fixed_response_config(
                FixedResponseActionConfig::builder()
                    .set_content_type(f.string("content_type"))
                    .set_message_body(f.string("message_body"))
                    .set_status_code(f.string("status_code"))
                    .build(),
            )
        }
        "authenticate-cognito" => {
            let g = first("authenticate_cognito")
                .ok_or_else(|| invalid("an authenticate-cognito default_action needs an authenticate_cognito block"))?;
            a.authenticate_cognito_config(
                AuthenticateCognitoActionConfig::builder()
                    .set_user_pool_arn(g.string("user_pool_arn"))
                    .set_user_pool_client_id(g.string("user_pool_client_id"))
                    .set_user_pool_domain(g.string("user_pool_domain"))
                    .set_scope(g.string("scope"))
                    .set_session_cookie_name(g.string("session_cookie_name"))
                    .set_session_timeout(g.num_attr("session_timeout").map(|n| n as i64))
                    .set_on_unauthenticated_request(
                        g.str_attr("on_unauthenticated_request").map(AuthenticateCognitoActionConditionalBehaviorEnum::from),
                    )
                    .set_authentication_request_extra_params(Some(g.str_map("authentication_request_extra_params").into_iter().collect()))
                    .build(),
            )
        }
        "authenticate-oidc" => {
            let o = first("authenticate_oidc")
                .ok_or_else(|| invalid("an authenticate-oidc default_action needs an authenticate_oidc block"))?;
            a.authenticate_oidc_config(
                AuthenticateOidcActionConfig::builder()
                    .set_issuer(o.string("issuer"))
                    .set_authorization_endpoint(o.string("authorization_endpoint"))
                    .set_token_endpoint(o.string("token_endpoint"))
                    .set_user_info_endpoint(o.string("user_info_endpoint"))
                    .set_client_id(o.string("client_id"))
                    .set_client_secret(o.string("client_secret"))
                    .set_scope(o.string("scope"))
                    .set_session_cookie_name(o.string("session_cookie_name"))
                    .set_session_timeout(o.num_attr("session_timeout").map(|n| n as i64))
                    .set_on_unauthenticated_request(
                        o.str_attr("on_unauthenticated_request").map(AuthenticateOidcActionConditionalBehaviorEnum::from),
                    )
                    .set_authentication_request_extra_params(Some(o.str_map("authentication_request_extra_params").into_iter().collect()))
                    .build(),
            )
        }
        other => {
            return Err(invalid(format!(
                "default_action type `{other}` is not one of forward, redirect, fixed-response, authenticate-cognito, authenticate-oidc"
            )));
        }
    };
    Ok(a.build())
}

fn actions(planned: &Value) -> Result<Vec<Action>, ProviderError> {
    planned.blocks("default_action").iter().enumerate().map(|(i, a)| action(a, i)).collect()
}

/// The reported actions in the shape of the configured ones: a plain
/// forward keeps `target_group_arn` alone unless the configuration used a
/// `forward` block; authentication blocks (their secrets are not reported)
/// keep their recorded values.
fn actions_state(base: &[&Value], reported: &[Action]) -> Value {
    let mut reported: Vec<&Action> = reported.iter().collect();
    reported.sort_by_key(|a| a.order().unwrap_or(i32::MAX));
    let items = reported.iter().enumerate().map(|(i, a)| {
        let prior = base.get(i).copied();
        let keep = |name: &str| prior.and_then(|p| p.attr(name)).cloned().unwrap_or(Value::List(Vec::new().into()));
        let forward = a.forward_config();
        let tuples = forward.map(|f| f.target_groups()).unwrap_or_default();
        let wants_block = match prior {
            Some(p) => !p.blocks("forward").is_empty(),
            None => a.target_group_arn().is_none() && !tuples.is_empty(),
        };
        let target_group_arn =
            if wants_block { None } else { a.target_group_arn().or_else(|| tuples.first().and_then(|t| t.target_group_arn())) };
        let forward_block = match forward.filter(|_| wants_block) {
            Some(f) => {
                let groups = f.target_groups().iter().map(|t| {
                    Value::map([
                        ("arn", t.target_group_arn().map_or(Value::Null, Value::string)),
                        ("weight", t.weight().map_or(Value::Null, |w| Value::Number(w.into()))),
                    ])
                });
                let configured_stickiness =
                    prior.and_then(|p| p.blocks("forward").first().map(|f| !f.blocks("stickiness").is_empty())).unwrap_or(false);
                let stickiness =
                    f.target_group_stickiness_config().filter(|s| configured_stickiness || s.enabled() == Some(true)).map(|s| {
                        Value::map([
                            ("enabled", Value::Bool(s.enabled().unwrap_or(false))),
                            ("duration", s.duration_seconds().map_or(Value::Null, |d| Value::Number(d.into()))),
                        ])
                    });
                vec![Value::map([
                    ("target_group", Value::List(groups.collect())),
                    ("stickiness", Value::List(stickiness.into_iter().collect())),
                ])]
            }
            None => Vec::new(),
        };
        let redirect = a.redirect_config().map(|r| {
            let s = |v: Option<&str>| v.map_or(Value::Null, Value::string);
            Value::map([
                ("host", s(r.host())),
                ("path", s(r.path())),
                ("port", s(r.port())),
                ("protocol", s(r.protocol())),
                ("query", s(r.query())),
                ("status_code", s(r.status_code().map(|c| c.as_str()))),
            ])
        });
        let fixed = a.fixed_response_config().map(|f| {
            let s = |v: Option<&str>| v.map_or(Value::Null, Value::string);
            Value::map([("content_type", s(f.content_type())), ("message_body", s(f.message_body())), ("status_code", s(f.status_code()))])
        });
        Value::map([
            ("type", a.r#type().map_or(Value::Null, |t| Value::string(t.as_str()))),
            ("order", a.order().map_or(Value::Null, |o| Value::Number(o.into()))),
            ("target_group_arn", target_group_arn.map_or(Value::Null, Value::string)),
            ("forward", Value::List(forward_block.into())),
            ("redirect", Value::List(redirect.into_iter().collect())),
            ("fixed_response", Value::List(fixed.into_iter().collect())),
            ("authenticate_cognito", keep("authenticate_cognito")),
            ("authenticate_oidc", keep("authenticate_oidc")),
        ])
    });
    Value::List(items.collect())
}

fn listener_state(base: &Value, l: &ApiListener, tags: &Tags) -> Value {
    let arn = l.listener_arn().unwrap_or_default();
    let mut s = StateBuilder::from_planned(base);
    s.str("id", Some(arn))
        .str("arn", Some(arn))
        .str("load_balancer_arn", l.load_balancer_arn())
        .num("port", l.port())
        .str("protocol", l.protocol().map(|p| p.as_str()))
        .str("ssl_policy", l.ssl_policy())
        .str("certificate_arn", l.certificates().first().and_then(|c| c.certificate_arn()))
        .str("alpn_policy", l.alpn_policy().first())
        .set("default_action", actions_state(&base.blocks("default_action"), l.default_actions()));
    s.tags(tags);
    no_unknowns(s.build())
}

/// Listeners by ARN, 20 per call. A call naming a listener that is gone
/// fails; then the listeners of each recorded load balancer are listed
/// instead (a load balancer that is gone took its listeners with it).
async fn describe_listeners(
    c: &Clients,
    objects: &[(String, String)],
    calls: &mut usize,
) -> Result<Vec<(String, ApiListener)>, ProviderError> {
    let mut out = Vec::new();
    let arns: Vec<String> = objects.iter().map(|(arn, _)| arn.clone()).collect();
    for chunk in arns.chunks(BATCH) {
        *calls += 1;
        match c.elbv2.describe_listeners().set_listener_arns(Some(chunk.to_vec())).send().await.map_err(aws_err) {
            Ok(r) => out.extend(r.listeners().iter().map(|l| (l.listener_arn().unwrap_or_default().to_string(), l.clone()))),
            Err(e) if is_not_found(&e) => {
                let wanted: BTreeSet<&String> = arns.iter().collect();
                let balancers: BTreeSet<&str> = objects.iter().map(|(_, lb)| lb.as_str()).collect();
                let mut all = Vec::new();
                for lb in balancers {
                    all.extend(listeners_of(c, lb, calls).await?);
                }
                return Ok(all.into_iter().filter(|(arn, _)| wanted.contains(arn)).collect());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Every listener of one load balancer (none when it is gone).
async fn listeners_of(c: &Clients, lb_arn: &str, calls: &mut usize) -> Result<Vec<(String, ApiListener)>, ProviderError> {
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        *calls += 1;
        let r =
            match c.elbv2.describe_listeners().load_balancer_arn(lb_arn).page_size(PAGE).set_marker(marker).send().await.map_err(aws_err) {
                Ok(r) => r,
                Err(e) if is_not_found(&e) => return Ok(out),
                Err(e) => return Err(e),
            };
        out.extend(r.listeners().iter().map(|l| (l.listener_arn().unwrap_or_default().to_string(), l.clone())));
        match r.next_marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => return Ok(out),
        }
    }
}

async fn listener_with_tags(c: &Clients, arn: &str, lb_arn: &str) -> Result<Option<(ApiListener, Tags)>, ProviderError> {
    let mut calls = 0;
    let Some((_, l)) = describe_listeners(c, &[(arn.to_string(), lb_arn.to_string())], &mut calls).await?.into_iter().next() else {
        return Ok(None);
    };
    let tags = describe_tags(c, &[arn.to_string()], &mut calls).await?.remove(arn).unwrap_or_default();
    Ok(Some((l, tags)))
}

/// A listener's load balancer ARN, from its own ARN
/// (`...:listener/app/name/lb-id/listener-id`).
fn lb_of_listener(arn: &str) -> String {
    arn.replacen(":listener/", ":loadbalancer/", 1).rsplit_once('/').map_or_else(String::new, |(lb, _)| lb.to_string())
}

fn certificates(p: &Value) -> Option<Vec<Certificate>> {
    p.string("certificate_arn").map(|arn| vec![Certificate::builder().certificate_arn(arn).build()])
}

#[async_trait]
impl ResourceType for Listener {
    fn type_name(&self) -> &'static str {
        "aws_lb_listener"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let mut calls = 0;
        let ids: Vec<(String, String)> = objects
            .iter()
            .filter(|o| !o.id.is_empty())
            .map(|o| (o.id.clone(), o.prior.string("load_balancer_arn").unwrap_or_else(|| lb_of_listener(&o.id))))
            .collect();
        let found: HashMap<String, ApiListener> = describe_listeners(c, &ids, &mut calls).await?.into_iter().collect();
        let tags = describe_tags(c, &found.keys().cloned().collect::<Vec<_>>(), &mut calls).await?;
        let results = objects
            .iter()
            .map(|o| {
                ReadResult::new(
                    o.addr.clone(),
                    found.get(&o.id).map(|l| listener_state(&o.prior, l, tags.get(&o.id).unwrap_or(&Tags::new()))),
                )
            })
            .collect();
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let tags = tags_for(c, p, &req.addr.to_string(), req.token.as_deref());
        let lb_arn = p.string("load_balancer_arn").ok_or_else(|| invalid("load_balancer_arn is required"))?;
        let r = c
            .elbv2
            .create_listener()
            .load_balancer_arn(&lb_arn)
            .set_port(p.i32_attr("port"))
            .set_protocol(p.str_attr("protocol").map(ProtocolEnum::from))
            .set_ssl_policy(p.string("ssl_policy"))
            .set_certificates(certificates(p))
            .set_alpn_policy(p.string("alpn_policy").map(|a| vec![a]))
            .set_default_actions(Some(actions(p)?))
            .set_tags(Some(elb_tags(&tags)))
            .send()
            .await
            .map_err(aws_err)?;
        let l = r.listeners().first().ok_or_else(|| invalid("CreateListener returned no listener"))?;
        Ok(listener_state(p, l, &tags))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let arn = prior_arn(req)?;
        let p = &req.planned;
        c.elbv2
            .modify_listener()
            .listener_arn(&arn)
            .set_port(p.i32_attr("port"))
            .set_protocol(p.str_attr("protocol").map(ProtocolEnum::from))
            .set_ssl_policy(p.string("ssl_policy"))
            .set_certificates(certificates(p))
            .set_alpn_policy(p.string("alpn_policy").map(|a| vec![a]))
            .set_default_actions(Some(actions(p)?))
            .send()
            .await
            .map_err(aws_err)?;
        update_tags(c, req, &arn).await?;
        let lb_arn = p.string("load_balancer_arn").unwrap_or_else(|| lb_of_listener(&arn));
        match listener_with_tags(c, &arn, &lb_arn).await? {
            Some((l, tags)) => Ok(listener_state(p, &l, &tags)),
            None => {
                Err(ProviderError { code: Some("ListenerNotFound".into()), message: format!("listener {arn} not found"), retryable: true })
            }
        }
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let arn = prior_arn(req)?;
        match c.elbv2.delete_listener().listener_arn(&arn).send().await.map_err(aws_err) {
            Err(e) if !is_not_found(&e) => Err(e),
            _ => Ok(()),
        }
    }

    /// A load balancer has at most one listener per port: the listener on the
    /// planned port is the one, unless it carries another create's token.
    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        let (Some(lb_arn), Some(port)) = (planned.str_attr("load_balancer_arn"), planned.i32_attr("port")) else { return Ok(None) };
        let mut calls = 0;
        let Some((arn, l)) = listeners_of(c, lb_arn, &mut calls).await?.into_iter().find(|(_, l)| l.port() == Some(port)) else {
            return Ok(None);
        };
        let tags = describe_tags(c, std::slice::from_ref(&arn), &mut calls).await?.remove(&arn).unwrap_or_default();
        if tags.get(TAG_INTENT).is_some_and(|t| t != token) {
            return Ok(None);
        }
        Ok(Some(listener_state(planned, &l, &tags)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let Some((l, tags)) = listener_with_tags(c, id, &lb_of_listener(id)).await? else { return Ok(None) };
        Ok(Some(listener_state(&skeleton("aws_lb_listener"), &l, &tags)))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let mut calls = 0;
        let mut arns = Vec::new();
        for (lb, _) in all::<ApiLoadBalancer>(c, &mut calls).await? {
            arns.extend(listeners_of(c, &lb, &mut calls).await?.into_iter().map(|(arn, _)| arn));
        }
        let mut tags = describe_tags(c, &arns, &mut calls).await?;
        Ok((
            arns.into_iter()
                .map(|id| ListedObject { provider_default: false, tags: tags.remove(&id).unwrap_or_default(), id, parent: None })
                .collect(),
            calls,
        ))
    }
}

// ---------------------------------------------------------------------------
// aws_lb_target_group_attachment

struct TargetGroupAttachment;

/// A registration: target group, target, port.
#[derive(Debug, Clone, PartialEq)]
struct Registration {
    group: String,
    target: String,
    port: Option<i32>,
}

impl Registration {
    fn of(v: &Value) -> Option<Registration> {
        Some(Registration { group: v.string("target_group_arn")?, target: v.string("target_id")?, port: v.i32_attr("port") })
    }

    /// `<target group ARN>-<target>`, or the import form
    /// `<target group ARN>,<target>[,<port>]`.
    fn parse(id: &str) -> Option<Registration> {
        if let Some((group, rest)) = id.split_once(',') {
            let (target, port) = match rest.split_once(',') {
                Some((t, p)) => (t, Some(p.parse().ok()?)),
                None => (rest, None),
            };
            return Some(Registration { group: group.to_string(), target: target.to_string(), port });
        }
        // The ARN ends with `/<hex id>`: the target starts after the next `-`.
        let slash = id.rfind('/')?;
        let dash = slash + id[slash..].find('-')?;
        Some(Registration { group: id[..dash].to_string(), target: id[dash + 1..].to_string(), port: None })
    }

    fn id(&self) -> String {
        format!("{}-{}", self.group, self.target)
    }

    fn description(&self) -> TargetDescription {
        TargetDescription::builder().id(&self.target).set_port(self.port).build()
    }

    fn state(&self, base: &Value) -> Value {
        let mut s = StateBuilder::from_planned(base);
        s.str("id", Some(self.id())).str("target_group_arn", Some(&self.group)).str("target_id", Some(&self.target));
        no_unknowns(s.build())
    }
}

/// The registered targets of one target group as (target, port); `None`
/// when the group is gone. Draining targets count as deregistered.
async fn registered(c: &Clients, group: &str) -> Result<Option<Vec<(String, Option<i32>)>>, ProviderError> {
    let r = match c.elbv2.describe_target_health().target_group_arn(group).send().await.map_err(aws_err) {
        Ok(r) => r,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let targets = r
        .target_health_descriptions()
        .iter()
        .filter(|d| {
            !matches!(d.target_health().and_then(|h| h.state()), Some(TargetHealthStateEnum::Draining | TargetHealthStateEnum::Unused))
        })
        .filter_map(|d| d.target().and_then(|t| Some((t.id()?.to_string(), t.port()))))
        .collect();
    Ok(Some(targets))
}

fn is_registered(targets: &[(String, Option<i32>)], r: &Registration) -> bool {
    targets.iter().any(|(t, port)| *t == r.target && (r.port.is_none() || *port == r.port))
}

#[async_trait]
impl ResourceType for TargetGroupAttachment {
    fn type_name(&self) -> &'static str {
        "aws_lb_target_group_attachment"
    }

    /// One DescribeTargetHealth call per target group, for all its targets.
    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let regs: Vec<Option<Registration>> =
            objects.iter().map(|o| Registration::of(&o.prior).or_else(|| Registration::parse(&o.id))).collect();
        let groups: BTreeSet<&str> = regs.iter().flatten().map(|r| r.group.as_str()).collect();
        let mut by_group = HashMap::new();
        for g in &groups {
            by_group.insert(*g, registered(c, g).await?);
        }
        let results = objects
            .iter()
            .zip(&regs)
            .map(|(o, r)| {
                let present =
                    r.as_ref().filter(|r| by_group.get(r.group.as_str()).and_then(Option::as_ref).is_some_and(|t| is_registered(t, r)));
                ReadResult::new(o.addr.clone(), present.map(|r| r.state(&o.prior)))
            })
            .collect();
        Ok((results, groups.len()))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let r = Registration::of(&req.planned).ok_or_else(|| invalid("target_group_arn and target_id are required"))?;
        let target = TargetDescription::builder()
            .id(&r.target)
            .set_port(r.port)
            .set_availability_zone(req.planned.string("availability_zone"))
            .build();
        c.elbv2.register_targets().target_group_arn(&r.group).targets(target).send().await.map_err(aws_err)?;
        Ok(r.state(&req.planned))
    }

    /// Every argument forces a new registration; an update only reads back.
    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let r = Registration::of(&req.planned).ok_or_else(|| invalid("target_group_arn and target_id are required"))?;
        match registered(c, &r.group).await? {
            Some(t) if is_registered(&t, &r) => Ok(r.state(&req.planned)),
            _ => Err(ProviderError {
                code: Some("InvalidTarget".into()),
                message: format!("{} is not registered with {}", r.target, r.group),
                retryable: false,
            }),
        }
    }

    /// Deregistration starts connection draining; it is not waited for.
    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let prior = req.prior.as_ref().unwrap_or(&Value::Null);
        let Some(r) = Registration::of(prior).or_else(|| prior.str_attr("id").and_then(Registration::parse)) else { return Ok(()) };
        match c.elbv2.deregister_targets().target_group_arn(&r.group).targets(r.description()).send().await.map_err(aws_err) {
            Err(e) if !is_not_found(&e) && e.code.as_deref() != Some("InvalidTarget") => Err(e),
            _ => Ok(()),
        }
    }

    /// Registrations have no tags: the (group, target, port) triple is the identity.
    async fn find_by_intent(&self, c: &Clients, _addr: &str, _token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        identity_known(planned, "aws_lb_target_group_attachment", &["target_group_arn", "target_id", "port"])?;
        let Some(r) = Registration::of(planned) else { return Ok(None) };
        Ok(registered(c, &r.group).await?.filter(|t| is_registered(t, &r)).map(|_| r.state(planned)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let r = Registration::parse(id).ok_or_else(|| {
            invalid(format!("`{id}` is not `<target group arn>-<target id>` or `<target group arn>,<target id>[,<port>]`"))
        })?;
        let Some(targets) = registered(c, &r.group).await? else { return Ok(None) };
        if !is_registered(&targets, &r) {
            return Ok(None);
        }
        let mut s = StateBuilder::from_planned(&r.state(&skeleton("aws_lb_target_group_attachment")));
        s.num("port", r.port);
        Ok(Some(s.build()))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let mut calls = 0;
        let mut out = Vec::new();
        for (group, _) in all::<ApiTargetGroup>(c, &mut calls).await? {
            calls += 1;
            for (target, _) in registered(c, &group).await?.unwrap_or_default() {
                out.push(ListedObject {
                    provider_default: false,
                    id: Registration { group: group.clone(), target, port: None }.id(),
                    tags: BTreeMap::new(),
                    parent: Some(("aws_lb_target_group".into(), group.clone())),
                });
            }
        }
        Ok((out, calls))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(items: &[(&str, Value)]) -> Value {
        Value::map(items.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }

    #[test]
    fn attachment_ids_parse_in_both_forms() {
        let group = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-1/0123456789abcdef";
        let r = Registration { group: group.into(), target: "i-0abc".into(), port: None };
        assert_eq!(Registration::parse(&r.id()), Some(r));
        let r = Registration { group: group.into(), target: "10.0.0.1".into(), port: Some(8080) };
        assert_eq!(Registration::parse(&format!("{group},10.0.0.1,8080")), Some(r));
        assert_eq!(Registration::parse(&format!("{group},i-0abc,http")), None);
        assert_eq!(Registration::parse("no-slash"), None);
    }

    #[test]
    fn attributes_follow_the_load_balancer_type() {
        let alb = obj(&[
            ("load_balancer_type", Value::string("application")),
            ("idle_timeout", Value::Number(60.0)),
            ("enable_cross_zone_load_balancing", Value::Bool(true)),
        ]);
        let attrs = lb_attributes(&alb);
        assert_eq!(attrs.get("idle_timeout.timeout_seconds").map(String::as_str), Some("60"));
        assert!(!attrs.contains_key("load_balancing.cross_zone.enabled"));
        let nlb = obj(&[
            ("load_balancer_type", Value::string("network")),
            ("idle_timeout", Value::Number(60.0)),
            ("enable_cross_zone_load_balancing", Value::Bool(true)),
        ]);
        let attrs = lb_attributes(&nlb);
        assert!(!attrs.contains_key("idle_timeout.timeout_seconds"));
        assert_eq!(attrs.get("load_balancing.cross_zone.enabled").map(String::as_str), Some("true"));
        assert_eq!(attr_value("true"), Value::Bool(true));
        assert_eq!(attr_value("60"), Value::Number(60.0));
        assert_eq!(attr_value("defensive"), Value::string("defensive"));
    }

    #[test]
    fn generated_names_fit_in_32_characters() {
        let name = resource_name(&obj(&[("name_prefix", Value::string("web-"))]), "tf-lb-");
        assert!(name.starts_with("web-") && name.len() == 32, "{name}");
        assert_eq!(resource_name(&obj(&[("name", Value::string("fixed"))]), "tf-"), "fixed");
        assert_eq!(
            lb_of_listener("arn:aws:elasticloadbalancing:r:1:listener/app/web/abc/def"),
            "arn:aws:elasticloadbalancing:r:1:loadbalancer/app/web/abc"
        );
    }
}
