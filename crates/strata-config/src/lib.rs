//! strata's configuration: HCL files → a model of modules → evaluated
//! resource instances.
//!
//! - [`load`] reads every `*.tf` / `*.hcl` file of a directory with hcl-edit
//!   (which keeps byte spans for diagnostics) into a [`Module`], and loads
//!   called modules recursively.
//! - [`collect_inputs`] gathers root variable values (files, flags, environment).
//! - [`evaluate`] orders every declared item by its references, evaluates it
//!   for every module instance, expands `count` / `for_each`, checks bodies
//!   against the provider schema and resolves instance dependencies.
//!
//! Invariant: this crate knows HCL and the provider *schema*, never a cloud,
//! a state file or the terminal. It reports every problem it can find, not
//! just the first.

mod audit;
mod body;
mod eval;
mod loader;
pub mod model;
mod planner;
mod refs;
mod settings;
mod vars;

pub use eval::{
    ConditionFailure, Evaluated, MovedStatement, OutputValue, ProviderConfig, ResourceInstance, SUPPORTED_TYPES_DOC, Settings,
    UNSUPPORTED_TYPE, UnsupportedType, default_provider_address, evaluate, provider_address, unsupported_types, without_keys,
};
pub use loader::{Config, MAX_CONFIG_BYTES, MAX_FILE_BYTES, load, load_sources};
pub use model::{ConditionKind, Module};
pub use planner::{NoPriorState, PlanRequest, Planned, Planner};
pub use settings::{BackendSettings, backend_settings, version_satisfies};
pub use vars::{InputValue, InputVariables, RawValue, VarSources, collect_inputs};

use strata_graph::{DepInput, GraphOptions, NodeInput};
use strata_provider::ProviderSchema;

/// The graph input for the managed resource instances of an evaluation.
pub fn graph_input(ev: &Evaluated, schema: &ProviderSchema) -> (Vec<NodeInput>, GraphOptions) {
    let nodes = ev
        .resources
        .iter()
        .map(|r| NodeInput {
            addr: r.addr.clone(),
            default_layer: schema.resource(&r.addr.ty).map_or(strata_core::Layer::Infrastructure, |s| s.layer),
            explicit_layer: r.layer_override.clone(),
            span: Some(r.span.clone()),
            deps: r.dependencies.iter().map(|(target, span)| DepInput { target: target.clone(), span: span.clone() }).collect(),
        })
        .collect();
    (nodes, GraphOptions { strict_layers: ev.settings.strict_layers })
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_conditions;
