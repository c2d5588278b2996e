//! `aws_internet_gateway`.
//!
//! In place: tags and `vpc_id` (detach from the old VPC, attach to the new
//! one). Delete detaches first; both retry while AWS reports
//! `DependencyViolation` (public addresses still mapped in the VPC).

use async_trait::async_trait;
use aws_sdk_ec2::types::{self as ec2, Filter, Tag};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{
    Ec2Kind, all_pages, arn, blank, describe_one, find_intent, list_all, prior_id, read_each, retry_dependency, set_tags, tag_spec,
    timeout, update_tags, wait_ready,
};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, invalid};

pub struct InternetGateway;

impl Ec2Kind for InternetGateway {
    type Obj = ec2::InternetGateway;
    const ID_FILTER: &'static str = "internet-gateway-id";

    async fn describe(c: &Clients, filters: Vec<Filter>) -> Result<(Vec<ec2::InternetGateway>, usize), ProviderError> {
        all_pages!(c.ec2.describe_internet_gateways().set_filters(Some(filters)).into_paginator().send(), |page| page
            .internet_gateways
            .unwrap_or_default())
    }

    fn id(o: &ec2::InternetGateway) -> Option<&str> {
        o.internet_gateway_id()
    }

    fn tags(o: &ec2::InternetGateway) -> &[Tag] {
        o.tags()
    }
}

/// The VPC the gateway is attached to (AWS says `available` for an
/// attached internet gateway; `attached` is accepted too).
fn attached_vpc(g: &ec2::InternetGateway) -> Option<&str> {
    g.attachments().iter().find(|a| a.state().is_some_and(|s| matches!(s.as_str(), "available" | "attached"))).and_then(|a| a.vpc_id())
}

fn state(c: &Clients, base: &Value, g: &ec2::InternetGateway) -> Value {
    let id = g.internet_gateway_id().unwrap_or_default();
    let mut b = StateBuilder::from_planned(base);
    b.str("id", Some(id))
        .str("arn", Some(arn(c, g.owner_id().unwrap_or_default(), &format!("internet-gateway/{id}"))))
        .str("owner_id", g.owner_id())
        .str("vpc_id", attached_vpc(g));
    set_tags(&mut b, g.tags());
    b.build()
}

async fn attach(c: &Clients, id: &str, vpc: &str, t: std::time::Duration) -> Result<(), ProviderError> {
    c.ec2.attach_internet_gateway().internet_gateway_id(id).vpc_id(vpc).send().await.map_err(aws_err)?;
    let what = format!("internet gateway {id} to attach to {vpc}");
    wait_ready::<InternetGateway>(c, id, &what, t, |g| Ok(attached_vpc(g) == Some(vpc))).await?;
    Ok(())
}

/// Detach from `vpc`; a gateway already detached is fine.
async fn detach(c: &Clients, id: &str, vpc: &str, t: std::time::Duration) -> Result<(), ProviderError> {
    let r = retry_dependency(t, || async {
        c.ec2.detach_internet_gateway().internet_gateway_id(id).vpc_id(vpc).send().await.map(|_| ()).map_err(aws_err)
    })
    .await;
    match r {
        Err(e) if e.code.as_deref() == Some("Gateway.NotAttached") => Ok(()),
        r => r,
    }
}

#[async_trait]
impl ResourceType for InternetGateway {
    fn type_name(&self) -> &'static str {
        "aws_internet_gateway"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        read_each::<InternetGateway>(c, objects, |prior, g| state(c, prior, g)).await
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let out = c
            .ec2
            .create_internet_gateway()
            .tag_specifications(tag_spec(c, req, ec2::ResourceType::InternetGateway))
            .send()
            .await
            .map_err(aws_err)?;
        let id = out.internet_gateway.and_then(|g| g.internet_gateway_id).ok_or_else(|| invalid("CreateInternetGateway returned no id"))?;
        if let Some(vpc) = req.planned.str_attr("vpc_id") {
            attach(c, &id, vpc, timeout(req.timeouts.create)).await?;
        }
        let g = describe_one::<InternetGateway>(c, &id)
            .await?
            .ok_or_else(|| invalid(format!("internet gateway {id} disappeared after its creation")))?;
        Ok(state(c, &req.planned, &g))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let id = prior_id(req)?;
        update_tags(c, &id, req).await?;
        if super::changed(req, "vpc_id") {
            let old = req.prior.as_ref().and_then(|p| p.string("vpc_id"));
            if let Some(old) = old {
                detach(c, &id, &old, timeout(req.timeouts.update)).await?;
            }
            if let Some(vpc) = req.planned.str_attr("vpc_id") {
                attach(c, &id, vpc, timeout(req.timeouts.update)).await?;
            }
        }
        let g = describe_one::<InternetGateway>(c, &id)
            .await?
            .ok_or_else(|| invalid(format!("internet gateway {id} disappeared during the update")))?;
        Ok(state(c, &req.planned, &g))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let id = prior_id(req)?;
        let t = timeout(req.timeouts.delete);
        let Some(g) = describe_one::<InternetGateway>(c, &id).await? else { return Ok(()) };
        for a in g.attachments() {
            if let Some(vpc) = a.vpc_id() {
                detach(c, &id, vpc, t).await?;
            }
        }
        retry_dependency(t, || async { c.ec2.delete_internet_gateway().internet_gateway_id(&id).send().await.map(|_| ()).map_err(aws_err) })
            .await
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(find_intent::<InternetGateway>(c, token).await?.map(|g| state(c, planned, &g)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        Ok(describe_one::<InternetGateway>(c, id).await?.map(|g| state(c, &blank("aws_internet_gateway"), &g)))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        list_all::<InternetGateway>(c).await
    }
}
