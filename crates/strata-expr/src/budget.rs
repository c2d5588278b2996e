//! Work budgets, so that a few lines of input cannot keep the evaluator busy
//! for minutes or exhaust memory: nested `for` expressions over `range`,
//! templates repeating a long string, `format` widths inside loops.
//!
//! Every evaluation step costs one unit, and so does every value that a
//! reference, a function call or a template produces, per element and per
//! [`BYTES_PER_UNIT`] bytes of text. Two budgets live in thread-locals:
//!
//! - one per top-level expression, of [`LIMIT`] units, opened by the public
//!   entry points ([`crate::eval_expr`], [`crate::eval_template_str`]);
//! - optionally one for a whole run, opened by the caller with
//!   [`with_budget`], so that many expressions (or one expression evaluated
//!   for every `count` instance) cannot add up without bound either.

use std::cell::Cell;

use strata_core::Value;

/// Units one top-level expression may spend: far beyond any real
/// configuration, small enough to stop within a second or two and a few
/// hundred MiB.
pub(crate) const LIMIT: u64 = 1 << 22;

/// Bytes of text that cost one unit.
pub(crate) const BYTES_PER_UNIT: usize = 16;

thread_local! {
    /// Units spent on the current top-level expression, `None` outside one.
    static EXPRESSION: Cell<Option<u64>> = const { Cell::new(None) };
    /// Units spent and the limit of the run opened by [`with_budget`].
    static RUN: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
}

/// Which budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exhausted {
    Expression,
    /// The run's budget, with its limit.
    Run(u64),
}

/// Evaluate everything `f` evaluates within one budget of `limit` units,
/// shared by all its expressions; each expression keeps its own limit too.
/// Once the budget is spent every further expression fails with
/// [`crate::codes::TOO_EXPENSIVE`]. Nested calls share the outermost budget.
pub fn with_budget<R>(limit: u64, f: impl FnOnce() -> R) -> R {
    let _run = Guard::open(&RUN, (0, limit));
    f()
}

/// Closes a budget when the scope that opened it ends, even by unwinding.
pub(crate) struct Guard<T: Copy + 'static> {
    cell: Option<&'static std::thread::LocalKey<Cell<Option<T>>>>,
}

impl<T: Copy + 'static> Guard<T> {
    /// Open `key` at `start` unless it is open already.
    fn open(key: &'static std::thread::LocalKey<Cell<Option<T>>>, start: T) -> Guard<T> {
        let opened = key.with(|c| {
            let free = c.get().is_none();
            if free {
                c.set(Some(start));
            }
            free
        });
        Guard { cell: opened.then_some(key) }
    }
}

impl<T: Copy + 'static> Drop for Guard<T> {
    fn drop(&mut self) {
        if let Some(key) = self.cell {
            key.with(|c| c.set(None));
        }
    }
}

/// Open the budget of one top-level expression unless one is open already.
pub(crate) fn enter() -> Guard<u64> {
    Guard::open(&EXPRESSION, 0)
}

/// Spend `units`, failing once a budget is exhausted (and from then on).
/// Outside an open budget nothing is counted.
pub(crate) fn spend(units: u64) -> Result<(), Exhausted> {
    let expression_ok = EXPRESSION.with(|c| match c.get() {
        None => true,
        Some(spent) => {
            let spent = spent.saturating_add(units);
            c.set(Some(spent));
            spent <= LIMIT
        }
    });
    let run = RUN.with(|c| match c.get() {
        None => Ok(()),
        Some((spent, limit)) => {
            let spent = spent.saturating_add(units);
            c.set(Some((spent, limit)));
            if spent <= limit { Ok(()) } else { Err(Exhausted::Run(limit)) }
        }
    });
    run.and(if expression_ok { Ok(()) } else { Err(Exhausted::Expression) })
}

/// What holding `text` costs.
pub(crate) fn text_cost(text: &str) -> u64 {
    1 + (text.len() / BYTES_PER_UNIT) as u64
}

/// What producing `v` costs: one unit per value in it, plus its text.
pub(crate) fn cost(v: &Value) -> u64 {
    match v {
        Value::String(s) => text_cost(s),
        Value::List(vs) | Value::Set(vs) => vs.iter().fold(1, |n, v| n.saturating_add(cost(v))),
        Value::Map(m) => m.iter().fold(1, |n, (k, v)| n.saturating_add(text_cost(k)).saturating_add(cost(v))),
        Value::Sensitive(v) => cost(v),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::Unknown(_) => 1,
    }
}
