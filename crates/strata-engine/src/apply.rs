//! `strata apply` and `strata destroy`: carry out a plan through a provider,
//! recording every finished operation before the next one starts.
//!
//! The plan's changes become operations in three phases:
//!
//! 1. deletes (`delete`, and the delete half of `delete_then_create`),
//!    top-down: layer 5 to 1, dependents before their dependencies (as the
//!    state recorded them);
//! 2. creates and updates (and the create half of both replaces),
//!    bottom-up: layer 1 to 5, an operation after the operations on its
//!    dependencies;
//! 3. deletes of deposed objects (the old half of `create_then_delete`, and
//!    any a crashed run left behind), top-down.
//!
//! With the layer barrier each (phase, layer) is a stage that must finish
//! before the next starts and a failure stops the run after its stage; without
//! it the phases are the only stages and a failure skips the failed object's
//! dependents only. At most `parallelism` provider calls run at once.
//!
//! Crash safety: before a create, an [`Intent`] with a fresh token is
//! persisted, and only then is the provider called with that token. One
//! writer (the scheduling loop) owns the state: completions are applied to
//! it as they arrive and persisted together (coalesced) before any new
//! operation starts, so a crash loses no record of finished work.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use strata_config::{ConditionKind, Config, InputVariables};
use strata_core::{Address, Diagnostic, Diagnostics, Layer, Value};
use strata_plan::{Action, Plan, StatePlanner, redacted_hash, sensitive_hash};
use strata_provider::{
    ApplyAction, ApplyRequest, BlockSchema, FindByIntentRequest, FindByIntentResponse, Provider, ProviderError, ProviderSchema, Timeouts,
};
use strata_state::{Intent, LocalBackend, OutputState, ResourceState, State, StateKey};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::providers::Providers;

/// [`Cancel`] level: stop scheduling, let running calls finish, persist.
pub const STOP_SCHEDULING: u8 = 1;
/// [`Cancel`] level: persist what is known and return at once.
pub const STOP_NOW: u8 = 2;

/// The cancellation handle the binary's signal handler escalates: the first
/// signal stops scheduling, the second stops at once. Clones share the level.
#[derive(Debug, Clone)]
pub struct Cancel {
    level: Arc<watch::Sender<u8>>,
}

impl Cancel {
    pub fn new() -> Cancel {
        Cancel { level: Arc::new(watch::Sender::new(0)) }
    }

    /// Raise the level by one (up to [`STOP_NOW`]) and return the new level.
    pub fn escalate(&self) -> u8 {
        let mut now = 0;
        self.level.send_modify(|l| {
            *l = (*l + 1).min(STOP_NOW);
            now = *l;
        });
        now
    }

    /// 0 (run), [`STOP_SCHEDULING`] or [`STOP_NOW`].
    pub fn level(&self) -> u8 {
        *self.level.borrow()
    }

    fn subscribe(&self) -> watch::Receiver<u8> {
        self.level.subscribe()
    }

    /// Escalate on every SIGINT and SIGTERM (Ctrl-C elsewhere) until the
    /// returned task is aborted. Must be called inside the tokio runtime;
    /// the handlers are installed before it returns.
    pub fn listen_for_signals(&self) -> std::io::Result<tokio::task::JoinHandle<()>> {
        let cancel = self.clone();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut interrupt = signal(SignalKind::interrupt())?;
            let mut terminate = signal(SignalKind::terminate())?;
            Ok(tokio::spawn(async move {
                loop {
                    let received = tokio::select! {
                        s = interrupt.recv() => s,
                        s = terminate.recv() => s,
                    };
                    if received.is_none() {
                        break;
                    }
                    let level = cancel.escalate();
                    tracing::debug!(level, "signal received");
                }
            }))
        }
        #[cfg(not(unix))]
        {
            Ok(tokio::spawn(async move {
                while tokio::signal::ctrl_c().await.is_ok() {
                    cancel.escalate();
                }
            }))
        }
    }
}

impl Default for Cancel {
    fn default() -> Cancel {
        Cancel::new()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Provider calls at once (`--parallelism`); 0 counts as 1.
    pub parallelism: usize,
    /// A (phase, layer) stage must finish before the next starts (`--no-layer-barrier` turns it off).
    pub layer_barrier: bool,
    /// Stop scheduling at the first failure (`--fail-fast`).
    pub fail_fast: bool,
}

impl Default for ApplyOptions {
    fn default() -> ApplyOptions {
        ApplyOptions { parallelism: 16, layer_barrier: true, fail_fast: false }
    }
}

/// One provider operation of an apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    Create,
    Update,
    Delete,
    /// Delete an object replaced under `create_before_destroy`.
    DeleteDeposed,
}

impl OpKind {
    /// `create`, `update`, `delete`, `delete_deposed`.
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Create => "create",
            OpKind::Update => "update",
            OpKind::Delete => "delete",
            OpKind::DeleteDeposed => "delete_deposed",
        }
    }
}

/// Live progress, one call as each operation starts and ends.
pub trait Progress: Send + Sync {
    fn started(&self, addr: &Address, op: OpKind);
    fn finished(&self, addr: &Address, op: OpKind, elapsed: Duration, result: Result<(), &ProviderError>);
}

/// Progress that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn started(&self, _: &Address, _: OpKind) {}
    fn finished(&self, _: &Address, _: OpKind, _: Duration, _: Result<(), &ProviderError>) {}
}

/// Re-evaluates the configuration against the state as it is now, so that
/// values unknown at plan time (ids of objects created earlier in this
/// apply) become known.
pub trait Replanner: Send + Sync {
    /// Planned values of every resource instance by address.
    fn planned(&self, state: &State) -> Result<HashMap<Address, Value>, Diagnostics>;
    /// Root outputs: value and whether it is declared sensitive.
    fn outputs(&self, state: &State) -> BTreeMap<String, (Value, bool)>;
    /// [`Replanner::outputs`], and the output preconditions and `check`
    /// assertions that fail with `state` (errors and warnings; an error
    /// names the root output it keeps from being recorded).
    fn outputs_checked(&self, state: &State) -> (BTreeMap<String, (Value, bool)>, Vec<(Option<String>, Diagnostic)>) {
        (self.outputs(state), Vec::new())
    }
    /// Whether the instance's resource block declares conditions of this
    /// kind (checked again around its operation).
    fn has_conditions(&self, addr: &Address, kind: ConditionKind) -> bool {
        let _ = (addr, kind);
        false
    }
    /// The conditions of this kind of `addrs` that are false with `state`
    /// (preconditions before their operation, postconditions after it).
    fn failed_conditions(&self, state: &State, addrs: &[Address], kind: ConditionKind) -> Vec<(Address, Diagnostic)> {
        let _ = (state, addrs, kind);
        Vec::new()
    }
}

/// The [`Replanner`] of a loaded configuration: evaluates it with a
/// [`StatePlanner`] over the given state (without `--replace`: the plan
/// already decided what to replace, and what it replaced is new now).
pub struct ConfigReplanner<'a> {
    pub config: &'a Config,
    pub inputs: &'a InputVariables,
    pub schema: &'a ProviderSchema,
    /// Reads data sources whose arguments became known (on a multi-threaded
    /// runtime); without it they stay unknown.
    pub data: Option<Providers>,
}

impl ConfigReplanner<'_> {
    fn evaluate(&self, state: &State) -> (strata_config::Evaluated, Diagnostics) {
        let planner = crate::plan::LivePlanner {
            inner: StatePlanner::new(Some(state), &[]),
            reader: self.data.as_ref().map(crate::plan::DataReader::Inside),
        };
        strata_config::evaluate(self.config, self.inputs, self.schema, &planner)
    }
}

impl Replanner for ConfigReplanner<'_> {
    fn planned(&self, state: &State) -> Result<HashMap<Address, Value>, Diagnostics> {
        let (mut ev, mut diags) = self.evaluate(state);
        strata_plan::plan_tags_all(&mut ev);
        // A managed instance's false condition stops that instance only (see
        // `failed_conditions`), not every operation waiting for fresh values.
        let own: Vec<&Diagnostic> =
            ev.condition_failures.iter().filter(|f| f.addr.mode == strata_core::Mode::Managed).map(|f| &f.diagnostic).collect();
        diags.0.retain(|d| !own.iter().any(|o| o.code == d.code && o.message == d.message));
        if diags.has_errors() {
            return Err(diags);
        }
        Ok(ev.resources.into_iter().map(|r| (r.addr, r.values)).collect())
    }

    fn outputs(&self, state: &State) -> BTreeMap<String, (Value, bool)> {
        self.evaluate(state).0.outputs.into_iter().map(|o| (o.name, (o.value, o.sensitive))).collect()
    }

    fn outputs_checked(&self, state: &State) -> (BTreeMap<String, (Value, bool)>, Vec<(Option<String>, Diagnostic)>) {
        let (ev, _) = self.evaluate(state);
        (ev.outputs.into_iter().map(|o| (o.name, (o.value, o.sensitive))).collect(), ev.late_conditions)
    }

    fn has_conditions(&self, addr: &Address, kind: ConditionKind) -> bool {
        self.config.has_conditions(addr, kind)
    }

    fn failed_conditions(&self, state: &State, addrs: &[Address], kind: ConditionKind) -> Vec<(Address, Diagnostic)> {
        let (ev, _) = self.evaluate(state);
        ev.condition_failures.into_iter().filter(|f| f.kind == kind && addrs.contains(&f.addr)).map(|f| (f.addr, f.diagnostic)).collect()
    }
}

/// The [`Replanner`] of `strata destroy`: nothing is created or updated, so
/// there is nothing to re-evaluate, and no output survives.
pub struct DestroyReplanner;

impl Replanner for DestroyReplanner {
    fn planned(&self, _: &State) -> Result<HashMap<Address, Value>, Diagnostics> {
        Ok(HashMap::new())
    }

    fn outputs(&self, _: &State) -> BTreeMap<String, (Value, bool)> {
        BTreeMap::new()
    }
}

/// Everything an apply needs. The caller holds the state lock for the whole run.
pub struct ApplyContext<'a> {
    /// One instance per provider configuration; each operation goes to the
    /// configuration of its change (a delete: the one recorded in the state).
    pub providers: Providers,
    pub plan: &'a Plan,
    pub replanner: &'a dyn Replanner,
    pub backend: &'a LocalBackend,
    /// The current state (after intent recovery). Without a state file, an
    /// empty one: its lineage is replaced by the plan's if it has no serial yet.
    pub state: State,
    pub options: ApplyOptions,
    pub progress: &'a dyn Progress,
    pub cancel: Cancel,
}

#[derive(Debug, Clone)]
pub struct Succeeded {
    pub addr: Address,
    pub op: OpKind,
    pub elapsed: Duration,
}

#[derive(Debug, Clone)]
pub struct Failed {
    pub addr: Address,
    pub op: OpKind,
    /// The provider's error (or the engine's, with a `strata::apply::` code).
    pub error: ProviderError,
    pub elapsed: Duration,
    /// A failed create whose object exists anyway (found by its intent) and is recorded in state.
    pub recorded: bool,
}

#[derive(Debug, Clone)]
pub struct NotRun {
    pub addr: Address,
    pub op: OpKind,
    /// Why, in words: "depends on `aws_vpc.main` (create), which failed".
    pub reason: String,
}

#[derive(Debug)]
pub struct ApplyOutcome {
    pub succeeded: Vec<Succeeded>,
    pub failed: Vec<Failed>,
    pub not_run: Vec<NotRun>,
    /// A cancellation was requested while the run was in progress.
    pub interrupted: bool,
    /// The state as last recorded (also when it could not be written).
    pub state: State,
    /// State write errors and re-evaluation errors.
    pub diagnostics: Diagnostics,
}

impl ApplyOutcome {
    /// Every operation succeeded and everything was recorded.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && self.not_run.is_empty() && !self.interrupted && !self.diagnostics.has_errors()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pending,
    Running,
    Succeeded,
    Failed,
    NotRun,
}

struct Op {
    addr: Address,
    kind: OpKind,
    ty: String,
    /// The provider configuration it goes to (absent: the type's default).
    provider: Option<String>,
    layer: Layer,
    stage: u16,
    /// The plan change it comes from (`None` for deposed objects a crashed run left).
    change: Option<usize>,
    /// Create half of `create_then_delete`: the id of the object to depose
    /// when it starts. `DeleteDeposed`: the id of the object to delete.
    deposed_id: Option<String>,
    /// Operations that must have succeeded first.
    after: Vec<usize>,
    status: Status,
    started: Option<Instant>,
}

/// A finished provider task.
struct Done {
    elapsed: Duration,
    result: Result<Option<Value>, ProviderError>,
    /// For a failed create: does its object exist anyway?
    lookup: Option<FindByIntentResponse>,
}

fn engine_error(code: &str, message: impl Into<String>) -> ProviderError {
    ProviderError { code: Some(code.to_string()), message: message.into(), retryable: false }
}

/// Run a plan. Never panics on provider answers; every problem ends up in the outcome.
pub async fn apply(ctx: ApplyContext<'_>) -> ApplyOutcome {
    let ApplyContext { providers, plan, replanner, backend, mut state, options, progress, cancel } = ctx;
    if !plan.state_found && state.serial == 0 && state.resources.is_empty() {
        state.lineage = plan.lineage.clone();
    }
    let key = if has_redacted_plan(plan) { backend.key().ok() } else { None };
    let mut run = Run {
        providers,
        plan,
        key,
        replanner,
        backend,
        progress,
        options,
        dirty: apply_moves(plan, &mut state),
        ops: Vec::new(),
        state,
        succeeded: Vec::new(),
        failed: Vec::new(),
        not_run: Vec::new(),
        diagnostics: Diagnostics::new(),
        generation: 0,
        fresh: None,
        halt_stage: None,
        fail_fast_stopped: false,
        state_broken: false,
        interrupted: false,
        tokens: HashMap::new(),
        unresolved: HashSet::new(),
        planned: HashMap::new(),
        done_at: HashMap::new(),
        to_check: Vec::new(),
    };
    run.ops = build_ops(plan, &run.state, options.layer_barrier);
    let mut tasks: JoinSet<Done> = JoinSet::new();
    let mut running: HashMap<tokio::task::Id, usize> = HashMap::new();
    let mut level = cancel.subscribe();
    let parallelism = options.parallelism.max(1);

    loop {
        let lvl = *level.borrow_and_update();
        if lvl > 0 && run.has_work(&tasks) {
            run.interrupted = true;
        }
        if lvl >= STOP_NOW {
            break;
        }
        let mut progressed = false;
        if lvl == 0 && run.may_schedule() {
            let batch = run.ready(parallelism.saturating_sub(tasks.len()));
            progressed = !batch.is_empty();
            let batch = run.prepare(batch);
            if run.dirty && !run.persist().await {
                run.abandon(&batch);
            } else {
                for i in batch {
                    let req = run.request(i);
                    let look_first = run.unresolved.remove(&i);
                    run.ops[i].status = Status::Running;
                    run.ops[i].started = Some(Instant::now());
                    run.progress.started(&run.ops[i].addr, run.ops[i].kind);
                    let provider = run.providers.for_object(&run.ops[i].ty, run.ops[i].provider.as_deref());
                    let handle = tasks.spawn(call_provider(provider, req, look_first, run.state.lineage.clone()));
                    running.insert(handle.id(), i);
                }
            }
        } else if run.dirty {
            run.persist().await;
        }
        if tasks.is_empty() {
            if progressed {
                continue;
            }
            break;
        }
        tokio::select! {
            next = tasks.join_next_with_id() => {
                let mut next = next;
                while let Some(result) = next {
                    run.joined(result, &mut running);
                    next = tasks.try_join_next_with_id();
                }
                // Before anything that depends on them starts.
                run.check_postconditions();
            }
            _ = level.changed() => {}
        }
    }

    if *level.borrow() >= STOP_NOW {
        tasks.abort_all();
        while let Some(result) = tasks.join_next_with_id().await {
            run.joined(result, &mut running);
        }
    }
    run.check_postconditions();
    run.finish().await
}

/// The provider call of one operation, and for a failed create the lookup
/// of its object by the intent token.
///
/// With `look_first` (the create reuses the intent of an earlier run that
/// intent recovery could not resolve: lookups may need the planned value,
/// known only now) it first looks for that run's object and adopts it
/// instead of making a second one; a failed lookup fails the create and
/// leaves the intent.
async fn call_provider(provider: Arc<dyn Provider>, req: ApplyRequest, look_first: bool, lineage: String) -> Done {
    let started = Instant::now();
    if look_first {
        let token = req.token.clone().unwrap_or_default();
        let find = FindByIntentRequest { addr: req.addr.clone(), ty: req.ty.clone(), token, planned: req.planned.clone(), orphan: false };
        match provider.find_by_intent(find).await {
            FindByIntentResponse { error: Some(e), .. } => return Done { elapsed: started.elapsed(), result: Err(e), lookup: None },
            // Another state's object is never adopted (nor made twice).
            FindByIntentResponse { found: Some(_), ownership, .. } if ownership.foreign_to(&lineage).is_some() => {
                let e = crate::recover::foreign(&req.addr, ownership.foreign_to(&lineage).unwrap_or_default());
                return Done { elapsed: started.elapsed(), result: Err(e), lookup: None };
            }
            FindByIntentResponse { found: Some(found), .. } if id_of(&found).is_some() => {
                let (result, lookup) = finish_adopted(provider.as_ref(), req, found).await;
                return Done { elapsed: started.elapsed(), result, lookup };
            }
            FindByIntentResponse { .. } => {}
        }
    }
    let response = provider.apply(req.clone()).await;
    let mut result = match response.error {
        Some(e) => Err(e),
        None => Ok(response.new_state),
    };
    let mut lookup = None;
    if req.action == ApplyAction::Create {
        if matches!(&result, Ok(s) if s.as_ref().and_then(id_of).is_none()) {
            result = Err(engine_error("strata::apply::no_id", "the provider reported no id for the created object"));
        }
        if result.is_err() {
            let find = FindByIntentRequest {
                addr: req.addr,
                ty: req.ty,
                token: req.token.unwrap_or_default(),
                planned: req.planned,
                orphan: false,
            };
            let mut found = provider.find_by_intent(find).await;
            if found.found.is_some() && found.ownership.foreign_to(&lineage).is_some() {
                // Not ours: neither recorded nor forgotten (the intent stays).
                found = FindByIntentResponse { found: None, error: result.as_ref().err().cloned(), ownership: found.ownership };
            }
            lookup = Some(found);
        }
    }
    Done { elapsed: started.elapsed(), result, lookup }
}

/// An adopted object may lack what its interrupted create does after making
/// it (a subnet's attributes, a gateway's attachment, rules): an update
/// brings it to the planned value. A failed update still records the object.
async fn finish_adopted(
    provider: &dyn Provider,
    req: ApplyRequest,
    found: Value,
) -> (Result<Option<Value>, ProviderError>, Option<FindByIntentResponse>) {
    let planned = known_from(&req.planned, &found);
    if !strata_provider::differs(Some(&found), Some(&planned)) {
        return (Ok(Some(found)), None);
    }
    let update = ApplyRequest { action: ApplyAction::Update, prior: Some(found.clone()), planned, token: None, ..req };
    let response = provider.apply(update).await;
    match (response.error, response.new_state) {
        (None, Some(state)) => (Ok(Some(state)), None),
        (e, _) => {
            let e = e.unwrap_or_else(|| engine_error("strata::apply::no_state", "the provider reported no state for the updated object"));
            (Err(e), Some(FindByIntentResponse { found: Some(found), ..FindByIntentResponse::default() }))
        }
    }
}

/// `planned` with what is unknown in it (computed attributes) taken from `found`.
fn known_from(planned: &Value, found: &Value) -> Value {
    match planned {
        Value::Sensitive(inner) => known_from(inner, found.peel()).mark_if(true),
        v if v.is_unknown() => found.clone(),
        Value::Map(m) => {
            let f = found.peel().as_map();
            Value::Map(m.iter().map(|(k, v)| (k.clone(), known_from(v, f.and_then(|f| f.get(k)).unwrap_or(&Value::Null)))).collect())
        }
        Value::List(_) | Value::Set(_) if !planned.is_wholly_known() => found.clone(),
        v => v.clone(),
    }
}

pub(crate) fn id_of(v: &Value) -> Option<String> {
    v.as_map().and_then(|m| m.get("id")).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Record `moved` blocks: rename the recorded objects. Returns whether anything changed.
fn apply_moves(plan: &Plan, state: &mut State) -> bool {
    let mut changed = false;
    for c in &plan.changes {
        let Some(from) = &c.moved_from else { continue };
        let to = c.addr.to_string();
        if state.resource(&to).is_some() {
            continue;
        }
        if let Some(r) = state.resource_mut(&from.to_string()) {
            r.address = to;
            changed = true;
        }
    }
    changed
}

/// The stage of an operation: with the barrier, one per phase and layer in
/// run order; without it, one per phase.
fn stage(phase: u16, layer: Layer, barrier: bool) -> u16 {
    let n = u16::from(layer.number());
    match (barrier, phase) {
        (false, _) => phase * 10,
        (true, 2) => 20 + n,
        (true, _) => phase * 10 + (6 - n),
    }
}

fn parse_all(addrs: &[String]) -> impl Iterator<Item = Address> + '_ {
    addrs.iter().filter_map(|a| a.parse().ok())
}

fn build_ops(plan: &Plan, state: &State, barrier: bool) -> Vec<Op> {
    let mut ops: Vec<Op> = Vec::new();
    let mut deletes: HashMap<Address, usize> = HashMap::new();
    let mut applies: HashMap<Address, usize> = HashMap::new();
    let op = |addr: &Address, kind, ty: &str, provider: Option<&String>, layer, phase, change| Op {
        addr: addr.clone(),
        kind,
        ty: ty.to_string(),
        provider: provider.cloned(),
        layer,
        stage: stage(phase, layer, barrier),
        change,
        deposed_id: None,
        after: Vec::new(),
        status: Status::Pending,
        started: None,
    };
    // (op index, recorded dependencies) of deletes and deposed deletes, for ordering.
    let mut teardown: Vec<(usize, Vec<Address>)> = Vec::new();
    let mut deposed: Vec<(usize, Vec<Address>)> = Vec::new();
    for (i, c) in plan.changes.iter().enumerate() {
        let recorded = state.resource_at(&c.addr);
        let recorded_layer = recorded.and_then(ResourceState::layer).unwrap_or(c.layer);
        let recorded_deps: Vec<Address> = recorded.map(|r| parse_all(&r.dependencies).collect()).unwrap_or_default();
        if matches!(c.action, Action::Delete | Action::DeleteThenCreate) {
            let mut deps = recorded_deps.clone();
            deps.extend(c.dependencies.iter().cloned());
            deletes.insert(c.addr.clone(), ops.len());
            teardown.push((ops.len(), deps));
            // The object is where it was made: through the recorded configuration.
            let provider = recorded.map_or(c.provider.as_ref(), |r| r.provider.as_ref());
            ops.push(op(&c.addr, OpKind::Delete, &c.ty, provider, recorded_layer, 1, Some(i)));
        }
        if matches!(c.action, Action::Create | Action::Update | Action::DeleteThenCreate | Action::CreateThenDelete) {
            let kind = if c.action == Action::Update { OpKind::Update } else { OpKind::Create };
            let mut o = op(&c.addr, kind, &c.ty, c.provider.as_ref(), c.layer, 2, Some(i));
            if c.action == Action::CreateThenDelete {
                o.deposed_id = recorded.map(|r| r.id.clone());
            }
            applies.insert(c.addr.clone(), ops.len());
            ops.push(o);
        }
        if let (Action::CreateThenDelete, Some(r)) = (c.action, recorded) {
            let mut o = op(&c.addr, OpKind::DeleteDeposed, &c.ty, r.provider.as_ref(), recorded_layer, 3, Some(i));
            o.deposed_id = Some(r.id.clone());
            deposed.push((ops.len(), recorded_deps));
            ops.push(o);
        }
    }
    // Instances the plan keeps (a replaced object's dependents may still use
    // it until they are updated in phase 2).
    let kept: HashSet<&Address> = plan.changes.iter().filter(|c| c.action != Action::Delete).map(|c| &c.addr).collect();
    for r in &state.deposed {
        let Ok(addr) = r.addr() else { continue };
        let layer = r.layer().unwrap_or(Layer::Infrastructure);
        let deps: Vec<Address> = parse_all(&r.dependencies).collect();
        // An object whose address is no longer configured (an orphan of an
        // interrupted create, or a replaced object whose resource is gone)
        // goes with the other deletes, in teardown order.
        let phase = if kept.contains(&addr) { 3 } else { 1 };
        let mut o = op(&addr, OpKind::DeleteDeposed, &r.ty, r.provider.as_ref(), layer, phase, None);
        o.deposed_id = Some(r.id.clone());
        if phase == 1 {
            deletes.entry(addr.clone()).or_insert(ops.len());
            teardown.push((ops.len(), deps));
        } else {
            deposed.push((ops.len(), deps));
        }
        ops.push(o);
    }

    // Phase 1: a dependency is deleted after its dependents.
    for (i, deps) in &teardown {
        for d in deps {
            if let Some(&j) = deletes.get(d).filter(|&&j| j != *i) {
                ops[j].after.push(*i);
            }
        }
    }
    // Phase 2: after the operations on the dependencies, and a replacement after its delete half.
    let mut dependents: HashMap<&Address, Vec<usize>> = HashMap::new();
    for (addr, &i) in &applies {
        let Some(c) = ops[i].change.map(|c| &plan.changes[c]) else { continue };
        for d in &c.dependencies {
            if let Some(&j) = applies.get(d).filter(|&&j| j != i) {
                ops[i].after.push(j);
            }
            dependents.entry(d).or_default().push(i);
        }
        if let Some(&j) = deletes.get(addr) {
            ops[i].after.push(j);
        }
    }
    // Phase 3: a deposed object goes after its replacement exists and the
    // operations on the objects that used it succeeded, and before the
    // deposed objects it depended on.
    for (i, deps) in &deposed {
        let addr = ops[*i].addr.clone();
        if ops[*i].change.is_some() {
            if let Some(&j) = applies.get(&addr) {
                ops[*i].after.push(j);
            }
            let users = dependents.get(&addr).cloned().unwrap_or_default();
            ops[*i].after.extend(users);
        }
        for d in deps {
            let before: Vec<usize> = deposed.iter().map(|(j, _)| *j).filter(|j| ops[*j].addr == *d && j != i).collect();
            for j in before {
                ops[j].after.push(*i);
            }
        }
    }
    for o in &mut ops {
        o.after.sort_unstable();
        o.after.dedup();
    }
    ops
}

struct Run<'a> {
    providers: Providers,
    plan: &'a Plan,
    /// The state's key, which a saved plan's hashes of sensitive values are
    /// keyed with (`None` when it cannot be read: such values then never match).
    key: Option<StateKey>,
    replanner: &'a dyn Replanner,
    backend: &'a LocalBackend,
    progress: &'a dyn Progress,
    options: ApplyOptions,
    ops: Vec<Op>,
    state: State,
    succeeded: Vec<Succeeded>,
    failed: Vec<Failed>,
    not_run: Vec<NotRun>,
    diagnostics: Diagnostics,
    /// Bumped by every completion: a re-evaluation is fresh while it is unchanged.
    generation: u64,
    fresh: Option<(u64, HashMap<Address, Value>)>,
    /// With the barrier: the stage of the first failure; later stages do not start.
    halt_stage: Option<u16>,
    fail_fast_stopped: bool,
    state_broken: bool,
    interrupted: bool,
    dirty: bool,
    /// Intent tokens and planned values of started operations.
    tokens: HashMap<usize, String>,
    /// Creates about to start that reuse an unresolved intent of an earlier run.
    unresolved: HashSet<usize>,
    planned: HashMap<usize, Value>,
    /// The generation at which the last operation on an address finished.
    done_at: HashMap<Address, u64>,
    /// Creates and updates that finished and whose postconditions are still to be checked.
    to_check: Vec<usize>,
}

impl Run<'_> {
    fn has_work(&self, tasks: &JoinSet<Done>) -> bool {
        !tasks.is_empty() || self.ops.iter().any(|o| o.status == Status::Pending)
    }

    fn may_schedule(&self) -> bool {
        !self.fail_fast_stopped && !self.state_broken
    }

    fn not_run(&mut self, i: usize, reason: String) {
        let o = &mut self.ops[i];
        o.status = Status::NotRun;
        self.not_run.push(NotRun { addr: o.addr.clone(), op: o.kind, reason });
    }

    /// Operations that may start now, at most `limit`, in plan order. Marks
    /// the operations whose prerequisites failed as not run first.
    fn ready(&mut self, limit: usize) -> Vec<usize> {
        loop {
            let mut changed = false;
            for i in 0..self.ops.len() {
                if self.ops[i].status != Status::Pending {
                    continue;
                }
                let blocker = self.ops[i].after.iter().copied().find(|&j| matches!(self.ops[j].status, Status::Failed | Status::NotRun));
                if let Some(j) = blocker {
                    let outcome = if self.ops[j].status == Status::Failed { "failed" } else { "did not run" };
                    let reason = format!("depends on `{}` ({}), which {outcome}", self.ops[j].addr, self.ops[j].kind.as_str());
                    self.not_run(i, reason);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let Some(current) = self.ops.iter().filter(|o| matches!(o.status, Status::Pending | Status::Running)).map(|o| o.stage).min() else {
            return Vec::new();
        };
        if self.halt_stage.is_some_and(|h| current > h) {
            return Vec::new();
        }
        (0..self.ops.len())
            .filter(|&i| {
                let o = &self.ops[i];
                o.status == Status::Pending && o.stage == current && o.after.iter().all(|&j| self.ops[j].status == Status::Succeeded)
            })
            .take(limit)
            .collect()
    }

    /// Whether the planned value of an operation must be re-evaluated, and
    /// then the generation the re-evaluation must reflect: the value holds
    /// unknowns that operations of this run on its dependencies may have
    /// made known, or sensitive values a saved plan left out.
    fn needs_fresh(&self, i: usize, touched: &HashSet<&Address>) -> Option<u64> {
        let o = &self.ops[i];
        let c = o.change.map(|c| &self.plan.changes[c])?;
        let after = c.after.as_ref()?;
        if !matches!(o.kind, OpKind::Create | OpKind::Update) {
            return None;
        }
        let from_dependencies = !after.is_wholly_known() && c.dependencies.iter().any(|d| touched.contains(d));
        (from_dependencies || has_redacted(after))
            .then(|| c.dependencies.iter().filter_map(|d| self.done_at.get(d)).copied().max().unwrap_or(0))
    }

    /// Settle the planned values of `batch` (re-evaluating once if needed)
    /// and record the intents of its creates. Returns the operations to start.
    fn prepare(&mut self, batch: Vec<usize>) -> Vec<usize> {
        let touched: HashSet<&Address> =
            self.ops.iter().filter(|o| matches!(o.kind, OpKind::Create | OpKind::Update | OpKind::Delete)).map(|o| &o.addr).collect();
        let needs: HashMap<usize, u64> = batch.iter().filter_map(|&i| Some((i, self.needs_fresh(i, &touched)?))).collect();
        // One re-evaluation serves every operation whose dependencies finished before it.
        let required = needs.values().copied().max();
        if required.is_some_and(|r| self.fresh.as_ref().is_none_or(|(g, _)| *g < r)) {
            match self.replanner.planned(&self.state) {
                Ok(values) => self.fresh = Some((self.generation, values)),
                Err(d) => {
                    self.diagnostics.extend(d);
                    self.fresh = None;
                }
            }
        }
        let failed_pre = self.failed_preconditions(&batch);
        let mut start = Vec::new();
        for i in batch {
            if let Some(d) = failed_pre.get(&i) {
                let o = &self.ops[i];
                let error = engine_error("strata::apply::precondition_failed", d.message.clone());
                self.progress.started(&o.addr, o.kind);
                self.progress.finished(&o.addr, o.kind, Duration::ZERO, Err(&error));
                self.diagnostics.push(d.clone());
                self.fail(i, error, Duration::ZERO, false);
                continue;
            }
            let c = self.ops[i].change.map(|c| &self.plan.changes[c]);
            let after = c.and_then(|c| c.after.clone()).unwrap_or(Value::Null);
            let planned = if needs.contains_key(&i) {
                let Some((_, fresh)) = &self.fresh else {
                    self.not_run(i, "not started: the configuration could not be re-evaluated".into());
                    continue;
                };
                match fresh.get(&self.ops[i].addr) {
                    Some(v) => match merge(&after, v, &mut String::new(), self.key.as_ref()) {
                        Ok(v) => v,
                        Err(message) => {
                            let o = &self.ops[i];
                            let error = engine_error("strata::apply::inconsistent_plan", message);
                            self.progress.started(&o.addr, o.kind);
                            self.progress.finished(&o.addr, o.kind, Duration::ZERO, Err(&error));
                            self.fail(i, error, Duration::ZERO, false);
                            continue;
                        }
                    },
                    None => after,
                }
            } else {
                after
            };
            if self.ops[i].kind == OpKind::Create {
                let addr = self.ops[i].addr.to_string();
                if let Some(id) = &self.ops[i].deposed_id
                    && self.state.resource(&addr).is_some_and(|r| r.id == *id)
                    && let Some(r) = self.state.remove_resource(&addr)
                {
                    self.state.deposed.push(r);
                }
                // An intent of an earlier run for the address (its recovery
                // could not resolve it) is reused: the create looks for that
                // run's object first, with the planned value.
                if let Some(earlier) = self.state.intents.iter().find(|x| x.address == addr && x.operation == "create") {
                    self.tokens.insert(i, earlier.token.clone());
                    self.unresolved.insert(i);
                } else {
                    let token = uuid::Uuid::new_v4().to_string();
                    self.state.intents.push(Intent {
                        address: addr,
                        token: token.clone(),
                        operation: "create".into(),
                        started_at: strata_state::time::now_rfc3339(),
                        identity: Some(crate::recover::identity_of(&planned)),
                        dependencies: c.map(|c| c.dependencies.iter().map(ToString::to_string).collect()).unwrap_or_default(),
                        provider: self.ops[i].provider.clone(),
                    });
                    self.tokens.insert(i, token);
                    self.dirty = true;
                }
            }
            self.planned.insert(i, planned);
            start.push(i);
        }
        start
    }

    /// Preconditions of creates and updates in `batch` that depend on
    /// objects this run changed: checked again with the values now known
    /// (at plan time they may have been unknown, and deferred). One
    /// re-evaluation serves the batch.
    fn failed_preconditions(&self, batch: &[usize]) -> HashMap<usize, Diagnostic> {
        let due: Vec<usize> = batch
            .iter()
            .copied()
            .filter(|&i| {
                let o = &self.ops[i];
                let c = o.change.map(|c| &self.plan.changes[c]);
                matches!(o.kind, OpKind::Create | OpKind::Update)
                    && c.is_some_and(|c| c.dependencies.iter().any(|d| self.done_at.contains_key(d)))
                    && self.replanner.has_conditions(&o.addr, ConditionKind::Precondition)
            })
            .collect();
        if due.is_empty() {
            return HashMap::new();
        }
        let addrs: Vec<Address> = due.iter().map(|&i| self.ops[i].addr.clone()).collect();
        let mut out = HashMap::new();
        for (addr, d) in self.replanner.failed_conditions(&self.state, &addrs, ConditionKind::Precondition) {
            if let Some(&i) = due.iter().find(|&&i| self.ops[i].addr == addr) {
                out.entry(i).or_insert(d);
            }
        }
        out
    }

    /// Postconditions of the creates and updates that just finished, checked
    /// against the objects as the provider reported them. A false one fails
    /// the operation (its object stays recorded, as in Terraform), so that
    /// nothing that depends on it starts.
    fn check_postconditions(&mut self) {
        let due = std::mem::take(&mut self.to_check);
        if due.is_empty() {
            return;
        }
        let addrs: Vec<Address> = due.iter().map(|&i| self.ops[i].addr.clone()).collect();
        for (addr, d) in self.replanner.failed_conditions(&self.state, &addrs, ConditionKind::Postcondition) {
            let Some(&i) = due.iter().find(|&&i| self.ops[i].addr == addr && self.ops[i].status == Status::Succeeded) else { continue };
            let kind = self.ops[i].kind;
            let elapsed = match self.succeeded.iter().position(|s| s.addr == addr && s.op == kind) {
                Some(pos) => self.succeeded.remove(pos).elapsed,
                None => Duration::ZERO,
            };
            let error = engine_error("strata::apply::postcondition_failed", d.message.clone());
            self.diagnostics.push(d);
            self.fail(i, error, elapsed, true);
        }
    }

    /// The batch could not be recorded: take its intents back and start nothing.
    fn abandon(&mut self, batch: &[usize]) {
        for &i in batch {
            if self.ops[i].kind == OpKind::Create {
                // A reused intent of an earlier run stays unresolved.
                if !self.unresolved.remove(&i) {
                    self.remove_intent(i);
                }
                self.restore_deposed(i);
            }
            self.not_run(i, "not started: the state could not be written".into());
        }
    }

    fn request(&mut self, i: usize) -> ApplyRequest {
        let o = &self.ops[i];
        let addr = o.addr.to_string();
        let c = o.change.map(|c| &self.plan.changes[c]);
        let planned = self.planned.remove(&i).unwrap_or(Value::Null);
        let (action, prior) = match o.kind {
            OpKind::Create => (ApplyAction::Create, None),
            OpKind::Update => {
                (ApplyAction::Update, self.state.resource(&addr).map(ResourceState::values).or_else(|| c.and_then(|c| c.before.clone())))
            }
            OpKind::Delete => {
                (ApplyAction::Delete, self.state.resource(&addr).map(ResourceState::values).or_else(|| c.and_then(|c| c.before.clone())))
            }
            OpKind::DeleteDeposed => {
                let id = o.deposed_id.as_deref();
                let r = self.state.deposed.iter().find(|r| r.address == addr && Some(r.id.as_str()) == id);
                (ApplyAction::Delete, r.map(ResourceState::values))
            }
        };
        let timeouts = match o.kind {
            OpKind::Create | OpKind::Update => timeouts(&planned),
            OpKind::Delete | OpKind::DeleteDeposed => prior.as_ref().map(timeouts).unwrap_or_default(),
        };
        let planned = if action == ApplyAction::Delete { Value::Null } else { planned };
        ApplyRequest { addr: o.addr.clone(), ty: o.ty.clone(), action, prior, planned, token: self.tokens.get(&i).cloned(), timeouts }
    }

    fn joined(&mut self, result: Result<(tokio::task::Id, Done), tokio::task::JoinError>, running: &mut HashMap<tokio::task::Id, usize>) {
        match result {
            Ok((id, done)) => {
                if let Some(i) = running.remove(&id) {
                    self.complete(i, done);
                }
            }
            Err(e) => {
                let Some(i) = running.remove(&e.id()) else { return };
                let elapsed = self.ops[i].started.map(|s| s.elapsed()).unwrap_or_default();
                let o = &self.ops[i];
                if e.is_cancelled() {
                    let error = engine_error("strata::apply::interrupted", "interrupted before the provider answered");
                    self.progress.finished(&o.addr, o.kind, elapsed, Err(&error));
                    let reason = if o.kind == OpKind::Create {
                        "interrupted while running; its intent stays in the state for the next run to recover"
                    } else {
                        "interrupted while running; the next refresh shows its effect"
                    };
                    self.not_run(i, reason.into());
                } else {
                    let error = engine_error("strata::apply::provider_panic", "the provider failed unexpectedly (a bug in strata)");
                    self.progress.finished(&o.addr, o.kind, elapsed, Err(&error));
                    self.fail(i, error, elapsed, false);
                }
            }
        }
    }

    fn fail(&mut self, i: usize, error: ProviderError, elapsed: Duration, recorded: bool) {
        let o = &mut self.ops[i];
        o.status = Status::Failed;
        self.failed.push(Failed { addr: o.addr.clone(), op: o.kind, error, elapsed, recorded });
        if self.options.layer_barrier {
            let stage = o.stage;
            self.halt_stage = Some(self.halt_stage.map_or(stage, |h| h.min(stage)));
        }
        if self.options.fail_fast {
            self.fail_fast_stopped = true;
        }
    }

    /// Apply a finished operation to the state.
    fn complete(&mut self, i: usize, done: Done) {
        self.generation += 1;
        self.dirty = true;
        let (addr, kind) = (self.ops[i].addr.clone(), self.ops[i].kind);
        self.done_at.insert(addr.clone(), self.generation);
        let key = addr.to_string();
        let result = match (kind, done.result) {
            (OpKind::Create | OpKind::Update, Ok(Some(value))) => {
                self.record(i, value);
                self.remove_intent(i);
                if self.replanner.has_conditions(&addr, ConditionKind::Postcondition) {
                    self.to_check.push(i);
                }
                Ok(())
            }
            (OpKind::Update, Ok(None)) => {
                Err(engine_error("strata::apply::no_state", "the provider reported no state for the updated object"))
            }
            (OpKind::Create, Ok(None)) => Err(engine_error("strata::apply::no_id", "the provider reported no id for the created object")),
            (OpKind::Delete, Ok(_)) => {
                self.state.remove_resource(&key);
                Ok(())
            }
            (OpKind::DeleteDeposed, Ok(_)) => {
                let id = self.ops[i].deposed_id.clone();
                self.state.deposed.retain(|r| !(r.address == key && Some(&r.id) == id.as_ref()));
                Ok(())
            }
            (_, Err(e)) => Err(self.redacted(i, e)),
        };
        match result {
            Ok(()) => {
                self.ops[i].status = Status::Succeeded;
                self.progress.finished(&addr, kind, done.elapsed, Ok(()));
                self.succeeded.push(Succeeded { addr, op: kind, elapsed: done.elapsed });
            }
            Err(error) => {
                let mut recorded = false;
                if kind == OpKind::Create {
                    match done.lookup {
                        Some(FindByIntentResponse { found: Some(value), .. }) => {
                            self.record(i, value);
                            self.remove_intent(i);
                            recorded = true;
                        }
                        Some(FindByIntentResponse { found: None, error: None, .. }) => {
                            self.remove_intent(i);
                            self.restore_deposed(i);
                        }
                        // The lookup failed: the intent stays for the next run to recover.
                        _ => {}
                    }
                }
                self.progress.finished(&addr, kind, done.elapsed, Err(&error));
                self.fail(i, error, done.elapsed, recorded);
            }
        }
    }

    /// A provider's error without the secrets of the object it was about:
    /// a cloud API may echo what it was sent ("Value (...) for parameter
    /// ... is invalid"), and its text is not built with the marks in hand.
    fn redacted(&self, i: usize, mut e: ProviderError) -> ProviderError {
        let addr = self.ops[i].addr.to_string();
        let mut secrets = self.planned.get(&i).map(strata_core::shown::secrets_in).unwrap_or_default();
        if let Some(r) = self.state.resource(&addr) {
            secrets.extend(strata_core::shown::secrets_in(&r.values()));
        }
        if let Some(after) = self.ops[i].change.and_then(|c| self.plan.changes[c].after.as_ref()) {
            secrets.extend(strata_core::shown::secrets_in(after));
        }
        e.message = strata_core::shown::redact(&e.message, &secrets);
        e
    }

    /// Remove the intent of a started create (by its token).
    fn remove_intent(&mut self, i: usize) {
        if let Some(token) = self.tokens.get(&i) {
            self.state.intents.retain(|x| x.token != *token);
        }
    }

    /// Record the object an operation created or updated.
    fn record(&mut self, i: usize, value: Value) {
        let o = &self.ops[i];
        let c = o.change.map(|c| &self.plan.changes[c]);
        let planned = self.planned_marks(i);
        let value = mark(self.providers.schema(), &o.ty, value, &planned);
        let id = id_of(&value).unwrap_or_default();
        let mut r = ResourceState::from_value(&o.addr, o.layer, id, &value);
        r.provider.clone_from(&o.provider);
        r.dependencies = c.map(|c| c.dependencies.iter().map(ToString::to_string).collect()).unwrap_or_default();
        if o.kind == OpKind::Update
            && let Some(old) = self.state.resource_at(&o.addr)
        {
            r.created_at.clone_from(&old.created_at);
            r.private.clone_from(&old.private);
        }
        self.state.upsert_resource(r);
    }

    /// The sensitive paths the plan marked for an operation's object.
    fn planned_marks(&self, i: usize) -> Vec<Vec<String>> {
        let c = self.ops[i].change.map(|c| &self.plan.changes[c]);
        c.and_then(|c| c.after.as_ref()).map(strata_state::sensitive_paths).unwrap_or_default()
    }

    /// A create of `create_then_delete` that made nothing: the deposed object is current again.
    fn restore_deposed(&mut self, i: usize) {
        let Some(id) = self.ops[i].deposed_id.clone() else { return };
        let addr = self.ops[i].addr.to_string();
        if self.state.resource(&addr).is_some() {
            return;
        }
        if let Some(pos) = self.state.deposed.iter().position(|r| r.address == addr && r.id == id) {
            let r = self.state.deposed.remove(pos);
            self.state.upsert_resource(r);
        }
    }

    /// Persist the state if it changed (off the async workers: it syncs files).
    async fn write(&mut self) -> Result<(), Diagnostic> {
        let backend = self.backend.clone();
        let mut copy = self.state.clone();
        let written = tokio::task::spawn_blocking(move || backend.persist(&mut copy).map(|_| copy)).await;
        let copy = match written {
            Ok(Ok(copy)) => copy,
            Ok(Err(e)) => return Err(Diagnostic::from(e)),
            Err(e) => return Err(Diagnostic::error("strata::apply::state_write", format!("writing the state failed: {e}"))),
        };
        self.state.serial = copy.serial;
        self.state.version = copy.version;
        self.state.strata_version = copy.strata_version;
        self.dirty = false;
        Ok(())
    }

    /// [`Run::write`]; a failure stops scheduling. Returns whether it wrote.
    async fn persist(&mut self) -> bool {
        match self.write().await {
            Ok(()) => true,
            Err(d) => {
                if !self.state_broken {
                    self.diagnostics.push(d);
                }
                self.state_broken = true;
                false
            }
        }
    }

    async fn finish(mut self) -> ApplyOutcome {
        for i in 0..self.ops.len() {
            if self.ops[i].status != Status::Pending {
                continue;
            }
            let o = &self.ops[i];
            let blocker = o.after.iter().copied().find(|&j| matches!(self.ops[j].status, Status::Failed | Status::NotRun));
            let reason = if self.interrupted {
                "not started: the run was interrupted".to_string()
            } else if self.state_broken {
                "not started: the state could not be written".to_string()
            } else if self.fail_fast_stopped {
                "not started: --fail-fast stopped the run at the first failure".to_string()
            } else if self.halt_stage.is_some_and(|h| o.stage > h) {
                "not started: an operation of an earlier layer failed".to_string()
            } else if let Some(j) = blocker {
                format!("depends on `{}` ({}), which did not complete", self.ops[j].addr, self.ops[j].kind.as_str())
            } else {
                "not started: it waits on an operation that could not run".to_string()
            };
            self.not_run(i, reason);
        }
        let success = self.failed.is_empty() && self.not_run.is_empty() && !self.interrupted && !self.diagnostics.has_errors();
        if success {
            // Output preconditions and check assertions unknown at plan time
            // are known now: a false precondition fails the apply and keeps
            // its output's previous value; a false assertion warns.
            let (outputs, late) = self.replanner.outputs_checked(&self.state);
            let mut held: Vec<String> = Vec::new();
            for (output, d) in late {
                if d.severity == strata_core::Severity::Error
                    && let Some(name) = output
                {
                    held.push(name);
                }
                if !self.diagnostics.iter().any(|e| e.code == d.code && e.message == d.message) {
                    self.diagnostics.push(d);
                }
            }
            let previous = std::mem::take(&mut self.state.outputs);
            self.state.outputs = outputs
                .into_iter()
                .filter_map(|(name, (value, sensitive))| {
                    if held.contains(&name) {
                        return previous.get(&name).map(|o| (name, o.clone()));
                    }
                    let sensitive = sensitive || value.contains_sensitive();
                    Some((name, OutputState { value: value.to_json(), sensitive }))
                })
                .collect();
            self.dirty = true;
        }
        // A state that could not be written is tried once more: the trouble
        // (a full disk) may have passed.
        if self.dirty
            && let Err(d) = self.write().await
            && !self.state_broken
        {
            self.diagnostics.push(d);
        }
        ApplyOutcome {
            succeeded: self.succeeded,
            failed: self.failed,
            not_run: self.not_run,
            interrupted: self.interrupted,
            state: self.state,
            diagnostics: self.diagnostics,
        }
    }
}

/// Whether a plan (read from a file) holds sensitive values replaced by their hash.
fn has_redacted_plan(plan: &Plan) -> bool {
    plan.changes.iter().any(|c| c.after.as_ref().is_some_and(has_redacted))
}

/// Whether a value holds a sensitive value a saved plan replaced by its hash.
fn has_redacted(v: &Value) -> bool {
    match v {
        Value::Sensitive(inner) => redacted_hash(v).is_some() || has_redacted(inner),
        Value::List(items) | Value::Set(items) => items.iter().any(has_redacted),
        Value::Map(m) => m.values().any(has_redacted),
        _ => false,
    }
}

/// The planned value with what the re-evaluation now knows: its unknowns
/// and redacted sensitive values taken from `fresh`. A known planned value
/// that re-evaluates to another known value is an error (the plan no longer
/// describes what would be done).
pub(crate) fn merge(planned: &Value, fresh: &Value, path: &mut String, key: Option<&StateKey>) -> Result<Value, String> {
    let here = |p: &String| if p.is_empty() { "the object".to_string() } else { format!("`{p}`") };
    if let Some(hash) = redacted_hash(planned) {
        return if key.is_some_and(|k| sensitive_hash(k, fresh) == hash) {
            Ok(fresh.clone().mark_if(true))
        } else {
            Err(format!("the sensitive value of {} changed since the plan was made", here(path)))
        };
    }
    if fresh.is_unknown() {
        return Ok(planned.clone());
    }
    match planned {
        Value::Unknown(_) => Ok(fresh.clone()),
        Value::Sensitive(inner) => Ok(merge(inner, fresh.peel(), path, key)?.mark_if(true)),
        Value::Map(m) => {
            let Some(f) = fresh.as_map() else { return Err(format!("{} changed since the plan was made", here(path))) };
            let mut out = BTreeMap::new();
            for (k, v) in m {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                let merged = merge(v, f.get(k).unwrap_or(&Value::Null), path, key);
                path.truncate(len);
                out.insert(k.clone(), merged?);
            }
            Ok(Value::Map(out.into()))
        }
        // Set elements have no stable positions while some are unknown.
        Value::Set(_) if !planned.is_wholly_known() => Ok(fresh.clone()),
        Value::List(items) if !planned.is_wholly_known() => {
            let Some(f) = fresh.as_seq().filter(|f| f.len() == items.len()) else {
                return Err(format!("{} changed since the plan was made", here(path)));
            };
            let mut out = Vec::with_capacity(items.len());
            for (n, (p, f)) in items.iter().zip(f).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{n}]"));
                let merged = merge(p, f, path, key);
                path.truncate(len);
                out.push(merged?);
            }
            Ok(Value::List(out.into()))
        }
        _ if fresh.is_wholly_known() && strata_provider::differs(Some(planned), Some(fresh)) => {
            if planned.contains_sensitive() || fresh.contains_sensitive() {
                Err(format!("{} changed since the plan was made", here(path)))
            } else {
                Err(format!("{} was planned as {planned} but is now {fresh}", here(path)))
            }
        }
        _ => Ok(planned.clone()),
    }
}

/// Mark the sensitive attributes of the schema, and the paths the plan
/// marked, on an object as the provider reported it.
/// Then the marks follow what the provider derived from marked parts
/// (`tags_all` from `tags`; see [`strata_provider::propagate_marks`]).
pub(crate) fn mark(schema: &ProviderSchema, ty: &str, value: Value, extra: &[Vec<String>]) -> Value {
    let mut v = match schema.resource(ty) {
        Some(rs) => mark_block(&rs.block, value),
        None => value,
    };
    for path in extra {
        mark_path(&mut v, path);
    }
    match schema.resource(ty) {
        Some(rs) => strata_provider::propagate_marks(rs, v),
        None => v,
    }
}

fn mark_block(block: &BlockSchema, value: Value) -> Value {
    let (value, marked) = value.unmark();
    let out = match value {
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, v)| {
                    let v = if let Some(a) = block.attribute(&k) {
                        v.mark_if(a.sensitive)
                    } else if let Some(b) = block.nested_block(&k) {
                        match v {
                            Value::List(items) => Value::List(items.into_iter().map(|i| mark_block(&b.block, i)).collect()),
                            Value::Set(items) => Value::Set(items.into_iter().map(|i| mark_block(&b.block, i)).collect()),
                            v => mark_block(&b.block, v),
                        }
                    } else {
                        v
                    };
                    (k, v)
                })
                .collect(),
        ),
        v => v,
    };
    out.mark_if(marked)
}

/// Mark the value at `path` (map keys, list indices) sensitive, if it exists.
pub(crate) fn mark_path(v: &mut Value, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        let inner = std::mem::take(v);
        *v = inner.mark_if(true);
        return;
    };
    match v {
        Value::Sensitive(inner) => mark_path(inner, path),
        Value::Map(m) => {
            if let Some(child) = m.get_mut(first) {
                mark_path(child, rest);
            }
        }
        Value::List(items) | Value::Set(items) => {
            if let Some(child) = first.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                mark_path(child, rest);
            }
        }
        _ => {}
    }
}

/// `timeouts { create = "40m" }` of a planned or recorded object.
fn timeouts(v: &Value) -> Timeouts {
    let block = v.as_map().and_then(|m| m.get("timeouts")).and_then(|t| match t.as_seq() {
        Some(items) => items.first().and_then(Value::as_map),
        None => t.as_map(),
    });
    let get = |name: &str| block.and_then(|b| b.get(name)).and_then(Value::as_str).and_then(parse_duration);
    Timeouts { create: get("create"), update: get("update"), delete: get("delete") }
}

/// A duration as Terraform writes them: `40m`, `1h30m`, `90s`, `500ms`.
pub use strata_core::time::parse_duration;
