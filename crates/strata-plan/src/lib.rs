//! strata's plans: the evaluated configuration diffed against the recorded
//! state.
//!
//! - [`StatePlanner`] joins evaluation (it implements
//!   [`strata_config::Planner`]): each instance is planned against its
//!   recorded object, found at its address or at the `from` of a `moved`
//!   block, so that references see planned values.
//! - [`build_plan`] turns the evaluated instances, the graph and the state
//!   into a [`Plan`]: one [`ResourceChange`] per instance (creates, updates
//!   and replaces in apply order, then deletes in teardown order), output
//!   changes, `--target` / `--replace` handling and the `prevent_destroy` and
//!   `moved` checks.
//! - [`Plan::save`] / [`Plan::load`] write and read plan files (sensitive
//!   values never in clear), [`config_digest`] fingerprints the configuration
//!   and variables, and [`check_fresh`] refuses a plan whose state or
//!   configuration changed since it was made.
//!
//! Invariant: this crate builds plans but never renders them; it knows the
//! provider *schema* and the state *model*, never a cloud, a backend or the
//! terminal.

mod diff;
mod file;
mod planner;
mod tags;
mod target;

use serde::{Deserialize, Serialize};
use strata_core::{Address, Layer, Value};

pub use diff::build_plan;
pub use file::{check_fresh, config_digest, redacted_hash, sensitive_hash};
pub use planner::StatePlanner;
pub use tags::plan_tags_all;
pub use target::Target;

/// The plan file format version this build reads and writes.
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// What will happen to one object (OpenTofu's `plans.Action`, without `Read`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    DeleteThenCreate,
    CreateThenDelete,
    Delete,
}

impl Action {
    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }

    /// The stable name used in plan files and JSON output (`delete_then_create`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::NoOp => "no_op",
            Action::Create => "create",
            Action::Update => "update",
            Action::DeleteThenCreate => "delete_then_create",
            Action::CreateThenDelete => "create_then_delete",
            Action::Delete => "delete",
        }
    }
}

/// `--target` and `--replace`, and the digest recorded in the plan.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Plan only these instances (a resource address without a key matches
    /// every instance, a module address everything inside) and their dependencies.
    pub targets: Vec<Target>,
    /// Replace these instances even if nothing forces it (an address
    /// without a key names every instance of the resource).
    pub replace: Vec<Address>,
    /// [`config_digest`] of the configuration and variables the plan is made from.
    pub config_digest: String,
}

/// The planned change of one resource instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    #[serde(rename = "address", with = "file::addr")]
    pub addr: Address,
    /// Set when a `moved` block renamed the recorded object; a move with no
    /// other change is a `NoOp` with this set.
    #[serde(with = "file::opt_addr")]
    pub moved_from: Option<Address>,
    #[serde(rename = "type")]
    pub ty: String,
    /// The effective layer (from the graph; for deletes, as recorded in state).
    #[serde(with = "file::layer")]
    pub layer: Layer,
    pub action: Action,
    /// The recorded object, sensitive attributes marked.
    #[serde(with = "file::opt_value")]
    pub before: Option<Value>,
    /// The planned object; `Unknown` parts are known after apply.
    #[serde(with = "file::opt_value")]
    pub after: Option<Value>,
    /// Attribute paths whose change forces the replacement.
    #[serde(default)]
    pub requires_replace: Vec<String>,
    /// Replaced because `--replace` named it.
    #[serde(default)]
    pub replace_requested: bool,
    #[serde(default)]
    pub create_before_destroy: bool,
    #[serde(default, with = "file::addrs")]
    pub dependencies: Vec<Address>,
    /// Why, in words: "not in configuration", "moved from aws_instance.a".
    #[serde(default)]
    pub reason: Option<String>,
    /// The provider configuration that carries out the change
    /// (`provider["aws"].west`); absent for the type's default. A delete
    /// goes to the configuration recorded in the state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// The planned change of one root output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    pub name: String,
    /// `Create`, `Update`, `NoOp`, or `Delete` for an output no longer declared.
    pub action: Action,
    #[serde(with = "file::opt_value")]
    pub before: Option<Value>,
    /// `Null` for a deleted output.
    #[serde(with = "file::value")]
    pub after: Value,
    pub sensitive: bool,
}

/// Counts for the `Plan: N to add, ...` line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub replace: usize,
    pub destroy: usize,
    pub moves: usize,
}

/// A plan: every change, and what it was made against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub strata_version: String,
    /// The lineage of the state planned against (a fresh UUID without state).
    pub lineage: String,
    /// The serial of the state planned against (0 without state).
    pub serial: u64,
    /// Whether a state existed when the plan was made.
    pub state_found: bool,
    pub config_digest: String,
    /// The `--target` addresses, printed; empty for a full plan.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Resource changes: creates, updates and replaces in apply order (layer
    /// 1 to 5), then deletes in teardown order (layer 5 to 1). Unchanged
    /// instances are included as `NoOp` (cost reports need them).
    pub changes: Vec<ResourceChange>,
    /// Root outputs by name.
    pub outputs: Vec<OutputChange>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// Whether the recorded objects were read back from the cloud first.
    #[serde(default)]
    pub refreshed: bool,
    /// Data sources that were not read (their values, and what depends on
    /// them, are known after apply), and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_not_read: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_not_read_reason: Option<String>,
    /// Addresses whose create an earlier, interrupted apply started and did
    /// not record; the apply looks for their objects (and adopts them)
    /// before creating anything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interrupted_creates: Vec<String>,
    /// Objects outside the configuration's instances that apply (and
    /// destroy) delete: made by an interrupted apply at an address no longer
    /// configured, or replaced under `create_before_destroy` and not deleted
    /// yet. Deleted in teardown order with the other deletes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leftovers: Vec<Leftover>,
}

/// An object no configured instance owns, which the apply deletes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Leftover {
    pub address: String,
    #[serde(rename = "type")]
    pub ty: String,
    /// `None`: not looked for yet (a plan without the cloud, or a lookup
    /// that failed); the apply looks for it by its intent tag first.
    pub id: Option<String>,
    pub cause: LeftoverCause,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeftoverCause {
    /// Created by an interrupted apply at an address no longer configured.
    InterruptedCreate,
    /// Replaced under `create_before_destroy` and not deleted yet.
    Deposed,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::NoOp => {}
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => s.replace += 1,
                Action::Delete => s.destroy += 1,
            }
            s.moves += usize::from(c.moved_from.is_some());
        }
        s.destroy += self.leftovers.len();
        s
    }

    /// True when applying the plan would change anything: a resource, a
    /// move, or an output.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp || c.moved_from.is_some())
            || self.outputs.iter().any(|o| o.action != Action::NoOp)
            || !self.leftovers.is_empty()
    }
}

#[cfg(test)]
mod tests;
