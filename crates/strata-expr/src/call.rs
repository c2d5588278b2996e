//! Function calls: the lazy special forms `try` and `can`, and dispatch of
//! everything else to `strata_functions`.

use std::collections::BTreeMap;

use hcl_edit::Span as _;
use hcl_edit::expr::FuncCall;
use strata_core::shown::SENSITIVE;
use strata_core::{Diagnostics, Type, Value, did_you_mean};
use strata_functions::{FnCtx, FnError};

use crate::expr::{MAX_DEPTH, error, eval};
use crate::{ExprCtx, codes, template};

/// Rendering a template file from inside a function costs this much depth,
/// which bounds how deeply `templatefile` calls can nest (each level keeps a
/// parser and function frames on the stack).
const TEMPLATE_DEPTH_COST: usize = MAX_DEPTH / 8;

pub(crate) fn eval_call(f: &FuncCall, ctx: &ExprCtx, depth: usize) -> Result<Value, Diagnostics> {
    let name = match f.name.namespace.is_empty() {
        true => f.name.name.as_str().to_owned(),
        false => {
            let mut parts: Vec<&str> = f.name.namespace.iter().map(|n| n.as_str()).collect();
            parts.push(f.name.name.as_str());
            parts.join("::")
        }
    };
    match name.as_str() {
        "try" => return eval_try(f, ctx, depth),
        "can" => return eval_can(f, ctx, depth),
        _ => {}
    }
    if !strata_functions::names().contains(&name.as_str()) {
        return Err(unknown_function(&name, f, ctx));
    }
    let mut args = Vec::with_capacity(f.args.len());
    let mut diags = Diagnostics::new();
    for a in f.args.iter() {
        match eval(a, ctx, depth) {
            Ok(v) => args.push(v),
            Err(d) => diags.extend(d),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    if f.args.expand_final()
        && let Some(last) = args.pop()
    {
        let (last, sensitive) = last.unmark();
        match last {
            Value::List(vs) | Value::Set(vs) => args.extend(vs.into_iter().map(|v| v.mark_if(sensitive))),
            Value::Unknown(_) => return Ok(Value::unknown().mark_if(sensitive)),
            v => {
                let span = f.args.iter().last().and_then(|a| a.span());
                let msg = format!("`...` expands a list, set or tuple into arguments, got {}", v.type_name());
                return Err(Diagnostics(vec![error(ctx, codes::FUNCTION_ARGUMENT, span, msg, "cannot expand this")]));
            }
        }
    }
    let render = |text: &str, vars: &Value| render_template(text, vars, ctx, depth);
    let fctx = FnCtx { module_dir: ctx.module_dir, render_template: &render };
    let result = strata_functions::call(&name, args, &fctx);
    if let Ok(v) = &result
        && let Some(n) = crate::ops::find_non_finite(v)
    {
        return Err(Diagnostics(vec![crate::ops::non_finite(n, f.span(), &format!("the result of `{name}`"), ctx)]));
    }
    result.map_err(|e| {
        let d = match e {
            FnError::Unknown => return unknown_function(&name, f, ctx),
            FnError::Arity(msg) => {
                error(ctx, codes::FUNCTION_ARITY, f.span(), format!("wrong number of arguments to `{name}`: {msg}"), "called here")
            }
            FnError::Arg { index, message } => {
                // With `...` the index may point into the expanded list: label the list.
                let span = f.args.get(index.min(f.args.len().saturating_sub(1))).and_then(|a| a.span()).or_else(|| f.span());
                error(
                    ctx,
                    codes::FUNCTION_ARGUMENT,
                    span,
                    format!("invalid argument {} to `{name}`: {message}", index + 1),
                    message.clone(),
                )
            }
            FnError::Message(msg) => error(ctx, codes::FUNCTION_ERROR, f.span(), format!("call to `{name}` failed: {msg}"), "in this call"),
            FnError::Sensitive { index } => {
                let (code, span, msg) = match index {
                    Some(i) => {
                        let span = f.args.get(i.min(f.args.len().saturating_sub(1))).and_then(|a| a.span()).or_else(|| f.span());
                        (codes::FUNCTION_ARGUMENT, span, format!("invalid argument {} to `{name}`: {SENSITIVE}", i + 1))
                    }
                    None => (codes::FUNCTION_ERROR, f.span(), format!("call to `{name}` failed on {SENSITIVE}")),
                };
                error(ctx, code, span, msg, "refused here")
                    .with_help("the reason is not shown because it could reveal a sensitive argument; check its type and format")
            }
        };
        Diagnostics(vec![d])
    })
}

fn unknown_function(name: &str, f: &FuncCall, ctx: &ExprCtx) -> Diagnostics {
    let mut d = error(ctx, codes::UNKNOWN_FUNCTION, f.name.name.span(), format!("there is no function named `{name}`"), "unknown function");
    if let Some(s) = did_you_mean(name, strata_functions::names()) {
        d = d.with_help(format!("did you mean `{s}`?"));
    }
    Diagnostics(vec![d])
}

/// `try(a, b, ...)`: the first argument that evaluates without error. An
/// argument that is not wholly known makes the result unknown, since it may
/// still fail once known.
fn eval_try(f: &FuncCall, ctx: &ExprCtx, depth: usize) -> Result<Value, Diagnostics> {
    if f.args.is_empty() || f.args.expand_final() {
        let d = error(ctx, codes::FUNCTION_ARITY, f.span(), "`try` requires at least one argument, without `...`", "called here");
        return Err(Diagnostics(vec![d]));
    }
    let mut failures = Vec::new();
    for a in f.args.iter() {
        match eval(a, ctx, depth) {
            Ok(v) if v.is_wholly_known() => return Ok(v),
            Ok(v) => return Ok(Value::unknown().mark_if(v.contains_sensitive())),
            Err(d) if is_fatal(&d) => return Err(d),
            Err(d) => failures.extend(d.into_iter().map(|d| format!("- {}", d.message))),
        }
    }
    let d = error(ctx, codes::FUNCTION_ERROR, f.span(), "no argument of `try` evaluated without error", "every argument failed")
        .with_help(failures.join("\n"));
    Err(Diagnostics(vec![d]))
}

/// `can(expr)`: whether `expr` evaluates without error; unknown when its
/// value is not wholly known.
fn eval_can(f: &FuncCall, ctx: &ExprCtx, depth: usize) -> Result<Value, Diagnostics> {
    let (Some(arg), 1, false) = (f.args.get(0), f.args.len(), f.args.expand_final()) else {
        let d = error(ctx, codes::FUNCTION_ARITY, f.span(), "`can` requires exactly one argument", "called here");
        return Err(Diagnostics(vec![d]));
    };
    match eval(arg, ctx, depth) {
        Ok(v) if v.is_wholly_known() => Ok(Value::Bool(true)),
        Ok(v) => Ok(Value::Unknown(Type::Bool).mark_if(v.contains_sensitive())),
        Err(d) if is_fatal(&d) => Err(d),
        Err(_) => Ok(Value::Bool(false)),
    }
}

/// Errors that `try` and `can` must not swallow.
fn is_fatal(d: &Diagnostics) -> bool {
    d.iter().any(|d| d.code == codes::TOO_DEEP || d.code == codes::TOO_EXPENSIVE)
}

/// Render a template text (a `templatefile` file) with its own scope: only
/// the given variables. Errors become one message with line numbers.
fn render_template(text: &str, vars: &Value, ctx: &ExprCtx, depth: usize) -> Result<Value, String> {
    let (vars, sensitive) = vars.clone().unmark();
    let scope: BTreeMap<String, Value> = match vars {
        Value::Map(m) => m.into(),
        Value::Null => BTreeMap::new(),
        v => return Err(format!("template variables must be an object, got {}", v.type_name())),
    };
    let tpl = hcl_edit::parser::parse_template(text).map_err(|e| {
        let l = e.location();
        format!("invalid template at line {}, column {}: {}", l.line(), l.column(), e.message())
    })?;
    let tctx = ExprCtx { scope: &scope, ..*ctx };
    match template::eval_template(&tpl, &tctx, depth + TEMPLATE_DEPTH_COST) {
        Ok(v) => Ok(v.mark_if(sensitive)),
        Err(diags) => Err(diags
            .iter()
            .map(|d| match d.primary_span() {
                Some(s) => format!("line {}: {}", line_of(text, s.range.start), d.message),
                None => d.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ")),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}
