//! `aws_nat_gateway`.
//!
//! Create passes the intent token as ClientToken and waits until the
//! gateway is `available` (a `failed` gateway is an error with AWS's
//! reason). In place: tags, `secondary_allocation_ids` (public gateways:
//! Associate/DisassociateNatGatewayAddress) and
//! `secondary_private_ip_addresses` (private gateways:
//! Assign/UnassignPrivateNatGatewayAddress). Delete waits until AWS reports
//! the gateway `deleted`; a deleted gateway reads as gone.

use async_trait::async_trait;
use aws_sdk_ec2::types::{self as ec2, ConnectivityType, Filter, NatGatewayState, Tag};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{
    Ec2Kind, all_pages, blank, describe_one, enum_str, find_intent, list_all, prior_id, read_each, set_tags, tag_spec, timeout, update_tags,
};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, invalid, wait_for};

pub struct NatGateway;

impl Ec2Kind for NatGateway {
    type Obj = ec2::NatGateway;
    const ID_FILTER: &'static str = "nat-gateway-id";

    async fn describe(c: &Clients, filters: Vec<Filter>) -> Result<(Vec<ec2::NatGateway>, usize), ProviderError> {
        all_pages!(c.ec2.describe_nat_gateways().set_filter(Some(filters)).into_paginator().send(), |page| page
            .nat_gateways
            .unwrap_or_default())
    }

    fn id(o: &ec2::NatGateway) -> Option<&str> {
        o.nat_gateway_id()
    }

    fn tags(o: &ec2::NatGateway) -> &[Tag] {
        o.tags()
    }

    fn gone(o: &ec2::NatGateway) -> bool {
        o.state() == Some(&NatGatewayState::Deleted)
    }
}

/// The primary address (AWS marks it; the first one when it does not) and
/// the secondary ones.
fn addresses(g: &ec2::NatGateway) -> (Option<&ec2::NatGatewayAddress>, Vec<&ec2::NatGatewayAddress>) {
    let all = g.nat_gateway_addresses();
    let primary = all.iter().position(|a| a.is_primary() == Some(true)).or((!all.is_empty()).then_some(0));
    let secondary = all.iter().enumerate().filter(|(i, _)| Some(*i) != primary).map(|(_, a)| a).collect();
    (primary.and_then(|i| all.get(i)), secondary)
}

fn state(base: &Value, g: &ec2::NatGateway) -> Value {
    let (p, secondary) = addresses(g);
    let secondary_allocations: Vec<&str> = secondary.iter().filter_map(|a| a.allocation_id()).collect();
    let secondary_ips: Vec<&str> = secondary.iter().filter_map(|a| a.private_ip()).collect();
    let mut b = StateBuilder::from_planned(base);
    b.str("id", g.nat_gateway_id())
        .str("subnet_id", g.subnet_id())
        .str("connectivity_type", enum_str(g.connectivity_type()).or_else(|| base.string("connectivity_type")))
        .str("allocation_id", p.and_then(|a| a.allocation_id()))
        .str("association_id", p.and_then(|a| a.association_id()))
        .str("network_interface_id", p.and_then(|a| a.network_interface_id()))
        .str("private_ip", p.and_then(|a| a.private_ip()))
        .str("public_ip", p.and_then(|a| a.public_ip()))
        .num("secondary_private_ip_address_count", Some(secondary_ips.len() as f64))
        .set("secondary_private_ip_addresses", Value::set(secondary_ips.into_iter().map(Value::string).collect()));
    // Only public gateways have secondary Elastic IPs; keep the configured
    // null when there are none.
    if !secondary_allocations.is_empty() || base.attr("secondary_allocation_ids").is_some() {
        b.set("secondary_allocation_ids", Value::set(secondary_allocations.into_iter().map(Value::string).collect()));
    }
    set_tags(&mut b, g.tags());
    b.build()
}

/// Wait until the gateway is available; a failed gateway is an error.
async fn wait_available(c: &Clients, id: &str, t: std::time::Duration) -> Result<ec2::NatGateway, ProviderError> {
    wait_for(&format!("NAT gateway {id} to become available"), t, || async {
        let Some(g) = describe_one::<NatGateway>(c, id).await? else { return Ok(None) };
        match g.state() {
            Some(NatGatewayState::Available) => Ok(Some(g)),
            Some(NatGatewayState::Failed) => Err(ProviderError {
                code: g.failure_code().map(str::to_string),
                message: format!("NAT gateway {id} failed: {}", g.failure_message().unwrap_or("no reason given")),
                retryable: false,
            }),
            _ => Ok(None),
        }
    })
    .await
}

/// Bring the secondary addresses to the plan.
async fn sync_secondaries(c: &Clients, id: &str, req: &ApplyRequest, g: &ec2::NatGateway) -> Result<(), ProviderError> {
    let (p, secondary) = (&req.planned, addresses(g).1);
    if super::changed(req, "secondary_allocation_ids") {
        let want = p.str_list("secondary_allocation_ids");
        let stale: Vec<String> = secondary
            .iter()
            .filter(|a| a.allocation_id().is_some_and(|x| !want.iter().any(|w| w == x)))
            .filter_map(|a| a.association_id().map(str::to_string))
            .collect();
        let have: Vec<&str> = secondary.iter().filter_map(|a| a.allocation_id()).collect();
        let new: Vec<String> = want.iter().filter(|w| !have.contains(&w.as_str())).cloned().collect();
        if !stale.is_empty() {
            c.ec2.disassociate_nat_gateway_address().nat_gateway_id(id).set_association_ids(Some(stale)).send().await.map_err(aws_err)?;
        }
        if !new.is_empty() {
            c.ec2.associate_nat_gateway_address().nat_gateway_id(id).set_allocation_ids(Some(new)).send().await.map_err(aws_err)?;
        }
    }
    if super::changed(req, "secondary_private_ip_addresses") && g.connectivity_type() == Some(&ConnectivityType::Private) {
        let want = p.str_list("secondary_private_ip_addresses");
        let have: Vec<String> = secondary.iter().filter_map(|a| a.private_ip().map(str::to_string)).collect();
        let stale: Vec<String> = have.iter().filter(|h| !want.contains(h)).cloned().collect();
        let new: Vec<String> = want.iter().filter(|w| !have.contains(w)).cloned().collect();
        if !stale.is_empty() {
            c.ec2
                .unassign_private_nat_gateway_address()
                .nat_gateway_id(id)
                .set_private_ip_addresses(Some(stale))
                .send()
                .await
                .map_err(aws_err)?;
        }
        if !new.is_empty() {
            c.ec2
                .assign_private_nat_gateway_address()
                .nat_gateway_id(id)
                .set_private_ip_addresses(Some(new))
                .send()
                .await
                .map_err(aws_err)?;
        }
    }
    Ok(())
}

#[async_trait]
impl ResourceType for NatGateway {
    fn type_name(&self) -> &'static str {
        "aws_nat_gateway"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        read_each::<NatGateway>(c, objects, state).await
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let list = |name: &str| Some(p.str_list(name)).filter(|l| !l.is_empty());
        let out = c
            .ec2
            .create_nat_gateway()
            .set_subnet_id(p.string("subnet_id"))
            .set_allocation_id(p.string("allocation_id"))
            .set_connectivity_type(p.str_attr("connectivity_type").map(ConnectivityType::from))
            .set_private_ip_address(p.string("private_ip"))
            .set_secondary_allocation_ids(list("secondary_allocation_ids"))
            .set_secondary_private_ip_addresses(list("secondary_private_ip_addresses"))
            .set_secondary_private_ip_address_count(p.i32_attr("secondary_private_ip_address_count"))
            .set_client_token(req.token.clone())
            .tag_specifications(tag_spec(c, req, ec2::ResourceType::Natgateway))
            .send()
            .await
            .map_err(aws_err)?;
        let id = out.nat_gateway.and_then(|g| g.nat_gateway_id).ok_or_else(|| invalid("CreateNatGateway returned no id"))?;
        let g = wait_available(c, &id, timeout(req.timeouts.create)).await?;
        Ok(state(p, &g))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let id = prior_id(req)?;
        update_tags(c, &id, req).await?;
        let g = describe_one::<NatGateway>(c, &id).await?.ok_or_else(|| invalid(format!("NAT gateway {id} does not exist")))?;
        sync_secondaries(c, &id, req, &g).await?;
        let g = wait_available(c, &id, timeout(req.timeouts.update)).await?;
        Ok(state(&req.planned, &g))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let id = prior_id(req)?;
        if describe_one::<NatGateway>(c, &id).await?.is_none() {
            return Ok(());
        }
        super::gone_ok(c.ec2.delete_nat_gateway().nat_gateway_id(&id).send().await.map(|_| ()).map_err(aws_err))?;
        wait_for(&format!("NAT gateway {id} to be deleted"), timeout(req.timeouts.delete), || async {
            Ok(describe_one::<NatGateway>(c, &id).await?.is_none().then_some(()))
        })
        .await
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(find_intent::<NatGateway>(c, token).await?.map(|g| state(planned, &g)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        Ok(describe_one::<NatGateway>(c, id).await?.map(|g| state(&blank("aws_nat_gateway"), &g)))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        list_all::<NatGateway>(c).await
    }
}
