//! Data sources: aws_ami, aws_availability_zones, aws_caller_identity,
//! aws_partition, aws_iam_policy (with the IAM code),
//! aws_region, aws_vpc, aws_subnets and aws_subnet.
//!
//! Each returns a map holding every attribute and block of the data
//! source's schema: the arguments as configured, the rest from the API.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, Image, Subnet, Vpc, VpcAttributeName};
use strata_core::Value;
use strata_provider::ProviderError;

use super::compute::partition;
use crate::clients::Clients;
use crate::ec2kit::{all_pages, filter, tag_map};
use crate::util::{Attrs, StateBuilder, aws_err, invalid};

/// Read a data source of type `ty` with its arguments.
pub async fn read_data(c: &Clients, ty: &str, config: &Value) -> Result<Value, ProviderError> {
    let mut b = echo(ty, config)?;
    match ty {
        "aws_ami" => ami(c, config, &mut b).await?,
        "aws_availability_zones" => availability_zones(c, config, &mut b).await?,
        "aws_caller_identity" => caller_identity(c, &mut b).await?,
        "aws_region" => region(c, config, &mut b),
        "aws_vpc" => vpc(c, config, &mut b).await?,
        "aws_subnets" => subnets(c, config, &mut b).await?,
        "aws_subnet" => subnet(c, config, &mut b).await?,
        "aws_iam_policy" => super::iam::policy_data(c, config, &mut b).await?,
        "aws_partition" => {
            let (partition, dns_suffix, reverse_dns_prefix) = super::iam::partition(&c.region);
            b.str("id", Some(partition))
                .str("partition", Some(partition))
                .str("dns_suffix", Some(dns_suffix))
                .str("reverse_dns_prefix", Some(reverse_dns_prefix));
        }
        _ => return Err(invalid(format!("data source {ty} is not supported yet"))),
    }
    Ok(b.build())
}

/// The configured arguments, with every other attribute null and every
/// other block empty.
fn echo(ty: &str, config: &Value) -> Result<StateBuilder, ProviderError> {
    let schema = strata_provider::aws::schema().data_source(ty).ok_or_else(|| invalid(format!("unknown data source {ty}")))?;
    let given = config.peel().as_map();
    let value = |name: &str| given.and_then(|m| m.get(name)).filter(|v| !v.is_null() && v.is_wholly_known()).cloned();
    let mut m = BTreeMap::new();
    for name in schema.block.attributes.keys() {
        m.insert(name.clone(), value(name).unwrap_or(Value::Null));
    }
    for name in schema.block.blocks.keys() {
        m.insert(name.clone(), value(name).unwrap_or(Value::List(Vec::new().into())));
    }
    Ok(StateBuilder::from_planned(&Value::Map(m.into())))
}

/// The `filter { name values }` blocks as EC2 filters.
fn filters(config: &Value) -> Vec<Filter> {
    config.blocks("filter").into_iter().filter_map(|f| Some(filter(f.str_attr("name")?, f.str_list("values")))).collect()
}

/// `tags = { K = V }` as `tag:K` filters.
fn tag_filters(config: &Value) -> Vec<Filter> {
    config.str_map("tags").into_iter().map(|(k, v)| filter(&format!("tag:{k}"), [v])).collect()
}

fn string_map(m: &BTreeMap<String, String>) -> Value {
    Value::Map(m.iter().map(|(k, v)| (k.clone(), Value::string(v))).collect())
}

fn opt_str(v: Option<&str>) -> Value {
    v.map_or(Value::Null, Value::string)
}

// ---------------------------------------------------------------------------
// aws_ami.

async fn ami(c: &Clients, config: &Value, b: &mut StateBuilder) -> Result<(), ProviderError> {
    let owners = config.str_list("owners");
    let users = config.str_list("executable_users");
    let pages = c
        .ec2
        .describe_images()
        .set_owners((!owners.is_empty()).then(|| owners.clone()))
        .set_executable_users((!users.is_empty()).then(|| users.clone()))
        .set_filters(Some(filters(config)).filter(|f| !f.is_empty()))
        .set_include_deprecated(config.bool_attr("include_deprecated"))
        .into_paginator()
        .send();
    let (mut images, _) = all_pages!(pages, |page| page.images.unwrap_or_default())?;
    if let Some(src) = config.str_attr("name_regex") {
        let re = name_regex(src).map_err(|e| invalid(format!("name_regex {src:?} is not a valid regular expression: {e}")))?;
        images.retain(|i| i.name().is_some_and(|n| re.is_match(n)));
    }
    if images.is_empty() {
        return Err(invalid("your query returned no results; change the search criteria (owners, filter, name_regex) and try again"));
    }
    if images.len() > 1 && config.bool_attr("most_recent") != Some(true) {
        return Err(invalid(format!(
            "your query returned {} results; use a more specific search or set `most_recent = true`",
            images.len()
        )));
    }
    // The newest image: creation dates are ISO 8601 and compare as strings.
    let Some(image) = images.iter().max_by(|a, b| a.creation_date().cmp(&b.creation_date())) else { return Ok(()) };
    fill_image(c, image, b);
    Ok(())
}

fn fill_image(c: &Clients, i: &Image, b: &mut StateBuilder) {
    let id = i.image_id();
    let mappings: Vec<Value> = i
        .block_device_mappings()
        .iter()
        .map(|m| {
            let ebs = m
                .ebs()
                .map(|e| {
                    let mut fields = BTreeMap::new();
                    let mut put = |k: &str, v: Option<String>| {
                        if let Some(v) = v {
                            fields.insert(k.to_string(), Value::string(v));
                        }
                    };
                    put("delete_on_termination", e.delete_on_termination().map(|v| v.to_string()));
                    put("encrypted", e.encrypted().map(|v| v.to_string()));
                    put("iops", e.iops().map(|v| v.to_string()));
                    put("snapshot_id", e.snapshot_id().map(str::to_string));
                    put("throughput", e.throughput().map(|v| v.to_string()));
                    put("volume_size", e.volume_size().map(|v| v.to_string()));
                    put("volume_type", e.volume_type().map(|v| v.as_str().to_string()));
                    Value::Map(fields.into())
                })
                .unwrap_or_else(|| Value::Map(BTreeMap::new().into()));
            Value::map([
                ("device_name", opt_str(m.device_name())),
                ("ebs", ebs),
                ("no_device", opt_str(m.no_device())),
                ("virtual_name", opt_str(m.virtual_name())),
            ])
        })
        .collect();
    let root_snapshot = i
        .block_device_mappings()
        .iter()
        .find(|m| m.device_name().is_some() && m.device_name() == i.root_device_name())
        .and_then(|m| m.ebs())
        .and_then(|e| e.snapshot_id());
    let codes: Vec<Value> = i
        .product_codes()
        .iter()
        .map(|p| {
            Value::map([
                ("product_code_id", opt_str(p.product_code_id())),
                ("product_code_type", opt_str(p.product_code_type().map(|t| t.as_str()))),
            ])
        })
        .collect();
    let state_reason = i.state_reason().map_or_else(
        || Value::map([("code", Value::string("UNSET")), ("message", Value::string("UNSET"))]),
        |r| Value::map([("code", opt_str(r.code())), ("message", opt_str(r.message()))]),
    );
    b.str("id", id)
        .str("image_id", id)
        .str("arn", id.map(|id| format!("arn:{}:ec2:{}::image/{id}", partition(&c.region), c.region)))
        .str("architecture", i.architecture().map(|a| a.as_str()))
        .set("block_device_mappings", Value::set(mappings))
        .str("boot_mode", i.boot_mode().map(|m| m.as_str()))
        .str("creation_date", i.creation_date())
        .str("deprecation_time", i.deprecation_time())
        .str("description", i.description())
        .bool("ena_support", i.ena_support())
        .str("hypervisor", i.hypervisor().map(|h| h.as_str()))
        .str("image_location", i.image_location())
        .str("image_owner_alias", i.image_owner_alias())
        .str("image_type", i.image_type().map(|t| t.as_str()))
        .str("imds_support", i.imds_support().map(|s| s.as_str()))
        .str("kernel_id", i.kernel_id())
        .str("last_launched_time", i.last_launched_time())
        .str("name", i.name())
        .str("owner_id", i.owner_id())
        .str("platform", i.platform().map(|p| p.as_str()))
        .str("platform_details", i.platform_details())
        .set("product_codes", Value::set(codes))
        .bool("public", i.public())
        .str("ramdisk_id", i.ramdisk_id())
        .str("root_device_name", i.root_device_name())
        .str("root_device_type", i.root_device_type().map(|t| t.as_str()))
        .str("root_snapshot_id", root_snapshot)
        .str("sriov_net_support", i.sriov_net_support())
        .str("state", i.state().map(|s| s.as_str()))
        .set("state_reason", state_reason)
        .set("tags", string_map(&tag_map(i.tags())))
        .str("tpm_support", i.tpm_support().map(|t| t.as_str()))
        .str("usage_operation", i.usage_operation())
        .str("virtualization_type", i.virtualization_type().map(|v| v.as_str()));
}

// ---------------------------------------------------------------------------
// aws_availability_zones, aws_caller_identity, aws_region.

async fn availability_zones(c: &Clients, config: &Value, b: &mut StateBuilder) -> Result<(), ProviderError> {
    let mut fs = filters(config);
    if let Some(state) = config.str_attr("state") {
        fs.push(filter("state", [state]));
    }
    let r = c
        .ec2
        .describe_availability_zones()
        .set_all_availability_zones(config.bool_attr("all_availability_zones"))
        .set_filters(Some(fs).filter(|f| !f.is_empty()))
        .send()
        .await
        .map_err(aws_err)?;
    let (exclude_names, exclude_ids) = (config.str_list("exclude_names"), config.str_list("exclude_zone_ids"));
    let mut zones: Vec<_> = r
        .availability_zones()
        .iter()
        .filter(|z| !z.zone_name().is_some_and(|n| exclude_names.iter().any(|e| e == n)))
        .filter(|z| !z.zone_id().is_some_and(|n| exclude_ids.iter().any(|e| e == n)))
        .collect();
    zones.sort_by(|a, b| a.zone_name().cmp(&b.zone_name()));
    b.str("id", Some(c.region.as_str()))
        .strs("names", zones.iter().filter_map(|z| z.zone_name()))
        .strs("zone_ids", zones.iter().filter_map(|z| z.zone_id()))
        .set("group_names", Value::set(zones.iter().filter_map(|z| z.group_name()).map(Value::string).collect()));
    Ok(())
}

async fn caller_identity(c: &Clients, b: &mut StateBuilder) -> Result<(), ProviderError> {
    let r = c.sts.get_caller_identity().send().await.map_err(aws_err)?;
    b.str("id", r.account()).str("account_id", r.account()).str("arn", r.arn()).str("user_id", r.user_id());
    Ok(())
}

/// Region names and their descriptions, as the AWS console shows them.
const REGIONS: &[(&str, &str)] = &[
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "Asia Pacific (Hyderabad)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)"),
    ("ca-central-1", "Canada (Central)"),
    ("ca-west-1", "Canada West (Calgary)"),
    ("cn-north-1", "China (Beijing)"),
    ("cn-northwest-1", "China (Ningxia)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("il-central-1", "Israel (Tel Aviv)"),
    ("me-central-1", "Middle East (UAE)"),
    ("me-south-1", "Middle East (Bahrain)"),
    ("sa-east-1", "South America (Sao Paulo)"),
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-gov-east-1", "AWS GovCloud (US-East)"),
    ("us-gov-west-1", "AWS GovCloud (US-West)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
];

fn region(c: &Clients, config: &Value, b: &mut StateBuilder) {
    let name = config.str_attr("name").unwrap_or(&c.region);
    let suffix = if name.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
    b.str("id", Some(name))
        .str("name", Some(name))
        .str("description", REGIONS.iter().find(|(n, _)| *n == name).map(|(_, d)| *d))
        .str("endpoint", Some(config.string("endpoint").unwrap_or_else(|| format!("ec2.{name}.{suffix}"))));
}

// ---------------------------------------------------------------------------
// aws_vpc, aws_subnets, aws_subnet.

/// Exactly one match, or an error naming what was looked for.
fn single<T>(mut found: Vec<T>, what: &str) -> Result<T, ProviderError> {
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(invalid(format!("no matching {what} found"))),
        n => Err(invalid(format!("{n} {what}s matched; use additional constraints to reduce matches to a single {what}"))),
    }
}

async fn vpc(c: &Clients, config: &Value, b: &mut StateBuilder) -> Result<(), ProviderError> {
    let mut fs = filters(config);
    fs.extend(tag_filters(config));
    for (arg, name) in [("id", "vpc-id"), ("cidr_block", "cidr"), ("dhcp_options_id", "dhcp-options-id"), ("state", "state")] {
        if let Some(v) = config.str_attr(arg) {
            fs.push(filter(name, [v]));
        }
    }
    if let Some(d) = config.bool_attr("default") {
        fs.push(filter("is-default", [d.to_string()]));
    }
    let r = c.ec2.describe_vpcs().set_filters(Some(fs).filter(|f| !f.is_empty())).send().await.map_err(aws_err)?;
    let v: Vpc = single(r.vpcs().to_vec(), "EC2 VPC")?;
    let id = v.vpc_id().unwrap_or_default().to_string();
    let attribute = |name: VpcAttributeName| {
        let id = id.clone();
        async move {
            let r = c.ec2.describe_vpc_attribute().vpc_id(id).attribute(name.clone()).send().await.map_err(aws_err)?;
            let value = match name {
                VpcAttributeName::EnableDnsHostnames => r.enable_dns_hostnames(),
                VpcAttributeName::EnableDnsSupport => r.enable_dns_support(),
                _ => r.enable_network_address_usage_metrics(),
            };
            Ok::<_, ProviderError>(value.and_then(|a| a.value()))
        }
    };
    let main_table = c
        .ec2
        .describe_route_tables()
        .filters(filter("vpc-id", [id.as_str()]))
        .filters(filter("association.main", ["true"]))
        .send()
        .await
        .map_err(aws_err)?;
    let ipv6 = v.ipv6_cidr_block_association_set().first();
    let associations: Vec<Value> = v
        .cidr_block_association_set()
        .iter()
        .map(|a| {
            Value::map([
                ("association_id", opt_str(a.association_id())),
                ("cidr_block", opt_str(a.cidr_block())),
                ("state", opt_str(a.cidr_block_state().and_then(|s| s.state()).map(|s| s.as_str()))),
            ])
        })
        .collect();
    b.str("id", Some(id.as_str()))
        .str("arn", v.owner_id().map(|o| format!("arn:{}:ec2:{}:{o}:vpc/{id}", partition(&c.region), c.region)))
        .str("cidr_block", v.cidr_block())
        .set("cidr_block_associations", Value::List(associations.into()))
        .bool("default", v.is_default())
        .str("dhcp_options_id", v.dhcp_options_id())
        .bool("enable_dns_hostnames", attribute(VpcAttributeName::EnableDnsHostnames).await?)
        .bool("enable_dns_support", attribute(VpcAttributeName::EnableDnsSupport).await?)
        .bool("enable_network_address_usage_metrics", attribute(VpcAttributeName::EnableNetworkAddressUsageMetrics).await?)
        .str("instance_tenancy", v.instance_tenancy().map(|t| t.as_str()))
        .str("ipv6_association_id", ipv6.and_then(|a| a.association_id()))
        .str("ipv6_cidr_block", ipv6.and_then(|a| a.ipv6_cidr_block()))
        .str("main_route_table_id", main_table.route_tables().first().and_then(|t| t.route_table_id()))
        .str("owner_id", v.owner_id())
        .str("state", v.state().map(|s| s.as_str()))
        .set("tags", string_map(&tag_map(v.tags())));
    Ok(())
}

async fn describe_subnets(c: &Clients, fs: Vec<Filter>) -> Result<Vec<Subnet>, ProviderError> {
    let pages = c.ec2.describe_subnets().set_filters(Some(fs).filter(|f| !f.is_empty())).into_paginator().send();
    Ok(all_pages!(pages, |page| page.subnets.unwrap_or_default())?.0)
}

async fn subnets(c: &Clients, config: &Value, b: &mut StateBuilder) -> Result<(), ProviderError> {
    let mut fs = filters(config);
    fs.extend(tag_filters(config));
    let found = describe_subnets(c, fs).await?;
    b.str("id", Some(c.region.as_str())).strs("ids", found.iter().filter_map(|s| s.subnet_id()));
    Ok(())
}

async fn subnet(c: &Clients, config: &Value, b: &mut StateBuilder) -> Result<(), ProviderError> {
    let mut fs = filters(config);
    fs.extend(tag_filters(config));
    let args = [
        ("id", "subnet-id"),
        ("vpc_id", "vpc-id"),
        ("availability_zone", "availability-zone"),
        ("availability_zone_id", "availability-zone-id"),
        ("cidr_block", "cidr-block"),
        ("ipv6_cidr_block", "ipv6-cidr-block-association.ipv6-cidr-block"),
        ("state", "state"),
    ];
    for (arg, name) in args {
        if let Some(v) = config.str_attr(arg) {
            fs.push(filter(name, [v]));
        }
    }
    if let Some(d) = config.bool_attr("default_for_az") {
        fs.push(filter("default-for-az", [d.to_string()]));
    }
    let s = single(describe_subnets(c, fs).await?, "EC2 subnet")?;
    let ipv6 = s.ipv6_cidr_block_association_set().first();
    let dns = s.private_dns_name_options_on_launch();
    b.str("id", s.subnet_id())
        .str("arn", s.subnet_arn())
        .bool("assign_ipv6_address_on_creation", s.assign_ipv6_address_on_creation())
        .str("availability_zone", s.availability_zone())
        .str("availability_zone_id", s.availability_zone_id())
        .num("available_ip_address_count", s.available_ip_address_count())
        .str("cidr_block", s.cidr_block())
        .str("customer_owned_ipv4_pool", s.customer_owned_ipv4_pool())
        .bool("default_for_az", s.default_for_az())
        .bool("enable_dns64", s.enable_dns64())
        .num("enable_lni_at_device_index", s.enable_lni_at_device_index())
        .bool("enable_resource_name_dns_a_record_on_launch", dns.and_then(|d| d.enable_resource_name_dns_a_record()))
        .bool("enable_resource_name_dns_aaaa_record_on_launch", dns.and_then(|d| d.enable_resource_name_dns_aaaa_record()))
        .str("ipv6_cidr_block", ipv6.and_then(|a| a.ipv6_cidr_block()))
        .str("ipv6_cidr_block_association_id", ipv6.and_then(|a| a.association_id()))
        .bool("ipv6_native", s.ipv6_native())
        .bool("map_customer_owned_ip_on_launch", s.map_customer_owned_ip_on_launch())
        .bool("map_public_ip_on_launch", s.map_public_ip_on_launch())
        .str("outpost_arn", s.outpost_arn())
        .str("owner_id", s.owner_id())
        .str("private_dns_hostname_type_on_launch", dns.and_then(|d| d.hostname_type()).map(|h| h.as_str()))
        .str("state", s.state().map(|st| st.as_str()))
        .set("tags", string_map(&tag_map(s.tags())))
        .str("vpc_id", s.vpc_id());
    Ok(())
}

/// `name_regex` as the provider reads it (Go's `regexp`, RE2 syntax: an
/// unanchored search), with a size limit so that a pattern cannot take
/// unbounded memory to compile.
fn name_regex(src: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(src).size_limit(1 << 20).build().map_err(|e| e.to_string())
}

#[cfg(test)]
mod name_regex_tests {
    use super::name_regex;

    fn m(re: &str, s: &str) -> bool {
        name_regex(re).unwrap().is_match(s)
    }

    #[test]
    fn matches_like_go_regexp() {
        assert!(m("^amzn2-ami-hvm-.*-x86_64-gp2$", "amzn2-ami-hvm-2.0.2023-x86_64-gp2"));
        assert!(!m("^amzn2-ami-hvm-.*-x86_64-gp2$", "amzn2-ami-hvm-2.0.2023-arm64-gp2"));
        assert!(m("ubuntu-jammy-22\\.04-amd64-server-\\d+$", "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240101"));
        assert!(!m("22\\.04", "22x04"));
        assert!(m("gp2", "amzn-gp2-x"), "unanchored search");
        assert!(m("^(al2023|amzn2)-ami-[a-z]+", "al2023-ami-minimal"));
        assert!(m("(?i)^AL2023", "al2023-ami"), "flags, as in Go");
        let long = format!("{}b", "a".repeat(5000));
        assert!(!m("^(a|aa)*(a*)*c$", &long), "no exponential backtracking");
        for bad in ["(", "a)", "[a", "*a", "a{3,1}", "\\q", "((a{1000}){1000}){1000}"] {
            assert!(name_regex(bad).is_err(), "{bad}");
        }
    }
}
