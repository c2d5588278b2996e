//! The hook through which planning joins evaluation.
//!
//! A resource's planned values are what later references see: an unchanged
//! subnet's `id` is its recorded id, not "known after apply". So the
//! evaluator asks a [`Planner`] for each instance's planned value as soon as
//! its configuration is evaluated, in dependency order, as Terraform does.

use strata_core::{Address, Value};
use strata_provider::{ResourceSchema, plan_change};

/// One instance to plan.
pub struct PlanRequest<'a> {
    pub addr: &'a Address,
    /// The address a `moved` block says this instance had before.
    pub moved_from: Option<&'a Address>,
    pub schema: &'a ResourceSchema,
    /// The attributes and blocks the configuration writes.
    pub config: &'a Value,
    pub ignore_changes: &'a [String],
    /// The provider configuration that manages it (`provider["aws"].west`).
    pub provider: &'a str,
}

/// The plan for one instance.
#[derive(Debug, Clone, Default)]
pub struct Planned {
    /// Planned values of every schema attribute.
    pub value: Value,
    /// The recorded values, when the object exists.
    pub prior: Option<Value>,
    /// The address the prior object is recorded under (differs after `moved`).
    pub prior_addr: Option<Address>,
    /// Force-new attributes that changed.
    pub requires_replace: Vec<String>,
    /// Replaced although nothing forces it (`--replace`).
    pub replace_requested: bool,
}

pub trait Planner {
    fn plan(&self, req: PlanRequest) -> Planned;

    /// Read a data source whose arguments (`args`, every schema attribute,
    /// computed ones unknown) are known. `None` leaves its values unknown
    /// (no provider, or `--refresh=false`); an error becomes a diagnostic.
    /// `provider` is the address of the configuration that reads it.
    fn read_data(&self, addr: &Address, provider: &str, args: &Value) -> Option<Result<Value, String>> {
        let _ = (addr, provider, args);
        None
    }
}

/// Plans every instance as new: no state (`validate`, `graph`).
pub struct NoPriorState;

impl Planner for NoPriorState {
    fn plan(&self, req: PlanRequest) -> Planned {
        let p = plan_change(req.schema, None, req.config, req.ignore_changes, false);
        Planned { value: p.planned, ..Planned::default() }
    }
}
