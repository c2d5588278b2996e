//! Route 53: hosted zones (layer 1) and records (layer 5).

use strata_core::Layer;

use super::{BOOL, NUMBER, STRING, string_list, string_set, timeouts};
use crate::schema::{BlockSchema, NestedBlock, PriceModel, ResourceSchema, computed, optional, optional_computed, required};

pub(super) fn resources() -> Vec<ResourceSchema> {
    vec![zone(), record()]
}

fn zone() -> ResourceSchema {
    let vpc = BlockSchema::new().attr("vpc_id", required(STRING)).attr("vpc_region", optional_computed(STRING));
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("comment", optional(STRING).default("Managed by Terraform"))
        .attr("delegation_set_id", optional(STRING).force_new())
        .attr("force_destroy", optional(BOOL).default(false))
        .attr("name", required(STRING).force_new())
        .attr("name_servers", computed(string_list()))
        .attr("primary_name_server", computed(STRING))
        .attr("zone_id", computed(STRING))
        .block("vpc", NestedBlock::set(vpc));
    ResourceSchema::new("aws_route53_zone", Layer::Infrastructure, block).tagged().priced(PriceModel::HostedZone)
}

fn record() -> ResourceSchema {
    let alias =
        BlockSchema::new().attr("evaluate_target_health", required(BOOL)).attr("name", required(STRING)).attr("zone_id", required(STRING));
    let cidr = BlockSchema::new().attr("collection_id", required(STRING)).attr("location_name", required(STRING));
    let failover = BlockSchema::new().attr("type", required(STRING));
    let geolocation =
        BlockSchema::new().attr("continent", optional(STRING)).attr("country", optional(STRING)).attr("subdivision", optional(STRING));
    let coordinates = BlockSchema::new().attr("latitude", required(STRING)).attr("longitude", required(STRING));
    let geoproximity = BlockSchema::new()
        .attr("aws_region", optional(STRING))
        .attr("bias", optional(NUMBER))
        .attr("local_zone_group", optional(STRING))
        .block("coordinates", NestedBlock::set(coordinates));
    let latency = BlockSchema::new().attr("region", required(STRING));
    let weighted = BlockSchema::new().attr("weight", required(NUMBER));
    let block = BlockSchema::new()
        .attr("allow_overwrite", optional_computed(BOOL))
        .attr("fqdn", computed(STRING))
        .attr("health_check_id", optional(STRING))
        .attr("multivalue_answer_routing_policy", optional(BOOL))
        .attr("name", required(STRING).force_new())
        .attr("records", optional(string_set()))
        .attr("set_identifier", optional(STRING))
        .attr("ttl", optional(NUMBER))
        .attr("type", required(STRING))
        .attr("zone_id", required(STRING).force_new())
        .block("alias", NestedBlock::single(alias))
        .block("cidr_routing_policy", NestedBlock::single(cidr))
        .block("failover_routing_policy", NestedBlock::single(failover))
        .block("geolocation_routing_policy", NestedBlock::single(geolocation))
        .block("geoproximity_routing_policy", NestedBlock::single(geoproximity))
        .block("latency_routing_policy", NestedBlock::single(latency))
        .block("weighted_routing_policy", NestedBlock::single(weighted))
        .block("timeouts", timeouts(&["create", "update", "delete"]));
    ResourceSchema::new("aws_route53_record", Layer::Frontend, block).free_noting("DNS queries are billed by usage and are not estimated")
}
