//! IAM (global: one object for every region): roles, managed policies and
//! their attachments, inline role policies, instance profiles, users, OpenID Connect
//! providers; the data
//! sources `aws_iam_policy_document` (evaluated locally), `aws_iam_policy` and
//! `aws_partition`.
//! IAM objects cost nothing and sit on layer 1: every other layer uses them.
//!
//! Policy documents are compared by meaning (`json_policy`): an equivalent
//! document written differently is not a change.

use strata_core::Layer;

use super::{NUMBER, STRING, string_list, string_set};
use crate::schema::{BlockSchema, NestedBlock, ResourceSchema, computed, optional, optional_computed, required};

pub(super) fn resources() -> Vec<ResourceSchema> {
    vec![role(), role_policy_attachment(), policy(), role_policy(), instance_profile(), user(), openid_connect_provider()]
}

pub(super) fn data_sources() -> Vec<ResourceSchema> {
    vec![policy_document(), partition(), policy_data()]
}

fn role() -> ResourceSchema {
    let inline_policy = BlockSchema::new().attr("name", optional(STRING)).attr("policy", optional(STRING).json_policy());
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("assume_role_policy", required(STRING).json_policy())
        .attr("create_date", computed(STRING))
        .attr("description", optional(STRING))
        .attr("force_detach_policies", optional(super::BOOL).default(false))
        .attr("managed_policy_arns", optional_computed(string_set()))
        .attr("max_session_duration", optional(NUMBER).default(3600))
        .attr("name", optional_computed(STRING).force_new())
        .attr("name_prefix", optional_computed(STRING).force_new())
        .attr("path", optional(STRING).default("/").force_new())
        .attr("permissions_boundary", optional(STRING))
        .attr("unique_id", computed(STRING))
        .block("inline_policy", NestedBlock::set(inline_policy).computed());
    ResourceSchema::new("aws_iam_role", Layer::Infrastructure, block).tagged().free().global()
}

/// Listed by drift with its role as parent: the role's `managed_policy_arns`
/// holds its attachments only when it manages them exclusively.
fn role_policy_attachment() -> ResourceSchema {
    let block = BlockSchema::new().attr("policy_arn", required(STRING).force_new()).attr("role", required(STRING).force_new());
    ResourceSchema::new("aws_iam_role_policy_attachment", Layer::Infrastructure, block).free().global()
}

fn policy() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        // Moves whenever the policy is attached or detached elsewhere.
        .attr("attachment_count", computed(NUMBER).volatile())
        .attr("description", optional(STRING).force_new())
        .attr("name", optional_computed(STRING).force_new())
        .attr("name_prefix", optional_computed(STRING).force_new())
        .attr("path", optional(STRING).default("/").force_new())
        .attr("policy", required(STRING).json_policy())
        .attr("policy_id", computed(STRING));
    ResourceSchema::new("aws_iam_policy", Layer::Infrastructure, block).tagged().free().global()
}

/// Listed by drift with its role as parent (see the attachment).
fn role_policy() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("name", optional_computed(STRING).force_new())
        .attr("name_prefix", optional(STRING).force_new())
        .attr("policy", required(STRING).json_policy())
        .attr("role", required(STRING).force_new());
    ResourceSchema::new("aws_iam_role_policy", Layer::Infrastructure, block).free().global()
}

fn instance_profile() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("create_date", computed(STRING))
        .attr("name", optional_computed(STRING).force_new())
        .attr("name_prefix", optional_computed(STRING).force_new())
        .attr("path", optional(STRING).default("/").force_new())
        .attr("role", optional(STRING))
        .attr("unique_id", computed(STRING));
    ResourceSchema::new("aws_iam_instance_profile", Layer::Infrastructure, block).tagged().free().global()
}

fn user() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("force_destroy", optional(super::BOOL).default(false))
        .attr("name", required(STRING))
        .attr("path", optional(STRING).default("/"))
        .attr("permissions_boundary", optional(STRING))
        .attr("unique_id", computed(STRING));
    ResourceSchema::new("aws_iam_user", Layer::Infrastructure, block).tagged().free().global()
}

fn openid_connect_provider() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("arn", computed(STRING))
        .attr("client_id_list", required(string_set()))
        .attr("thumbprint_list", optional_computed(string_list()))
        .attr("url", required(STRING).force_new());
    ResourceSchema::new("aws_iam_openid_connect_provider", Layer::Infrastructure, block).tagged().free().global()
}

fn policy_document() -> ResourceSchema {
    let principals = || NestedBlock::set(BlockSchema::new().attr("identifiers", required(string_set())).attr("type", required(STRING)));
    let condition =
        BlockSchema::new().attr("test", required(STRING)).attr("values", required(string_list())).attr("variable", required(STRING));
    let statement = BlockSchema::new()
        .attr("actions", optional(string_set()))
        .attr("effect", optional(STRING).default("Allow"))
        .attr("not_actions", optional(string_set()))
        .attr("not_resources", optional(string_set()))
        .attr("resources", optional(string_set()))
        .attr("sid", optional(STRING))
        .block("condition", NestedBlock::set(condition))
        .block("not_principals", principals())
        .block("principals", principals());
    let block = BlockSchema::new()
        .attr("json", computed(STRING))
        .attr("minified_json", computed(STRING))
        .attr("override_json", optional(STRING))
        .attr("override_policy_documents", optional(string_list()))
        .attr("policy_id", optional(STRING))
        .attr("source_json", optional(STRING))
        .attr("source_policy_documents", optional(string_list()))
        .attr("version", optional(STRING).default("2012-10-17"))
        .block("statement", NestedBlock::list(statement));
    ResourceSchema::new("aws_iam_policy_document", Layer::Infrastructure, block)
}

fn partition() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("dns_suffix", computed(STRING))
        .attr("partition", computed(STRING))
        .attr("reverse_dns_prefix", computed(STRING));
    ResourceSchema::new("aws_partition", Layer::Infrastructure, block)
}

/// data `aws_iam_policy`: a managed policy by `arn`, or by `name` (and
/// `path_prefix`).
fn policy_data() -> ResourceSchema {
    let block = BlockSchema::new()
        .attr("arn", optional_computed(STRING))
        .attr("attachment_count", computed(NUMBER))
        .attr("description", computed(STRING))
        .attr("name", optional_computed(STRING))
        .attr("path", computed(STRING))
        .attr("path_prefix", optional(STRING))
        .attr("policy", computed(STRING))
        .attr("policy_id", computed(STRING))
        .attr("tags", optional_computed(super::string_map()));
    ResourceSchema::new("aws_iam_policy", Layer::Infrastructure, block)
}
