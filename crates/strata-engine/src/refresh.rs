//! `strata refresh` (and the refresh before `plan` and `drift`): read every
//! recorded object back from the cloud, one batched read per resource type,
//! all types at once; and `strata import`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use strata_core::{Address, Diagnostic, Layer, Value};
use strata_provider::{ImportRequest, Ownership, Provider, ProviderError, ReadObject, ReadRequest, ReadResponse, ReadResult};

use crate::providers::Providers;
use strata_state::{ResourceState, State};
use tokio::task::JoinSet;

use crate::apply::{id_of, mark};

/// An object whose attributes changed outside strata.
#[derive(Debug, Clone)]
pub struct Changed {
    pub addr: Address,
    /// Attribute paths that differ (`tags.Name`, `ingress[0].cidr_blocks`), sorted.
    pub paths: Vec<String>,
    /// The whole object before and after, sensitive attributes marked.
    pub before: Value,
    pub after: Value,
}

/// A recorded object whose read found an object that is not this state's:
/// another state's lineage tag, or (found by name) no lineage tag where the
/// recorded object had ours. It is never adopted, changed or deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct Foreign {
    pub addr: Address,
    /// The recorded id (the name the other object has taken).
    pub id: String,
    /// The other state's lineage; `None`: the object has no lineage tag
    /// (made outside strata).
    pub lineage: Option<String>,
}

impl Foreign {
    /// The error that stops a plan, a destroy and an apply: whose the
    /// object is and how to resolve it.
    pub fn diagnostic(&self) -> Diagnostic {
        let (addr, id) = (&self.addr, &self.id);
        match &self.lineage {
            Some(lineage) => Diagnostic::error(
                "strata::refresh::foreign_object",
                format!("`{addr}` is recorded as `{id}`, but the object named `{id}` belongs to another strata state (strata:lineage {lineage})"),
            )
            .with_help(format!(
                "the recorded object was deleted outside strata and another deployment made one with the same name; strata will not adopt, change or delete it. Run `strata refresh` to forget the record, then give `{addr}` another name; or import the object into the state with lineage {lineage} if it belongs there; or remove its strata:lineage tag if this state should own it"
            )),
            None => Diagnostic::error(
                "strata::refresh::name_taken",
                format!("`{addr}` is recorded as `{id}`, but the object named `{id}` has no strata:lineage tag: this state did not make it"),
            )
            .with_help(format!(
                "the recorded object was deleted outside strata and the name was taken by an object made outside strata (or its tags were removed); strata will not adopt, change or delete it. Run `strata refresh` to forget the record, then give `{addr}` another name or remove the other object; if it is this state's object, tag it strata:lineage = <this state's lineage>"
            )),
        }
    }

    /// The warning of `strata refresh`, which forgets the record.
    pub fn forgotten(&self) -> Diagnostic {
        let (addr, id) = (&self.addr, &self.id);
        let whose = match &self.lineage {
            Some(l) => format!("belongs to another strata state (strata:lineage {l})"),
            None => "has no strata:lineage tag (this state did not make it)".to_string(),
        };
        Diagnostic::warning(
            "strata::refresh::forgot_taken",
            format!("forgot `{addr}`: the object named `{id}` {whose}; it was left untouched"),
        )
        .with_help(format!("the next plan creates `{addr}` again; give it another name if `{id}` stays taken"))
    }
}

#[derive(Debug)]
pub struct RefreshOutcome {
    /// The state with refreshed attributes and without the objects that are
    /// gone; the caller decides whether to persist it.
    pub state: State,
    /// Objects deleted outside strata.
    pub gone: Vec<Address>,
    pub changed: Vec<Changed>,
    /// API calls the provider reported.
    pub calls: usize,
    /// Types whose read failed (their objects are kept as recorded).
    pub errors: Vec<(String, ProviderError)>,
    /// Objects that are not this state's (kept as recorded, untouched).
    pub foreign: Vec<Foreign>,
}

/// Read back every recorded object: one `provider.read` per resource type
/// and provider configuration (the provider pages and batches; each object
/// through the configuration recorded with it), all at once. Sensitive
/// values keep their marks: the schema's sensitive attributes and the paths
/// the state marked.
pub async fn refresh(providers: &Providers, state: &State) -> RefreshOutcome {
    refresh_with(providers, state, false).await
}

/// [`refresh`], and with `deep` also what no batched call reports (one call
/// per object; drift wants every attribute it can compare).
pub async fn refresh_with(providers: &Providers, state: &State, deep: bool) -> RefreshOutcome {
    let mut by_type: BTreeMap<(Option<String>, String), Vec<ReadObject>> = BTreeMap::new();
    for r in &state.resources {
        let Ok(addr) = r.addr() else { continue };
        by_type.entry((r.provider.clone(), r.ty.clone())).or_default().push(ReadObject { addr, id: r.id.clone(), prior: r.values() });
    }
    let mut reads = JoinSet::new();
    for ((provider, ty), objects) in by_type {
        let provider = providers.for_object(&ty, provider.as_deref());
        reads.spawn(async move {
            let response = provider.read(ReadRequest { ty: ty.clone(), objects, deep }).await;
            (ty, response)
        });
    }
    let mut responses: Vec<(String, ReadResponse)> = Vec::new();
    let mut errors = Vec::new();
    while let Some(joined) = reads.join_next().await {
        match joined {
            Ok(r) => responses.push(r),
            Err(e) => errors.push((
                String::new(),
                ProviderError {
                    code: Some("strata::refresh::provider_panic".into()),
                    message: format!("a read failed unexpectedly: {e}"),
                    retryable: false,
                },
            )),
        }
    }
    responses.sort_by(|a, b| a.0.cmp(&b.0));

    let schema = providers.schema();
    let mut observed: HashMap<Address, Option<Value>> = HashMap::new();
    let mut owners: HashMap<Address, Option<String>> = HashMap::new();
    let mut calls = 0;
    for (ty, response) in responses {
        calls += response.calls;
        if let Some(e) = response.error {
            errors.push((ty, e));
            continue;
        }
        for o in response.objects {
            let imported = state.resource_at(&o.addr).is_some_and(is_imported);
            if o.state.is_some()
                && let Some(owner) = not_ours(&o, &state.lineage, imported)
            {
                owners.insert(o.addr.clone(), owner);
            }
            observed.insert(o.addr, o.state);
        }
    }

    let mut out = state.clone();
    let (mut gone, mut changed, mut foreign) = (Vec::new(), Vec::new(), Vec::new());
    out.resources.retain_mut(|r| {
        let Ok(addr) = r.addr() else { return true };
        if let Some(lineage) = owners.remove(&addr) {
            // The recorded object is gone (its name is another's now) and
            // nothing of the other object enters the state; runs that change
            // things stop on it, `refresh` forgets the record.
            observed.remove(&addr);
            foreign.push(Foreign { addr, id: r.id.clone(), lineage });
            return false;
        }
        match observed.remove(&addr) {
            // Not answered (its type failed): kept as recorded.
            None => true,
            Some(None) => {
                gone.push(addr);
                false
            }
            Some(Some(value)) => {
                let before = r.values();
                let after = mark(schema, &r.ty, value, &r.sensitive_paths);
                let mut paths = Vec::new();
                changed_paths(&before, &after, &mut String::new(), &mut paths);
                // Only volatile attributes moved (a restore point's time): the
                // record stays as it is, so the serial does not move either.
                let volatile = |p: &String| {
                    let top = p.split(['.', '[']).next().unwrap_or(p);
                    schema.resource(&r.ty).and_then(|s| s.block.attribute(top)).is_some_and(|a| a.volatile)
                };
                if !paths.is_empty() && paths.iter().all(volatile) {
                    return true;
                }
                r.attributes = after.to_json();
                r.sensitive_paths = strata_state::sensitive_paths(&after);
                if let Some(id) = id_of(&after) {
                    r.id = id;
                }
                if !paths.is_empty() {
                    changed.push(Changed { addr, paths, before, after });
                }
                true
            }
        }
    });
    RefreshOutcome { state: out, gone, changed, calls, errors, foreign }
}

/// Whether a read object is not this state's: `Some(Some(lineage))` when it
/// carries another state's lineage tag, `Some(None)` when it was found by
/// name and has no lineage tag although strata made the recorded object
/// (not imported): the name was taken by an object made outside strata.
fn not_ours(read: &ReadResult, lineage: &str, imported: bool) -> Option<Option<String>> {
    if let Some(other) = read.ownership.foreign_to(lineage) {
        return Some(Some(other.to_string()));
    }
    (read.by_name && read.ownership == Ownership::Untagged && !imported).then_some(None)
}

/// The `private` marker of a record `strata import` made: the object need
/// not carry strata's tags.
const IMPORTED: &str = "strata_imported";

/// Whether `strata import` recorded the object.
fn is_imported(r: &ResourceState) -> bool {
    r.private.as_ref().and_then(|p| p.get(IMPORTED)).and_then(serde_json::Value::as_bool) == Some(true)
}

/// The paths at which two objects differ, as `differs` sees leaves (null
/// and an empty collection are the same).
fn changed_paths(before: &Value, after: &Value, path: &mut String, out: &mut Vec<String>) {
    match (before.peel(), after.peel()) {
        (Value::Map(a), Value::Map(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                changed_paths(a.get(k).unwrap_or(&Value::Null), b.get(k).unwrap_or(&Value::Null), path, out);
                path.truncate(len);
            }
        }
        (Value::List(a), Value::List(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                changed_paths(x, y, path, out);
                path.truncate(len);
            }
        }
        _ => {
            if strata_provider::differs(Some(before), Some(after)) {
                out.push(path.clone());
            }
        }
    }
}

/// `strata import ADDR ID`: read an existing object and make the record of
/// it (`layer` is the instance's layer in the configuration), through the
/// instance's provider configuration (`provider`, its address), which the
/// record keeps. The caller checks that nothing is recorded at `addr` yet
/// and persists.
pub async fn import(providers: &Providers, provider: &str, addr: &Address, id: &str, layer: Layer) -> Result<ResourceState, ProviderError> {
    let mut r = import_with(&providers.get(provider), addr, id, layer).await?;
    r.provider = (provider != strata_config::default_provider_address(&addr.ty)).then(|| provider.to_string());
    Ok(r)
}

async fn import_with(provider: &Arc<dyn Provider>, addr: &Address, id: &str, layer: Layer) -> Result<ResourceState, ProviderError> {
    let response = provider.import(ImportRequest { addr: addr.clone(), ty: addr.ty.clone(), id: id.to_string() }).await;
    if let Some(e) = response.error {
        return Err(e);
    }
    let Some(value) = response.state else {
        return Err(ProviderError {
            code: Some("NotFound".into()),
            message: format!("no {} with id {id} exists", addr.ty),
            retryable: false,
        });
    };
    let value = mark(provider.schema(), &addr.ty, value, &[]);
    let id = id_of(&value).unwrap_or_else(|| id.to_string());
    let mut r = ResourceState::from_value(addr, layer, id, &value);
    r.private = Some(serde_json::json!({ IMPORTED: true }));
    Ok(r)
}
