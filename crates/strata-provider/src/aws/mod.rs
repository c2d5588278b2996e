//! Schemas of the AWS resource types and data sources strata supports.
//!
//! Transcribed from the hashicorp/aws provider v5 (its documentation and
//! resource definitions): argument and attribute names, types, which are
//! required, optional or computed, which force replacement, which are
//! sensitive, and the defaults the provider assumes. Numbers (`TypeInt`,
//! `TypeFloat`) are `number`. Nested blocks with at most one item are
//! [`Nesting::Single`](crate::schema::Nesting::Single). Meta-arguments
//! (`count`, `for_each`, `provider`, `depends_on`, `lifecycle`, `layer`) are
//! not part of any schema; `timeouts` is, on the types that accept it.
//!
//! Each file holds one family and returns its types in a `Vec`; this module
//! merges them once into the [`ProviderSchema`].

mod compute;
mod data;
mod database;
mod dns;
mod iam;
mod lb;
mod network;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use strata_core::{ObjectAttr, Type};

use crate::schema::{BlockSchema, NestedBlock, ProviderSchema, ResourceSchema, optional, required};

/// The AWS provider schema, built on first use.
pub fn schema() -> &'static ProviderSchema {
    static SCHEMA: OnceLock<ProviderSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| ProviderSchema {
        name: "aws".into(),
        resources: by_name(resources()),
        data_sources: by_name([data::data_sources(), iam::data_sources()].concat()),
        aliases: lb::aliases().iter().map(|(old, new)| (old.to_string(), new.to_string())).collect(),
    })
}

fn resources() -> Vec<ResourceSchema> {
    [network::resources(), dns::resources(), database::resources(), compute::resources(), lb::resources(), iam::resources()].concat()
}

fn by_name(types: Vec<ResourceSchema>) -> BTreeMap<String, ResourceSchema> {
    types.into_iter().map(|t| (t.type_name.clone(), t)).collect()
}

// Shorthands for the catalog tables.
const STRING: Type = Type::String;
const NUMBER: Type = Type::Number;
const BOOL: Type = Type::Bool;

fn string_list() -> Type {
    Type::list(Type::String)
}

fn string_set() -> Type {
    Type::set(Type::String)
}

fn string_map() -> Type {
    Type::map(Type::String)
}

/// `object({...})` with every field present, for computed nested values.
fn object(fields: &[(&str, Type)]) -> Type {
    Type::Object(fields.iter().map(|(k, t)| ((*k).to_string(), ObjectAttr::required(t.clone()))).collect())
}

/// The `timeouts { create = "10m" }` block, with one optional duration
/// string per operation the resource accepts.
fn timeouts(operations: &[&str]) -> NestedBlock {
    NestedBlock::single(operations.iter().fold(BlockSchema::new(), |b, op| b.attr(op, optional(STRING))))
}

/// The EC2 `filter { name = "..." values = [...] }` block of data sources.
fn filter() -> NestedBlock {
    NestedBlock::set(BlockSchema::new().attr("name", required(STRING)).attr("values", required(string_set())))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use strata_core::{Layer, Value};

    use super::*;
    use crate::schema::Nesting;

    fn resource(ty: &str) -> &'static ResourceSchema {
        schema().resource(ty).unwrap_or_else(|| panic!("{ty} is missing"))
    }

    fn attr(ty: &str, path: &str) -> &'static crate::schema::AttributeSchema {
        let mut block = &resource(ty).block;
        let mut parts: Vec<&str> = path.split('.').collect();
        let last = parts.pop().unwrap();
        for p in parts {
            block = &block.nested_block(p).unwrap_or_else(|| panic!("{ty} has no block {p}")).block;
        }
        block.attribute(last).unwrap_or_else(|| panic!("{ty} has no attribute {path}"))
    }

    /// Every block in a schema, with its path, for whole-catalog checks.
    fn all_blocks<'a>(block: &'a BlockSchema, path: String, out: &mut Vec<(String, &'a BlockSchema)>) {
        out.push((path.clone(), block));
        for (name, nb) in &block.blocks {
            all_blocks(&nb.block, format!("{path}.{name}"), out);
        }
    }

    /// The one table of what each type is: its layer, whether it is
    /// tagged, how it is priced and its drift relations, all read from the
    /// type's own declaration. A change to any of them shows in this
    /// snapshot's diff; there is no second list to keep.
    #[test]
    fn the_type_table() {
        let mut table = String::from("type | layer | tags | pricing | drift\n");
        for r in schema().resources.values() {
            let pricing = match &r.pricing {
                None => "UNDECLARED".to_string(),
                Some(crate::Pricing::Free { note: None }) => "free".into(),
                Some(crate::Pricing::Free { note: Some(n) }) => format!("free ({n})"),
                Some(crate::Pricing::Catalog(model)) => format!("catalog as {model:?}"),
                Some(crate::Pricing::NotPriced { reason }) => format!("not priced ({reason})"),
            };
            let mut drift: Vec<String> = r.drift.part_of.iter().map(|o| format!("part of {o}")).collect();
            drift.extend(r.drift.companions.iter().map(|c| format!("brings {} at {}", c.ty, c.path.join("."))));
            if r.drift.global {
                drift.push("global".into());
            }
            let tags = if r.taggable { "tags" } else { "-" };
            table += &format!("{} | {} | {tags} | {pricing} | {}\n", r.type_name, r.layer.number(), drift.join(", "));
        }
        table += "\nalias\n";
        for (old, new) in &schema().aliases {
            table += &format!("{old} = {new}\n");
        }
        table += "\ndata source\n";
        for d in schema().data_sources.values() {
            table += &format!("{}\n", d.type_name);
        }
        insta::assert_snapshot!(table);
        assert_eq!(schema().name, "aws");
    }

    #[test]
    fn type_names_are_unique() {
        let all = resources();
        let names: BTreeSet<&str> = all.iter().map(|r| r.type_name.as_str()).collect();
        assert_eq!(names.len(), all.len(), "a resource type is declared twice");
        let all = data::data_sources();
        let names: BTreeSet<&str> = all.iter().map(|r| r.type_name.as_str()).collect();
        assert_eq!(names.len(), all.len(), "a data source is declared twice");
    }

    #[test]
    fn every_type_has_id_and_consistent_flags() {
        for r in schema().resources.values().chain(schema().data_sources.values()) {
            let id = r.block.attribute("id").unwrap_or_else(|| panic!("{} has no id", r.type_name));
            assert!(id.computed && id.ty == Type::String, "{}", r.type_name);
            let mut blocks = Vec::new();
            all_blocks(&r.block, r.type_name.clone(), &mut blocks);
            for (path, block) in blocks {
                for (name, a) in &block.attributes {
                    let at = format!("{path}.{name}");
                    assert!(a.required || a.optional || a.computed, "{at} is neither set nor computed");
                    assert!(!(a.required && (a.optional || a.computed)), "{at} is required and optional/computed");
                    assert!(!(a.force_new && !a.required && !a.optional), "{at} is force_new but not configurable");
                    assert!(a.default.is_none() || (a.optional && !a.required), "{at} has a default but is not optional");
                }
                // A name is either an attribute or a block, never both.
                assert!(block.blocks.keys().all(|k| !block.attributes.contains_key(k)), "{path}");
            }
        }
    }

    #[test]
    fn taggable_types_have_tags_and_tags_all() {
        for r in schema().resources.values() {
            let expected = r.taggable;
            let tags = r.block.attribute("tags");
            let tags_all = r.block.attribute("tags_all");
            if expected {
                assert!(tags.is_some_and(|a| a.optional && a.ty == string_map()), "{}", r.type_name);
                assert!(tags_all.is_some_and(|a| a.computed && !a.optional), "{}", r.type_name);
            } else {
                assert!(tags.is_none() && tags_all.is_none(), "{}", r.type_name);
            }
        }
        for d in schema().data_sources.values() {
            assert!(!d.taggable && d.layer == Layer::Infrastructure, "{}", d.type_name);
        }
    }

    #[test]
    fn types_with_an_arn_compute_it() {
        for ty in [
            "aws_vpc",
            "aws_subnet",
            "aws_security_group",
            "aws_internet_gateway",
            "aws_route_table",
            "aws_eip",
            "aws_key_pair",
            "aws_ebs_volume",
            "aws_route53_zone",
            "aws_db_subnet_group",
            "aws_db_parameter_group",
            "aws_db_instance",
            "aws_instance",
            "aws_lb",
            "aws_lb_target_group",
            "aws_lb_listener",
        ] {
            let arn = attr(ty, "arn");
            assert!(arn.computed && !arn.optional, "{ty}");
        }
    }

    #[test]
    fn secrets_are_sensitive() {
        let password = attr("aws_db_instance", "password");
        assert!(password.sensitive && password.optional && !password.force_new);
        assert!(attr("aws_lb_listener", "default_action.authenticate_oidc.client_secret").sensitive);
        assert!(!attr("aws_db_instance", "username").sensitive);
    }

    #[test]
    fn force_new_spot_checks() {
        let cases: &[(&str, &str, bool)] = &[
            ("aws_instance", "ami", true),
            ("aws_instance", "subnet_id", true),
            ("aws_instance", "availability_zone", true),
            ("aws_instance", "instance_type", false),
            ("aws_instance", "user_data", false),
            ("aws_instance", "root_block_device.encrypted", true),
            ("aws_instance", "root_block_device.volume_size", false),
            ("aws_instance", "ebs_block_device.device_name", true),
            ("aws_db_instance", "identifier", true),
            ("aws_db_instance", "engine", true),
            ("aws_db_instance", "availability_zone", true),
            ("aws_db_instance", "db_subnet_group_name", true),
            ("aws_db_instance", "storage_encrypted", true),
            ("aws_db_instance", "username", true),
            ("aws_db_instance", "kms_key_id", true),
            ("aws_db_instance", "instance_class", false),
            ("aws_db_instance", "allocated_storage", false),
            ("aws_vpc", "cidr_block", true),
            ("aws_vpc", "enable_dns_hostnames", false),
            ("aws_subnet", "vpc_id", true),
            ("aws_subnet", "cidr_block", true),
            ("aws_subnet", "availability_zone", true),
            ("aws_subnet", "map_public_ip_on_launch", false),
            ("aws_ebs_volume", "availability_zone", true),
            ("aws_ebs_volume", "size", false),
            ("aws_key_pair", "public_key", true),
            ("aws_key_pair", "key_name", true),
            ("aws_security_group", "name", true),
            ("aws_security_group", "description", true),
            ("aws_security_group_rule", "from_port", true),
            ("aws_security_group_rule", "description", false),
            ("aws_route53_record", "zone_id", true),
            ("aws_route53_record", "name", true),
            ("aws_route53_record", "ttl", false),
            ("aws_lb", "internal", true),
            ("aws_lb", "load_balancer_type", true),
            ("aws_lb_target_group", "port", true),
            ("aws_lb_target_group", "vpc_id", true),
            ("aws_lb_listener", "load_balancer_arn", true),
            ("aws_lb_listener", "port", false),
        ];
        for (ty, path, expected) in cases {
            assert_eq!(attr(ty, path).force_new, *expected, "{ty}.{path}");
        }
        let fnew = resource("aws_instance").force_new_attributes();
        assert!(fnew.iter().any(|p| p == "ami") && fnew.iter().any(|p| p == "launch_template"));
        assert!(!fnew.iter().any(|p| p == "instance_type"));
        assert!(resource("aws_db_instance").block.nested_block("restore_to_point_in_time").is_some_and(|b| b.force_new));
    }

    #[test]
    fn nested_blocks_have_the_provider_shape() {
        let sg = &resource("aws_security_group").block;
        for dir in ["ingress", "egress"] {
            let b = sg.nested_block(dir).unwrap();
            assert_eq!(b.nesting, Nesting::Set);
            let names: BTreeSet<&str> = b.block.names().collect();
            let expected = [
                "cidr_blocks",
                "description",
                "from_port",
                "ipv6_cidr_blocks",
                "prefix_list_ids",
                "protocol",
                "security_groups",
                "self",
                "to_port",
            ];
            assert_eq!(names, expected.into_iter().collect());
            assert!(b.block.attribute("from_port").is_some_and(|a| a.required && a.ty == NUMBER));
            assert_eq!(b.block.attribute("self").and_then(|a| a.default.clone()), Some(Value::Bool(false)));
        }
        let root = resource("aws_instance").block.nested_block("root_block_device").unwrap();
        assert_eq!((root.nesting, root.max_items), (Nesting::Single, Some(1)));
        assert_eq!(resource("aws_instance").block.nested_block("ebs_block_device").unwrap().nesting, Nesting::Set);
        let action = resource("aws_lb_listener").block.nested_block("default_action").unwrap();
        assert_eq!((action.nesting, action.min_items), (Nesting::List, 1));
        for sub in ["forward", "redirect", "fixed_response"] {
            assert_eq!(action.block.nested_block(sub).map(|b| b.nesting), Some(Nesting::Single), "{sub}");
        }
        let tg = action.block.nested_block("forward").unwrap().block.nested_block("target_group").unwrap();
        assert_eq!((tg.nesting, tg.min_items, tg.max_items), (Nesting::Set, 1, Some(5)));
        assert_eq!(resource("aws_route_table").block.nested_block("route").unwrap().nesting, Nesting::Set);
        assert_eq!(resource("aws_db_parameter_group").block.nested_block("parameter").unwrap().nesting, Nesting::Set);
        assert_eq!(resource("aws_route53_zone").block.nested_block("vpc").unwrap().nesting, Nesting::Set);
        let alias = resource("aws_route53_record").block.nested_block("alias").unwrap();
        let alias_names: Vec<&str> = alias.block.names().collect();
        assert_eq!(alias_names, ["evaluate_target_health", "name", "zone_id"]);
        let health = resource("aws_lb_target_group").block.nested_block("health_check").unwrap();
        assert_eq!(health.block.attribute("path").map(|a| (a.optional, a.computed)), Some((true, true)));
        assert_eq!(health.block.attribute("port").and_then(|a| a.default.clone()), Some(Value::string("traffic-port")));
    }

    #[test]
    fn defaults_follow_the_provider() {
        let cases: &[(&str, &str, Value)] = &[
            ("aws_vpc", "enable_dns_support", Value::Bool(true)),
            ("aws_vpc", "instance_tenancy", Value::string("default")),
            ("aws_security_group", "description", Value::string("Managed by Terraform")),
            ("aws_db_instance", "skip_final_snapshot", Value::Bool(false)),
            ("aws_db_instance", "publicly_accessible", Value::Bool(false)),
            ("aws_db_instance", "auto_minor_version_upgrade", Value::Bool(true)),
            ("aws_instance", "source_dest_check", Value::Bool(true)),
            ("aws_lb", "load_balancer_type", Value::string("application")),
            ("aws_lb", "idle_timeout", Value::Number(60.0)),
            ("aws_lb_target_group", "target_type", Value::string("instance")),
            ("aws_lb_target_group", "deregistration_delay", Value::string("300")),
            ("aws_nat_gateway", "connectivity_type", Value::string("public")),
        ];
        for (ty, path, value) in cases {
            assert_eq!(attr(ty, path).default.as_ref(), Some(value), "{ty}.{path}");
        }
        assert_eq!(attr("aws_db_instance", "instance_class").default, None);
    }

    #[test]
    fn timeouts_where_the_provider_has_them() {
        let ops = |ty: &str| -> Option<Vec<String>> {
            resource(ty).block.nested_block("timeouts").map(|b| b.block.attributes.keys().cloned().collect())
        };
        assert_eq!(ops("aws_db_instance").unwrap(), ["create", "delete", "update"]);
        assert_eq!(ops("aws_instance").unwrap(), ["create", "delete", "update"]);
        assert_eq!(ops("aws_subnet").unwrap(), ["create", "delete"]);
        assert_eq!(ops("aws_eip").unwrap(), ["delete", "read", "update"]);
        assert_eq!(ops("aws_vpc"), None);
        assert_eq!(ops("aws_key_pair"), None);
        let t = resource("aws_lb").block.nested_block("timeouts").unwrap();
        assert_eq!(t.nesting, Nesting::Single);
        assert!(t.block.attribute("create").is_some_and(|a| a.optional && a.ty == STRING));
    }

    #[test]
    fn data_sources_take_their_arguments() {
        let ds = |ty: &str| schema().data_source(ty).unwrap_or_else(|| panic!("{ty} is missing"));
        let ami = &ds("aws_ami").block;
        assert!(ami.attribute("owners").is_some_and(|a| a.optional && a.ty == string_list()));
        assert!(ami.attribute("most_recent").is_some_and(|a| a.default == Some(Value::Bool(false))));
        assert!(ami.attribute("image_id").is_some_and(|a| a.computed && !a.optional));
        assert_eq!(ami.nested_block("filter").map(|b| b.nesting), Some(Nesting::Set));
        let identity: Vec<&str> = ds("aws_caller_identity").block.names().collect();
        assert_eq!(identity, ["account_id", "arn", "id", "user_id"]);
        assert!(ds("aws_caller_identity").block.attributes.values().all(|a| a.computed && !a.optional));
        assert!(ds("aws_region").block.attribute("name").is_some_and(|a| a.optional && a.computed));
        assert!(ds("aws_vpc").block.attribute("id").is_some_and(|a| a.optional && a.computed));
        assert!(ds("aws_subnets").block.attribute("ids").is_some_and(|a| a.computed && a.ty == string_list()));
        assert!(ds("aws_availability_zones").block.attribute("names").is_some_and(|a| a.computed));
        assert!(ds("aws_subnet").block.attribute("vpc_id").is_some_and(|a| a.optional && a.computed));
    }

    #[test]
    fn did_you_mean_over_catalog_names() {
        let names = schema().resource_type_names();
        assert_eq!(strata_core::did_you_mean("aws_instnace", names).as_deref(), Some("aws_instance"));
        let block = &resource("aws_db_instance").block;
        assert_eq!(strata_core::did_you_mean("pasword", block.names()).as_deref(), Some("password"));
        assert_eq!(strata_core::did_you_mean("timeout", block.names()).as_deref(), Some("timeouts"));
    }

    #[test]
    fn schema_is_built_once() {
        assert!(std::ptr::eq(schema(), schema()));
    }
}
