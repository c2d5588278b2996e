//! Layer 1: VPC networking (VPCs, subnets, security groups, gateways, routes,
//! addresses).

use strata_core::Layer;

use super::{BOOL, NUMBER, STRING, string_list, string_set, timeouts};
use crate::schema::{BlockSchema, NestedBlock, PriceModel, ResourceSchema, computed, optional, optional_computed, required};

pub(super) fn resources() -> Vec<ResourceSchema> {
    vec![
        vpc(),
        subnet(),
        security_group(),
        security_group_rule(),
        internet_gateway(),
        route_table(),
        route(),
        route_table_association(),
        eip(),
        nat_gateway(),
    ]
}

fn vpc() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("assign_generated_ipv6_cidr_block", optional(BOOL))
        .attr("cidr_block", optional_computed(STRING).force_new())
        .attr("default_network_acl_id", computed(STRING))
        .attr("default_route_table_id", computed(STRING))
        .attr("default_security_group_id", computed(STRING))
        .attr("dhcp_options_id", computed(STRING))
        .attr("enable_dns_hostnames", optional_computed(BOOL))
        .attr("enable_dns_support", optional(BOOL).default(true))
        .attr("enable_network_address_usage_metrics", optional_computed(BOOL))
        .attr("instance_tenancy", optional(STRING).default("default"))
        .attr("ipv4_ipam_pool_id", optional(STRING).force_new())
        .attr("ipv4_netmask_length", optional(NUMBER).force_new())
        .attr("ipv6_association_id", computed(STRING))
        .attr("ipv6_cidr_block", optional_computed(STRING))
        .attr("ipv6_cidr_block_network_border_group", optional_computed(STRING))
        .attr("ipv6_ipam_pool_id", optional(STRING))
        .attr("ipv6_netmask_length", optional(NUMBER))
        .attr("main_route_table_id", computed(STRING))
        .attr("owner_id", computed(STRING));
    ResourceSchema::new("aws_vpc", Layer::Infrastructure, block)
        .tagged()
        .free()
        .companion(&["default_security_group_id"], "aws_security_group")
        .companion(&["main_route_table_id"], "aws_route_table")
        .companion(&["default_route_table_id"], "aws_route_table")
}

fn subnet() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("assign_ipv6_address_on_creation", optional(BOOL).default(false))
        .attr("availability_zone", optional_computed(STRING).force_new())
        .attr("availability_zone_id", optional_computed(STRING).force_new())
        .attr("cidr_block", optional_computed(STRING).force_new())
        .attr("customer_owned_ipv4_pool", optional(STRING))
        .attr("enable_dns64", optional(BOOL).default(false))
        .attr("enable_lni_at_device_index", optional(NUMBER))
        .attr("enable_resource_name_dns_a_record_on_launch", optional(BOOL).default(false))
        .attr("enable_resource_name_dns_aaaa_record_on_launch", optional(BOOL).default(false))
        .attr("ipv6_cidr_block", optional_computed(STRING))
        .attr("ipv6_cidr_block_association_id", computed(STRING))
        .attr("ipv6_native", optional(BOOL).force_new().default(false))
        .attr("map_customer_owned_ip_on_launch", optional(BOOL))
        .attr("map_public_ip_on_launch", optional(BOOL).default(false))
        .attr("outpost_arn", optional(STRING).force_new())
        .attr("owner_id", computed(STRING))
        .attr("private_dns_hostname_type_on_launch", optional_computed(STRING))
        .attr("vpc_id", required(STRING).force_new())
        .block("timeouts", timeouts(&["create", "delete"]));
    ResourceSchema::new("aws_subnet", Layer::Infrastructure, block).tagged().free()
}

/// One inline `ingress` or `egress` rule of `aws_security_group`.
fn security_group_rule_block() -> NestedBlock {
    NestedBlock::set(
        BlockSchema::new()
            .attr("cidr_blocks", optional(string_list()))
            .attr("description", optional(STRING))
            .attr("from_port", required(NUMBER))
            .attr("ipv6_cidr_blocks", optional(string_list()))
            .attr("prefix_list_ids", optional(string_list()))
            .attr("protocol", required(STRING))
            .attr("security_groups", optional(string_set()))
            .attr("self", optional(BOOL).default(false))
            .attr("to_port", required(NUMBER)),
    )
}

fn security_group() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("description", optional(STRING).force_new().default("Managed by Terraform"))
        .attr("name", optional_computed(STRING).force_new())
        .attr("name_prefix", optional_computed(STRING).force_new())
        .attr("owner_id", computed(STRING))
        .attr("revoke_rules_on_delete", optional(BOOL).default(false))
        .attr("vpc_id", optional_computed(STRING).force_new())
        .block("egress", security_group_rule_block().computed())
        .block("ingress", security_group_rule_block().computed())
        .block("timeouts", timeouts(&["create", "delete"]));
    ResourceSchema::new("aws_security_group", Layer::Infrastructure, block).tagged().free()
}

fn security_group_rule() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("cidr_blocks", optional(string_list()).force_new())
        .attr("description", optional(STRING))
        .attr("from_port", required(NUMBER).force_new())
        .attr("ipv6_cidr_blocks", optional(string_list()).force_new())
        .attr("prefix_list_ids", optional(string_list()).force_new())
        .attr("protocol", required(STRING).force_new())
        .attr("security_group_id", required(STRING).force_new())
        .attr("security_group_rule_id", computed(STRING))
        .attr("self", optional(BOOL).force_new().default(false))
        .attr("source_security_group_id", optional_computed(STRING).force_new())
        .attr("to_port", required(NUMBER).force_new())
        .attr("type", required(STRING).force_new())
        .block("timeouts", timeouts(&["create"]));
    ResourceSchema::new("aws_security_group_rule", Layer::Infrastructure, block).free().part_of("aws_security_group")
}

fn internet_gateway() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("owner_id", computed(STRING))
        .attr("vpc_id", optional_computed(STRING))
        .block("timeouts", timeouts(&["create", "update", "delete"]));
    ResourceSchema::new("aws_internet_gateway", Layer::Infrastructure, block).tagged().free()
}

fn route_table() -> ResourceSchema {
    // Exactly one destination and one target per route; the provider checks
    // that at apply time, so every field is optional here.
    let route = BlockSchema::new()
        .attr("cidr_block", optional(STRING))
        .attr("destination_prefix_list_id", optional(STRING))
        .attr("ipv6_cidr_block", optional(STRING))
        .attr("carrier_gateway_id", optional(STRING))
        .attr("core_network_arn", optional(STRING))
        .attr("egress_only_gateway_id", optional(STRING))
        .attr("gateway_id", optional(STRING))
        .attr("local_gateway_id", optional(STRING))
        .attr("nat_gateway_id", optional(STRING))
        .attr("network_interface_id", optional(STRING))
        .attr("transit_gateway_id", optional(STRING))
        .attr("vpc_endpoint_id", optional(STRING))
        .attr("vpc_peering_connection_id", optional(STRING));
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("owner_id", computed(STRING))
        .attr("propagating_vgws", optional_computed(string_set()))
        .attr("vpc_id", required(STRING).force_new())
        .block("route", NestedBlock::set(route).computed())
        .block("timeouts", timeouts(&["create", "update", "delete"]));
    ResourceSchema::new("aws_route_table", Layer::Infrastructure, block).tagged().free()
}

fn route() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("route_table_id", required(STRING).force_new())
        .attr("destination_cidr_block", optional(STRING).force_new())
        .attr("destination_ipv6_cidr_block", optional(STRING).force_new())
        .attr("destination_prefix_list_id", optional(STRING).force_new())
        .attr("carrier_gateway_id", optional(STRING))
        .attr("core_network_arn", optional(STRING))
        .attr("egress_only_gateway_id", optional(STRING))
        .attr("gateway_id", optional(STRING))
        .attr("local_gateway_id", optional(STRING))
        .attr("nat_gateway_id", optional(STRING))
        .attr("network_interface_id", optional_computed(STRING))
        .attr("transit_gateway_id", optional(STRING))
        .attr("vpc_endpoint_id", optional(STRING))
        .attr("vpc_peering_connection_id", optional(STRING))
        .attr("instance_id", computed(STRING))
        .attr("instance_owner_id", computed(STRING))
        .attr("origin", computed(STRING))
        .attr("state", computed(STRING))
        .block("timeouts", timeouts(&["create", "update", "delete"]));
    ResourceSchema::new("aws_route", Layer::Infrastructure, block).free().part_of("aws_route_table")
}

fn route_table_association() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("gateway_id", optional(STRING).force_new())
        .attr("route_table_id", required(STRING))
        .attr("subnet_id", optional(STRING).force_new())
        .block("timeouts", timeouts(&["create", "update", "delete"]));
    ResourceSchema::new("aws_route_table_association", Layer::Infrastructure, block).free()
}

fn eip() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("address", optional(STRING).force_new())
        .attr("allocation_id", computed(STRING))
        .attr("arn", computed(STRING))
        .attr("associate_with_private_ip", optional(STRING))
        .attr("association_id", computed(STRING))
        .attr("carrier_ip", computed(STRING))
        .attr("customer_owned_ip", computed(STRING))
        .attr("customer_owned_ipv4_pool", optional(STRING))
        .attr("domain", optional_computed(STRING).force_new())
        .attr("instance", optional_computed(STRING))
        .attr("ipam_pool_id", optional_computed(STRING).force_new())
        .attr("network_border_group", optional_computed(STRING).force_new())
        .attr("network_interface", optional_computed(STRING))
        .attr("private_dns", computed(STRING))
        .attr("private_ip", computed(STRING))
        .attr("ptr_record", computed(STRING))
        .attr("public_dns", computed(STRING))
        .attr("public_ip", computed(STRING))
        .attr("public_ipv4_pool", optional_computed(STRING).force_new())
        // Deprecated in v5 in favour of `domain = "vpc"`.
        .attr("vpc", optional_computed(BOOL).force_new())
        .block("timeouts", timeouts(&["read", "update", "delete"]));
    ResourceSchema::new("aws_eip", Layer::Infrastructure, block).tagged().priced(PriceModel::ElasticIp)
}

fn nat_gateway() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("allocation_id", optional(STRING).force_new())
        .attr("association_id", computed(STRING))
        .attr("connectivity_type", optional(STRING).force_new().default("public"))
        .attr("network_interface_id", computed(STRING))
        .attr("private_ip", optional_computed(STRING).force_new())
        .attr("public_ip", computed(STRING))
        .attr("secondary_allocation_ids", optional(string_set()))
        .attr("secondary_private_ip_address_count", optional_computed(NUMBER).force_new())
        .attr("secondary_private_ip_addresses", optional_computed(string_set()))
        .attr("subnet_id", required(STRING).force_new())
        .block("timeouts", timeouts(&["create", "update", "delete"]));
    ResourceSchema::new("aws_nat_gateway", Layer::Infrastructure, block).tagged().priced(PriceModel::NatGateway)
}
