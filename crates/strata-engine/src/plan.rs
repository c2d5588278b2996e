//! `strata plan`: configuration + state → a plan (and, with it, a cost report).

use std::path::Path;

use strata_config::{Config, Evaluated, InputVariables, VarSources};
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

/// A provider to talk to while planning: data sources are read, and with
/// `refresh` the recorded objects are read back first.
pub struct Live<'a> {
    /// One instance per provider configuration.
    pub providers: crate::providers::Providers,
    pub runtime: &'a tokio::runtime::Runtime,
    pub refresh: bool,
    /// `plan` only: when the provider finds no credentials, plan against the
    /// recorded state with a warning (data sources stay unknown) instead of
    /// failing. Runs that change things always need the provider.
    pub optional: bool,
}

/// How a planner reads data sources: from outside the async runtime (a plan
/// run) or from inside it (re-evaluation during an apply, whose data sources
/// may depend on objects the apply just created).
pub(crate) enum DataReader<'a> {
    Outside(&'a Live<'a>),
    Inside(&'a crate::providers::Providers),
}

/// The `StatePlanner` plus data source reads through a provider.
pub(crate) struct LivePlanner<'a> {
    pub inner: StatePlanner<'a>,
    pub reader: Option<DataReader<'a>>,
}

impl strata_config::Planner for LivePlanner<'_> {
    fn plan(&self, req: strata_config::PlanRequest) -> strata_config::Planned {
        self.inner.plan(req)
    }

    fn read_data(&self, addr: &Address, provider: &str, args: &strata_core::Value) -> Option<Result<strata_core::Value, String>> {
        let req = strata_provider::ReadDataRequest { addr: addr.clone(), ty: addr.ty.clone(), config: args.clone() };
        let resp = match self.reader.as_ref()? {
            DataReader::Outside(live) => live.runtime.block_on(live.providers.get(provider).read_data(req)),
            DataReader::Inside(providers) => {
                let provider = providers.get(provider);
                // Only a multi-threaded runtime can block one of its workers.
                let handle = tokio::runtime::Handle::try_current().ok()?;
                if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
                    return None;
                }
                tokio::task::block_in_place(|| handle.block_on(provider.read_data(req)))
            }
        };
        Some(match resp.error {
            Some(e) => Err(e.to_string()),
            None => Ok(resp.state),
        })
    }
}

/// Configure one provider instance per `provider` block of the configuration
/// (the default one and each alias; evaluated without state: provider
/// settings come from variables and locals).
pub fn configure(
    live: &Live,
    config: &Config,
    inputs: &strata_config::InputVariables,
    lineage: &str,
    schema: &ProviderSchema,
) -> Diagnostics {
    let (ev, _) = strata_config::evaluate(config, inputs, schema, &strata_config::NoPriorState);
    let requests = crate::providers::configure_requests(&ev, lineage);
    live.runtime.block_on(live.providers.configure(requests))
}

/// Objects recorded under a provider configuration the configuration no
/// longer declares cannot be read or deleted: say which, and how to go on.
pub fn check_recorded_providers(live: &Live, state: &State, diagnostics: &mut Diagnostics) {
    let recorded = state
        .resources
        .iter()
        .chain(&state.deposed)
        .map(|r| (r.address.as_str(), r.provider.as_deref()))
        .chain(state.intents.iter().map(|i| (i.address.as_str(), i.provider.as_deref())));
    let mut missing: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
    for (addr, provider) in recorded {
        if let Some(p) = provider
            && !live.providers.is_configured(p)
        {
            missing.entry(p).or_default().push(addr);
        }
    }
    for (provider, addrs) in missing {
        let alias = provider.rsplit_once("].").map_or("NAME", |(_, a)| a);
        diagnostics.push(
            Diagnostic::error(
                "strata::plan::provider_missing",
                format!("{} recorded under {provider}, which the configuration no longer declares: {}", addrs.len(), addrs.join(", ")),
            )
            .with_help(format!(
                "put the `provider` block with `alias = \"{alias}\"` back until its objects are destroyed or moved; strata reads and deletes them only through it"
            )),
        );
    }
}

/// Everything a plan run produced, for the binary to render.
pub struct PlanRun {
    pub config: Config,
    pub inputs: InputVariables,
    pub evaluated: Option<Evaluated>,
    pub graph: Option<Graph>,
    /// The state planned against (refreshed when a live provider refreshed it;
    /// intents recovered when the run was allowed to write).
    pub state: Option<State>,
    /// `None` when errors stopped planning.
    pub plan: Option<Plan>,
    pub config_digest: String,
    pub diagnostics: Diagnostics,
}

/// What a plan run may do besides reading: with `live`, talk to the
/// provider (configure, read data sources, refresh); with `recover`, adopt or
/// drop the intents a crashed apply left in the state and write it (only
/// under the state lock).
#[derive(Default)]
pub struct RunMode<'a> {
    pub live: Option<&'a Live<'a>>,
    pub recover: Option<&'a strata_state::LocalBackend>,
    /// Plan the removal of everything in the state (`destroy`).
    pub destroy: bool,
}

/// Plan the configuration in `dir` against its recorded state. Makes no
/// cloud call unless `mode.live` is given.
pub fn plan(dir: &Path, req: &PlanRequest, schema: &ProviderSchema, mode: RunMode) -> PlanRun {
    let started = std::time::Instant::now();
    let (mut config, mut diagnostics) = strata_config::load(dir);
    let mut run = PlanRun {
        config: Config { sources: Default::default(), modules: Vec::new(), children: Vec::new(), root_dir: dir.to_path_buf() },
        inputs: InputVariables::default(),
        evaluated: None,
        graph: None,
        state: None,
        plan: None,
        config_digest: String::new(),
        diagnostics: Diagnostics::new(),
    };
    plan_into(&mut config, &mut diagnostics, &mut run, req, schema, &mode, started);
    run.config = config;
    diagnostics.collapse_repeats();
    diagnostics.sort();
    run.diagnostics = diagnostics;
    run
}

fn plan_into(
    config: &mut Config,
    diagnostics: &mut Diagnostics,
    run: &mut PlanRun,
    req: &PlanRequest,
    schema: &ProviderSchema,
    mode: &RunMode,
    started: std::time::Instant,
) {
    let mut state = match crate::state::backend(config).and_then(|b| crate::state::read(&b)) {
        Ok(s) => s,
        Err(d) => {
            diagnostics.push(d);
            return;
        }
    };
    let (inputs, d) = strata_config::collect_inputs(config, &req.vars);
    diagnostics.extend(d);
    run.inputs = inputs;
    // Why data sources were not read, if they were not.
    let mut not_read = match mode.live {
        None => Some("planned offline"),
        Some(l) if l.optional && !l.refresh => Some("--refresh=false"),
        Some(_) => None,
    };
    let mut live = mode.live.filter(|l| !l.optional || l.refresh);
    // A plan reads the cloud only when there is something to read: recorded
    // objects to refresh or data sources.
    if live.is_some_and(|l| l.optional)
        && !state.as_ref().is_some_and(|s| !s.resources.is_empty() || !s.intents.is_empty())
        && !config.modules.iter().any(|m| m.resources.values().any(|r| r.mode == strata_core::Mode::Data))
    {
        live = None;
    }
    if let Some(l) = live {
        // Objects are tagged with the lineage: a first apply fixes it now
        // (a plan writes nothing and needs none).
        let lineage = match &state {
            Some(s) => s.lineage.clone(),
            None if l.optional => String::new(),
            None => state.get_or_insert_with(State::new).lineage.clone(),
        };
        let configured = configure(l, config, &run.inputs, &lineage, schema);
        if let Some(s) = &state
            && !configured.has_errors()
        {
            check_recorded_providers(l, s, diagnostics);
        }
        let no_credentials = configured.iter().find(|d| d.code == strata_provider::NO_CREDENTIALS).cloned();
        match no_credentials {
            Some(d) if l.optional => {
                diagnostics.push(
                    Diagnostic::warning("strata::plan::not_refreshed", format!("planned without reading the cloud: {}", d.message))
                        .with_help("set AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...) to refresh, or pass --refresh=false to plan offline on purpose"),
                );
                not_read = Some("no AWS credentials were found");
                live = None;
                diagnostics.extend(Diagnostics(configured.0.into_iter().filter(|d| d.code != strata_provider::NO_CREDENTIALS).collect()));
            }
            _ => {
                diagnostics.extend(configured);
                if diagnostics.has_errors() {
                    return;
                }
            }
        }
    }
    if let Some(live) = live {
        if let (Some(backend), Some(s)) = (mode.recover, state.as_mut())
            && !(s.intents.is_empty())
        {
            recover(live, backend, s, config, &run.inputs, schema, diagnostics);
        }
        if live.refresh
            && let Some(s) = &state
            && !s.resources.is_empty()
        {
            let outcome = live.runtime.block_on(crate::refresh::refresh(&live.providers, s));
            tracing::info!(calls = outcome.calls, gone = outcome.gone.len(), changed = outcome.changed.len(), "refreshed the state");
            for (ty, e) in &outcome.errors {
                diagnostics.push(Diagnostic::error("strata::provider::refresh", format!("cannot read the recorded {ty} objects: {e}")));
            }
            state = Some(outcome.state);
        }
    }
    let planner = LivePlanner { inner: StatePlanner::new(state.as_ref(), &req.replace), reader: live.map(DataReader::Outside) };
    tracing::debug!(elapsed = ?started.elapsed(), resources = state.as_ref().map_or(0, |s| s.resources.len()), "read state");
    let (mut ev, d) = strata_config::evaluate(config, &run.inputs, schema, &planner);
    diagnostics.extend(d);
    tracing::debug!(elapsed = ?started.elapsed(), instances = ev.resources.len(), "evaluated and planned instances");
    let (nodes, options) = strata_config::graph_input(&ev, schema);
    let (graph, d) = strata_graph::build(nodes, &options);
    diagnostics.extend(d);
    run.config_digest = digest(config, &ev);
    if !diagnostics.has_errors() {
        let opts = PlanOptions { targets: req.targets.clone(), replace: req.replace.clone(), config_digest: run.config_digest.clone() };
        let (plan, d) = if mode.destroy {
            destroy_plan(&ev, &graph, state.as_ref(), &opts)
        } else {
            strata_plan::build_plan(&mut ev, &graph, state.as_ref(), &opts)
        };
        diagnostics.extend(d);
        let mut plan = plan;
        plan.refreshed = live.is_some_and(|l| l.refresh) && state.as_ref().is_some_and(|s| !s.resources.is_empty());
        if let Some(why) = not_read {
            plan.data_not_read = ev.data.iter().filter(|d| !d.values.is_wholly_known()).map(|d| d.addr.to_string()).collect();
            plan.data_not_read_reason = (!plan.data_not_read.is_empty()).then(|| why.to_string());
        }
        // Creates a killed run left unresolved (a plan that may not write
        // leaves them to the apply, which looks for their objects first).
        plan.interrupted_creates = state.as_ref().map(|s| s.intents.iter().map(|i| i.address.clone()).collect()).unwrap_or_default();
        tracing::debug!(elapsed = ?started.elapsed(), changes = plan.changes.len(), "built plan");
        run.plan = (!diagnostics.has_errors()).then_some(plan);
    }
    run.evaluated = Some(ev);
    run.graph = Some(graph);
    run.state = state;
}

/// Resolve the intents a killed run left, in rounds. The provider finds
/// some objects by their planned values (deterministic names), so each
/// round passes the planned objects (data sources read) whose managed
/// dependencies are all recorded —
/// their references are then real ids, not unknowns that could match
/// nothing and drop an intent whose object exists — and the next round
/// re-evaluates against what was adopted. Intents left over are looked for
/// again by the apply, with fully planned objects, before it creates.
fn recover(
    live: &Live,
    backend: &strata_state::LocalBackend,
    state: &mut State,
    config: &Config,
    inputs: &InputVariables,
    schema: &ProviderSchema,
    diagnostics: &mut Diagnostics,
) {
    for _ in 0..=state.intents.len() {
        let pending: std::collections::HashSet<Address> =
            state.intents.iter().filter_map(|i| i.address.parse::<Address>().ok()).map(|a| a.resource()).collect();
        let recorded: std::collections::HashSet<Address> =
            state.resources.iter().filter_map(|r| r.addr().ok()).map(|a| a.resource()).collect();
        // Data sources are read, so that values from them are known too.
        let planner = LivePlanner { inner: StatePlanner::new(Some(state), &[]), reader: Some(DataReader::Outside(live)) };
        let (ev, _) = strata_config::evaluate(config, inputs, schema, &planner);
        let planned: std::collections::HashMap<Address, strata_core::Value> = ev
            .resources
            .into_iter()
            .filter(|r| r.dependencies.iter().all(|(d, _)| recorded.contains(&d.resource()) && !pending.contains(&d.resource())))
            .map(|r| (r.addr, r.values))
            .collect();
        let report = live.runtime.block_on(crate::recover::recover_intents(&live.providers, backend, state, &planned));
        tracing::info!(
            adopted = report.adopted.len(),
            dropped = report.dropped.len(),
            left = state.intents.len(),
            "recovered intents of an interrupted apply"
        );
        diagnostics.extend(report.diagnostics);
        if (report.adopted.is_empty() && report.dropped.is_empty()) || state.intents.is_empty() {
            return;
        }
    }
}

/// Delete everything recorded, top-down; `prevent_destroy` in the
/// configuration stops it.
fn destroy_plan(ev: &Evaluated, graph: &Graph, state: Option<&State>, opts: &PlanOptions) -> (Plan, Diagnostics) {
    let mut empty = Evaluated { settings: ev.settings.clone(), providers: ev.providers.clone(), ..Evaluated::default() };
    let (mut plan, mut diags) = strata_plan::build_plan(&mut empty, graph, state, opts);
    plan.outputs.clear();
    for r in ev.resources.iter().filter(|r| r.prevent_destroy) {
        if plan.changes.iter().any(|c| c.addr == r.addr) {
            diags.push(
                Diagnostic::error(
                    "strata::plan::prevent_destroy",
                    format!("`{}` has `prevent_destroy` set and cannot be destroyed", r.addr),
                )
                .with_label(Some(r.span.clone()), "`lifecycle { prevent_destroy = true }` protects this resource")
                .with_help("remove `prevent_destroy` from its lifecycle block first, or leave it out with --target"),
            );
        }
    }
    (plan, diags)
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
