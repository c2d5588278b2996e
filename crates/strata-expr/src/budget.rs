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
//!   `strata_config::evaluate` opens it for every evaluation.
//!
//! Values are shared, so a reference costs no memory however large its value
//! is; it is still charged the value's whole size, because whatever consumes
//! the value (a function, the plan, the state file) walks all of it. The walk
//! that measures a value stops as soon as the budget is exceeded, so a value
//! that shares one part many times (`[local.x, local.x]`, repeated) costs at
//! most the budget to measure, and values nested more than
//! [`MAX_VALUE_DEPTH`] deep are refused (dropping or printing them would
//! recurse that deep).

use std::cell::Cell;

use strata_core::Value;

/// Units one top-level expression may spend: far beyond any real
/// configuration, small enough to stop within a second or two and a few
/// hundred MiB.
pub(crate) const LIMIT: u64 = 1 << 22;

/// Bytes of text that cost one unit.
pub(crate) const BYTES_PER_UNIT: usize = 16;

/// How deeply values may nest (lists in lists, objects in objects).
pub(crate) const MAX_VALUE_DEPTH: usize = 256;

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
    /// A value nested deeper than [`MAX_VALUE_DEPTH`].
    Depth,
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

/// Units spent so far by the run opened with [`with_budget`], if one is open.
pub fn run_spent() -> Option<u64> {
    RUN.with(|c| c.get().map(|(spent, _)| spent))
}

/// Whether the run opened with [`with_budget`] has spent its budget: every
/// further expression fails, so callers may stop evaluating.
pub fn run_exhausted() -> bool {
    RUN.with(|c| c.get().is_some_and(|(spent, limit)| spent > limit))
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

/// The units the open budgets have left (the smaller of the two);
/// `u64::MAX` outside any budget.
fn remaining() -> u64 {
    let expression = EXPRESSION.with(|c| c.get().map_or(u64::MAX, |spent| LIMIT.saturating_sub(spent)));
    let run = RUN.with(|c| c.get().map_or(u64::MAX, |(spent, limit)| limit.saturating_sub(spent)));
    expression.min(run)
}

/// Spend what producing `v` costs (see [`cost`]), measuring no further than
/// the budgets reach.
pub(crate) fn spend_value(v: &Value) -> Result<(), Exhausted> {
    let cap = remaining().saturating_add(1);
    let units = cost(v, cap).ok_or(Exhausted::Depth)?;
    spend(units)
}

/// What producing `v` costs: one unit per value in it, plus its text; shared
/// parts count every time they appear. Counting stops once it reaches `cap`
/// (the result is then at least `cap`). `None` when `v` nests deeper than
/// [`MAX_VALUE_DEPTH`].
pub(crate) fn cost(v: &Value, cap: u64) -> Option<u64> {
    fn walk(v: &Value, cap: u64, depth: usize, n: &mut u64) -> bool {
        if depth > MAX_VALUE_DEPTH {
            return false;
        }
        *n = n.saturating_add(1);
        match v {
            Value::String(s) => *n = n.saturating_add((s.len() / BYTES_PER_UNIT) as u64),
            Value::List(vs) | Value::Set(vs) => {
                for v in vs.iter() {
                    if *n >= cap {
                        break;
                    }
                    if !walk(v, cap, depth + 1, n) {
                        return false;
                    }
                }
            }
            Value::Map(m) => {
                for (k, v) in m.iter() {
                    if *n >= cap {
                        break;
                    }
                    *n = n.saturating_add(text_cost(k));
                    if !walk(v, cap, depth + 1, n) {
                        return false;
                    }
                }
            }
            Value::Sensitive(v) => return walk(v, cap, depth, n),
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::Unknown(_) => {}
        }
        true
    }
    let mut n = 0;
    walk(v, cap, 0, &mut n).then_some(n)
}
