//! strata's runs: each public function is one command's work, from a
//! configuration directory to a result the binary renders.
//!
//! Invariant: the engine wires the pipeline crates together; it knows no
//! terminal and renders nothing.

pub mod apply;
pub mod cost;
pub mod drift;
pub mod fake;
pub mod plan;
pub mod providers;
pub mod recover;
pub mod refresh;
pub mod state;

#[cfg(test)]
mod tests_apply;

use std::path::Path;
use std::time::Instant;

use strata_config::{Config, Evaluated, VarSources};
use strata_core::Diagnostics;
use strata_graph::Graph;
use strata_provider::ProviderSchema;

/// A configuration loaded, evaluated and ordered.
pub struct Prepared {
    pub config: Config,
    /// `None` when loading failed so badly that nothing could be evaluated.
    pub evaluated: Option<Evaluated>,
    pub graph: Option<Graph>,
    /// Every diagnostic from every phase, sorted by position.
    pub diagnostics: Diagnostics,
}

/// Load `dir`, evaluate it with the given variables and build the resource graph.
/// Keeps going after errors so that every problem is reported at once.
pub fn prepare(dir: &Path, vars: &VarSources, schema: &ProviderSchema) -> Prepared {
    let started = Instant::now();
    let (mut config, mut diagnostics) = strata_config::load(dir);
    tracing::debug!(files = config.sources.files().count(), modules = config.modules.len(), elapsed = ?started.elapsed(), "loaded configuration");
    let (inputs, d) = strata_config::collect_inputs(&mut config, vars);
    diagnostics.extend(d);
    let (evaluated, d) = strata_config::evaluate(&config, &inputs, schema, &strata_config::NoPriorState);
    diagnostics.extend(d);
    tracing::debug!(resources = evaluated.resources.len(), elapsed = ?started.elapsed(), "evaluated configuration");
    let (nodes, options) = strata_config::graph_input(&evaluated, schema);
    let (graph, d) = strata_graph::build(nodes, &options);
    diagnostics.extend(d);
    tracing::debug!(nodes = graph.len(), waves = graph.apply_waves().len(), elapsed = ?started.elapsed(), "built graph");
    diagnostics.collapse_repeats();
    diagnostics.sort();
    Prepared { config, evaluated: Some(evaluated), graph: Some(graph), diagnostics }
}
