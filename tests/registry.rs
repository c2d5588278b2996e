//! Every supported resource type is declared once, completely: a schema
//! (with its layer), an implementation in strata-aws (strata-local for the
//! local utility providers), how it is priced (a
//! pricer per price model is an exhaustive match in strata-cost), and drift
//! relations that name types that exist. Forgetting any of them fails here
//! rather than silently (false "unmanaged" drift, "not priced").

use std::collections::BTreeSet;

use strata_provider::Pricing;

#[test]
fn every_type_is_declared_completely() {
    let schema = strata_provider::merged_schema();
    let provider = strata_aws::AwsProvider::new();
    let mut implemented: BTreeSet<&str> = provider.resource_types().collect();
    implemented.extend(strata_local::LocalProvider::resource_types());
    let declared: BTreeSet<&str> = schema.resource_type_names().collect();
    let mut problems = Vec::new();
    for ty in declared.difference(&implemented) {
        problems.push(format!("{ty}: a schema but no implementation in strata-aws or strata-local"));
    }
    for ty in implemented.difference(&declared) {
        problems.push(format!("{ty}: an implementation but no schema in strata-provider"));
    }
    for t in schema.resources.values() {
        let ty = t.type_name.as_str();
        match &t.pricing {
            None => problems.push(format!("{ty}: no pricing declared (`.free()`, `.priced(model)` or `.not_priced(reason)`)")),
            Some(Pricing::NotPriced { reason: "" }) => problems.push(format!("{ty}: not priced without a reason")),
            _ => {}
        }
        for other in t.drift.part_of.iter().copied().chain(t.drift.companions.iter().map(|c| c.ty)) {
            if schema.resource(other).is_none() {
                problems.push(format!("{ty}: its drift relations name {other}, which is not a supported type"));
            }
        }
        if t.drift.companions.iter().any(|c| c.path.is_empty()) {
            problems.push(format!("{ty}: a companion with an empty path"));
        }
    }
    assert!(problems.is_empty(), "incompletely declared types:\n{}", problems.join("\n"));
}
