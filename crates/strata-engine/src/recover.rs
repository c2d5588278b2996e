//! Crash recovery: the intents a crashed or killed run left in the state.
//!
//! Every create is preceded by an intent (address, token) in the state. An
//! intent still there when a run starts means a create may or may not have
//! happened; the provider looks for an object made under the token (tag,
//! client token or deterministic name). A found object is adopted (recorded
//! at the intent's address); otherwise the intent is dropped. Run before
//! planning, so that the plan sees the adopted objects.

use std::collections::HashMap;

use strata_core::{Address, Diagnostic, Diagnostics, Layer, Value};
use strata_provider::{FindByIntentRequest, ProviderError};
use strata_state::{LocalBackend, ResourceState, State};
use tokio::task::JoinSet;

use crate::apply::{id_of, mark};
use crate::providers::Providers;

#[derive(Debug, Default)]
pub struct RecoveryReport {
    /// Objects found and recorded: address and id.
    pub adopted: Vec<(Address, String)>,
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
        self.adopted.is_empty() && self.dropped.is_empty() && self.errors.is_empty()
    }
}

/// Resolve every `create` intent in `state`: ask the provider for the object
/// (with its planned value from `planned` when known, else null), adopt it
/// or drop the intent, and persist once. Intents of other operations and
/// with addresses that do not parse are left alone. When a dropped intent's
/// address has no object but a deposed one (a `create_before_destroy`
/// replacement that never happened), the deposed object is current again.
pub async fn recover_intents(
    providers: &Providers,
    backend: &LocalBackend,
    state: &mut State,
    planned: &HashMap<Address, Value>,
) -> RecoveryReport {
    let mut report = RecoveryReport::default();
    let mut lookups = JoinSet::new();
    for intent in state.intents.iter().filter(|i| i.operation == "create") {
        let Ok(addr) = intent.address.parse::<Address>() else {
            tracing::warn!(address = %intent.address, "intent with an address that does not parse left in the state");
            continue;
        };
        let req = FindByIntentRequest {
            ty: addr.ty.clone(),
            planned: planned.get(&addr).cloned().unwrap_or(Value::Null),
            addr,
            token: intent.token.clone(),
        };
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
        match (response.error, response.found) {
            (Some(e), _) => report.errors.push((req.addr, e)),
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
    if !report.adopted.is_empty() || !report.dropped.is_empty() {
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

fn missing_id() -> ProviderError {
    ProviderError {
        code: Some("strata::apply::no_id".into()),
        message: "the provider found an object without an id".into(),
        retryable: false,
    }
}
