//! Layer 4: Elastic Load Balancing v2 (load balancers, target groups,
//! listeners, target registrations).

use strata_core::Layer;

use super::{BOOL, NUMBER, STRING, string_map, string_set, timeouts};
use crate::schema::{BlockSchema, NestedBlock, PriceModel, ResourceSchema, computed, optional, optional_computed, required};

pub(super) fn resources() -> Vec<ResourceSchema> {
    vec![load_balancer(), target_group(), listener(), target_group_attachment()]
}

/// The names of the ALB era, aliases in hashicorp/aws too (same schema, same
/// implementation; the address and the state keep the name written).
pub(super) fn aliases() -> [(&'static str, &'static str); 4] {
    [
        ("aws_alb", "aws_lb"),
        ("aws_alb_listener", "aws_lb_listener"),
        ("aws_alb_target_group", "aws_lb_target_group"),
        ("aws_alb_target_group_attachment", "aws_lb_target_group_attachment"),
    ]
}

/// `access_logs` and `connection_logs`: an S3 destination.
fn log_destination() -> NestedBlock {
    NestedBlock::single(
        BlockSchema::new().attr("bucket", required(STRING)).attr("enabled", optional(BOOL).default(false)).attr("prefix", optional(STRING)),
    )
}

fn load_balancer() -> ResourceSchema {
    let subnet_mapping = BlockSchema::new()
        .attr("allocation_id", optional(STRING))
        .attr("ipv6_address", optional(STRING))
        .attr("outpost_id", computed(STRING))
        .attr("private_ipv4_address", optional(STRING))
        .attr("subnet_id", required(STRING));
    let minimum_capacity = BlockSchema::new().attr("capacity_units", required(NUMBER));
    // Settings that apply to one load balancer type only are accepted for
    // every type; the provider ignores them elsewhere.
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("arn_suffix", computed(STRING))
        .attr("client_keep_alive", optional(NUMBER).default(3600))
        .attr("customer_owned_ipv4_pool", optional(STRING).force_new())
        .attr("desync_mitigation_mode", optional(STRING).default("defensive"))
        .attr("dns_name", computed(STRING))
        .attr("dns_record_client_routing_policy", optional(STRING).default("any_availability_zone"))
        .attr("drop_invalid_header_fields", optional(BOOL).default(false))
        .attr("enable_cross_zone_load_balancing", optional(BOOL).default(false))
        .attr("enable_deletion_protection", optional(BOOL).default(false))
        .attr("enable_http2", optional(BOOL).default(true))
        .attr("enable_tls_version_and_cipher_suite_headers", optional(BOOL).default(false))
        .attr("enable_waf_fail_open", optional(BOOL).default(false))
        .attr("enable_xff_client_port", optional(BOOL).default(false))
        .attr("enable_zonal_shift", optional(BOOL).default(false))
        .attr("enforce_security_group_inbound_rules_on_private_link_traffic", optional_computed(STRING))
        .attr("idle_timeout", optional(NUMBER).default(60))
        .attr("internal", optional_computed(BOOL).force_new())
        .attr("ip_address_type", optional_computed(STRING))
        .attr("load_balancer_type", optional(STRING).force_new().default("application"))
        .attr("name", optional_computed(STRING).force_new())
        .attr("name_prefix", optional_computed(STRING).force_new())
        .attr("preserve_host_header", optional(BOOL).default(false))
        .attr("security_groups", optional_computed(string_set()))
        .attr("subnets", optional_computed(string_set()))
        .attr("vpc_id", computed(STRING))
        .attr("xff_header_processing_mode", optional(STRING).default("append"))
        .attr("zone_id", computed(STRING))
        .block("access_logs", log_destination())
        .block("connection_logs", log_destination())
        .block("minimum_load_balancer_capacity", NestedBlock::single(minimum_capacity))
        .block("subnet_mapping", NestedBlock::set(subnet_mapping))
        .block("timeouts", timeouts(&["create", "update", "delete"]));
    ResourceSchema::new("aws_lb", Layer::Gateway, block).tagged().priced(PriceModel::LoadBalancer)
}

fn target_group() -> ResourceSchema {
    let health_check = BlockSchema::new()
        .attr("enabled", optional(BOOL).default(true))
        .attr("healthy_threshold", optional(NUMBER).default(3))
        .attr("interval", optional(NUMBER).default(30))
        .attr("matcher", optional_computed(STRING))
        .attr("path", optional_computed(STRING))
        .attr("port", optional(STRING).default("traffic-port"))
        .attr("protocol", optional(STRING).default("HTTP"))
        .attr("timeout", optional_computed(NUMBER))
        .attr("unhealthy_threshold", optional(NUMBER).default(3));
    let stickiness = BlockSchema::new()
        .attr("cookie_duration", optional(NUMBER).default(86400))
        .attr("cookie_name", optional(STRING))
        .attr("enabled", optional(BOOL).default(true))
        .attr("type", required(STRING));
    let target_failover = BlockSchema::new().attr("on_deregistration", required(STRING)).attr("on_unhealthy", required(STRING));
    let health_state = BlockSchema::new()
        .attr("enable_unhealthy_connection_termination", required(BOOL))
        .attr("unhealthy_draining_interval", optional(NUMBER).default(0));
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("arn_suffix", computed(STRING))
        .attr("connection_termination", optional_computed(BOOL))
        // A nullable number in the provider, carried as a string.
        .attr("deregistration_delay", optional(STRING).default("300"))
        .attr("ip_address_type", optional_computed(STRING).force_new())
        .attr("lambda_multi_value_headers_enabled", optional(BOOL).default(false))
        .attr("load_balancer_arns", computed(string_set()))
        .attr("load_balancing_algorithm_type", optional_computed(STRING))
        .attr("load_balancing_anomaly_mitigation", optional_computed(STRING))
        .attr("load_balancing_cross_zone_enabled", optional_computed(STRING))
        .attr("name", optional_computed(STRING).force_new())
        .attr("name_prefix", optional_computed(STRING).force_new())
        .attr("port", optional(NUMBER).force_new())
        // A nullable bool in the provider, carried as a string.
        .attr("preserve_client_ip", optional_computed(STRING))
        .attr("protocol", optional(STRING).force_new())
        .attr("protocol_version", optional_computed(STRING).force_new())
        .attr("proxy_protocol_v2", optional(BOOL).default(false))
        .attr("slow_start", optional(NUMBER).default(0))
        .attr("target_type", optional(STRING).force_new().default("instance"))
        .attr("vpc_id", optional(STRING).force_new())
        .block("health_check", NestedBlock::single(health_check))
        // Optional and computed, as in hashicorp/aws: AWS reports a disabled
        // `lb_cookie` block for a group created without one.
        .block("stickiness", NestedBlock::single(stickiness).computed())
        .block("target_failover", NestedBlock::list(target_failover))
        .block("target_health_state", NestedBlock::list(health_state));
    ResourceSchema::new("aws_lb_target_group", Layer::Gateway, block).tagged().free()
}

fn listener() -> ResourceSchema {
    let authenticate_cognito = BlockSchema::new()
        .attr("authentication_request_extra_params", optional(string_map()))
        .attr("on_unauthenticated_request", optional_computed(STRING))
        .attr("scope", optional_computed(STRING))
        .attr("session_cookie_name", optional_computed(STRING))
        .attr("session_timeout", optional_computed(NUMBER))
        .attr("user_pool_arn", required(STRING))
        .attr("user_pool_client_id", required(STRING))
        .attr("user_pool_domain", required(STRING));
    let authenticate_oidc = BlockSchema::new()
        .attr("authentication_request_extra_params", optional(string_map()))
        .attr("authorization_endpoint", required(STRING))
        .attr("client_id", required(STRING))
        .attr("client_secret", required(STRING).sensitive())
        .attr("issuer", required(STRING))
        .attr("on_unauthenticated_request", optional_computed(STRING))
        .attr("scope", optional_computed(STRING))
        .attr("session_cookie_name", optional_computed(STRING))
        .attr("session_timeout", optional_computed(NUMBER))
        .attr("token_endpoint", required(STRING))
        .attr("user_info_endpoint", required(STRING));
    let fixed_response = BlockSchema::new()
        .attr("content_type", required(STRING))
        .attr("message_body", optional(STRING))
        .attr("status_code", optional_computed(STRING));
    let weighted_target = BlockSchema::new().attr("arn", required(STRING)).attr("weight", optional(NUMBER).default(1));
    let forward_stickiness = BlockSchema::new().attr("duration", required(NUMBER)).attr("enabled", optional(BOOL).default(false));
    let forward = BlockSchema::new()
        .block("target_group", NestedBlock::set(weighted_target).min_items(1).max_items(5))
        .block("stickiness", NestedBlock::single(forward_stickiness));
    let redirect = BlockSchema::new()
        .attr("host", optional(STRING).default("#{host}"))
        .attr("path", optional(STRING).default("/#{path}"))
        .attr("port", optional(STRING).default("#{port}"))
        .attr("protocol", optional(STRING).default("#{protocol}"))
        .attr("query", optional(STRING).default("#{query}"))
        .attr("status_code", required(STRING));
    let default_action = BlockSchema::new()
        .attr("order", optional_computed(NUMBER))
        .attr("target_group_arn", optional(STRING))
        .attr("type", required(STRING))
        .block("authenticate_cognito", NestedBlock::single(authenticate_cognito))
        .block("authenticate_oidc", NestedBlock::single(authenticate_oidc))
        .block("fixed_response", NestedBlock::single(fixed_response))
        .block("forward", NestedBlock::single(forward))
        .block("redirect", NestedBlock::single(redirect));
    let mutual_authentication = BlockSchema::new()
        .attr("ignore_client_certificate_expiry", optional(BOOL))
        .attr("mode", required(STRING))
        .attr("trust_store_arn", optional(STRING));
    let block = BlockSchema::new()
        .attr("alpn_policy", optional(STRING))
        .attr("arn", computed(STRING))
        .attr("certificate_arn", optional(STRING))
        .attr("load_balancer_arn", required(STRING).force_new())
        .attr("port", optional(NUMBER))
        .attr("protocol", optional_computed(STRING))
        .attr("ssl_policy", optional_computed(STRING))
        .attr("tcp_idle_timeout_seconds", optional_computed(NUMBER))
        .block("default_action", NestedBlock::list(default_action).min_items(1))
        .block("mutual_authentication", NestedBlock::single(mutual_authentication))
        .block("timeouts", timeouts(&["create", "update"]));
    ResourceSchema::new("aws_lb_listener", Layer::Gateway, block).tagged().free()
}

fn target_group_attachment() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("availability_zone", optional(STRING).force_new())
        .attr("port", optional(NUMBER).force_new())
        .attr("target_group_arn", required(STRING).force_new())
        .attr("target_id", required(STRING).force_new());
    ResourceSchema::new("aws_lb_target_group_attachment", Layer::Gateway, block).free()
}
