//! The provider boundary: what a provider tells strata about its resource
//! types ([`ProviderSchema`]) and, in later stages, the request/response
//! structs the engine exchanges with it.
//!
//! Invariant: this crate knows no cloud SDK. The AWS *schemas* live here
//! (in [`aws`]) because configuration checking and planning need them without
//! pulling in the SDK; the live API calls belong to `strata-aws`.

pub mod aws;
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
