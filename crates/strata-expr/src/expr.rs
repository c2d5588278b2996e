//! The evaluator: one recursive walk over the syntax tree. Literals,
//! collections, conditionals and `for` expressions live here; traversals,
//! operators, calls and templates have their own modules.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::ops::Range;

use hcl_edit::expr::{Array, Conditional, Expression, ForExpr, Object, ObjectKey};
use hcl_edit::{Decorated, Ident, Span as _};
use strata_core::shown::shown_text;
use strata_core::{Diagnostic, Diagnostics, Span, Type, Value, did_you_mean};

use crate::{ChildScope, ExprCtx, budget, codes, template};

/// Expressions nested deeper than this are rejected instead of risking the stack.
pub(crate) const MAX_DEPTH: usize = 256;

/// Evaluate an expression to a value. Unknown and sensitive marks propagate
/// through every operation; errors point at spans in `ctx.file`.
pub fn eval_expr(expr: &Expression, ctx: &ExprCtx) -> Result<Value, Diagnostics> {
    let _budget = budget::enter();
    eval(expr, ctx, 0).map_err(one_budget_error)
}

pub(crate) fn eval(expr: &Expression, ctx: &ExprCtx, depth: usize) -> Result<Value, Diagnostics> {
    if depth > MAX_DEPTH {
        return Err(too_deep(ctx, expr.span()));
    }
    if let Err(e) = budget::spend(1) {
        return Err(too_expensive(ctx, expr.span(), e));
    }
    let depth = depth + 1;
    let v = match expr {
        Expression::Null(_) => Ok(Value::Null),
        Expression::Bool(b) => Ok(Value::Bool(*b.value())),
        Expression::Number(n) => Ok(n.value().as_f64().map_or(Value::Null, Value::Number)),
        Expression::String(s) => Ok(Value::String(s.value().clone().into())),
        Expression::Array(a) => eval_array(a, ctx, depth),
        Expression::Object(o) => eval_object(o, ctx, depth),
        Expression::StringTemplate(t) => template::eval_template(t, ctx, depth),
        Expression::HeredocTemplate(h) => template::eval_template(&h.template, ctx, depth),
        Expression::Parenthesis(p) => eval(p.inner(), ctx, depth),
        Expression::Variable(v) => lookup(v, ctx).cloned(),
        Expression::Conditional(c) => eval_conditional(c, ctx, depth),
        Expression::FuncCall(f) => crate::call::eval_call(f, ctx, depth),
        Expression::Traversal(t) => crate::traversal::eval_traversal(t, ctx, depth),
        Expression::UnaryOp(op) => crate::ops::eval_unary(op, ctx, depth),
        Expression::BinaryOp(op) => crate::ops::eval_binary(op, ctx, depth),
        Expression::ForExpr(f) => eval_for(f, ctx, depth),
    }?;
    // Values these produce can be any size; the others are built from
    // parts that were paid for already.
    let produces = matches!(expr, Expression::Variable(_) | Expression::Traversal(_) | Expression::FuncCall(_));
    if produces && let Err(e) = budget::spend_value(&v) {
        return Err(too_expensive(ctx, expr.span(), e));
    }
    Ok(v)
}

/// An error diagnostic with its primary label in `ctx.file`.
pub(crate) fn error(
    ctx: &ExprCtx,
    code: &'static str,
    span: Option<Range<usize>>,
    message: impl Into<String>,
    label: impl Into<String>,
) -> Diagnostic {
    Diagnostic::error(code, message).with_label(span.map(|r| Span::new(ctx.file, r)), label)
}

pub(crate) fn too_deep(ctx: &ExprCtx, span: Option<Range<usize>>) -> Diagnostics {
    let d = error(ctx, codes::TOO_DEEP, span, "expression is nested too deeply", format!("nested more than {MAX_DEPTH} levels"))
        .with_help("split the expression into locals");
    Diagnostics(vec![d])
}

pub(crate) fn too_expensive(ctx: &ExprCtx, span: Option<Range<usize>>, exhausted: budget::Exhausted) -> Diagnostics {
    let (what, limit) = match exhausted {
        budget::Exhausted::Expression => ("one expression", budget::LIMIT),
        budget::Exhausted::Run(limit) => ("the whole evaluation", limit),
        budget::Exhausted::Depth => {
            let d = error(
                ctx,
                codes::TOO_DEEP,
                span,
                "value is nested too deeply",
                format!("this value nests more than {} levels", budget::MAX_VALUE_DEPTH),
            )
            .with_help("lists and objects may nest at most that deep; flatten the structure");
            return Diagnostics(vec![d]);
        }
    };
    let help = format!(
        "{what} may take {limit} steps, each value and every {} bytes of text counting one; iterate over fewer elements or build shorter strings",
        budget::BYTES_PER_UNIT
    );
    let d = error(ctx, codes::TOO_EXPENSIVE, span, "expression takes too much work to evaluate", "evaluation stopped here").with_help(help);
    Diagnostics(vec![d])
}

/// Once the budget is spent every later step fails alike: report it once.
pub(crate) fn one_budget_error(mut diags: Diagnostics) -> Diagnostics {
    let mut seen = false;
    diags.0.retain(|d| d.code != codes::TOO_EXPENSIVE || !std::mem::replace(&mut seen, true));
    diags
}

/// Look a root name up in the scope, borrowing the value.
pub(crate) fn lookup<'a>(var: &Decorated<Ident>, ctx: &ExprCtx<'a>) -> Result<&'a Value, Diagnostics> {
    let name = var.as_str();
    ctx.scope.get(name).ok_or_else(|| {
        let mut d = error(ctx, codes::UNKNOWN_REFERENCE, var.span(), format!("reference to undeclared name `{name}`"), "not declared");
        if let Some(s) = did_you_mean(name, ctx.scope.names()) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        Diagnostics(vec![d])
    })
}

fn eval_array(a: &Array, ctx: &ExprCtx, depth: usize) -> Result<Value, Diagnostics> {
    let mut out = Vec::with_capacity(a.len());
    let mut diags = Diagnostics::new();
    for item in a.iter() {
        match eval(item, ctx, depth) {
            Ok(v) => out.push(v),
            Err(d) => diags.extend(d),
        }
    }
    if diags.is_empty() { Ok(Value::List(out.into())) } else { Err(diags) }
}

/// An object key (or `for` key) as a string; `Ok(None)` when it is unknown.
/// Sets `sensitive` when the key carries the mark.
fn object_key(v: Value, span: Option<Range<usize>>, ctx: &ExprCtx, sensitive: &mut bool) -> Result<Option<String>, Diagnostic> {
    let (v, s) = v.unmark();
    *sensitive |= s;
    match &v {
        Value::Unknown(_) => Ok(None),
        Value::Null => Err(error(ctx, codes::TYPE_MISMATCH, span, "object key must not be null", "null key")),
        _ => v.to_template_string().map(Some).ok_or_else(|| {
            let ty = v.type_name();
            error(ctx, codes::TYPE_MISMATCH, span, format!("object key must be a string, got {ty}"), format!("this is a {ty}"))
        }),
    }
}

fn eval_object(o: &Object, ctx: &ExprCtx, depth: usize) -> Result<Value, Diagnostics> {
    let mut out = BTreeMap::new();
    let mut diags = Diagnostics::new();
    let (mut sensitive, mut unknown_key) = (false, false);
    for (key, value) in o.iter() {
        let kspan = match key {
            ObjectKey::Ident(id) => id.span(),
            ObjectKey::Expression(e) => e.span(),
        };
        let mut secret_key = false;
        let key = match key {
            ObjectKey::Ident(id) => Some(id.as_str().to_owned()),
            ObjectKey::Expression(e) => match eval(e, ctx, depth) {
                Ok(v) => match object_key(v, e.span(), ctx, &mut secret_key) {
                    Ok(k) => k,
                    Err(d) => {
                        diags.push(d);
                        continue;
                    }
                },
                Err(d) => {
                    diags.extend(d);
                    continue;
                }
            },
        };
        let value = match eval(value.expr(), ctx, depth) {
            Ok(v) => v,
            Err(d) => {
                diags.extend(d);
                continue;
            }
        };
        let Some(key) = key else {
            unknown_key = true;
            continue;
        };
        sensitive |= secret_key;
        if out.contains_key(&key) {
            let msg = format!("duplicate object key {}", shown_text(&key, secret_key));
            diags.push(error(ctx, codes::DUPLICATE_KEY, kspan, msg, "defined again here"));
            continue;
        }
        out.insert(key, value);
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let v = if unknown_key { Value::Unknown(Type::Any) } else { Value::Map(out.into()) };
    Ok(v.mark_if(sensitive))
}

fn eval_conditional(c: &Conditional, ctx: &ExprCtx, depth: usize) -> Result<Value, Diagnostics> {
    let (cond, sensitive) = eval(&c.cond_expr, ctx, depth)?.unmark();
    let b = match &cond {
        Value::Unknown(_) => return Ok(Value::unknown().mark_if(sensitive)),
        v => v.to_bool().ok_or_else(|| {
            let ty = v.type_name();
            let d = error(
                ctx,
                codes::TYPE_MISMATCH,
                c.cond_expr.span(),
                format!("condition must be bool, got {ty}"),
                format!("this is a {ty}"),
            );
            Diagnostics(vec![d])
        })?,
    };
    let (chosen, other) = if b { (&c.true_expr, &c.false_expr) } else { (&c.false_expr, &c.true_expr) };
    let v = eval(chosen, ctx, depth)?;
    // Terraform unifies the branch types: a number or bool meeting a string
    // becomes a string. The other branch is evaluated only for its type, and
    // only when that can matter; its errors are not reported.
    let v = if matches!(v.peel(), Value::Number(_) | Value::Bool(_)) && eval(other, ctx, depth).is_ok_and(|o| o.ty() == Type::String) {
        v.convert(&Type::String).unwrap_or(v)
    } else {
        v
    };
    Ok(v.mark_if(sensitive))
}

/// The elements a `for` expression or `%{for}` directive iterates, with the
/// value of the key variable for each: list index, set element or map key.
/// `Ok(None)` when the collection is unknown.
pub(crate) fn iteration<'v>(
    coll: &'v Value,
    span: Option<Range<usize>>,
    ctx: &ExprCtx,
) -> Result<Option<Vec<(Value, &'v Value)>>, Diagnostics> {
    match coll.peel() {
        Value::Unknown(_) => Ok(None),
        Value::List(vs) => Ok(Some(vs.iter().enumerate().map(|(i, v)| (Value::Number(i as f64), v)).collect())),
        Value::Set(vs) => Ok(Some(vs.iter().map(|v| (v.clone(), v)).collect())),
        Value::Map(m) => Ok(Some(m.iter().map(|(k, v)| (Value::String(k.clone().into()), v)).collect())),
        v => {
            let ty = v.type_name();
            let d = error(
                ctx,
                codes::TYPE_MISMATCH,
                span,
                format!("cannot iterate over a {ty} value"),
                "a list, set, map or object is required",
            )
            .with_help(if matches!(v, Value::Null) {
                "guard the null case with a conditional, e.g. `coalesce(x, [])`"
            } else {
                "wrap a single value in brackets: `[x]`"
            });
            Err(Diagnostics(vec![d]))
        }
    }
}

/// Bind the key and value variables of one iteration.
pub(crate) fn bind(scope: &mut ChildScope, key_var: Option<&Decorated<Ident>>, value_var: &Decorated<Ident>, key: Value, value: &Value) {
    if let Some(k) = key_var {
        scope.vars.insert(k.as_str().to_owned(), key);
    }
    scope.vars.insert(value_var.as_str().to_owned(), value.clone());
}

fn eval_for(f: &ForExpr, ctx: &ExprCtx, depth: usize) -> Result<Value, Diagnostics> {
    let coll = eval(&f.intro.collection_expr, ctx, depth)?;
    let mut sensitive = coll.is_sensitive();
    let Some(items) = iteration(&coll, f.intro.collection_expr.span(), ctx)? else {
        return Ok(Value::unknown().mark_if(sensitive));
    };
    let mut scope = ChildScope { parent: ctx.scope, vars: BTreeMap::new() };
    let mut list = Vec::new();
    let mut object: BTreeMap<String, Value> = BTreeMap::new();
    let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (key, value) in items {
        bind(&mut scope, f.intro.key_var.as_ref(), &f.intro.value_var, key, value);
        let ictx = ExprCtx { scope: &scope, ..*ctx };
        if let Some(cond) = &f.cond {
            let (c, s) = eval(&cond.expr, &ictx, depth)?.unmark();
            sensitive |= s;
            match &c {
                Value::Unknown(_) => return Ok(Value::unknown().mark_if(sensitive)),
                c => match c.to_bool() {
                    Some(true) => {}
                    Some(false) => continue,
                    None => {
                        let ty = c.type_name();
                        let msg = format!("`for` condition must be bool, got {ty}");
                        return Err(Diagnostics(vec![error(ctx, codes::TYPE_MISMATCH, cond.expr.span(), msg, format!("this is a {ty}"))]));
                    }
                },
            }
        }
        let Some(key_expr) = &f.key_expr else {
            list.push(eval(&f.value_expr, &ictx, depth)?);
            continue;
        };
        let k = eval(key_expr, &ictx, depth)?;
        let mut secret_key = false;
        let key = object_key(k, key_expr.span(), ctx, &mut secret_key).map_err(|d| Diagnostics(vec![d]))?;
        sensitive |= secret_key;
        let Some(k) = key else {
            return Ok(Value::unknown().mark_if(sensitive));
        };
        let v = eval(&f.value_expr, &ictx, depth)?;
        if f.grouping {
            groups.entry(k).or_default().push(v);
            continue;
        }
        match object.entry(k) {
            Entry::Vacant(e) => {
                e.insert(v);
            }
            Entry::Occupied(e) => {
                let d = error(
                    ctx,
                    codes::DUPLICATE_KEY,
                    key_expr.span(),
                    format!("duplicate key {} in `for` expression", shown_text(e.key(), secret_key)),
                    "produces the same key twice",
                )
                .with_help("add `...` after the value expression to group the values of each key into a list");
                return Err(Diagnostics(vec![d]));
            }
        }
    }
    let v = match (&f.key_expr, f.grouping) {
        (None, _) => Value::List(list.into()),
        (Some(_), false) => Value::Map(object.into()),
        (Some(_), true) => Value::Map(groups.into_iter().map(|(k, vs)| (k, Value::List(vs.into()))).collect()),
    };
    Ok(v.mark_if(sensitive))
}
