//! Layer 2: RDS database instances and the groups they use.

use strata_core::{Layer, Type};

use super::{BOOL, NUMBER, STRING, object, string_list, string_set, timeouts};
use crate::schema::{BlockSchema, NestedBlock, PriceModel, ResourceSchema, computed, optional, optional_computed, required};

pub(super) fn resources() -> Vec<ResourceSchema> {
    vec![db_subnet_group(), db_parameter_group(), db_instance()]
}

fn db_subnet_group() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("description", optional(STRING).default("Managed by Terraform"))
        .attr("name", optional_computed(STRING).force_new())
        .attr("name_prefix", optional_computed(STRING).force_new())
        .attr("subnet_ids", required(string_set()))
        .attr("supported_network_types", computed(string_set()))
        .attr("vpc_id", computed(STRING));
    ResourceSchema::new("aws_db_subnet_group", Layer::Data, block).tagged().free()
}

fn db_parameter_group() -> ResourceSchema {
    let parameter = BlockSchema::new()
        .attr("apply_method", optional(STRING).default("immediate"))
        .attr("name", required(STRING))
        .attr("value", required(STRING));
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("description", optional(STRING).force_new().default("Managed by Terraform"))
        .attr("family", required(STRING).force_new())
        .attr("name", optional_computed(STRING).force_new())
        .attr("name_prefix", optional_computed(STRING).force_new())
        .attr("skip_destroy", optional(BOOL).default(false))
        .block("parameter", NestedBlock::set(parameter));
    ResourceSchema::new("aws_db_parameter_group", Layer::Data, block).tagged().free()
}

fn db_instance() -> ResourceSchema {
    let blue_green = BlockSchema::new().attr("enabled", optional(BOOL));
    let restore = BlockSchema::new()
        .attr("restore_time", optional(STRING))
        .attr("source_db_instance_automated_backups_arn", optional(STRING))
        .attr("source_db_instance_identifier", optional(STRING))
        .attr("source_dbi_resource_id", optional(STRING))
        .attr("use_latest_restorable_time", optional(BOOL));
    let s3_import = BlockSchema::new()
        .attr("bucket_name", required(STRING).force_new())
        .attr("bucket_prefix", optional(STRING).force_new())
        .attr("ingestion_role", required(STRING).force_new())
        .attr("source_engine", required(STRING).force_new())
        .attr("source_engine_version", required(STRING).force_new());
    let endpoint = object(&[("address", STRING), ("hosted_zone_id", STRING), ("port", NUMBER)]);
    let secret = object(&[("kms_key_id", STRING), ("secret_arn", STRING), ("secret_status", STRING)]);
    let block = BlockSchema::new()
        .attr("address", computed(STRING))
        .attr("allocated_storage", optional_computed(NUMBER))
        .attr("allow_major_version_upgrade", optional(BOOL))
        .attr("apply_immediately", optional(BOOL).default(false))
        .attr("arn", computed(STRING))
        .attr("auto_minor_version_upgrade", optional(BOOL).default(true))
        .attr("availability_zone", optional_computed(STRING).force_new())
        .attr("backup_retention_period", optional_computed(NUMBER))
        .attr("backup_target", optional_computed(STRING).force_new())
        .attr("backup_window", optional_computed(STRING))
        .attr("ca_cert_identifier", optional_computed(STRING))
        .attr("character_set_name", optional_computed(STRING).force_new())
        .attr("copy_tags_to_snapshot", optional(BOOL).default(false))
        .attr("custom_iam_instance_profile", optional(STRING).force_new())
        .attr("customer_owned_ip_enabled", optional(BOOL))
        .attr("db_name", optional_computed(STRING).force_new())
        // The provider moves an instance between subnet groups in place in
        // some cases; strata plans the safe replacement.
        .attr("db_subnet_group_name", optional_computed(STRING).force_new())
        .attr("dedicated_log_volume", optional(BOOL))
        .attr("delete_automated_backups", optional(BOOL).default(true))
        .attr("deletion_protection", optional(BOOL))
        .attr("domain", optional(STRING))
        .attr("domain_auth_secret_arn", optional(STRING))
        .attr("domain_dns_ips", optional(string_list()))
        .attr("domain_fqdn", optional_computed(STRING))
        .attr("domain_iam_role_name", optional(STRING))
        .attr("domain_ou", optional(STRING))
        .attr("enabled_cloudwatch_logs_exports", optional(string_set()))
        .attr("endpoint", computed(STRING))
        // Downgrades and engine switches replace the instance; the provider
        // lets some in-family engine changes through, strata does not.
        .attr("engine", optional_computed(STRING).force_new())
        .attr("engine_lifecycle_support", optional_computed(STRING))
        .attr("engine_version", optional_computed(STRING))
        .attr("engine_version_actual", computed(STRING))
        .attr("final_snapshot_identifier", optional(STRING))
        .attr("hosted_zone_id", computed(STRING))
        .attr("iam_database_authentication_enabled", optional(BOOL))
        .attr("identifier", optional_computed(STRING).force_new())
        .attr("identifier_prefix", optional_computed(STRING).force_new())
        .attr("instance_class", required(STRING))
        .attr("iops", optional_computed(NUMBER))
        .attr("kms_key_id", optional_computed(STRING).force_new())
        .attr("latest_restorable_time", computed(STRING).volatile())
        .attr("license_model", optional_computed(STRING))
        .attr("listener_endpoint", computed(Type::list(endpoint)))
        .attr("maintenance_window", optional_computed(STRING))
        .attr("manage_master_user_password", optional(BOOL))
        .attr("master_user_secret", computed(Type::list(secret)))
        .attr("master_user_secret_kms_key_id", optional_computed(STRING))
        .attr("max_allocated_storage", optional(NUMBER))
        .attr("monitoring_interval", optional(NUMBER).default(0))
        .attr("monitoring_role_arn", optional_computed(STRING))
        .attr("multi_az", optional_computed(BOOL))
        .attr("nchar_character_set_name", optional_computed(STRING).force_new())
        .attr("network_type", optional_computed(STRING))
        .attr("option_group_name", optional_computed(STRING))
        .attr("parameter_group_name", optional_computed(STRING))
        .attr("password", optional(STRING).sensitive())
        .attr("performance_insights_enabled", optional(BOOL).default(false))
        .attr("performance_insights_kms_key_id", optional_computed(STRING))
        .attr("performance_insights_retention_period", optional_computed(NUMBER))
        .attr("port", optional_computed(NUMBER))
        .attr("publicly_accessible", optional(BOOL).default(false))
        .attr("replica_mode", optional_computed(STRING))
        .attr("replicas", computed(string_list()))
        .attr("replicate_source_db", optional(STRING))
        .attr("resource_id", computed(STRING))
        .attr("skip_final_snapshot", optional(BOOL).default(false))
        .attr("snapshot_identifier", optional_computed(STRING).force_new())
        .attr("status", computed(STRING))
        .attr("storage_encrypted", optional(BOOL).force_new())
        .attr("storage_throughput", optional_computed(NUMBER))
        .attr("storage_type", optional_computed(STRING))
        .attr("timezone", optional_computed(STRING).force_new())
        .attr("upgrade_storage_config", optional(BOOL))
        .attr("username", optional_computed(STRING).force_new())
        .attr("vpc_security_group_ids", optional_computed(string_set()))
        .block("blue_green_update", NestedBlock::single(blue_green))
        .block("restore_to_point_in_time", NestedBlock::single(restore).force_new())
        .block("s3_import", NestedBlock::single(s3_import))
        .block("timeouts", timeouts(&["create", "update", "delete"]));
    ResourceSchema::new("aws_db_instance", Layer::Data, block).tagged().priced(PriceModel::DbInstance)
}
