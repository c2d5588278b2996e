//! EC2 compute: key pairs and EBS volumes (layer 1), instances and volume
//! attachments (layer 3).

use strata_core::Layer;

use super::{BOOL, NUMBER, STRING, string_list, string_map, string_set, timeouts};
use crate::schema::{BlockSchema, NestedBlock, PriceModel, ResourceSchema, computed, optional, optional_computed, required};

pub(super) fn resources() -> Vec<ResourceSchema> {
    vec![key_pair(), ebs_volume(), instance(), volume_attachment()]
}

fn key_pair() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("fingerprint", computed(STRING))
        .attr("key_name", optional_computed(STRING).force_new())
        .attr("key_name_prefix", optional_computed(STRING).force_new())
        .attr("key_pair_id", computed(STRING))
        .attr("key_type", computed(STRING))
        .attr("public_key", required(STRING).force_new());
    ResourceSchema::new("aws_key_pair", Layer::Infrastructure, block).tagged().free()
}

fn ebs_volume() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("availability_zone", required(STRING).force_new())
        .attr("create_time", computed(STRING))
        .attr("encrypted", optional_computed(BOOL).force_new())
        .attr("final_snapshot", optional(BOOL).default(false))
        .attr("iops", optional_computed(NUMBER))
        .attr("kms_key_id", optional_computed(STRING).force_new())
        .attr("multi_attach_enabled", optional(BOOL).force_new())
        .attr("outpost_arn", optional(STRING).force_new())
        .attr("size", optional_computed(NUMBER))
        .attr("snapshot_id", optional_computed(STRING).force_new())
        .attr("throughput", optional_computed(NUMBER))
        .attr("type", optional_computed(STRING))
        .block("timeouts", timeouts(&["create", "update", "delete"]));
    ResourceSchema::new("aws_ebs_volume", Layer::Infrastructure, block).tagged().priced(PriceModel::EbsVolume)
}

fn instance() -> ResourceSchema {
    let reservation_target = BlockSchema::new()
        .attr("capacity_reservation_id", optional(STRING))
        .attr("capacity_reservation_resource_group_arn", optional(STRING));
    let capacity_reservation = BlockSchema::new()
        .attr("capacity_reservation_preference", optional(STRING))
        .block("capacity_reservation_target", NestedBlock::single(reservation_target));
    let cpu_options = BlockSchema::new()
        .attr("amd_sev_snp", optional_computed(STRING).force_new())
        .attr("core_count", optional_computed(NUMBER).force_new())
        .attr("threads_per_core", optional_computed(NUMBER).force_new());
    let credit_specification = BlockSchema::new().attr("cpu_credits", optional(STRING));
    // The root volume can be resized, retyped and retuned in place; its
    // encryption cannot change.
    let root_block_device = BlockSchema::new()
        .attr("delete_on_termination", optional(BOOL).default(true))
        .attr("device_name", computed(STRING))
        .attr("encrypted", optional_computed(BOOL).force_new())
        .attr("iops", optional_computed(NUMBER))
        .attr("kms_key_id", optional_computed(STRING).force_new())
        .attr("tags", optional(string_map()))
        .attr("tags_all", computed(string_map()))
        .attr("throughput", optional_computed(NUMBER))
        .attr("volume_id", computed(STRING))
        .attr("volume_size", optional_computed(NUMBER))
        .attr("volume_type", optional_computed(STRING));
    let ebs_block_device = BlockSchema::new()
        .attr("delete_on_termination", optional(BOOL).force_new().default(true))
        .attr("device_name", required(STRING).force_new())
        .attr("encrypted", optional_computed(BOOL).force_new())
        .attr("iops", optional_computed(NUMBER).force_new())
        .attr("kms_key_id", optional_computed(STRING).force_new())
        .attr("snapshot_id", optional_computed(STRING).force_new())
        .attr("tags", optional(string_map()))
        .attr("tags_all", computed(string_map()))
        .attr("throughput", optional_computed(NUMBER).force_new())
        .attr("volume_id", computed(STRING))
        .attr("volume_size", optional_computed(NUMBER).force_new())
        .attr("volume_type", optional_computed(STRING).force_new());
    let enclave_options = BlockSchema::new().attr("enabled", optional_computed(BOOL).force_new());
    let ephemeral_block_device =
        BlockSchema::new().attr("device_name", required(STRING)).attr("no_device", optional(BOOL)).attr("virtual_name", optional(STRING));
    let spot_options = BlockSchema::new()
        .attr("instance_interruption_behavior", optional_computed(STRING))
        .attr("max_price", optional_computed(STRING))
        .attr("spot_instance_type", optional_computed(STRING))
        .attr("valid_until", optional_computed(STRING));
    let instance_market_options =
        BlockSchema::new().attr("market_type", optional_computed(STRING)).block("spot_options", NestedBlock::single(spot_options));
    let launch_template = BlockSchema::new()
        .attr("id", optional_computed(STRING).force_new())
        .attr("name", optional_computed(STRING).force_new())
        .attr("version", optional(STRING).default("$Default"));
    let maintenance_options = BlockSchema::new().attr("auto_recovery", optional_computed(STRING));
    let metadata_options = BlockSchema::new()
        .attr("http_endpoint", optional_computed(STRING))
        .attr("http_protocol_ipv6", optional_computed(STRING))
        .attr("http_put_response_hop_limit", optional_computed(NUMBER))
        .attr("http_tokens", optional_computed(STRING))
        .attr("instance_metadata_tags", optional_computed(STRING));
    let network_interface = BlockSchema::new()
        .attr("delete_on_termination", optional(BOOL).force_new().default(false))
        .attr("device_index", required(NUMBER).force_new())
        .attr("network_card_index", optional(NUMBER).force_new().default(0))
        .attr("network_interface_id", required(STRING).force_new());
    let private_dns_name_options = BlockSchema::new()
        .attr("enable_resource_name_dns_a_record", optional_computed(BOOL))
        .attr("enable_resource_name_dns_aaaa_record", optional_computed(BOOL))
        .attr("hostname_type", optional_computed(STRING));

    let block = BlockSchema::new()
        .attr("ami", optional_computed(STRING).force_new())
        .attr("arn", computed(STRING))
        .attr("associate_public_ip_address", optional_computed(BOOL).force_new())
        .attr("availability_zone", optional_computed(STRING).force_new())
        .attr("cpu_core_count", optional_computed(NUMBER).force_new())
        .attr("cpu_threads_per_core", optional_computed(NUMBER).force_new())
        .attr("disable_api_stop", optional_computed(BOOL))
        .attr("disable_api_termination", optional_computed(BOOL))
        .attr("ebs_optimized", optional_computed(BOOL).force_new())
        .attr("get_password_data", optional(BOOL).default(false))
        .attr("hibernation", optional(BOOL).force_new())
        .attr("host_id", optional_computed(STRING).force_new())
        .attr("host_resource_group_arn", optional_computed(STRING))
        .attr("iam_instance_profile", optional_computed(STRING))
        .attr("instance_initiated_shutdown_behavior", optional_computed(STRING))
        .attr("instance_lifecycle", computed(STRING))
        .attr("instance_state", computed(STRING))
        .attr("instance_type", optional_computed(STRING))
        .attr("ipv6_address_count", optional_computed(NUMBER).force_new())
        .attr("ipv6_addresses", optional_computed(string_list()).force_new())
        .attr("key_name", optional_computed(STRING).force_new())
        .attr("monitoring", optional_computed(BOOL))
        .attr("outpost_arn", computed(STRING))
        .attr("password_data", computed(STRING))
        .attr("placement_group", optional_computed(STRING).force_new())
        .attr("placement_partition_number", optional_computed(NUMBER).force_new())
        .attr("primary_network_interface_id", computed(STRING))
        .attr("private_dns", computed(STRING))
        .attr("private_ip", optional_computed(STRING).force_new())
        .attr("public_dns", computed(STRING))
        .attr("public_ip", computed(STRING))
        .attr("secondary_private_ips", optional_computed(string_set()))
        .attr("security_groups", optional_computed(string_set()).force_new())
        .attr("source_dest_check", optional(BOOL).default(true))
        .attr("spot_instance_request_id", computed(STRING))
        .attr("subnet_id", optional_computed(STRING).force_new())
        .attr("tenancy", optional_computed(STRING).force_new())
        // Changing user data restarts the instance in place unless
        // `user_data_replace_on_change` is set, which makes it a replacement.
        .attr("user_data", optional_computed(STRING))
        .attr("user_data_base64", optional_computed(STRING))
        .attr("user_data_replace_on_change", optional(BOOL).default(false))
        .attr("volume_tags", optional(string_map()))
        .attr("vpc_security_group_ids", optional_computed(string_set()))
        .block("capacity_reservation_specification", NestedBlock::single(capacity_reservation))
        .block("cpu_options", NestedBlock::single(cpu_options))
        .block("credit_specification", NestedBlock::single(credit_specification))
        .block("ebs_block_device", NestedBlock::set(ebs_block_device))
        .block("enclave_options", NestedBlock::single(enclave_options))
        .block("ephemeral_block_device", NestedBlock::set(ephemeral_block_device).force_new())
        .block("instance_market_options", NestedBlock::single(instance_market_options).force_new())
        .block("launch_template", NestedBlock::single(launch_template).force_new())
        .block("maintenance_options", NestedBlock::single(maintenance_options))
        .block("metadata_options", NestedBlock::single(metadata_options))
        .block("network_interface", NestedBlock::set(network_interface))
        .block("private_dns_name_options", NestedBlock::single(private_dns_name_options))
        .block("root_block_device", NestedBlock::single(root_block_device))
        .block("timeouts", timeouts(&["create", "update", "delete"]));
    ResourceSchema::new("aws_instance", Layer::Application, block)
        .tagged()
        .priced(PriceModel::Instance)
        .companion(&["root_block_device", "*", "volume_id"], "aws_ebs_volume")
}

fn volume_attachment() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("device_name", required(STRING).force_new())
        .attr("force_detach", optional(BOOL))
        .attr("instance_id", required(STRING).force_new())
        .attr("skip_destroy", optional(BOOL))
        .attr("stop_instance_before_detaching", optional(BOOL))
        .attr("volume_id", required(STRING).force_new())
        .block("timeouts", timeouts(&["create", "delete"]));
    ResourceSchema::new("aws_volume_attachment", Layer::Application, block).free()
}
