//! `strata plan`: configuration + state → a plan (and, with it, a cost report).

use std::path::Path;

use strata_config::{Config, Evaluated, VarSources};
use strata_core::{Address, Diagnostic, Diagnostics};
use strata_graph::Graph;
use strata_plan::{Plan, PlanOptions, StatePlanner, Target};
use strata_provider::ProviderSchema;
use strata_state::State;

/// What the command line asks of a plan.
#[derive(Debug, Clone, Default)]
pub struct PlanRequest {
    pub vars: VarSources,
    pub targets: Vec<Target>,
    pub replace: Vec<Address>,
}

/// Everything a plan run produced, for the binary to render.
pub struct PlanRun {
    pub config: Config,
    pub evaluated: Option<Evaluated>,
    pub graph: Option<Graph>,
    pub state: Option<State>,
    /// `None` when errors stopped planning.
    pub plan: Option<Plan>,
    pub config_digest: String,
    pub diagnostics: Diagnostics,
}

/// Plan the configuration in `dir` against its recorded state. Makes no
/// cloud call: with an empty state there is nothing to refresh.
pub fn plan(dir: &Path, req: &PlanRequest, schema: &ProviderSchema) -> PlanRun {
    let started = std::time::Instant::now();
    let (mut config, mut diagnostics) = strata_config::load(dir);
    let run = |config: &mut Config, diagnostics: &mut Diagnostics| -> Option<(Evaluated, Graph, Option<State>, Option<Plan>, String)> {
        let state = match crate::state::backend(config).and_then(|b| crate::state::read(&b)) {
            Ok(s) => s,
            Err(d) => {
                diagnostics.push(d);
                return None;
            }
        };
        let (inputs, d) = strata_config::collect_inputs(config, &req.vars);
        diagnostics.extend(d);
        let planner = StatePlanner::new(state.as_ref(), &req.replace);
        tracing::debug!(elapsed = ?started.elapsed(), resources = state.as_ref().map_or(0, |s| s.resources.len()), "read state");
        let (mut ev, d) = strata_config::evaluate(config, &inputs, schema, &planner);
        diagnostics.extend(d);
        tracing::debug!(elapsed = ?started.elapsed(), instances = ev.resources.len(), "evaluated and planned instances");
        let (nodes, options) = strata_config::graph_input(&ev, schema);
        let (graph, d) = strata_graph::build(nodes, &options);
        diagnostics.extend(d);
        let digest = digest(config, &ev);
        if diagnostics.has_errors() {
            return Some((ev, graph, state, None, digest));
        }
        let opts = PlanOptions { targets: req.targets.clone(), replace: req.replace.clone(), config_digest: digest.clone() };
        let (plan, d) = strata_plan::build_plan(&mut ev, &graph, state.as_ref(), &opts);
        diagnostics.extend(d);
        tracing::debug!(elapsed = ?started.elapsed(), changes = plan.changes.len(), "built plan");
        let plan = (!diagnostics.has_errors()).then_some(plan);
        Some((ev, graph, state, plan, digest))
    };
    let result = run(&mut config, &mut diagnostics);
    diagnostics.collapse_repeats();
    diagnostics.sort();
    match result {
        Some((ev, graph, state, plan, config_digest)) => {
            PlanRun { config, evaluated: Some(ev), graph: Some(graph), state, plan, config_digest, diagnostics }
        }
        None => PlanRun { config, evaluated: None, graph: None, state: None, plan: None, config_digest: String::new(), diagnostics },
    }
}

/// The digest of the configuration's files and root variable values that a
/// saved plan records (sensitive values only as hashes).
pub fn digest(config: &Config, ev: &Evaluated) -> String {
    // Names relative to the configuration, so that plan and apply agree from any directory.
    let files: Vec<(String, &str)> = config
        .sources
        .files()
        .map(|(_, f)| (f.path.strip_prefix(&config.root_dir).unwrap_or(&f.path).display().to_string(), &*f.text))
        .collect();
    let vars: Vec<(String, strata_core::Value, bool)> =
        ev.root_variables.iter().map(|(k, v)| (k.clone(), v.clone(), v.contains_sensitive())).collect();
    strata_plan::config_digest(&files, &vars)
}

/// Parse `--target` / `--replace` arguments.
pub fn parse_addresses(items: &[String], flag: &str) -> Result<Vec<Address>, Diagnostic> {
    items
        .iter()
        .map(|s| {
            s.parse::<Address>().map_err(|e| {
                Diagnostic::error("strata::cli::invalid_address", format!("{flag} {s:?} is not a resource address: {e}"))
                    .with_help("write an address such as aws_instance.web, aws_instance.web[0] or module.net.aws_subnet.a[\"x\"]")
            })
        })
        .collect()
}
