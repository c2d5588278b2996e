//! Crash recovery: the intents a crashed or killed run left in the state.
//!
//! Every create is preceded by an intent (address, token) in the state. An
//! intent still there when a run starts means a create may or may not have
//! happened; the provider looks for an object made under the token (tag,
//! client token or deterministic name). A found object is adopted (recorded
//! at the intent's address); otherwise the intent is dropped. Run before
//! planning, so that the plan sees the adopted objects.
//!
//! An intent whose address has left the configuration (`count` lowered, the
//! resource removed or renamed) is an orphan: its object is looked for with
//! the identity the intent recorded, changing nothing, and a found object is
//! recorded as deposed at the intent's address (with the intent's
//! dependencies), which the apply deletes in teardown order.
//!
//! An object whose `strata:lineage` tag names another state is never
//! adopted: the lookup is an error and the intent stays.

use std::collections::{HashMap, HashSet};

use strata_core::{Address, Diagnostic, Diagnostics, Layer, Value};
use strata_provider::{FindByIntentRequest, ProviderError};
use strata_state::{LocalBackend, ResourceState, State};
use tokio::task::JoinSet;

use crate::apply::{id_of, mark};
use crate::providers::Providers;

/// The `private` marker of a deposed object recovery found for an address
/// that has left the configuration (plans say where it came from).
pub const ORPHAN_MARK: &str = "strata_orphan_of_interrupted_create";

/// Whether a deposed record is an orphan recovery found.
pub fn is_orphan(r: &ResourceState) -> bool {
    r.private.as_ref().and_then(|p| p.get(ORPHAN_MARK)).and_then(serde_json::Value::as_bool) == Some(true)
}

#[derive(Debug, Default)]
pub struct RecoveryReport {
    /// Objects found and recorded: address and id.
    pub adopted: Vec<(Address, String)>,
    /// Objects found for addresses no longer configured, recorded as
    /// deposed (to be deleted): address and id.
    pub orphans: Vec<(Address, String)>,
    /// Intents whose create left nothing behind.
    pub dropped: Vec<Address>,
    /// Lookups that failed; their intents stay for the next run.
    pub errors: Vec<(Address, ProviderError)>,
    /// The state could not be written.
    pub diagnostics: Diagnostics,
}

impl RecoveryReport {
    /// No intent was found.
    pub fn is_empty(&self) -> bool {
        self.adopted.is_empty() && self.orphans.is_empty() && self.dropped.is_empty() && self.errors.is_empty()
    }
}

/// Resolve every `create` intent in `state`: ask the provider for the object
/// (with its planned value from `planned` when known, else null), adopt it
/// or drop the intent, and persist once. Intents of other operations and
/// with addresses that do not parse are left alone. When a dropped intent's
/// address has no object but a deposed one (a `create_before_destroy`
/// replacement that never happened), the deposed object is current again.
///
/// Intents at `orphans` (addresses no longer configured) are looked for
/// with their recorded identity; a found object becomes a deposed record.
pub async fn recover_intents(
    providers: &Providers,
    backend: &LocalBackend,
    state: &mut State,
    planned: &HashMap<Address, Value>,
    orphans: &HashSet<Address>,
) -> RecoveryReport {
    let mut report = RecoveryReport::default();
    let mut lookups = JoinSet::new();
    for intent in state.intents.iter().filter(|i| i.operation == "create") {
        let Ok(addr) = intent.address.parse::<Address>() else {
            tracing::warn!(address = %intent.address, "intent with an address that does not parse left in the state");
            continue;
        };
        let orphan = orphans.contains(&addr);
        let planned = if orphan {
            intent.identity.as_ref().map_or(Value::Null, Value::from_json)
        } else {
            planned.get(&addr).cloned().unwrap_or(Value::Null)
        };
        let req = FindByIntentRequest { ty: addr.ty.clone(), planned, addr, token: intent.token.clone(), orphan };
        // The object was made through the configuration the intent records.
        let provider = providers.for_object(&req.ty, intent.provider.as_deref());
        let recorded_provider = intent.provider.clone();
        lookups.spawn(async move {
            let response = provider.find_by_intent(req.clone()).await;
            (req, recorded_provider, response)
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = lookups.join_next().await {
        match joined {
            Ok(r) => results.push(r),
            Err(e) => tracing::warn!(error = %e, "an intent lookup failed unexpectedly"),
        }
    }
    // In the order of the intents, for stable reports and state files.
    results.sort_by_key(|(req, _, _)| state.intents.iter().position(|i| i.token == req.token));
    for (req, recorded_provider, response) in results {
        let key = req.addr.to_string();
        if let Some(lineage) = response.ownership.foreign_to(&state.lineage).filter(|_| response.found.is_some()) {
            report.errors.push((req.addr.clone(), foreign(&req.addr, lineage)));
            continue;
        }
        match (response.error, response.found) {
            (Some(e), _) => report.errors.push((req.addr, e)),
            (None, Some(found)) if req.orphan => {
                let schema = providers.schema();
                let value = mark(schema, &req.ty, found, &[]);
                let Some(id) = id_of(&value) else {
                    report.errors.push((req.addr, missing_id()));
                    continue;
                };
                let layer = schema.resource(&req.ty).map_or(Layer::Infrastructure, |s| s.layer);
                let mut r = ResourceState::from_value(&req.addr, layer, id.clone(), &value);
                let intent = state.intents.iter().find(|i| i.token == req.token);
                r.dependencies = intent.map(|i| i.dependencies.clone()).unwrap_or_default();
                r.private = Some(serde_json::json!({ ORPHAN_MARK: true }));
                r.provider = recorded_provider;
                if !state.deposed.iter().any(|d| d.address == key && d.id == id) && state.resource(&key).is_none_or(|c| c.id != id) {
                    state.deposed.push(r);
                }
                state.intents.retain(|i| i.token != req.token);
                report.orphans.push((req.addr, id));
            }
            (None, Some(found)) => {
                let schema = providers.schema();
                let value = mark(schema, &req.ty, found, &strata_state::sensitive_paths(&req.planned));
                let Some(id) = id_of(&value) else {
                    report.errors.push((req.addr, missing_id()));
                    continue;
                };
                let layer = schema.resource(&req.ty).map_or(Layer::Infrastructure, |s| s.layer);
                // An object still recorded at the address is an older one: it
                // waits for deletion instead of being forgotten.
                if state.resource(&key).is_some_and(|r| r.id != id)
                    && let Some(old) = state.remove_resource(&key)
                {
                    state.deposed.push(old);
                }
                let mut adopted = ResourceState::from_value(&req.addr, layer, id.clone(), &value);
                adopted.provider = recorded_provider;
                state.upsert_resource(adopted);
                state.intents.retain(|i| i.token != req.token);
                report.adopted.push((req.addr, id));
            }
            (None, None) => {
                state.intents.retain(|i| i.token != req.token);
                let pending = state.intents.iter().any(|i| i.address == key);
                if state.resource(&key).is_none()
                    && !pending
                    && let Some(pos) = state.deposed.iter().rposition(|r| r.address == key)
                {
                    let r = state.deposed.remove(pos);
                    state.upsert_resource(r);
                }
                report.dropped.push(req.addr);
            }
        }
    }
    if !report.adopted.is_empty() || !report.orphans.is_empty() || !report.dropped.is_empty() {
        let backend = backend.clone();
        let mut copy = state.clone();
        match tokio::task::spawn_blocking(move || backend.persist(&mut copy).map(|_| copy)).await {
            Ok(Ok(copy)) => state.serial = copy.serial,
            Ok(Err(e)) => report.diagnostics.push(Diagnostic::from(e)),
            Err(e) => report.diagnostics.push(Diagnostic::error("strata::apply::state_write", format!("writing the state failed: {e}"))),
        }
    }
    report
}

/// The error of an object found for an intent that another state's lineage
/// tag claims: it is never adopted.
pub(crate) fn foreign(addr: &Address, lineage: &str) -> ProviderError {
    ProviderError {
        code: Some("strata::recover::foreign_object".into()),
        message: format!(
            "the object found for the interrupted create of {addr} belongs to another state (strata:lineage {lineage}); it is not adopted"
        ),
        retryable: false,
    }
}

fn missing_id() -> ProviderError {
    ProviderError {
        code: Some("strata::apply::no_id".into()),
        message: "the provider found an object without an id".into(),
        retryable: false,
    }
}

/// Longest string an intent's identity records (longer ones, such as
/// `user_data` or policies, identify nothing a lookup uses).
const IDENTITY_STRING_MAX: usize = 1024;
/// Most elements of a list an intent's identity records.
const IDENTITY_LIST_MAX: usize = 64;

/// What an intent records to find its object after the address has left
/// the configuration: the planned value's known, non-sensitive top-level
/// attributes that are strings (up to 1 KiB), numbers, booleans or short
/// lists of them. Lookups use names, route destinations and the like;
/// deletes use settings such as `skip_final_snapshot`. No secret is ever
/// written into it.
pub(crate) fn identity_of(planned: &Value) -> serde_json::Value {
    fn scalar(v: &Value) -> bool {
        match v {
            Value::Bool(_) | Value::Number(_) => true,
            Value::String(s) => s.len() <= IDENTITY_STRING_MAX,
            _ => false,
        }
    }
    let mut out = serde_json::Map::new();
    if let Value::Map(m) = planned {
        for (k, v) in m {
            let keep = match v {
                Value::List(items) | Value::Set(items) => items.len() <= IDENTITY_LIST_MAX && items.iter().all(scalar),
                v => scalar(v),
            };
            if keep {
                out.insert(k.clone(), v.to_json());
            }
        }
    }
    serde_json::Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intent_identity_keeps_known_plain_attributes_and_never_a_secret() {
        let planned = Value::map([
            ("identifier", Value::string("db-1")),
            ("skip_final_snapshot", Value::Bool(true)),
            ("port", Value::Number(5432.0)),
            ("password", Value::string("hunter2").mark_if(true)),
            ("arn", Value::unknown()),
            ("user_data", Value::string("x".repeat(5000))),
            ("cidr_blocks", Value::List(vec![Value::string("10.0.0.0/8")].into())),
            ("tags", Value::map([("Name", Value::string("db"))])),
            ("secret_list", Value::List(vec![Value::string("s").mark_if(true)].into())),
        ]);
        let identity = identity_of(&planned);
        let keys: Vec<&String> = identity.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["cidr_blocks", "identifier", "port", "skip_final_snapshot"]);
        assert!(!identity.to_string().contains("hunter2"));
    }
}
