//! `aws_route_table`, and the route fields it shares with `aws_route`.
//!
//! In place: tags, the inline `route` blocks (diffed against the routes
//! AWS reports, by destination: DeleteRoute for dropped destinations,
//! ReplaceRoute for a new target, CreateRoute for new destinations) and
//! `propagating_vgws` (Enable/DisableVgwRoutePropagation). Only routes
//! AWS reports with origin `CreateRoute` are the table's `route` blocks:
//! the local route and propagated routes are AWS's. Delete disassociates
//! the table from its subnets and gateways first, as Terraform does.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::{self as ec2, Filter, RouteOrigin, Tag};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{
    Ec2Kind, all_pages, arn, blank, describe_one, find_intent, gone_ok, list_all, order_like, prior, prior_id, read_each, retry_dependency,
    set_tags, tag_spec, timeout, update_tags, wait_ready,
};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, invalid};

pub struct RouteTable;

impl Ec2Kind for RouteTable {
    type Obj = ec2::RouteTable;
    const ID_FILTER: &'static str = "route-table-id";

    async fn describe(c: &Clients, filters: Vec<Filter>) -> Result<(Vec<ec2::RouteTable>, usize), ProviderError> {
        all_pages!(c.ec2.describe_route_tables().set_filters(Some(filters)).into_paginator().send(), |page| page
            .route_tables
            .unwrap_or_default())
    }

    fn id(o: &ec2::RouteTable) -> Option<&str> {
        o.route_table_id()
    }

    fn made_by_aws(o: &ec2::RouteTable) -> bool {
        o.associations().iter().any(|a| a.main() == Some(true))
    }

    fn tags(o: &ec2::RouteTable) -> &[Tag] {
        o.tags()
    }
}

/// A route's destination and target fields, named as the inline `route`
/// block names them; only the set ones are present.
pub(super) type RouteFields = BTreeMap<&'static str, String>;

/// Destinations: the inline block's name and `aws_route`'s.
const DESTINATIONS: [(&str, &str); 3] = [
    ("cidr_block", "destination_cidr_block"),
    ("ipv6_cidr_block", "destination_ipv6_cidr_block"),
    ("destination_prefix_list_id", "destination_prefix_list_id"),
];

/// Targets, named alike in both schemas.
pub(super) const TARGETS: [&str; 10] = [
    "carrier_gateway_id",
    "core_network_arn",
    "egress_only_gateway_id",
    "gateway_id",
    "local_gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_endpoint_id",
    "vpc_peering_connection_id",
];

/// The route fields of an inline block (`inline`) or of an `aws_route`.
pub(super) fn fields_of(v: &Value, inline: bool) -> RouteFields {
    let dests = DESTINATIONS.iter().map(|(block, route)| (*block, if inline { *block } else { *route }));
    dests.chain(TARGETS.iter().map(|t| (*t, *t))).filter_map(|(key, name)| Some((key, v.string(name)?))).collect()
}

/// The fields of a route AWS reports (a `vpce-` gateway is a VPC endpoint).
pub(super) fn api_fields(r: &ec2::Route) -> RouteFields {
    let gateway = r.gateway_id().filter(|g| !g.starts_with("vpce-"));
    let endpoint = r.gateway_id().filter(|g| g.starts_with("vpce-"));
    [
        ("cidr_block", r.destination_cidr_block()),
        ("ipv6_cidr_block", r.destination_ipv6_cidr_block()),
        ("destination_prefix_list_id", r.destination_prefix_list_id()),
        ("carrier_gateway_id", r.carrier_gateway_id()),
        ("core_network_arn", r.core_network_arn()),
        ("egress_only_gateway_id", r.egress_only_internet_gateway_id()),
        ("gateway_id", gateway),
        ("local_gateway_id", r.local_gateway_id()),
        ("nat_gateway_id", r.nat_gateway_id()),
        ("network_interface_id", r.network_interface_id()),
        ("transit_gateway_id", r.transit_gateway_id()),
        ("vpc_endpoint_id", endpoint),
        ("vpc_peering_connection_id", r.vpc_peering_connection_id()),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k, v.filter(|s| !s.is_empty())?.to_string())))
    .collect()
}

/// The destination that identifies a route in its table.
pub(super) fn destination(f: &RouteFields) -> Option<&str> {
    DESTINATIONS.iter().find_map(|(k, _)| f.get(k)).map(String::as_str)
}

/// Whether the route AWS has (`have`) points where `want` says (AWS may
/// report more targets, such as the interface of an instance route).
pub(super) fn targets_match(want: &RouteFields, have: &RouteFields) -> bool {
    TARGETS.iter().all(|t| want.get(t).is_none_or(|w| have.get(t) == Some(w)))
}

/// Routes AWS reports as made by CreateRoute (not the local or propagated ones).
pub(super) fn created_routes(t: &ec2::RouteTable) -> impl Iterator<Item = &ec2::Route> {
    t.routes().iter().filter(|r| r.origin() == Some(&RouteOrigin::CreateRoute))
}

/// A route needs exactly one destination and one target.
pub(super) fn check_route(f: &RouteFields) -> Result<(), ProviderError> {
    let dests = DESTINATIONS.iter().filter(|(k, _)| f.contains_key(k)).count();
    let targets = TARGETS.iter().filter(|t| f.contains_key(*t)).count();
    if dests != 1 {
        return Err(invalid("a route needs exactly one destination: a CIDR block, an IPv6 CIDR block or a prefix list"));
    }
    if targets != 1 {
        return Err(invalid(format!(
            "the route to {} needs exactly one target (gateway_id, nat_gateway_id, ...)",
            destination(f).unwrap_or_default()
        )));
    }
    Ok(())
}

/// CreateRoute, or ReplaceRoute when `replace`.
pub(super) async fn put_route(c: &Clients, table: &str, f: &RouteFields, replace: bool) -> Result<(), ProviderError> {
    let get = |k: &str| f.get(k).cloned();
    macro_rules! route_call {
        ($call:expr) => {
            $call
                .route_table_id(table)
                .set_destination_cidr_block(get("cidr_block"))
                .set_destination_ipv6_cidr_block(get("ipv6_cidr_block"))
                .set_destination_prefix_list_id(get("destination_prefix_list_id"))
                .set_carrier_gateway_id(get("carrier_gateway_id"))
                .set_core_network_arn(get("core_network_arn"))
                .set_egress_only_internet_gateway_id(get("egress_only_gateway_id"))
                .set_gateway_id(get("gateway_id"))
                .set_local_gateway_id(get("local_gateway_id"))
                .set_nat_gateway_id(get("nat_gateway_id"))
                .set_network_interface_id(get("network_interface_id"))
                .set_transit_gateway_id(get("transit_gateway_id"))
                .set_vpc_endpoint_id(get("vpc_endpoint_id"))
                .set_vpc_peering_connection_id(get("vpc_peering_connection_id"))
                .send()
                .await
                .map(|_| ())
                .map_err(aws_err)
        };
    }
    if replace { route_call!(c.ec2.replace_route()) } else { route_call!(c.ec2.create_route()) }
}

/// DeleteRoute; a route (or table) already gone is fine.
pub(super) async fn delete_route(c: &Clients, table: &str, f: &RouteFields) -> Result<(), ProviderError> {
    let r = c
        .ec2
        .delete_route()
        .route_table_id(table)
        .set_destination_cidr_block(f.get("cidr_block").cloned())
        .set_destination_ipv6_cidr_block(f.get("ipv6_cidr_block").cloned())
        .set_destination_prefix_list_id(f.get("destination_prefix_list_id").cloned())
        .send()
        .await;
    gone_ok(r.map(|_| ()).map_err(aws_err))
}

/// An inline `route` block with every field of the schema.
fn block(f: &RouteFields) -> Value {
    let keys = DESTINATIONS.iter().map(|(k, _)| *k).chain(TARGETS);
    Value::map(keys.map(|k| (k, f.get(k).map_or(Value::Null, |s| Value::string(s.clone())))))
}

fn state(c: &Clients, base: &Value, t: &ec2::RouteTable) -> Value {
    let id = t.route_table_id().unwrap_or_default();
    let configured = base.blocks("route");
    let routes: Vec<Value> = created_routes(t)
        .map(|r| {
            let have = api_fields(r);
            // A configured block for this very route keeps the shape it was written in.
            let same = |b: &&&Value| {
                let want = fields_of(b, true);
                destination(&want) == destination(&have) && targets_match(&want, &have)
            };
            configured.iter().find(same).map_or_else(|| block(&have), |b| (*b).clone())
        })
        .collect();
    let routes = order_like(&configured, routes, |v| destination(&fields_of(v, true)).unwrap_or_default().to_string());
    let vgws = t.propagating_vgws().iter().filter_map(|g| g.gateway_id()).map(Value::string).collect();
    let mut b = StateBuilder::from_planned(base);
    b.str("id", Some(id))
        .str("arn", Some(arn(c, t.owner_id().unwrap_or_default(), &format!("route-table/{id}"))))
        .str("owner_id", t.owner_id())
        .str("vpc_id", t.vpc_id())
        .set("propagating_vgws", Value::set(vgws))
        .set("route", Value::List(routes.into()));
    set_tags(&mut b, t.tags());
    b.build()
}

/// Make the table's created routes what the `route` blocks say.
async fn sync_routes(c: &Clients, id: &str, planned: &Value, table: &ec2::RouteTable) -> Result<(), ProviderError> {
    let want: Vec<RouteFields> = planned.blocks("route").into_iter().map(|b| fields_of(b, true)).collect();
    for f in &want {
        check_route(f)?;
    }
    let have: Vec<RouteFields> = created_routes(table).map(api_fields).collect();
    for h in &have {
        if !want.iter().any(|w| destination(w) == destination(h)) {
            delete_route(c, id, h).await?;
        }
    }
    for w in &want {
        match have.iter().find(|h| destination(h) == destination(w)) {
            Some(h) if targets_match(w, h) => {}
            Some(_) => put_route(c, id, w, true).await?,
            None => put_route(c, id, w, false).await?,
        }
    }
    Ok(())
}

/// Turn route propagation from virtual private gateways on and off.
async fn sync_vgws(c: &Clients, id: &str, want: &[String], have: &[String]) -> Result<(), ProviderError> {
    for g in have.iter().filter(|g| !want.contains(g)) {
        c.ec2.disable_vgw_route_propagation().route_table_id(id).gateway_id(g).send().await.map_err(aws_err)?;
    }
    for g in want.iter().filter(|g| !have.contains(g)) {
        c.ec2.enable_vgw_route_propagation().route_table_id(id).gateway_id(g).send().await.map_err(aws_err)?;
    }
    Ok(())
}

async fn current(c: &Clients, id: &str) -> Result<ec2::RouteTable, ProviderError> {
    describe_one::<RouteTable>(c, id).await?.ok_or_else(|| invalid(format!("route table {id} does not exist")))
}

#[async_trait]
impl ResourceType for RouteTable {
    fn type_name(&self) -> &'static str {
        "aws_route_table"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        read_each::<RouteTable>(c, objects, |prior, t| state(c, prior, t)).await
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        for b in p.blocks("route") {
            check_route(&fields_of(b, true))?;
        }
        let out = c
            .ec2
            .create_route_table()
            .set_vpc_id(p.string("vpc_id"))
            .tag_specifications(tag_spec(c, req, ec2::ResourceType::RouteTable))
            .send()
            .await
            .map_err(aws_err)?;
        let id = out.route_table.and_then(|t| t.route_table_id).ok_or_else(|| invalid("CreateRouteTable returned no id"))?;
        let t = wait_ready::<RouteTable>(c, &id, &format!("route table {id} to exist"), timeout(req.timeouts.create), |_| Ok(true)).await?;
        sync_routes(c, &id, p, &t).await?;
        sync_vgws(c, &id, &p.str_list("propagating_vgws"), &[]).await?;
        Ok(state(c, p, &current(c, &id).await?))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let id = prior_id(req)?;
        let p = &req.planned;
        update_tags(c, &id, req).await?;
        if super::changed(req, "route") {
            sync_routes(c, &id, p, &current(c, &id).await?).await?;
        }
        if super::changed(req, "propagating_vgws") {
            sync_vgws(c, &id, &p.str_list("propagating_vgws"), &prior(req)?.str_list("propagating_vgws")).await?;
        }
        Ok(state(c, p, &current(c, &id).await?))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let id = prior_id(req)?;
        let Some(t) = describe_one::<RouteTable>(c, &id).await? else { return Ok(()) };
        for a in t.associations().iter().filter(|a| a.main() != Some(true)) {
            if let Some(assoc) = a.route_table_association_id() {
                gone_ok(c.ec2.disassociate_route_table().association_id(assoc).send().await.map(|_| ()).map_err(aws_err))?;
            }
        }
        retry_dependency(timeout(req.timeouts.delete), || async {
            c.ec2.delete_route_table().route_table_id(&id).send().await.map(|_| ()).map_err(aws_err)
        })
        .await
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(find_intent::<RouteTable>(c, token).await?.map(|t| state(c, planned, &t)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        Ok(describe_one::<RouteTable>(c, id).await?.map(|t| state(c, &blank("aws_route_table"), &t)))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        list_all::<RouteTable>(c).await
    }
}
