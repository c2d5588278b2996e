//! `aws_route`: one route of a route table. Routes take no tags; a route is
//! identified by its table and destination, and its id is Terraform's:
//! `r-<table id><CRC-32 of the destination>`.
//!
//! In place: the target (ReplaceRoute). The batched `read` describes the
//! recorded route tables (one call per page). Crash recovery looks for a
//! route to the planned destination made by CreateRoute in the planned
//! table (the natural key: a table holds one route per destination).
//! `import` takes Terraform's `<table id>_<destination>`.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_ec2::types as ec2;
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::route_table::{
    RouteFields, RouteTable, TARGETS, api_fields, check_route, created_routes, delete_route, destination, fields_of, put_route,
    targets_match,
};
use super::{Ec2Kind, blank, describe_one, enum_str, prior_id, timeout};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, identity_known, invalid, wait_for};

pub struct Route;

/// CRC-32 (IEEE), Terraform's string hash code.
pub(super) fn crc32(s: &str) -> u32 {
    let mut crc = !0u32;
    for b in s.bytes() {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// Terraform's route id: `r-rtb-0abc1080289494` for `0.0.0.0/0`.
pub(super) fn route_id(table: &str, destination: &str) -> String {
    format!("r-{table}{}", crc32(destination))
}

fn state(base: &Value, table: &str, r: &ec2::Route) -> Value {
    let f = api_fields(r);
    let mut b = StateBuilder::from_planned(base);
    b.str("id", Some(route_id(table, destination(&f).unwrap_or_default())))
        .str("route_table_id", Some(table))
        .str("destination_cidr_block", f.get("cidr_block").cloned())
        .str("destination_ipv6_cidr_block", f.get("ipv6_cidr_block").cloned())
        .str("destination_prefix_list_id", f.get("destination_prefix_list_id").cloned())
        .str("instance_id", r.instance_id())
        .str("instance_owner_id", r.instance_owner_id())
        .str("origin", enum_str(r.origin()))
        .str("state", enum_str(r.state()));
    for t in TARGETS {
        b.str(t, f.get(t).cloned());
    }
    b.build()
}

/// The route of `t` to the destination `f` names, made by CreateRoute.
fn find<'a>(t: &'a ec2::RouteTable, f: &RouteFields) -> Option<&'a ec2::Route> {
    let dest = destination(f)?;
    created_routes(t).find(|r| destination(&api_fields(r)) == Some(dest))
}

fn table_of(req: &ApplyRequest) -> Result<String, ProviderError> {
    req.planned.string("route_table_id").ok_or_else(|| invalid("route_table_id is not known"))
}

/// Wait until the table reports the route (with the wanted targets).
async fn wait_route(c: &Clients, table: &str, want: &RouteFields, base: &Value, t: std::time::Duration) -> Result<Value, ProviderError> {
    let what = format!("the route to {} in {table}", destination(want).unwrap_or_default());
    wait_for(&what, t, || async {
        let Some(rt) = describe_one::<RouteTable>(c, table).await? else {
            return Err(invalid(format!("route table {table} does not exist")));
        };
        Ok(find(&rt, want).filter(|r| targets_match(want, &api_fields(r))).map(|r| state(base, table, r)))
    })
    .await
}

#[async_trait]
impl ResourceType for Route {
    fn type_name(&self) -> &'static str {
        "aws_route"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        let tables: Vec<&str> = objects.iter().filter_map(|o| o.prior.str_attr("route_table_id")).collect();
        let (found, calls): (HashMap<String, ec2::RouteTable>, usize) = super::describe_ids::<RouteTable>(c, &tables).await?;
        let results = objects
            .iter()
            .map(|o| {
                let table = o.prior.str_attr("route_table_id").unwrap_or_default();
                let route = found.get(table).and_then(|t| find(t, &fields_of(&o.prior, false)));
                ReadResult::new(o.addr.clone(), route.map(|r| state(&o.prior, table, r)))
            })
            .collect();
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let (table, f) = (table_of(req)?, fields_of(&req.planned, false));
        check_route(&f)?;
        put_route(c, &table, &f, false).await?;
        wait_route(c, &table, &f, &req.planned, timeout(req.timeouts.create)).await
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let (table, f) = (table_of(req)?, fields_of(&req.planned, false));
        check_route(&f)?;
        if TARGETS.iter().any(|t| super::changed(req, t)) {
            put_route(c, &table, &f, true).await?;
        }
        wait_route(c, &table, &f, &req.planned, timeout(req.timeouts.update)).await
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        prior_id(req)?;
        let prior = super::prior(req)?;
        let (table, f) = (prior.string("route_table_id").unwrap_or_default(), fields_of(prior, false));
        delete_route(c, &table, &f).await?;
        let what = format!("the route to {} in {table} to go", destination(&f).unwrap_or_default());
        wait_for(&what, timeout(req.timeouts.delete), || async {
            let rt = describe_one::<RouteTable>(c, &table).await?;
            Ok(rt.is_none_or(|t| find(&t, &f).is_none()).then_some(()))
        })
        .await
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, _token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        identity_known(
            planned,
            "aws_route",
            &["route_table_id", "destination_cidr_block", "destination_ipv6_cidr_block", "destination_prefix_list_id"],
        )?;
        let Some(table) = planned.str_attr("route_table_id") else { return Ok(None) };
        let Some(rt) = describe_one::<RouteTable>(c, table).await? else { return Ok(None) };
        Ok(find(&rt, &fields_of(planned, false)).map(|r| state(planned, table, r)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let Some((table, dest)) = id.split_once('_') else {
            return Err(invalid(format!(
                "cannot import route {id:?}: the id must be <route table id>_<destination>, e.g. rtb-0abc_0.0.0.0/0"
            )));
        };
        let Some(rt) = describe_one::<RouteTable>(c, table).await? else { return Ok(None) };
        let route = created_routes(&rt).find(|r| destination(&api_fields(r)) == Some(dest));
        Ok(route.map(|r| state(&blank("aws_route"), table, r)))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let (tables, calls) = RouteTable::describe(c, Vec::new()).await?;
        let listed = tables
            .iter()
            .flat_map(|t| {
                let table = t.route_table_id().unwrap_or_default();
                created_routes(t).filter_map(move |r| {
                    Some(ListedObject {
                        provider_default: false,
                        id: route_id(table, destination(&api_fields(r))?),
                        tags: Default::default(),
                        parent: Some(("aws_route_table".into(), table.to_string())),
                    })
                })
            })
            .collect();
        Ok((listed, calls))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_ids_match_terraform() {
        // The id Terraform gives the default route of rtb-0abc.
        assert_eq!(route_id("rtb-0abc", "0.0.0.0/0"), "r-rtb-0abc1080289494");
        assert_eq!(crc32(""), 0);
        assert_eq!(crc32("123456789"), 0xCBF4_3926);
    }
}
