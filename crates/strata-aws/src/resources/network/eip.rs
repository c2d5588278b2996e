//! `aws_eip`: an Elastic IP address in a VPC; its id is the allocation id.
//!
//! In place: tags and the association (`instance`, `network_interface`,
//! `associate_with_private_ip`: DisassociateAddress, then AssociateAddress).
//! Delete disassociates, then releases. DescribeAddresses has no pages, so
//! the batched `read` is one call; the ARN (which needs the account id)
//! keeps its recorded value there.

use async_trait::async_trait;
use aws_sdk_ec2::types::{self as ec2, DomainType, Filter, Tag};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::{
    Ec2Kind, account_id, arn, blank, describe_one, enum_str, find_intent, gone_ok, list_all, nonempty, prior, prior_id, read_each,
    set_tags, tag_spec, update_tags,
};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, invalid};

pub struct Eip;

impl Ec2Kind for Eip {
    type Obj = ec2::Address;
    const ID_FILTER: &'static str = "allocation-id";

    async fn describe(c: &Clients, filters: Vec<Filter>) -> Result<(Vec<ec2::Address>, usize), ProviderError> {
        let out = c.ec2.describe_addresses().set_filters(Some(filters)).send().await.map_err(aws_err)?;
        Ok((out.addresses.unwrap_or_default(), 1))
    }

    fn id(o: &ec2::Address) -> Option<&str> {
        o.allocation_id()
    }

    fn tags(o: &ec2::Address) -> &[Tag] {
        o.tags()
    }
}

/// EC2's DNS names for an address, as Terraform computes them.
fn dns_names(region: &str, public: Option<&str>, private: Option<&str>) -> (Option<String>, Option<String>) {
    let dashed = |ip: &str| ip.replace('.', "-");
    let public = public.map(|ip| match region {
        "us-east-1" => format!("ec2-{}.compute-1.amazonaws.com", dashed(ip)),
        r => format!("ec2-{}.{r}.compute.amazonaws.com", dashed(ip)),
    });
    let private = private.map(|ip| match region {
        "us-east-1" => format!("ip-{}.ec2.internal", dashed(ip)),
        r => format!("ip-{}.{r}.compute.internal", dashed(ip)),
    });
    (public, private)
}

/// The state; `account` (for the ARN) when known, else the base's ARN stays.
fn state(c: &Clients, base: &Value, a: &ec2::Address, account: Option<&str>) -> Value {
    let id = a.allocation_id().unwrap_or_default();
    let (public_dns, private_dns) = dns_names(&c.region, nonempty(a.public_ip()), nonempty(a.private_ip_address()));
    let mut b = StateBuilder::from_planned(base);
    b.str("id", Some(id))
        .str("allocation_id", Some(id))
        .str("association_id", nonempty(a.association_id()))
        .str("domain", enum_str(a.domain()))
        .bool("vpc", Some(a.domain() == Some(&DomainType::Vpc)))
        .str("instance", nonempty(a.instance_id()))
        .str("network_interface", nonempty(a.network_interface_id()))
        .str("private_ip", nonempty(a.private_ip_address()))
        .str("public_ip", nonempty(a.public_ip()))
        .str("public_dns", public_dns)
        .str("private_dns", private_dns)
        .str("public_ipv4_pool", a.public_ipv4_pool().or(base.str_attr("public_ipv4_pool")))
        .str("network_border_group", a.network_border_group().or(base.str_attr("network_border_group")))
        .str("customer_owned_ip", nonempty(a.customer_owned_ip()))
        .str("customer_owned_ipv4_pool", a.customer_owned_ipv4_pool().or(base.str_attr("customer_owned_ipv4_pool")))
        .str("carrier_ip", nonempty(a.carrier_ip()));
    if let Some(account) = account {
        b.str("arn", Some(arn(c, account, &format!("elastic-ip/{id}"))));
    }
    set_tags(&mut b, a.tags());
    b.build()
}

/// Associate the address with the planned instance or network interface, if any.
async fn associate(c: &Clients, id: &str, p: &Value) -> Result<(), ProviderError> {
    let (instance, eni) = (p.string("instance"), p.string("network_interface"));
    if instance.is_none() && eni.is_none() {
        return Ok(());
    }
    c.ec2
        .associate_address()
        .allocation_id(id)
        .set_instance_id(instance.filter(|_| eni.is_none()))
        .set_network_interface_id(eni)
        .set_private_ip_address(p.string("associate_with_private_ip"))
        .send()
        .await
        .map_err(aws_err)?;
    Ok(())
}

async fn disassociate(c: &Clients, association: &str) -> Result<(), ProviderError> {
    gone_ok(c.ec2.disassociate_address().association_id(association).send().await.map(|_| ()).map_err(aws_err))
}

async fn full_state(c: &Clients, base: &Value, id: &str) -> Result<Value, ProviderError> {
    let a = describe_one::<Eip>(c, id).await?.ok_or_else(|| invalid(format!("Elastic IP {id} does not exist")))?;
    Ok(state(c, base, &a, Some(&account_id(c).await?)))
}

#[async_trait]
impl ResourceType for Eip {
    fn type_name(&self) -> &'static str {
        "aws_eip"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        read_each::<Eip>(c, objects, |prior, a| state(c, prior, a, None)).await
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let domain = match (p.str_attr("domain"), p.bool_attr("vpc")) {
            (Some(d), _) => DomainType::from(d),
            (None, Some(false)) => DomainType::Standard,
            _ => DomainType::Vpc,
        };
        let out = c
            .ec2
            .allocate_address()
            .domain(domain)
            .set_address(p.string("address"))
            .set_public_ipv4_pool(p.string("public_ipv4_pool"))
            .set_network_border_group(p.string("network_border_group"))
            .set_customer_owned_ipv4_pool(p.string("customer_owned_ipv4_pool"))
            .set_ipam_pool_id(p.string("ipam_pool_id"))
            .tag_specifications(tag_spec(c, req, ec2::ResourceType::ElasticIp))
            .send()
            .await
            .map_err(aws_err)?;
        let id = out.allocation_id.ok_or_else(|| invalid("AllocateAddress returned no allocation id"))?;
        associate(c, &id, p).await?;
        full_state(c, p, &id).await
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let id = prior_id(req)?;
        update_tags(c, &id, req).await?;
        if ["instance", "network_interface", "associate_with_private_ip"].iter().any(|a| super::changed(req, a)) {
            if let Some(association) = prior(req)?.str_attr("association_id") {
                disassociate(c, association).await?;
            }
            associate(c, &id, &req.planned).await?;
        }
        full_state(c, &req.planned, &id).await
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let id = prior_id(req)?;
        let Some(a) = describe_one::<Eip>(c, &id).await? else { return Ok(()) };
        if let Some(association) = nonempty(a.association_id()) {
            disassociate(c, association).await?;
        }
        gone_ok(c.ec2.release_address().allocation_id(&id).send().await.map(|_| ()).map_err(aws_err))
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        match find_intent::<Eip>(c, token).await? {
            Some(a) => Ok(Some(state(c, planned, &a, Some(&account_id(c).await?)))),
            None => Ok(None),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        match describe_one::<Eip>(c, id).await? {
            Some(a) => Ok(Some(state(c, &blank("aws_eip"), &a, Some(&account_id(c).await?)))),
            None => Ok(None),
        }
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        list_all::<Eip>(c).await
    }
}
