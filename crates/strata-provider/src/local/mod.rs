//! Schemas of the local utility providers: resource types and data sources
//! that run in-process, without a cloud (hashicorp/random 3.x,
//! hashicorp/null 3.x, hashicorp/time 0.x, hashicorp/local 2.x,
//! hashicorp/template 2.x and
//! Terraform's built-in `terraform_data`). Their implementations live in
//! `strata-local`.
//!
//! Transcribed from the upstream providers' schemas: argument and attribute
//! names, types, which are required, optional or computed, which force
//! replacement (`keepers`, `triggers`, `triggers_replace`), which are
//! sensitive, and their defaults. Every type is free and sits on layer 1
//! (the graph lifts it above its dependencies).

mod file;
mod null;
mod random;
mod template;
mod time;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::schema::{ProviderSchema, ResourceSchema};

/// The provider names served in-process, in the order they are listed.
pub const PROVIDERS: &[&str] = &["random", "null", "terraform", "time", "local", "template"];

/// The local providers' schema (every type of [`PROVIDERS`]), built on first use.
pub fn schema() -> &'static ProviderSchema {
    static SCHEMA: OnceLock<ProviderSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| ProviderSchema {
        name: "local".into(),
        resources: by_name(resources()),
        data_sources: by_name(data_sources()),
        ..Default::default()
    })
}

fn resources() -> Vec<ResourceSchema> {
    [random::resources(), null::resources(), time::resources(), file::resources()].concat()
}

fn data_sources() -> Vec<ResourceSchema> {
    [file::data_sources(), template::data_sources()].concat()
}

fn by_name(types: Vec<ResourceSchema>) -> BTreeMap<String, ResourceSchema> {
    types.into_iter().map(|t| (t.type_name.clone(), t)).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The local types' table: layer, pricing; every one free on layer 1.
    #[test]
    fn the_local_type_table() {
        let mut table = String::from("type | layer | pricing | force new\n");
        for r in schema().resources.values() {
            assert_eq!(r.pricing, Some(crate::Pricing::Free { note: None }), "{}", r.type_name);
            assert!(!r.taggable, "{}", r.type_name);
            table += &format!("{} | {} | free | {}\n", r.type_name, r.layer.number(), r.force_new_attributes().join(", "));
        }
        table += "\ndata source\n";
        for d in schema().data_sources.values() {
            table += &format!("{}\n", d.type_name);
        }
        insta::assert_snapshot!(table);
    }

    #[test]
    fn every_type_belongs_to_a_local_provider_and_names_are_unique() {
        for list in [resources(), data_sources()] {
            let names: BTreeSet<&str> = list.iter().map(|r| r.type_name.as_str()).collect();
            assert_eq!(names.len(), list.len(), "a type is declared twice");
        }
        for r in &[resources(), data_sources()].concat() {
            let prefix = r.type_name.split('_').next().unwrap_or_default();
            assert!(PROVIDERS.contains(&prefix), "{} is not of a local provider", r.type_name);
            let id = r.block.attribute("id").unwrap();
            assert!(id.computed && id.ty == strata_core::Type::String, "{}", r.type_name);
        }
    }

    #[test]
    fn sensitive_results() {
        let s = schema();
        assert!(s.resource("random_password").unwrap().block.attribute("result").unwrap().sensitive);
        assert!(s.resource("random_password").unwrap().block.attribute("bcrypt_hash").unwrap().sensitive);
        assert!(!s.resource("random_string").unwrap().block.attribute("result").unwrap().sensitive);
    }
}
