//! The provider boundary: what a provider tells strata about its resource
//! types ([`ProviderSchema`]) and, in later stages, the request/response
//! structs the engine exchanges with it.
//!
//! Invariant: this crate knows no cloud SDK. The AWS *schemas* live here
//! (in [`aws`]) because configuration checking and planning need them without
//! pulling in the SDK; the live API calls belong to `strata-aws`.

pub mod aws;
pub mod local;
mod marks;
mod plan;
pub mod policy;
pub mod provider;
pub mod schema;
mod sets;

pub use marks::propagate_marks;
pub use plan::{PlannedChange, differs, plan_change};
pub use provider::*;
pub use schema::{
    AttributeSchema, BlockSchema, Companion, DriftRelations, NestedBlock, Nesting, PriceModel, Pricing, ProviderSchema, ResourceSchema,
};
pub use sets::{SetChange, set_changes, set_diff};

/// Every type strata supports, of every provider (AWS and the local ones of
/// [`local::PROVIDERS`]), merged once: types are prefixed by their
/// provider's name, so the names never clash. Configuration checking,
/// planning, cost and drift use this schema; each provider implementation
/// reports its own part.
pub fn merged_schema() -> &'static ProviderSchema {
    static SCHEMA: std::sync::OnceLock<ProviderSchema> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut merged = aws::schema().clone();
        let local = local::schema();
        merged.resources.extend(local.resources.iter().map(|(k, v)| (k.clone(), v.clone())));
        merged.data_sources.extend(local.data_sources.iter().map(|(k, v)| (k.clone(), v.clone())));
        merged
    })
}

/// The provider name of a type: its prefix (`random_password` → `random`).
pub fn provider_name(ty: &str) -> &str {
    ty.split('_').next().unwrap_or(ty)
}
