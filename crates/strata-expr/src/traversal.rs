//! Traversals: `aws_instance.app[0].id`, `var.list.0`, `x.*.id`, `x[*].a[0]`.
//!
//! The walk borrows from the scope (or from the evaluated base expression)
//! and clones only the final value, so that resolving a reference costs a
//! few map lookups however large the resource collections are.

use std::collections::BTreeMap;

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, Traversal, TraversalOperator};
use strata_core::shown::{SENSITIVE, describe, shown_number, shown_text};
use strata_core::{Diagnostic, Diagnostics, Value, did_you_mean};

use crate::expr::{error, eval, lookup};
use crate::ops::to_number;
use crate::{ExprCtx, codes};

pub(crate) fn eval_traversal(t: &Traversal, ctx: &ExprCtx, depth: usize) -> Result<Value, Diagnostics> {
    let walk = Walk { t, ctx, depth };
    let end = t.operators.len();
    match &t.expr {
        Expression::Variable(v) => walk.apply(lookup(v, ctx)?, 0, end, false),
        base => walk.apply(&eval(base, ctx, depth)?, 0, end, false),
    }
}

struct Walk<'t, 'c> {
    t: &'t Traversal,
    ctx: &'c ExprCtx<'c>,
    depth: usize,
}

impl Walk<'_, '_> {
    /// Apply operators `from..to` to `cur`; `sensitive` when `cur` is inside
    /// a sensitive value. Messages about a sensitive collection or key name
    /// neither its keys nor its length nor the key.
    fn apply(&self, mut cur: &Value, from: usize, to: usize, mut sensitive: bool) -> Result<Value, Diagnostics> {
        let ops = &self.t.operators;
        let mut i = from;
        while i < to {
            if let Value::Sensitive(inner) = cur {
                sensitive = true;
                cur = inner.peel();
            }
            if let Value::Unknown(_) = cur {
                return Ok(Value::unknown().mark_if(sensitive));
            }
            match ops[i].value() {
                TraversalOperator::GetAttr(name) => cur = self.get_attr(cur, name.as_str(), i, sensitive)?,
                TraversalOperator::Index(e) => {
                    // The key keeps its mark until the messages are written.
                    let key = eval(e, self.ctx, self.depth)?;
                    if key.is_unknown() {
                        return Ok(Value::unknown().mark_if(sensitive || key.is_sensitive()));
                    }
                    cur = self.index(cur, &key, i, sensitive)?;
                    sensitive |= key.is_sensitive();
                }
                TraversalOperator::LegacyIndex(n) => cur = self.index(cur, &Value::Number(*n.value() as f64), i, sensitive)?,
                op @ (TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_)) => {
                    // A full splat applies every following operator to each
                    // element; an attribute splat only the attribute (and
                    // legacy index) steps right after it.
                    let end = if matches!(op, TraversalOperator::FullSplat(_)) {
                        to
                    } else {
                        let n = ops[i + 1..to]
                            .iter()
                            .take_while(|o| matches!(o.value(), TraversalOperator::GetAttr(_) | TraversalOperator::LegacyIndex(_)))
                            .count();
                        i + 1 + n
                    };
                    let items: &[Value] = match cur {
                        Value::Null => &[],
                        Value::List(vs) | Value::Set(vs) => vs,
                        one => std::slice::from_ref(one),
                    };
                    let each = items.iter().map(|v| self.apply(v, i + 1, end, sensitive)).collect::<Result<Vec<_>, _>>()?;
                    let list = Value::List(each.into());
                    let rest = if end < to { self.apply(&list, end, to, sensitive)? } else { list };
                    return Ok(rest.mark_if(sensitive));
                }
            }
            i += 1;
        }
        Ok(cur.clone().mark_if(sensitive))
    }

    fn get_attr<'v>(&self, cur: &'v Value, name: &str, i: usize, sensitive: bool) -> Result<&'v Value, Diagnostics> {
        let path = || self.path(i);
        let d = match cur {
            Value::Map(m) => match m.get(name) {
                Some(v) => return Ok(v),
                None => {
                    let d = self.missing(i, format!("`{}` has no attribute `{name}`", path()), "no such attribute");
                    if sensitive { d } else { with_suggestion(d, name, m, |s| format!("{}.{s}", path())) }
                }
            },
            Value::List(vs) | Value::Set(vs) => {
                let what = if matches!(cur, Value::Set(_)) { "set" } else { "list" };
                let count = if sensitive { SENSITIVE.to_owned() } else { vs.len().to_string() };
                self.missing(
                    i,
                    format!("`{}` is a {what} of {count} elements, not an object", path()),
                    format!("cannot get `{name}` from a {what}"),
                )
                .with_help(format!("use `{}[*].{name}` for the `{name}` of every element, or index one element first", path()))
            }
            Value::Null => self.err(i, format!("cannot get attribute `{name}` of `{}`, which is null", path()), "value is null"),
            v => self.err(i, format!("cannot get attribute `{name}` of `{}`, which is a {}", path(), v.type_name()), "not an object"),
        };
        Err(Diagnostics(vec![d]))
    }

    /// Index `cur` (inside a sensitive value when `sensitive`) with `key`,
    /// which may carry the sensitive mark itself.
    fn index<'v>(&self, cur: &'v Value, key: &Value, i: usize, sensitive: bool) -> Result<&'v Value, Diagnostics> {
        let path = || self.path(i);
        let secret_key = key.is_sensitive();
        let len = |n: usize| if sensitive { SENSITIVE.to_owned() } else { n.to_string() };
        let d = match cur {
            Value::List(vs) => match to_number(key) {
                Some(n) if n >= 0.0 && n.fract() == 0.0 => match vs.get(n as usize) {
                    Some(v) => return Ok(v),
                    None => self.err(
                        i,
                        format!(
                            "index {} is out of range for `{}`, which has {} elements",
                            shown_number(n, secret_key),
                            path(),
                            len(vs.len())
                        ),
                        "index out of range",
                    ),
                },
                Some(n) => self.err(
                    i,
                    format!("list index must be a whole number of at least 0, got {}", shown_number(n, secret_key)),
                    "invalid index",
                ),
                None => self.err(i, format!("a number is required to index a list, got {}", describe(key)), "invalid index"),
            },
            Value::Map(m) => match key.to_template_string() {
                Some(k) => match m.get(&k) {
                    Some(v) => return Ok(v),
                    None => {
                        let d = self.missing(i, format!("`{}` has no key {}", path(), shown_text(&k, secret_key)), "no such key");
                        // Suggestions would tell how close a secret key is to
                        // the keys, or list a sensitive map's keys.
                        if sensitive || secret_key { d } else { with_suggestion(d, &k, m, |s| format!("{}[{s:?}]", path())) }
                    }
                },
                None => self.err(i, format!("a string key is required to index a map, got {}", describe(key)), "invalid key"),
            },
            Value::Set(_) => self
                .err(i, "cannot index a set: its elements have no index or key", "indexing a set")
                .with_help("convert it with `tolist(...)` or iterate over it with a `for` expression"),
            Value::Null => self.err(i, "cannot index a null value", "value is null"),
            v => self.err(i, format!("cannot index a {} value", v.type_name()), "not a collection"),
        };
        Err(Diagnostics(vec![d]))
    }

    /// An error labelled on the traversal up to and including operator `i`.
    fn err(&self, i: usize, message: impl Into<String>, label: impl Into<String>) -> Diagnostic {
        self.err_code(i, false, message, label)
    }

    /// Like [`Walk::err`], for a name or key that does not exist.
    fn missing(&self, i: usize, message: impl Into<String>, label: impl Into<String>) -> Diagnostic {
        self.err_code(i, true, message, label)
    }

    /// Missing names on a plain reference (root and attributes only) are
    /// reference errors; everything else is an indexing error.
    fn err_code(&self, i: usize, missing: bool, message: impl Into<String>, label: impl Into<String>) -> Diagnostic {
        let ops = &self.t.operators;
        let is_reference = missing
            && matches!(self.t.expr, Expression::Variable(_))
            && ops[..=i].iter().all(|o| matches!(o.value(), TraversalOperator::GetAttr(_)));
        let code = if is_reference { codes::UNKNOWN_REFERENCE } else { codes::INVALID_INDEX };
        let span = match (self.t.expr.span(), ops[i].span()) {
            (Some(a), Some(b)) => Some(a.start..b.end),
            (a, b) => b.or(a),
        };
        error(self.ctx, code, span, message, label)
    }

    /// The source path of the traversal before operator `i`, for messages.
    fn path(&self, i: usize) -> String {
        let mut s = match &self.t.expr {
            Expression::Variable(v) => v.as_str().to_owned(),
            e => format!("({})", e.to_string().trim()),
        };
        for op in &self.t.operators[..i] {
            match op.value() {
                TraversalOperator::GetAttr(name) => {
                    s.push('.');
                    s.push_str(name.as_str());
                }
                TraversalOperator::Index(Expression::String(k)) => s.push_str(&format!("[{:?}]", k.value())),
                TraversalOperator::Index(e) => s.push_str(&format!("[{}]", e.to_string().trim())),
                TraversalOperator::LegacyIndex(n) => s.push_str(&format!("[{}]", n.value())),
                TraversalOperator::AttrSplat(_) => s.push_str(".*"),
                TraversalOperator::FullSplat(_) => s.push_str("[*]"),
            }
        }
        s
    }
}

fn with_suggestion(d: Diagnostic, name: &str, m: &BTreeMap<String, Value>, render: impl Fn(&str) -> String) -> Diagnostic {
    if let Some(s) = did_you_mean(name, m.keys()) {
        return d.with_help(format!("did you mean `{}`?", render(&s)));
    }
    if m.is_empty() {
        return d.with_help("the object is empty");
    }
    let mut keys: Vec<&str> = m.keys().take(10).map(String::as_str).collect();
    if m.len() > 10 {
        keys.push("...");
    }
    d.with_help(format!("available: {}", keys.join(", ")))
}
