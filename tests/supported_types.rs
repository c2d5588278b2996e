//! `docs/supported-types.md`, the page diagnostics about unsupported types
//! point at, is generated from the schema: this test fails when the page is
//! out of date, and `STRATA_UPDATE_DOCS=1` rewrites it.

use strata_provider::{Pricing, ProviderSchema};

use crate::support::repo;

const PAGE: &str = "docs/supported-types.md";

/// `LoadBalancer` → `load balancer`.
fn words(model: &str) -> String {
    let mut out = String::new();
    for (i, c) in model.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn pricing(p: Option<&Pricing>) -> String {
    match p {
        None => "undeclared".into(),
        Some(Pricing::Free { note: None }) => "free".into(),
        Some(Pricing::Free { note: Some(n) }) => format!("free ({n})"),
        Some(Pricing::Catalog(model)) => format!("priced ({})", words(&format!("{model:?}"))),
        Some(Pricing::NotPriced { reason }) => format!("not priced ({reason})"),
    }
}

/// The page, from the schema.
fn page(schema: &ProviderSchema) -> String {
    let mut out = String::from(
        "# Supported resource types and data sources\n\n\
         <!-- Generated from strata's provider schema by tests/supported_types.rs; do not edit by hand.\n     \
         Regenerate it with: STRATA_UPDATE_DOCS=1 cargo nextest run -p strata -E 'test(/supported_types/)' -->\n\n\
         strata plans, applies, prices and checks for drift the types below (schemas as in\n\
         hashicorp/aws 5.100.0). Any other type in a configuration is *unsupported*: `validate`,\n\
         `graph` and `cost` go on with one warning per type (`strata::config::unsupported_type`;\n\
         its blocks are not checked, its attributes are unknown, it is placed by its dependencies\n\
         and listed as not priced), while `plan` and `apply` refuse it with one error per type\n\
         (`strata::plan::unsupported_type`). See [unsupported.md](unsupported.md).\n\n\
         The layer is the type's default (`layer = ...` overrides it; the graph lifts a resource\n\
         to the highest layer among its dependencies). Drift: *part of* a type means its objects\n\
         are managed inline by that type and not listed as unmanaged on their own; *brings* means\n\
         an object comes with another (a VPC's default security group).\n\n",
    );
    out += &format!("## Resource types ({})\n\n| Type | Layer | Tags | Cost | Drift |\n|---|---|---|---|---|\n", schema.resources.len());
    for r in schema.resources.values() {
        let mut drift: Vec<String> = r.drift.part_of.iter().map(|o| format!("part of `{o}`")).collect();
        for c in &r.drift.companions {
            let brings = format!("brings `{}`", c.ty);
            if !drift.contains(&brings) {
                drift.push(brings);
            }
        }
        out += &format!(
            "| `{}` | {} | {} | {} | {} |\n",
            r.type_name,
            r.layer,
            if r.taggable { "yes" } else { "-" },
            pricing(r.pricing.as_ref()),
            if drift.is_empty() { "-".to_string() } else { drift.join(", ") }
        );
    }
    if !schema.aliases.is_empty() {
        out += "\nOld names, aliases as in hashicorp/aws (the same type; the address and the state keep the name written):\n\n";
        for (old, new) in &schema.aliases {
            out += &format!("- `{old}`: `{new}`\n");
        }
    }
    out += &format!("\n## Data sources ({})\n\n", schema.data_sources.len());
    for d in schema.data_sources.values() {
        out += &format!("- `{}`\n", d.type_name);
    }
    out
}

#[test]
fn supported_types_page_is_up_to_date() {
    let path = repo().join(PAGE);
    let want = page(strata_provider::merged_schema());
    if std::env::var_os("STRATA_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{PAGE} is out of date with the schema; regenerate it with\n  STRATA_UPDATE_DOCS=1 cargo nextest run -p strata -E 'test(/supported_types/)'"
    );
}

#[test]
fn supported_types_page_is_linked_from_the_readme_and_diagnostics() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(readme.contains("(docs/supported-types.md)"), "README.md links the page");
    assert_eq!(strata_config::SUPPORTED_TYPES_DOC, PAGE);
}
