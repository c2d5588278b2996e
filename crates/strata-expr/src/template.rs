//! String templates: interpolations, `~` strip markers, `%{if}` and `%{for}`
//! directives. Heredocs arrive here already dedented by hcl-edit (`<<-`).

use std::collections::BTreeMap;

use hcl_edit::Span as _;
use hcl_edit::template::{Directive, Element, Template};
use strata_core::{Diagnostics, Type, Value};

use crate::expr::{bind, error, eval, iteration, one_budget_error, too_expensive};
use crate::{ChildScope, ExprCtx, budget, codes};

/// Parse `text` as a template and evaluate it. Spans in diagnostics are byte
/// offsets into `text`, reported against `ctx.file`.
pub fn eval_template_str(text: &str, ctx: &ExprCtx) -> Result<Value, Diagnostics> {
    let tpl = hcl_edit::parser::parse_template(text).map_err(|e| {
        let at = e.location().offset();
        let span = at..(at + 1).min(text.len()).max(at);
        Diagnostics(vec![error(ctx, codes::TEMPLATE_SYNTAX, Some(span), format!("invalid template: {}", e.message()), e.message())])
    })?;
    let _budget = budget::enter();
    eval_template(&tpl, ctx, 0).map_err(one_budget_error)
}

/// A template that is exactly one interpolation yields that value
/// unconverted (`"${var.list}"` is the list); anything else is a string.
pub(crate) fn eval_template(t: &Template, ctx: &ExprCtx, depth: usize) -> Result<Value, Diagnostics> {
    if let Some(Element::Interpolation(i)) = t.as_single_element() {
        return eval(&i.expr, ctx, depth);
    }
    let mut out = Out { text: String::new(), unknown: false, sensitive: false };
    render(t, ctx, depth, (false, false), &mut out)?;
    let v = if out.unknown { Value::Unknown(Type::String) } else { Value::String(out.text.into()) };
    Ok(v.mark_if(out.sensitive))
}

struct Out {
    text: String,
    unknown: bool,
    sensitive: bool,
}

/// Append text to the result, paying for it: `%{for}` directives can repeat
/// a literal or an interpolation without bound.
fn push(out: &mut Out, text: &str, ctx: &ExprCtx, at: &Element) -> Result<(), Diagnostics> {
    if let Err(e) = budget::spend(budget::text_cost(text)) {
        return Err(too_expensive(ctx, at.span(), e));
    }
    out.text.push_str(text);
    Ok(())
}

/// Whether an element's strip markers trim the literal before / after it.
fn strips(e: &Element) -> (bool, bool) {
    match e {
        Element::Literal(_) => (false, false),
        Element::Interpolation(i) => (i.strip.strip_start(), i.strip.strip_end()),
        Element::Directive(d) => match &**d {
            Directive::If(d) => (d.if_expr.strip.strip_start(), d.endif_expr.strip.strip_end()),
            Directive::For(d) => (d.for_expr.strip.strip_start(), d.endfor_expr.strip.strip_end()),
        },
    }
}

/// Render the elements of `t` into `out`. `edges` says whether the enclosing
/// directive's markers trim the start of the first and the end of the last literal.
fn render(t: &Template, ctx: &ExprCtx, depth: usize, edges: (bool, bool), out: &mut Out) -> Result<(), Diagnostics> {
    if depth > crate::expr::MAX_DEPTH {
        return Err(crate::expr::too_deep(ctx, t.span()));
    }
    let depth = depth + 1;
    let elements: Vec<&Element> = t.iter().collect();
    for (i, el) in elements.iter().enumerate() {
        match el {
            Element::Literal(s) => {
                let trim_start = if i == 0 { edges.0 } else { strips(elements[i - 1]).1 };
                let trim_end = elements.get(i + 1).map_or(edges.1, |next| strips(next).0);
                let mut s: &str = s.value();
                if trim_start {
                    s = s.trim_start();
                }
                if trim_end {
                    s = s.trim_end();
                }
                push(out, s, ctx, el)?;
            }
            Element::Interpolation(interp) => {
                let (v, s) = eval(&interp.expr, ctx, depth)?.unmark();
                out.sensitive |= s;
                match &v {
                    Value::Unknown(_) => out.unknown = true,
                    v => match v.to_template_string() {
                        Some(s) => push(out, &s, ctx, el)?,
                        None => {
                            let ty = v.type_name();
                            let (msg, help) = if matches!(v, Value::Null) {
                                (
                                    "cannot include a null value in a string template".to_owned(),
                                    "use `coalesce(x, \"\")` to supply a default",
                                )
                            } else {
                                (
                                    format!("cannot include a {ty} value in a string template"),
                                    "convert it first, e.g. with `join(\",\", x)` or `jsonencode(x)`",
                                )
                            };
                            let d = error(ctx, codes::TYPE_MISMATCH, interp.expr.span(), msg, format!("this is a {ty}")).with_help(help);
                            return Err(Diagnostics(vec![d]));
                        }
                    },
                }
            }
            Element::Directive(d) => match &**d {
                Directive::If(d) => {
                    let cond = &d.if_expr.cond_expr;
                    let (c, s) = eval(cond, ctx, depth)?.unmark();
                    out.sensitive |= s;
                    if c.is_unknown() {
                        out.unknown = true;
                        continue;
                    }
                    let Some(c) = c.to_bool() else {
                        let ty = c.type_name();
                        let d = error(
                            ctx,
                            codes::TYPE_MISMATCH,
                            cond.span(),
                            format!("`%{{if}}` condition must be bool, got {ty}"),
                            format!("this is a {ty}"),
                        );
                        return Err(Diagnostics(vec![d]));
                    };
                    let endif_start = d.endif_expr.strip.strip_start();
                    match (&d.else_expr, c) {
                        (else_expr, true) => {
                            let end = else_expr.as_ref().map_or(endif_start, |e| e.strip.strip_start());
                            render(&d.if_expr.template, ctx, depth, (d.if_expr.strip.strip_end(), end), out)?;
                        }
                        (Some(e), false) => render(&e.template, ctx, depth, (e.strip.strip_end(), endif_start), out)?,
                        (None, false) => {}
                    }
                }
                Directive::For(d) => {
                    let f = &d.for_expr;
                    let coll = eval(&f.collection_expr, ctx, depth)?;
                    out.sensitive |= coll.is_sensitive();
                    let Some(items) = iteration(&coll, f.collection_expr.span(), ctx)? else {
                        out.unknown = true;
                        continue;
                    };
                    let mut scope = ChildScope { parent: ctx.scope, vars: BTreeMap::new() };
                    for (key, value) in items {
                        bind(&mut scope, f.key_var.as_ref(), &f.value_var, key, value);
                        let ictx = ExprCtx { scope: &scope, ..*ctx };
                        render(&f.template, &ictx, depth, (f.strip.strip_end(), d.endfor_expr.strip.strip_start()), out)?;
                    }
                }
            },
        }
    }
    Ok(())
}
