//! An in-memory provider for tests of the engine and the binary.
//!
//! [`FakeProvider`] keeps objects by type and id (`fake-vpc-1`), records
//! every call with a global sequence number at its start and end, and
//! behaves enough like a cloud to catch ordering mistakes: a create or
//! update that names an id which does not exist fails with `NotFound`, a
//! delete of an object another object still refers to fails with
//! `DependencyViolation`, and an argument still unknown at apply time is
//! refused. Failures and delays are injected per address; `read` answers
//! every object of a request in one call, as a batched cloud API would.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use strata_core::{Address, Diagnostics, Type, Value};
use strata_provider::{
    ApplyAction, ApplyRequest, ApplyResponse, ConfigureRequest, FindByIntentRequest, FindByIntentResponse, ImportRequest, ImportResponse,
    ListRequest, ListResponse, ListedObject, Ownership, Provider, ProviderError, ProviderSchema, ReadDataRequest, ReadDataResponse,
    ReadRequest, ReadResponse, ReadResult,
};
use strata_state::State;

/// What a recorded call was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    Configure,
    Read,
    ReadData,
    Apply(ApplyAction),
    FindByIntent,
    Import,
    List,
}

/// One call to the fake, as it was made.
#[derive(Debug, Clone)]
pub struct Call {
    pub kind: CallKind,
    pub ty: String,
    /// The object's address (apply, find_by_intent, import).
    pub addr: Option<Address>,
    /// The idempotency token of a create or a lookup.
    pub token: Option<String>,
    /// The planned value of an apply.
    pub planned: Option<Value>,
    /// The wait budgets of an apply (`timeouts { create = "40m" }`).
    pub timeouts: strata_provider::Timeouts,
    /// How many objects a read asked for.
    pub objects: usize,
    /// Sequence numbers (shared by every call) at the start and the end; `None` while running.
    pub started: u64,
    pub ended: Option<u64>,
    /// The state file as it was when the call started, when [`FakeProvider::watch_state`] is set.
    pub state_at_start: Option<State>,
}

/// A stored object.
#[derive(Debug, Clone)]
pub struct Stored {
    pub value: Value,
    pub addr: Option<Address>,
    /// The token of the create that made it (what `find_by_intent` looks for).
    pub token: Option<String>,
    /// Its `strata:lineage` tag: the configured lineage for objects the
    /// fake created, none for inserted ones (made outside strata).
    pub lineage: Option<String>,
}

/// A failure to inject: the `nth` (from 1) `action` on `addr` fails with `error`.
#[derive(Debug, Clone)]
pub struct Failure {
    pub addr: Address,
    pub action: ApplyAction,
    pub nth: usize,
    pub error: ProviderError,
    /// The operation takes effect before the error is returned (a create
    /// whose object exists although the call failed, like a timeout while
    /// waiting for it to become ready).
    pub after_effect: bool,
}

#[derive(Default)]
struct Inner {
    objects: BTreeMap<String, BTreeMap<String, Stored>>,
    next_id: BTreeMap<String, u64>,
    calls: Vec<Call>,
    failures: Vec<Failure>,
    read_failures: HashMap<String, ProviderError>,
    counts: HashMap<(Address, String), usize>,
    delays: HashMap<Address, Duration>,
    delay: Duration,
    state_path: Option<PathBuf>,
    lineage: String,
    /// Types whose intent lookups need the planned object (deterministic names).
    planned_needed: Vec<String>,
    /// Types read by a name the configuration chose.
    named: Vec<String>,
}

pub struct FakeProvider {
    schema: &'static ProviderSchema,
    inner: Mutex<Inner>,
    seq: AtomicU64,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Default for FakeProvider {
    fn default() -> FakeProvider {
        FakeProvider::new()
    }
}

/// Counts an apply call as in flight while it lives.
struct InFlight<'a>(&'a FakeProvider);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn error(code: &str, message: impl Into<String>) -> ProviderError {
    ProviderError { code: Some(code.to_string()), message: message.into(), retryable: false }
}

fn attr<'v>(v: &'v Value, name: &str) -> Option<&'v Value> {
    v.as_map().and_then(|m| m.get(name))
}

fn id_of(v: &Value) -> Option<String> {
    attr(v, "id").and_then(Value::as_str).map(str::to_string)
}

/// Every string inside a value.
fn strings<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Sensitive(v) => strings(v, out),
        Value::List(items) | Value::Set(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Map(m) => m.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

impl FakeProvider {
    /// An empty cloud with the AWS schema.
    pub fn new() -> FakeProvider {
        FakeProvider {
            schema: strata_provider::aws::schema(),
            inner: Mutex::new(Inner::default()),
            seq: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A test that panicked while holding the lock already failed.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Inject a failure.
    pub fn fail(&self, failure: Failure) {
        self.lock().failures.push(failure);
    }

    /// The `nth` (from 1) `action` on `addr` fails with `message` (code `Injected`).
    pub fn fail_nth(&self, addr: &str, action: ApplyAction, nth: usize, message: &str) {
        self.fail(Failure { addr: parse(addr), action, nth, error: error("Injected", message), after_effect: false });
    }

    /// Every read of `ty` fails with `message`.
    pub fn fail_reads(&self, ty: &str, message: &str) {
        self.lock().read_failures.insert(ty.to_string(), error("Injected", message));
    }

    /// Intent lookups of `ty` fail without the planned object, as the AWS
    /// provider's do for types found by deterministic names.
    pub fn need_planned(&self, ty: &str) {
        self.lock().planned_needed.push(ty.to_string());
    }

    /// Objects of `ty` are read by name (as RDS groups are): reads say so.
    pub fn read_by_name(&self, ty: &str) {
        self.lock().named.push(ty.to_string());
    }

    /// Set the `strata:lineage` tag of an object (`None`: no tag), as
    /// another state taking the name would.
    pub fn set_lineage(&self, ty: &str, id: &str, lineage: Option<&str>) -> bool {
        let mut inner = self.lock();
        let Some(stored) = inner.objects.get_mut(ty).and_then(|m| m.get_mut(id)) else { return false };
        stored.lineage = lineage.map(str::to_string);
        true
    }

    /// Every apply call waits `delay` before it acts.
    pub fn set_delay(&self, delay: Duration) {
        self.lock().delay = delay;
    }

    /// Apply calls on `addr` wait `delay` (instead of the common delay).
    pub fn delay(&self, addr: &str, delay: Duration) {
        self.lock().delays.insert(parse(addr), delay);
    }

    /// Read the state file at `path` at the start of every apply call (see [`Call::state_at_start`]).
    pub fn watch_state(&self, path: impl Into<PathBuf>) {
        self.lock().state_path = Some(path.into());
    }

    /// Every call so far, in the order they started.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// The apply calls, in the order they started.
    pub fn apply_calls(&self) -> Vec<Call> {
        self.calls().into_iter().filter(|c| matches!(c.kind, CallKind::Apply(_))).collect()
    }

    /// The most apply calls that were running at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// The lineage `configure` received.
    pub fn lineage(&self) -> String {
        self.lock().lineage.clone()
    }

    /// Objects of `ty` by id.
    pub fn objects(&self, ty: &str) -> BTreeMap<String, Stored> {
        self.lock().objects.get(ty).cloned().unwrap_or_default()
    }

    /// How many objects exist, of every type.
    pub fn count(&self) -> usize {
        self.lock().objects.values().map(BTreeMap::len).sum()
    }

    pub fn object(&self, ty: &str, id: &str) -> Option<Value> {
        self.lock().objects.get(ty).and_then(|m| m.get(id)).map(|s| s.value.clone())
    }

    /// Create an object directly (as another tool or a crashed run would);
    /// `value` gets a fresh id. Returns the id.
    pub fn insert(&self, ty: &str, value: Value, addr: Option<&str>, token: Option<&str>) -> String {
        let mut inner = self.lock();
        let id = inner.new_id(ty);
        let mut m = value.as_map().cloned().unwrap_or_default();
        m.insert("id".into(), Value::string(id.clone()));
        let stored = Stored { value: Value::Map(m.into()), addr: addr.map(parse), token: token.map(str::to_string), lineage: None };
        inner.objects.entry(ty.to_string()).or_default().insert(id.clone(), stored);
        id
    }

    /// Delete an object outside strata.
    pub fn remove(&self, ty: &str, id: &str) -> Option<Value> {
        self.lock().objects.get_mut(ty).and_then(|m| m.remove(id)).map(|s| s.value)
    }

    /// Change an attribute outside strata (drift).
    pub fn set_attribute(&self, ty: &str, id: &str, name: &str, value: Value) -> bool {
        let mut inner = self.lock();
        let Some(stored) = inner.objects.get_mut(ty).and_then(|m| m.get_mut(id)) else { return false };
        let mut m = stored.value.as_map().cloned().unwrap_or_default();
        m.insert(name.to_string(), value);
        stored.value = Value::Map(m.into());
        true
    }

    fn record(&self, call: Call) -> usize {
        let mut inner = self.lock();
        inner.calls.push(call);
        inner.calls.len() - 1
    }

    fn end(&self, index: usize) {
        let seq = self.next_seq();
        if let Some(c) = self.lock().calls.get_mut(index) {
            c.ended = Some(seq);
        }
    }

    fn call(&self, kind: CallKind, ty: &str, addr: Option<&Address>) -> Call {
        Call {
            kind,
            ty: ty.to_string(),
            addr: addr.cloned(),
            token: None,
            planned: None,
            timeouts: Default::default(),
            objects: 0,
            started: self.next_seq(),
            ended: None,
            state_at_start: None,
        }
    }
}

fn ownership(s: &Stored) -> Ownership {
    s.lineage.clone().map_or(Ownership::Untagged, Ownership::Lineage)
}

fn parse(addr: &str) -> Address {
    addr.parse().unwrap_or_else(|_| Address::managed("invalid", addr))
}

impl Inner {
    fn new_id(&mut self, ty: &str) -> String {
        let n = self.next_id.entry(ty.to_string()).or_insert(0);
        *n += 1;
        format!("fake-{}-{n}", ty.strip_prefix("aws_").unwrap_or(ty).replace('_', "-"))
    }

    fn exists(&self, id: &str) -> bool {
        self.objects.values().any(|m| m.contains_key(id))
    }

    /// The injected failure for this occurrence of `action` on `addr`, if any.
    fn injected(&mut self, addr: &Address, action: ApplyAction) -> Option<Failure> {
        let n = self.counts.entry((addr.clone(), format!("{action:?}"))).or_insert(0);
        *n += 1;
        let n = *n;
        self.failures.iter().find(|f| f.addr == *addr && f.action == action && f.nth == n).cloned()
    }

    /// Every `fake-` id the value names must exist.
    fn check_references(&self, planned: &Value) -> Result<(), ProviderError> {
        let mut found = Vec::new();
        strings(planned, &mut found);
        match found.into_iter().find(|s| s.starts_with("fake-") && !self.exists(s)) {
            Some(missing) => Err(error("NotFound", format!("the object {missing} does not exist"))),
            None => Ok(()),
        }
    }

    fn create(&mut self, schema: &ProviderSchema, req: &ApplyRequest) -> Result<Value, ProviderError> {
        check_known(schema, req)?;
        self.check_references(&req.planned)?;
        let id = self.new_id(&req.ty);
        let arn = format!("arn:aws:fake:::{}/{id}", req.ty);
        let planned = req.planned.clone().unmark_deep().0;
        let mut m = planned.as_map().cloned().unwrap_or_default();
        let tags = m.get("tags").cloned().filter(|t| !t.is_null()).unwrap_or_else(|| Value::Map(BTreeMap::new().into()));
        for (name, v) in m.iter_mut() {
            if !v.is_wholly_known() {
                *v = match name.as_str() {
                    "id" => Value::string(id.clone()),
                    "arn" => Value::string(arn.clone()),
                    "tags_all" => tags.clone(),
                    _ => fill_unknown(v.clone()),
                };
            }
        }
        m.insert("id".into(), Value::string(id.clone()));
        let value = Value::Map(m.into());
        let stored = Stored {
            value: value.clone(),
            addr: Some(req.addr.clone()),
            token: req.token.clone(),
            lineage: (!self.lineage.is_empty()).then(|| self.lineage.clone()),
        };
        self.objects.entry(req.ty.clone()).or_default().insert(id, stored);
        Ok(value)
    }

    fn update(&mut self, schema: &ProviderSchema, req: &ApplyRequest) -> Result<Value, ProviderError> {
        check_known(schema, req)?;
        self.check_references(&req.planned)?;
        let id = req.prior.as_ref().and_then(id_of).unwrap_or_default();
        let Some(stored) = self.objects.get(&req.ty).and_then(|m| m.get(&id)).cloned() else {
            return Err(error("NotFound", format!("the object {id} does not exist")));
        };
        let current = stored.value.as_map().cloned().unwrap_or_default();
        let mut m = req.planned.clone().unmark_deep().0.as_map().cloned().unwrap_or_default();
        for (name, v) in m.iter_mut() {
            if !v.is_wholly_known() {
                *v = current.get(name).cloned().unwrap_or_else(|| fill_unknown(v.clone()));
            }
        }
        m.insert("id".into(), Value::string(id.clone()));
        let value = Value::Map(m.into());
        if let Some(slot) = self.objects.get_mut(&req.ty).and_then(|o| o.get_mut(&id)) {
            slot.value = value.clone();
        }
        Ok(value)
    }

    fn delete(&mut self, req: &ApplyRequest) -> Result<(), ProviderError> {
        let id = req.prior.as_ref().and_then(id_of).unwrap_or_default();
        let user = self.objects.values().flat_map(|m| m.iter()).find(|(other, s)| {
            let mut found = Vec::new();
            strings(&s.value, &mut found);
            **other != id && found.contains(&id.as_str())
        });
        if let Some((other, _)) = user {
            return Err(error("DependencyViolation", format!("{id} has a dependent object {other}")));
        }
        // Deleting an object that is already gone succeeds, as the real provider's deletes do.
        if let Some(m) = self.objects.get_mut(&req.ty) {
            m.remove(&id);
        }
        Ok(())
    }
}

/// Arguments (not computed attributes) must be known when the provider acts.
fn check_known(schema: &ProviderSchema, req: &ApplyRequest) -> Result<(), ProviderError> {
    let Some(rs) = schema.resource(&req.ty) else {
        return Err(error("UnsupportedType", format!("the fake provider does not know {}", req.ty)));
    };
    let Some(m) = req.planned.as_map() else { return Err(error("InvalidParameterValue", "the planned value is not an object")) };
    for (name, v) in m {
        let computed = rs.block.attribute(name).is_some_and(|a| a.computed);
        if !v.is_wholly_known() && !computed {
            return Err(error("InvalidParameterValue", format!("argument {name} of {} is unknown", req.addr)));
        }
    }
    Ok(())
}

/// What the fake reports for a computed attribute nobody set.
fn fill_unknown(v: Value) -> Value {
    match v {
        Value::Unknown(Type::Bool) => Value::Bool(false),
        Value::Unknown(Type::Number) => Value::Number(0.0),
        Value::Unknown(_) => Value::Null,
        Value::List(items) => Value::List(items.into_iter().map(fill_unknown).collect()),
        Value::Set(items) => Value::Set(items.into_iter().map(fill_unknown).collect()),
        Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, fill_unknown(v))).collect()),
        Value::Sensitive(v) => fill_unknown(*v).mark_if(true),
        v => v,
    }
}

#[async_trait]
impl Provider for FakeProvider {
    fn schema(&self) -> &ProviderSchema {
        self.schema
    }

    async fn configure(&self, req: ConfigureRequest) -> Diagnostics {
        let mut call = self.call(CallKind::Configure, "", None);
        call.ended = Some(call.started);
        self.record(call);
        self.lock().lineage = req.lineage;
        Diagnostics::new()
    }

    async fn read(&self, req: ReadRequest) -> ReadResponse {
        let mut call = self.call(CallKind::Read, &req.ty, None);
        call.objects = req.objects.len();
        let index = self.record(call);
        let response = {
            let inner = self.lock();
            match inner.read_failures.get(&req.ty) {
                Some(e) => ReadResponse { objects: Vec::new(), calls: 1, error: Some(e.clone()) },
                None => {
                    let stored = inner.objects.get(&req.ty);
                    let by_name = inner.named.contains(&req.ty);
                    let objects = req
                        .objects
                        .iter()
                        .map(|o| {
                            let found = stored.and_then(|m| m.get(&o.id));
                            let mut r = ReadResult::new(o.addr.clone(), found.map(|s| s.value.clone()));
                            r.ownership = found.map(ownership).unwrap_or_default();
                            r.by_name = by_name;
                            r
                        })
                        .collect();
                    ReadResponse { objects, calls: 1, error: None }
                }
            }
        };
        self.end(index);
        response
    }

    async fn read_data(&self, req: ReadDataRequest) -> ReadDataResponse {
        let index = self.record(self.call(CallKind::ReadData, &req.ty, Some(&req.addr)));
        self.end(index);
        ReadDataResponse { state: Value::Null, error: Some(error("Unsupported", "the fake provider reads no data sources")) }
    }

    async fn apply(&self, req: ApplyRequest) -> ApplyResponse {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let _guard = InFlight(self);
        let mut call = self.call(CallKind::Apply(req.action), &req.ty, Some(&req.addr));
        call.token = req.token.clone();
        call.planned = Some(req.planned.clone());
        call.timeouts = req.timeouts.clone();
        let (path, delay) = {
            let inner = self.lock();
            (inner.state_path.clone(), inner.delays.get(&req.addr).copied().unwrap_or(inner.delay))
        };
        call.state_at_start = path.and_then(|p| strata_state::read_state(&p).ok().flatten());
        let index = self.record(call);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let response = {
            let mut inner = self.lock();
            let failure = inner.injected(&req.addr, req.action);
            match failure {
                Some(f) if !f.after_effect => ApplyResponse { new_state: None, error: Some(f.error) },
                failure => {
                    let result = match req.action {
                        ApplyAction::Create => inner.create(self.schema, &req).map(Some),
                        ApplyAction::Update => inner.update(self.schema, &req).map(Some),
                        ApplyAction::Delete => inner.delete(&req).map(|()| None),
                    };
                    match (result, failure) {
                        (Err(e), _) => ApplyResponse { new_state: None, error: Some(e) },
                        (Ok(_), Some(f)) => ApplyResponse { new_state: None, error: Some(f.error) },
                        (Ok(new_state), None) => ApplyResponse { new_state, error: None },
                    }
                }
            }
        };
        self.end(index);
        response
    }

    async fn find_by_intent(&self, req: FindByIntentRequest) -> FindByIntentResponse {
        let mut call = self.call(CallKind::FindByIntent, &req.ty, Some(&req.addr));
        call.token = Some(req.token.clone());
        let index = self.record(call);
        if req.planned.is_null() && self.lock().planned_needed.contains(&req.ty) {
            self.end(index);
            return FindByIntentResponse {
                found: None,
                error: Some(error("strata::aws::planned_needed", format!("{} needs its planned object", req.ty))),
                ownership: Ownership::NotRead,
            };
        }
        let found = {
            let inner = self.lock();
            inner
                .objects
                .get(&req.ty)
                .and_then(|m| m.values().find(|s| s.token.as_deref() == Some(req.token.as_str())))
                .map(|s| (s.value.clone(), ownership(s)))
        };
        self.end(index);
        let (found, ownership) = found.map_or((None, Ownership::NotRead), |(v, o)| (Some(v), o));
        FindByIntentResponse { found, error: None, ownership }
    }

    async fn import(&self, req: ImportRequest) -> ImportResponse {
        let index = self.record(self.call(CallKind::Import, &req.ty, Some(&req.addr)));
        let state = self.object(&req.ty, &req.id);
        self.end(index);
        match state {
            Some(state) => ImportResponse { state: Some(state), error: None },
            None => ImportResponse { state: None, error: Some(error("NotFound", format!("the object {} does not exist", req.id))) },
        }
    }

    async fn list(&self, req: ListRequest) -> ListResponse {
        let index = self.record(self.call(CallKind::List, &req.ty, None));
        let objects = self
            .objects(&req.ty)
            .into_iter()
            .map(|(id, s)| {
                let tags = attr(&s.value, "tags")
                    .and_then(Value::as_map)
                    .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
                    .unwrap_or_default();
                // Objects without tags name their parent as AWS's do.
                let parent = [("aws_route_table_association", "route_table_id", "aws_route_table")]
                    .iter()
                    .find(|(ty, _, _)| *ty == req.ty)
                    .and_then(|(_, at, parent)| Some((parent.to_string(), attr(&s.value, at)?.as_str()?.to_string())));
                ListedObject { provider_default: false, id, tags, parent }
            })
            .collect();
        self.end(index);
        ListResponse { objects, calls: 1, error: None }
    }
}
