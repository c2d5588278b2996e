//! Planning each instance against its recorded object, during evaluation.

use std::collections::HashMap;

use strata_config::{PlanRequest, Planned, Planner};
use strata_core::Address;
use strata_provider::plan_change;
use strata_state::{ResourceState, State};

use crate::target::address_matches;

/// A [`Planner`] that knows the recorded state: each instance is planned
/// against the object at its address or, failing that, at the `from` of the
/// `moved` block that names it. Built once per run; lookups are hash lookups.
pub struct StatePlanner<'s> {
    recorded: HashMap<Address, &'s ResourceState>,
    replace: Vec<Address>,
}

impl<'s> StatePlanner<'s> {
    /// `replace` are the `--replace` addresses (without a key: every
    /// instance). Entries whose address does not parse are skipped (reading
    /// the state reports them).
    pub fn new(state: Option<&'s State>, replace: &[Address]) -> StatePlanner<'s> {
        let recorded = state.map(|s| s.resources.iter().filter_map(|r| Some((r.addr().ok()?, r))).collect()).unwrap_or_default();
        StatePlanner { recorded, replace: replace.to_vec() }
    }
}

impl Planner for StatePlanner<'_> {
    fn plan(&self, req: PlanRequest) -> Planned {
        let found = match self.recorded.get(req.addr) {
            Some(r) => Some((req.addr, *r)),
            None => req.moved_from.and_then(|from| self.recorded.get(from).map(|r| (from, *r))),
        };
        let prior = found.map(|(_, r)| r.values());
        let replace_requested = prior.is_some() && self.replace.iter().any(|p| address_matches(p, req.addr));
        // An object recorded under another provider configuration (another
        // region, account or endpoint) cannot move: it is replaced, deleted
        // through the recorded configuration and created through the new one.
        let recorded_provider = found.map(|(_, r)| r.provider.clone().unwrap_or_else(|| strata_config::default_provider_address(&r.ty)));
        let moved_provider = recorded_provider.is_some_and(|p| p != req.provider);
        let mut p = plan_change(req.schema, prior.as_ref(), req.config, req.ignore_changes, replace_requested || moved_provider);
        if moved_provider {
            p.requires_replace.insert(0, "provider".into());
        }
        Planned {
            // Derived attributes (`tags_all`) carry the marks of what they derive from.
            value: strata_provider::propagate_marks(req.schema, p.planned),
            prior,
            prior_addr: found.map(|(a, _)| a.clone()),
            requires_replace: p.requires_replace,
            replace_requested,
        }
    }
}
