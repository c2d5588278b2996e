//! `aws_subnet`.
//!
//! In place: tags, every launch attribute ModifySubnetAttribute sets (one
//! per call: `map_public_ip_on_launch`, `assign_ipv6_address_on_creation`,
//! `enable_dns64`, the resource-name DNS records, the hostname type, the
//! customer-owned pool, the LNI device index) and `ipv6_cidr_block`
//! (Associate/DisassociateSubnetCidrBlock). DescribeSubnets reports all of
//! them, so the batched `read` sees drift on every attribute.

use async_trait::async_trait;
use aws_sdk_ec2::types::{self as ec2, Filter, HostnameType, SubnetCidrBlockStateCode, SubnetState, Tag};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{
    Ec2Kind, all_pages, blank, describe_one, enum_str, find_intent, flag, list_all, prior, prior_id, read_each, retry_dependency, set_tags,
    tag_spec, timeout, update_tags, wait_ready,
};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, invalid};

pub struct Subnet;

impl Ec2Kind for Subnet {
    type Obj = ec2::Subnet;
    const ID_FILTER: &'static str = "subnet-id";

    async fn describe(c: &Clients, filters: Vec<Filter>) -> Result<(Vec<ec2::Subnet>, usize), ProviderError> {
        all_pages!(c.ec2.describe_subnets().set_filters(Some(filters)).into_paginator().send(), |page| page.subnets.unwrap_or_default())
    }

    fn id(o: &ec2::Subnet) -> Option<&str> {
        o.subnet_id()
    }

    fn made_by_aws(o: &ec2::Subnet) -> bool {
        o.default_for_az() == Some(true)
    }

    fn tags(o: &ec2::Subnet) -> &[Tag] {
        o.tags()
    }
}

/// The launch flags ModifySubnetAttribute sets, all off on a new subnet.
const FLAGS: [&str; 5] = [
    "map_public_ip_on_launch",
    "assign_ipv6_address_on_creation",
    "enable_dns64",
    "enable_resource_name_dns_a_record_on_launch",
    "enable_resource_name_dns_aaaa_record_on_launch",
];

fn state(base: &Value, s: &ec2::Subnet) -> Value {
    let ipv6 = s
        .ipv6_cidr_block_association_set()
        .iter()
        .find(|a| a.ipv6_cidr_block_state().and_then(|st| st.state()) == Some(&SubnetCidrBlockStateCode::Associated));
    let dns = s.private_dns_name_options_on_launch();
    let or_base = |v: Option<bool>, name: &str| v.or_else(|| base.bool_attr(name));
    let mut b = StateBuilder::from_planned(base);
    b.str("id", s.subnet_id())
        .str("arn", s.subnet_arn())
        .str("vpc_id", s.vpc_id())
        .str("owner_id", s.owner_id())
        .str("availability_zone", s.availability_zone())
        .str("availability_zone_id", s.availability_zone_id())
        .str("cidr_block", s.cidr_block())
        .str("ipv6_cidr_block", ipv6.and_then(|a| a.ipv6_cidr_block()))
        .str("ipv6_cidr_block_association_id", ipv6.and_then(|a| a.association_id()))
        .str("outpost_arn", s.outpost_arn().or(base.str_attr("outpost_arn")))
        .str("customer_owned_ipv4_pool", s.customer_owned_ipv4_pool().or(base.str_attr("customer_owned_ipv4_pool")))
        .bool(
            "map_customer_owned_ip_on_launch",
            s.map_customer_owned_ip_on_launch().filter(|m| *m).or_else(|| base.bool_attr("map_customer_owned_ip_on_launch")),
        )
        .bool("map_public_ip_on_launch", or_base(s.map_public_ip_on_launch(), "map_public_ip_on_launch"))
        .bool("assign_ipv6_address_on_creation", or_base(s.assign_ipv6_address_on_creation(), "assign_ipv6_address_on_creation"))
        .bool("enable_dns64", or_base(s.enable_dns64(), "enable_dns64"))
        .bool("ipv6_native", or_base(s.ipv6_native(), "ipv6_native"))
        .bool(
            "enable_resource_name_dns_a_record_on_launch",
            or_base(dns.and_then(|d| d.enable_resource_name_dns_a_record()), "enable_resource_name_dns_a_record_on_launch"),
        )
        .bool(
            "enable_resource_name_dns_aaaa_record_on_launch",
            or_base(dns.and_then(|d| d.enable_resource_name_dns_aaaa_record()), "enable_resource_name_dns_aaaa_record_on_launch"),
        )
        .str(
            "private_dns_hostname_type_on_launch",
            enum_str(dns.and_then(|d| d.hostname_type())).or_else(|| base.string("private_dns_hostname_type_on_launch")),
        )
        .num(
            "enable_lni_at_device_index",
            s.enable_lni_at_device_index().filter(|n| *n > 0).or_else(|| base.i32_attr("enable_lni_at_device_index")),
        );
    set_tags(&mut b, s.tags());
    b.build()
}

/// Bring the launch attributes to the plan, one ModifySubnetAttribute per
/// attribute that differs from `current` (the prior state, or null for a
/// new subnet, whose flags are all off).
async fn modify_attributes(c: &Clients, id: &str, planned: &Value, current: &Value) -> Result<(), ProviderError> {
    let modify = || c.ec2.modify_subnet_attribute().subnet_id(id);
    for name in FLAGS {
        let Some(want) = planned.bool_attr(name) else { continue };
        if current.bool_attr(name).unwrap_or(false) == want {
            continue;
        }
        let call = match name {
            "map_public_ip_on_launch" => modify().map_public_ip_on_launch(flag(want)),
            "assign_ipv6_address_on_creation" => modify().assign_ipv6_address_on_creation(flag(want)),
            "enable_dns64" => modify().enable_dns64(flag(want)),
            "enable_resource_name_dns_a_record_on_launch" => modify().enable_resource_name_dns_a_record_on_launch(flag(want)),
            _ => modify().enable_resource_name_dns_aaaa_record_on_launch(flag(want)),
        };
        call.send().await.map_err(aws_err)?;
    }
    if let Some(want) = planned.str_attr("private_dns_hostname_type_on_launch")
        && current.str_attr("private_dns_hostname_type_on_launch").unwrap_or("ip-name") != want
    {
        modify().private_dns_hostname_type_on_launch(HostnameType::from(want)).send().await.map_err(aws_err)?;
    }
    let coip = |v: &Value| (v.bool_attr("map_customer_owned_ip_on_launch"), v.string("customer_owned_ipv4_pool"));
    // Customer-owned addresses exist on Outposts only: nothing to turn off unless it is on.
    if let (Some(map), pool) = coip(planned)
        && (map || current.bool_attr("map_customer_owned_ip_on_launch") == Some(true))
        && coip(current) != (Some(map), pool.clone())
    {
        modify().map_customer_owned_ip_on_launch(flag(map)).set_customer_owned_ipv4_pool(pool).send().await.map_err(aws_err)?;
    }
    match (planned.i32_attr("enable_lni_at_device_index"), current.i32_attr("enable_lni_at_device_index")) {
        (Some(want), have) if have != Some(want) => {
            modify().enable_lni_at_device_index(want).send().await.map_err(aws_err)?;
        }
        (None, Some(_)) => {
            modify().disable_lni_at_device_index(flag(true)).send().await.map_err(aws_err)?;
        }
        _ => {}
    }
    Ok(())
}

#[async_trait]
impl ResourceType for Subnet {
    fn type_name(&self) -> &'static str {
        "aws_subnet"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        read_each::<Subnet>(c, objects, state).await
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let out = c
            .ec2
            .create_subnet()
            .set_vpc_id(p.string("vpc_id"))
            .set_cidr_block(p.string("cidr_block"))
            .set_availability_zone(p.string("availability_zone"))
            .set_availability_zone_id(p.string("availability_zone_id").filter(|_| p.str_attr("availability_zone").is_none()))
            .set_ipv6_cidr_block(p.string("ipv6_cidr_block"))
            .set_ipv6_native(p.bool_attr("ipv6_native").filter(|b| *b))
            .set_outpost_arn(p.string("outpost_arn"))
            .tag_specifications(tag_spec(c, req, ec2::ResourceType::Subnet))
            .send()
            .await
            .map_err(aws_err)?;
        let id = out.subnet.and_then(|s| s.subnet_id).ok_or_else(|| invalid("CreateSubnet returned no subnet id"))?;
        let what = format!("subnet {id} to become available");
        wait_ready::<Subnet>(c, &id, &what, timeout(req.timeouts.create), |s| Ok(s.state() == Some(&SubnetState::Available))).await?;
        modify_attributes(c, &id, p, &Value::Null).await?;
        let s = describe_one::<Subnet>(c, &id).await?.ok_or_else(|| invalid(format!("subnet {id} disappeared after its creation")))?;
        Ok(state(p, &s))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let (id, prior) = (prior_id(req)?, prior(req)?);
        let p = &req.planned;
        update_tags(c, &id, req).await?;
        if super::changed(req, "ipv6_cidr_block") {
            if let Some(assoc) = prior.str_attr("ipv6_cidr_block_association_id") {
                c.ec2.disassociate_subnet_cidr_block().association_id(assoc).send().await.map_err(aws_err)?;
            }
            if let Some(block) = p.str_attr("ipv6_cidr_block") {
                c.ec2.associate_subnet_cidr_block().subnet_id(&id).ipv6_cidr_block(block).send().await.map_err(aws_err)?;
            }
        }
        modify_attributes(c, &id, p, prior).await?;
        let s = describe_one::<Subnet>(c, &id).await?.ok_or_else(|| invalid(format!("subnet {id} disappeared during the update")))?;
        Ok(state(p, &s))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let id = prior_id(req)?;
        retry_dependency(timeout(req.timeouts.delete), || async {
            c.ec2.delete_subnet().subnet_id(&id).send().await.map(|_| ()).map_err(aws_err)
        })
        .await
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(find_intent::<Subnet>(c, token).await?.map(|s| state(planned, &s)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        Ok(describe_one::<Subnet>(c, id).await?.map(|s| state(&blank("aws_subnet"), &s)))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        list_all::<Subnet>(c).await
    }
}
