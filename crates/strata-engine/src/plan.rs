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
    recorded: Option<&State>,
    lineage: &str,
    schema: &ProviderSchema,
) -> Diagnostics {
    let (ev, _) = strata_config::evaluate(config, inputs, schema, &strata_config::NoPriorState);
    let requests = crate::providers::configure_requests(&ev, recorded, lineage);
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
    /// The state's key ([`strata_state::StateKey`]): the digest and a saved
    /// plan's hashes of sensitive values are keyed with it.
    pub key: Option<strata_state::StateKey>,
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
    /// `refresh`: a recorded object whose name another state (or an object
    /// made outside strata) has taken is forgotten with a warning (its own
    /// object is gone) instead of stopping the run.
    pub forget_foreign: bool,
    /// `cost`: resource types strata does not support are planned as
    /// unknown objects (listed as not priced) with a warning each, instead
    /// of stopping the run with an error each.
    pub allow_unsupported: bool,
}

/// The error with which a plan refuses a type strata does not support.
pub const UNSUPPORTED_TYPE: &str = "strata::plan::unsupported_type";

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
        key: None,
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
    let backend = match crate::state::backend(config) {
        Ok(b) => b,
        Err(d) => {
            diagnostics.push(d);
            return;
        }
    };
    let mut state = match crate::state::read(&backend) {
        Ok(s) => s,
        Err(d) => {
            diagnostics.push(d);
            return;
        }
    };
    run.key = state_key(&backend);
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
    // A configuration with types strata cannot plan is refused without a
    // word to the cloud: one error per type in place of its warning (a
    // destroy plans the state, which has none of them).
    let refused = !mode.allow_unsupported && !mode.destroy && !strata_config::unsupported_types(config, schema).is_empty();
    if refused {
        live = None;
    }
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
        let configured = configure(l, config, &run.inputs, state.as_ref(), &lineage, schema);
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
            recover(live, backend, s, config, &run.inputs, schema, mode.destroy, diagnostics);
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
            // Another state's object (or a name taken outside strata) stops
            // the run: nothing may adopt, change or delete it.
            for f in &outcome.foreign {
                diagnostics.push(if mode.forget_foreign { f.forgotten() } else { f.diagnostic() });
            }
            if !outcome.gone.is_empty() {
                diagnostics.push(deleted_outside(&outcome.gone, mode.forget_foreign, mode.destroy));
            }
            state = Some(outcome.state);
        }
    }
    let planner = LivePlanner { inner: StatePlanner::new(state.as_ref(), &req.replace), reader: live.map(DataReader::Outside) };
    tracing::debug!(elapsed = ?started.elapsed(), resources = state.as_ref().map_or(0, |s| s.resources.len()), "read state");
    let (mut ev, d) = strata_config::evaluate(config, &run.inputs, schema, &planner);
    diagnostics.extend(d);
    if refused {
        diagnostics.0.retain(|d| d.code != strata_config::UNSUPPORTED_TYPE);
        for u in &ev.unsupported {
            diagnostics.push(u.error(UNSUPPORTED_TYPE));
        }
    }
    tracing::debug!(elapsed = ?started.elapsed(), instances = ev.resources.len(), "evaluated and planned instances");
    let (nodes, options) = strata_config::graph_input(&ev, schema);
    let (graph, d) = strata_graph::build(nodes, &options);
    diagnostics.extend(d);
    // Without any key, a digest that matches nothing: never an unkeyed one.
    run.config_digest = match &run.key {
        Some(k) => digest(k, config, &ev),
        None => format!("unkeyed-{}", uuid::Uuid::new_v4().simple()),
    };
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
        // leaves them to the apply, which looks for their objects first),
        // and what no configured instance owns.
        if let Some(s) = &state {
            let configured: std::collections::HashSet<&Address> = ev.resources.iter().map(|r| &r.addr).collect();
            let orphan = |i: &strata_state::Intent| mode.destroy || i.address.parse::<Address>().is_ok_and(|a| !configured.contains(&a));
            plan.interrupted_creates = s.intents.iter().filter(|i| !orphan(i)).map(|i| i.address.clone()).collect();
            let intents: Vec<&strata_state::Intent> = s.intents.iter().filter(|i| orphan(i)).collect();
            plan.leftovers = leftovers(s, &intents, live, diagnostics);
        }
        tracing::debug!(elapsed = ?started.elapsed(), changes = plan.changes.len(), "built plan");
        run.plan = (!diagnostics.has_errors()).then_some(plan);
    }
    run.evaluated = Some(ev);
    run.graph = Some(graph);
    run.state = state;
}

/// The plan's leftovers: deposed objects in the state, and the objects of
/// orphaned intents (addresses no longer configured) — looked for when the
/// cloud can be read, with lookups that change nothing.
fn leftovers(
    state: &State,
    intents: &[&strata_state::Intent],
    live: Option<&Live>,
    diagnostics: &mut Diagnostics,
) -> Vec<strata_plan::Leftover> {
    use strata_plan::{Leftover, LeftoverCause};
    let mut out: Vec<Leftover> = state
        .deposed
        .iter()
        .map(|r| Leftover {
            address: r.address.clone(),
            ty: r.ty.clone(),
            id: Some(r.id.clone()),
            cause: if crate::recover::is_orphan(r) { LeftoverCause::InterruptedCreate } else { LeftoverCause::Deposed },
        })
        .collect();
    for intent in intents {
        let Ok(addr) = intent.address.parse::<Address>() else { continue };
        let mut id = None;
        if let Some(live) = live {
            let req = strata_provider::FindByIntentRequest {
                ty: addr.ty.clone(),
                addr: addr.clone(),
                token: intent.token.clone(),
                planned: intent.identity.as_ref().map_or(strata_core::Value::Null, strata_core::Value::from_json),
                orphan: true,
            };
            let found = live.runtime.block_on(live.providers.for_object(&addr.ty, intent.provider.as_deref()).find_by_intent(req));
            match (found.error, found.found) {
                (Some(e), _) => diagnostics.push(lookup_failed(&addr, &e)),
                (None, Some(v)) => {
                    if let Some(lineage) = found.ownership.foreign_to(&state.lineage) {
                        let e = crate::recover::foreign(&addr, lineage);
                        diagnostics.push(Diagnostic::error("strata::recover::foreign_object", e.message));
                        continue;
                    }
                    id = crate::apply::id_of(&v);
                }
                // Nothing was made: the apply drops the intent.
                (None, None) => continue,
            }
        }
        out.push(Leftover { address: intent.address.clone(), ty: addr.ty.clone(), id, cause: LeftoverCause::InterruptedCreate });
    }
    out
}

/// Recorded objects a refresh found deleted outside strata, said plainly (as
/// Terraform's "Objects have changed outside of Terraform").
fn deleted_outside(gone: &[Address], refresh_only: bool, destroy: bool) -> Diagnostic {
    const SHOWN: usize = 10;
    let n = gone.len();
    let mut names: Vec<String> = gone.iter().take(SHOWN).map(|a| format!("`{a}`")).collect();
    if n > SHOWN {
        names.push(format!("and {} more", n - SHOWN));
    }
    let (what, verb) = if n == 1 { ("recorded object was", "it") } else { ("recorded objects were", "them") };
    let help = if refresh_only {
        format!("the refreshed state forgets {verb}; the next plan creates {verb} again while the configuration declares {verb}")
    } else if destroy {
        format!("there is nothing left to delete for {verb}; the state forgets {verb}")
    } else {
        format!("this plan creates {verb} again; remove {verb} from the configuration to let {verb} go")
    };
    Diagnostic::warning("strata::refresh::deleted_outside", format!("{n} {what} deleted outside strata: {}", names.join(", ")))
        .with_help(help)
}

/// The warning of an orphaned intent whose object could not be looked for.
fn lookup_failed(addr: &Address, e: &strata_provider::ProviderError) -> Diagnostic {
    Diagnostic::warning(
        "strata::recover::lookup_failed",
        format!("cannot look for the object an interrupted apply may have created at {addr} (no longer configured): {e}"),
    )
    .with_help("the intent stays in the state and the next apply looks again; delete the object by hand if the lookup keeps failing")
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
    destroy: bool,
    diagnostics: &mut Diagnostics,
) {
    use std::collections::HashSet;
    let mut last_round = false;
    for _ in 0..=state.intents.len() + 1 {
        let pending: HashSet<Address> =
            state.intents.iter().filter_map(|i| i.address.parse::<Address>().ok()).map(|a| a.resource()).collect();
        let recorded: HashSet<Address> = state.resources.iter().filter_map(|r| r.addr().ok()).map(|a| a.resource()).collect();
        // Data sources are read, so that values from them are known too.
        let planner = LivePlanner { inner: StatePlanner::new(Some(state), &[]), reader: Some(DataReader::Outside(live)) };
        let (ev, _) = strata_config::evaluate(config, inputs, schema, &planner);
        let configured: HashSet<Address> = ev.resources.iter().map(|r| r.addr.clone()).collect();
        // Addresses no longer configured; for a destroy, in a last round,
        // every intent the rounds could not resolve (it will not be created).
        let orphans: HashSet<Address> = state
            .intents
            .iter()
            .filter_map(|i| i.address.parse::<Address>().ok())
            .filter(|a| !configured.contains(a) || last_round)
            .collect();
        let planned: std::collections::HashMap<Address, strata_core::Value> = ev
            .resources
            .into_iter()
            .filter(|r| r.dependencies.iter().all(|(d, _)| recorded.contains(&d.resource()) && !pending.contains(&d.resource())))
            .map(|r| (r.addr, r.values))
            .collect();
        let report = live.runtime.block_on(crate::recover::recover_intents(&live.providers, backend, state, &planned, &orphans));
        tracing::info!(
            adopted = report.adopted.len(),
            orphans = report.orphans.len(),
            dropped = report.dropped.len(),
            left = state.intents.len(),
            "recovered intents of an interrupted apply"
        );
        diagnostics.extend(report.diagnostics);
        for (addr, e) in &report.errors {
            if orphans.contains(addr) || e.code.as_deref() == Some("strata::recover::foreign_object") {
                diagnostics.push(lookup_failed(addr, e));
            }
        }
        if state.intents.is_empty() || last_round {
            return;
        }
        if report.adopted.is_empty() && report.orphans.is_empty() && report.dropped.is_empty() {
            if !destroy {
                return;
            }
            last_round = true;
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

/// The key of the state beside `backend`, created on first need. When it
/// cannot be kept (a directory that cannot be written), a random one for
/// this run only: hashes are then keyed all the same, and a plan saved with
/// it is refused as stale (as it must be: its state cannot be written either).
pub fn state_key(backend: &strata_state::LocalBackend) -> Option<strata_state::StateKey> {
    match backend.key() {
        Ok(k) => Some(k),
        Err(e) => {
            tracing::debug!(error = %e, "no state key can be kept; hashes are keyed for this run only");
            strata_state::StateKey::ephemeral().ok()
        }
    }
}

/// The digest of the configuration's files and root variable values that a
/// saved plan records (keyed with the state's key; sensitive values only as
/// keyed hashes).
pub fn digest(key: &strata_state::StateKey, config: &Config, ev: &Evaluated) -> String {
    // Names relative to the configuration, so that plan and apply agree from any directory.
    let files: Vec<(String, &str)> = config
        .sources
        .files()
        .map(|(_, f)| (f.path.strip_prefix(&config.root_dir).unwrap_or(&f.path).display().to_string(), &*f.text))
        .collect();
    let vars: Vec<(String, strata_core::Value, bool)> =
        ev.root_variables.iter().map(|(k, v)| (k.clone(), v.clone(), v.contains_sensitive())).collect();
    strata_plan::config_digest(key, &files, &vars)
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
