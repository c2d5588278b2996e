//! `aws_vpc`.
//!
//! In place: tags, the DNS and address-usage-metrics attributes
//! (ModifyVpcAttribute), `instance_tenancy` (ModifyVpcTenancy: only back to
//! `default`, as AWS allows) and `assign_generated_ipv6_cidr_block`
//! (Associate/DisassociateVpcCidrBlock). The batched `read` makes one
//! DescribeVpcs call per page, so the attributes DescribeVpcs does not
//! report (the DNS settings, the main route table, the default security
//! group and network ACL) keep their recorded values there; create,
//! update, import and crash recovery look them up.

use async_trait::async_trait;
use aws_sdk_ec2::types::{self as ec2, Filter, Tag, Tenancy, VpcAttributeName, VpcCidrBlockStateCode, VpcState};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{
    Ec2Kind, all_pages, arn, blank, describe_one, enum_str, filter, find_intent, flag, list_all, prior, prior_id, read_each,
    retry_dependency, set_tags, tag_spec, timeout, update_tags, wait_ready,
};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, invalid};

pub struct Vpc;

impl Ec2Kind for Vpc {
    type Obj = ec2::Vpc;
    const ID_FILTER: &'static str = "vpc-id";

    async fn describe(c: &Clients, filters: Vec<Filter>) -> Result<(Vec<ec2::Vpc>, usize), ProviderError> {
        all_pages!(c.ec2.describe_vpcs().set_filters(Some(filters)).into_paginator().send(), |page| page.vpcs.unwrap_or_default())
    }

    fn id(o: &ec2::Vpc) -> Option<&str> {
        o.vpc_id()
    }

    fn made_by_aws(o: &ec2::Vpc) -> bool {
        o.is_default() == Some(true)
    }

    fn tags(o: &ec2::Vpc) -> &[Tag] {
        o.tags()
    }
}

/// What DescribeVpcs reports, over `base` (the plan, or the prior state).
fn state(c: &Clients, base: &Value, v: &ec2::Vpc) -> Value {
    let id = v.vpc_id().unwrap_or_default();
    let ipv6 = v
        .ipv6_cidr_block_association_set()
        .iter()
        .find(|a| a.ipv6_cidr_block_state().and_then(|s| s.state()) == Some(&VpcCidrBlockStateCode::Associated));
    let mut b = StateBuilder::from_planned(base);
    b.str("id", Some(id))
        .str("arn", Some(arn(c, v.owner_id().unwrap_or_default(), &format!("vpc/{id}"))))
        .str("cidr_block", v.cidr_block())
        .str("dhcp_options_id", v.dhcp_options_id())
        .str("owner_id", v.owner_id())
        .str("instance_tenancy", enum_str(v.instance_tenancy()).or_else(|| base.string("instance_tenancy")))
        .str("ipv6_association_id", ipv6.and_then(|a| a.association_id()))
        .str("ipv6_cidr_block", ipv6.and_then(|a| a.ipv6_cidr_block()))
        .str("ipv6_cidr_block_network_border_group", ipv6.and_then(|a| a.network_border_group()));
    set_tags(&mut b, v.tags());
    b.build()
}

/// The state with what DescribeVpcs does not report: three attribute calls
/// and the VPC's main route table, default security group and network ACL.
async fn full_state(c: &Clients, base: &Value, v: &ec2::Vpc) -> Result<Value, ProviderError> {
    let id = v.vpc_id().unwrap_or_default();
    let attr = |name: VpcAttributeName| {
        let call = c.ec2.describe_vpc_attribute().vpc_id(id).attribute(name);
        async move { call.send().await.map_err(aws_err) }
    };
    let dns_support = attr(VpcAttributeName::EnableDnsSupport).await?.enable_dns_support.and_then(|a| a.value);
    let dns_hostnames = attr(VpcAttributeName::EnableDnsHostnames).await?.enable_dns_hostnames.and_then(|a| a.value);
    let metrics =
        attr(VpcAttributeName::EnableNetworkAddressUsageMetrics).await?.enable_network_address_usage_metrics.and_then(|a| a.value);

    let main_rtb = c
        .ec2
        .describe_route_tables()
        .filters(filter("vpc-id", [id]))
        .filters(filter("association.main", ["true"]))
        .send()
        .await
        .map_err(aws_err)?
        .route_tables
        .unwrap_or_default()
        .into_iter()
        .find_map(|t| t.route_table_id);
    let default_sg = c
        .ec2
        .describe_security_groups()
        .filters(filter("vpc-id", [id]))
        .filters(filter("group-name", ["default"]))
        .send()
        .await
        .map_err(aws_err)?
        .security_groups
        .unwrap_or_default()
        .into_iter()
        .find_map(|g| g.group_id);
    let default_acl = c
        .ec2
        .describe_network_acls()
        .filters(filter("vpc-id", [id]))
        .filters(filter("default", ["true"]))
        .send()
        .await
        .map_err(aws_err)?
        .network_acls
        .unwrap_or_default()
        .into_iter()
        .find_map(|a| a.network_acl_id);

    let mut b = StateBuilder::from_planned(&state(c, base, v));
    b.bool("enable_dns_support", dns_support.or_else(|| base.bool_attr("enable_dns_support")))
        .bool("enable_dns_hostnames", dns_hostnames.or_else(|| base.bool_attr("enable_dns_hostnames")))
        .bool("enable_network_address_usage_metrics", metrics.or_else(|| base.bool_attr("enable_network_address_usage_metrics")))
        .str("main_route_table_id", main_rtb.clone())
        .str("default_route_table_id", main_rtb)
        .str("default_security_group_id", default_sg)
        .str("default_network_acl_id", default_acl);
    Ok(b.build())
}

/// Set the attributes ModifyVpcAttribute changes (one per call), where the
/// planned value differs from `current` (the prior state, or AWS's defaults
/// for a new VPC).
async fn modify_attributes(c: &Clients, id: &str, planned: &Value, current: &Value) -> Result<(), ProviderError> {
    for name in ["enable_dns_support", "enable_dns_hostnames", "enable_network_address_usage_metrics"] {
        let Some(want) = planned.bool_attr(name) else { continue };
        if current.bool_attr(name) == Some(want) {
            continue;
        }
        let call = c.ec2.modify_vpc_attribute().vpc_id(id);
        let call = match name {
            "enable_dns_support" => call.enable_dns_support(flag(want)),
            "enable_dns_hostnames" => call.enable_dns_hostnames(flag(want)),
            _ => call.enable_network_address_usage_metrics(flag(want)),
        };
        call.send().await.map_err(aws_err)?;
    }
    Ok(())
}

async fn wait_available(c: &Clients, id: &str, req: &ApplyRequest) -> Result<ec2::Vpc, ProviderError> {
    wait_ready::<Vpc>(c, id, &format!("VPC {id} to become available"), timeout(req.timeouts.create), |v| {
        Ok(v.state() == Some(&VpcState::Available))
    })
    .await
}

#[async_trait]
impl ResourceType for Vpc {
    fn type_name(&self) -> &'static str {
        "aws_vpc"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        read_each::<Vpc>(c, objects, |prior, v| state(c, prior, v)).await
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let out = c
            .ec2
            .create_vpc()
            .set_cidr_block(p.string("cidr_block"))
            .set_instance_tenancy(p.str_attr("instance_tenancy").map(Tenancy::from))
            .set_ipv4_ipam_pool_id(p.string("ipv4_ipam_pool_id"))
            .set_ipv4_netmask_length(p.i32_attr("ipv4_netmask_length"))
            .set_ipv6_ipam_pool_id(p.string("ipv6_ipam_pool_id"))
            .set_ipv6_netmask_length(p.i32_attr("ipv6_netmask_length"))
            .set_ipv6_cidr_block(p.string("ipv6_ipam_pool_id").and(p.string("ipv6_cidr_block")))
            .set_ipv6_cidr_block_network_border_group(p.string("ipv6_cidr_block_network_border_group"))
            .set_amazon_provided_ipv6_cidr_block(p.bool_attr("assign_generated_ipv6_cidr_block").filter(|b| *b))
            .tag_specifications(tag_spec(c, req, ec2::ResourceType::Vpc))
            .send()
            .await
            .map_err(aws_err)?;
        let id = out.vpc.and_then(|v| v.vpc_id).ok_or_else(|| invalid("CreateVpc returned no VPC id"))?;
        wait_available(c, &id, req).await?;
        // A new VPC has DNS support on, DNS hostnames and metrics off.
        let defaults = Value::map([
            ("enable_dns_support", Value::Bool(true)),
            ("enable_dns_hostnames", Value::Bool(false)),
            ("enable_network_address_usage_metrics", Value::Bool(false)),
        ]);
        modify_attributes(c, &id, p, &defaults).await?;
        let v = wait_available(c, &id, req).await?;
        full_state(c, p, &v).await
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let (id, prior) = (prior_id(req)?, prior(req)?);
        let p = &req.planned;
        update_tags(c, &id, req).await?;
        modify_attributes(c, &id, p, prior).await?;
        if super::changed(req, "instance_tenancy") {
            let tenancy = p.str_attr("instance_tenancy").unwrap_or("default");
            c.ec2.modify_vpc_tenancy().vpc_id(&id).instance_tenancy(tenancy.into()).send().await.map_err(aws_err)?;
        }
        if super::changed(req, "assign_generated_ipv6_cidr_block") {
            if p.bool_attr("assign_generated_ipv6_cidr_block") == Some(true) {
                c.ec2.associate_vpc_cidr_block().vpc_id(&id).amazon_provided_ipv6_cidr_block(true).send().await.map_err(aws_err)?;
            } else if let Some(assoc) = prior.str_attr("ipv6_association_id") {
                c.ec2.disassociate_vpc_cidr_block().association_id(assoc).send().await.map_err(aws_err)?;
            }
        }
        let v = describe_one::<Vpc>(c, &id).await?.ok_or_else(|| invalid(format!("VPC {id} disappeared during the update")))?;
        full_state(c, p, &v).await
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let id = prior_id(req)?;
        retry_dependency(timeout(req.timeouts.delete), || async {
            c.ec2.delete_vpc().vpc_id(&id).send().await.map(|_| ()).map_err(aws_err)
        })
        .await
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        match find_intent::<Vpc>(c, token).await? {
            Some(v) => full_state(c, planned, &v).await.map(Some),
            None => Ok(None),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        match describe_one::<Vpc>(c, id).await? {
            Some(v) => full_state(c, &blank("aws_vpc"), &v).await.map(Some),
            None => Ok(None),
        }
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        list_all::<Vpc>(c).await
    }
}
