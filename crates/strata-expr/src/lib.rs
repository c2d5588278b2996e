//! Expression evaluation over hcl-edit syntax trees (the `lang` of strata).
//!
//! Invariant: this crate knows expressions, not blocks: it never sees a
//! `resource` or `module`, only the scope the caller builds.
//!
//! [`eval_expr`] turns an `hcl_edit::expr::Expression` into a [`Value`],
//! looking up root names (`var`, `local`, `aws_instance`, `count`, `each`,
//! `path`, `terraform`, `module`, `data`, for-expression variables) in a
//! [`Scope`]. Unknown and sensitive marks propagate through every operation.
//! Work is budgeted (see [`with_budget`]): an expression that would run for
//! minutes or take gigabytes fails with `strata::eval::too_expensive`.

use std::collections::BTreeMap;
use std::path::Path;

use strata_core::{FileId, Value};

mod budget;
mod call;
pub mod codes;
mod expr;
mod ops;
mod refs;
mod template;
#[cfg(test)]
mod tests;
mod traversal;
mod types;

pub use budget::{run_exhausted, run_spent, with_budget};
pub use expr::eval_expr;
pub use refs::{RefStep, Reference, references};
pub use template::eval_template_str;
pub use types::parse_type_constraint;

/// Where root names are looked up. Values are borrowed so that traversing
/// `aws_instance.app[0].id` clones only the final value.
pub trait Scope {
    /// The value bound to a root name, e.g. `var` → object of all variables,
    /// `aws_instance` → object of resource name → instance value (or list /
    /// map of instance values when the resource has `count` / `for_each`).
    fn get(&self, name: &str) -> Option<&Value>;

    /// Every root name in scope, for "did you mean" suggestions.
    fn names(&self) -> Vec<String>;
}

/// A scope from a plain map (tests, templatefile variables).
impl Scope for BTreeMap<String, Value> {
    fn get(&self, name: &str) -> Option<&Value> {
        BTreeMap::get(self, name)
    }

    fn names(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }
}

/// A scope that adds bindings over a parent scope (for-expressions, `each`,
/// dynamic block iterators).
pub struct ChildScope<'a> {
    pub parent: &'a dyn Scope,
    pub vars: BTreeMap<String, Value>,
}

impl Scope for ChildScope<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.vars.get(name).or_else(|| self.parent.get(name))
    }

    fn names(&self) -> Vec<String> {
        let mut n = self.parent.names();
        n.extend(self.vars.keys().cloned());
        n
    }
}

/// Everything an expression needs besides its syntax tree.
#[derive(Clone, Copy)]
pub struct ExprCtx<'a> {
    /// The file the expression was parsed from (spans are byte offsets in it).
    pub file: FileId,
    pub scope: &'a dyn Scope,
    /// The directory of the module the expression belongs to: relative paths
    /// in `file()` / `templatefile()` resolve against it.
    pub module_dir: &'a Path,
}
