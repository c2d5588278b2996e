//! Data sources. Their layer is unused; they are recorded as
//! `Layer::Infrastructure`.

use strata_core::{Layer, Type};

use super::{BOOL, NUMBER, STRING, filter, object, string_list, string_map, string_set, timeouts};
use crate::schema::{BlockSchema, ResourceSchema, computed, optional, optional_computed};

pub(super) fn data_sources() -> Vec<ResourceSchema> {
    vec![ami(), availability_zones(), caller_identity(), region(), vpc(), subnets(), subnet()]
}

fn data_source(type_name: &str, block: BlockSchema) -> ResourceSchema {
    ResourceSchema::new(type_name, Layer::Infrastructure, block)
}

fn ami() -> ResourceSchema {
    let block_device_mapping = object(&[("device_name", STRING), ("ebs", string_map()), ("no_device", STRING), ("virtual_name", STRING)]);
    let product_code = object(&[("product_code_id", STRING), ("product_code_type", STRING)]);
    let block = BlockSchema::new()
        // Arguments.
        .attr("allow_unsafe_filter", optional(BOOL))
        .attr("executable_users", optional(string_list()))
        .attr("include_deprecated", optional(BOOL).default(false))
        .attr("most_recent", optional(BOOL).default(false))
        .attr("name_regex", optional(STRING))
        .attr("owners", optional(string_list()))
        .attr("uefi_data", optional(STRING))
        // Attributes of the image found.
        .attr("architecture", computed(STRING))
        .attr("arn", computed(STRING))
        .attr("block_device_mappings", computed(Type::set(block_device_mapping)))
        .attr("boot_mode", computed(STRING))
        .attr("creation_date", computed(STRING))
        .attr("deprecation_time", computed(STRING))
        .attr("description", computed(STRING))
        .attr("ena_support", computed(BOOL))
        .attr("hypervisor", computed(STRING))
        .attr("image_id", computed(STRING))
        .attr("image_location", computed(STRING))
        .attr("image_owner_alias", computed(STRING))
        .attr("image_type", computed(STRING))
        .attr("imds_support", computed(STRING))
        .attr("kernel_id", computed(STRING))
        .attr("last_launched_time", computed(STRING))
        .attr("name", computed(STRING))
        .attr("owner_id", computed(STRING))
        .attr("platform", computed(STRING))
        .attr("platform_details", computed(STRING))
        .attr("product_codes", computed(Type::set(product_code)))
        .attr("public", computed(BOOL))
        .attr("ramdisk_id", computed(STRING))
        .attr("root_device_name", computed(STRING))
        .attr("root_device_type", computed(STRING))
        .attr("root_snapshot_id", computed(STRING))
        .attr("sriov_net_support", computed(STRING))
        .attr("state", computed(STRING))
        .attr("state_reason", computed(string_map()))
        .attr("tags", computed(string_map()))
        .attr("tpm_support", computed(STRING))
        .attr("usage_operation", computed(STRING))
        .attr("virtualization_type", computed(STRING))
        .block("filter", filter())
        .block("timeouts", timeouts(&["read"]));
    data_source("aws_ami", block)
}

fn availability_zones() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("all_availability_zones", optional(BOOL))
        .attr("exclude_names", optional(string_set()))
        .attr("exclude_zone_ids", optional(string_set()))
        .attr("group_names", computed(string_set()))
        .attr("names", computed(string_list()))
        .attr("state", optional(STRING))
        .attr("zone_ids", computed(string_list()))
        .block("filter", filter())
        .block("timeouts", timeouts(&["read"]));
    data_source("aws_availability_zones", block)
}

fn caller_identity() -> ResourceSchema {
    let block = BlockSchema::new().attr("account_id", computed(STRING)).attr("arn", computed(STRING)).attr("user_id", computed(STRING));
    data_source("aws_caller_identity", block)
}

fn region() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("description", computed(STRING))
        .attr("endpoint", optional_computed(STRING))
        .attr("name", optional_computed(STRING));
    data_source("aws_region", block)
}

fn vpc() -> ResourceSchema {
    let association = object(&[("association_id", STRING), ("cidr_block", STRING), ("state", STRING)]);
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("cidr_block", optional_computed(STRING))
        .attr("cidr_block_associations", computed(Type::list(association)))
        .attr("default", optional_computed(BOOL))
        .attr("dhcp_options_id", optional_computed(STRING))
        .attr("enable_dns_hostnames", computed(BOOL))
        .attr("enable_dns_support", computed(BOOL))
        .attr("enable_network_address_usage_metrics", computed(BOOL))
        .attr("id", optional_computed(STRING))
        .attr("instance_tenancy", computed(STRING))
        .attr("ipv6_association_id", computed(STRING))
        .attr("ipv6_cidr_block", computed(STRING))
        .attr("main_route_table_id", computed(STRING))
        .attr("owner_id", computed(STRING))
        .attr("state", optional_computed(STRING))
        .attr("tags", optional_computed(string_map()))
        .block("filter", filter())
        .block("timeouts", timeouts(&["read"]));
    data_source("aws_vpc", block)
}

fn subnets() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("ids", computed(string_list()))
        .attr("tags", optional_computed(string_map()))
        .block("filter", filter())
        .block("timeouts", timeouts(&["read"]));
    data_source("aws_subnets", block)
}

fn subnet() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("assign_ipv6_address_on_creation", computed(BOOL))
        .attr("availability_zone", optional_computed(STRING))
        .attr("availability_zone_id", optional_computed(STRING))
        .attr("available_ip_address_count", computed(NUMBER))
        .attr("cidr_block", optional_computed(STRING))
        .attr("customer_owned_ipv4_pool", computed(STRING))
        .attr("default_for_az", optional_computed(BOOL))
        .attr("enable_dns64", computed(BOOL))
        .attr("enable_lni_at_device_index", computed(NUMBER))
        .attr("enable_resource_name_dns_a_record_on_launch", computed(BOOL))
        .attr("enable_resource_name_dns_aaaa_record_on_launch", computed(BOOL))
        .attr("id", optional_computed(STRING))
        .attr("ipv6_cidr_block", optional_computed(STRING))
        .attr("ipv6_cidr_block_association_id", computed(STRING))
        .attr("ipv6_native", computed(BOOL))
        .attr("map_customer_owned_ip_on_launch", computed(BOOL))
        .attr("map_public_ip_on_launch", computed(BOOL))
        .attr("outpost_arn", computed(STRING))
        .attr("owner_id", computed(STRING))
        .attr("private_dns_hostname_type_on_launch", computed(STRING))
        .attr("state", optional_computed(STRING))
        .attr("tags", optional_computed(string_map()))
        .attr("vpc_id", optional_computed(STRING))
        .block("filter", filter())
        .block("timeouts", timeouts(&["read"]));
    data_source("aws_subnet", block)
}
