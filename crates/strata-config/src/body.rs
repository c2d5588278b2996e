//! Resource bodies against their schema: static checks (once per block) and
//! evaluation (once per instance), including `dynamic` blocks.

use std::collections::BTreeMap;

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body, Structure};
use strata_core::{Diagnostic, Diagnostics, FileId, Span, Type, Value, did_you_mean};
use strata_expr::{ChildScope, ExprCtx, eval_expr};
use strata_provider::{BlockSchema, Nesting};

use crate::loader::{header_span, span_of};

/// Blocks every resource accepts whether or not its schema lists them
/// (with a warning where the schema does not).
const UNIVERSAL_BLOCKS: [&str; 1] = ["timeouts"];

/// Check a body's arguments and blocks against a schema: unknown names (with
/// suggestions), computed-only attributes set, required ones missing.
pub(crate) fn check_body(body: &Body, schema: &BlockSchema, file: FileId, what: &str, header: &Span) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut seen_blocks: BTreeMap<String, usize> = BTreeMap::new();
    let mut dynamic_blocks: Vec<String> = Vec::new();
    for s in body {
        match s {
            Structure::Attribute(a) => {
                let name = a.key.as_str();
                match schema.attributes.get(name) {
                    Some(attr) if !attr.optional && !attr.required => diags.push(
                        Diagnostic::error(
                            "strata::config::computed_attribute",
                            format!("`{name}` of `{what}` is set by the provider and cannot be configured"),
                        )
                        .with_label(span_of(file, &a.key), "computed attribute")
                        .with_help("remove it; refer to it from other resources instead"),
                    ),
                    Some(_) => {}
                    // Terraform's "attributes as blocks": `ingress = []` removes every rule.
                    None if schema.blocks.contains_key(name) => {}
                    None => diags.push(unsupported(name, schema, what, span_of(file, &a.key), "argument")),
                }
            }
            Structure::Block(b) => {
                let ident = b.ident.as_str();
                if ident == "dynamic" {
                    let Some(label) = b.labels.first().map(|l| l.as_str().to_string()) else {
                        diags.push(
                            Diagnostic::error(
                                "strata::config::block_labels",
                                "a `dynamic` block takes one label: the block type it generates",
                            )
                            .with_label(Some(header_span(file, b)), "missing label"),
                        );
                        continue;
                    };
                    let Some(nested) = schema.blocks.get(&label) else {
                        diags.push(unsupported(&label, schema, what, Some(header_span(file, b)), "block type"));
                        continue;
                    };
                    if b.body.get_attribute("for_each").is_none() {
                        diags.push(
                            Diagnostic::error("strata::config::missing_attribute", format!("dynamic `{label}` block has no `for_each`"))
                                .with_label(Some(header_span(file, b)), "missing for_each"),
                        );
                    }
                    let contents: Vec<&Block> = b.body.get_blocks("content").collect();
                    if contents.len() != 1 {
                        diags.push(
                            Diagnostic::error(
                                "strata::config::missing_block",
                                format!("dynamic `{label}` block needs exactly one `content` block"),
                            )
                            .with_label(Some(header_span(file, b)), "content missing or repeated"),
                        );
                    }
                    for c in contents {
                        diags.extend(check_body(&c.body, &nested.block, file, &format!("{what}.{label}"), &header_span(file, c)));
                    }
                    dynamic_blocks.push(label);
                    continue;
                }
                match schema.blocks.get(ident) {
                    Some(nested) => {
                        *seen_blocks.entry(ident.to_string()).or_default() += 1;
                        diags.extend(check_body(&b.body, &nested.block, file, &format!("{what}.{ident}"), &header_span(file, b)));
                    }
                    None if UNIVERSAL_BLOCKS.contains(&ident) => diags.push(
                        Diagnostic::warning("strata::config::ignored_block", format!("`{ident}` has no effect on `{what}`"))
                            .with_label(Some(header_span(file, b)), "accepted for Terraform compatibility, ignored")
                            .with_help(format!("`{what}` has no long-running operation to bound; remove the block")),
                    ),
                    None if schema.attributes.contains_key(ident) => diags.push(
                        Diagnostic::error(
                            "strata::config::unsupported_block",
                            format!("`{ident}` of `{what}` is an argument, not a block"),
                        )
                        .with_label(Some(header_span(file, b)), "written as a block")
                        .with_help(format!("write it as an argument: `{ident} = ...`")),
                    ),
                    None => diags.push(unsupported(ident, schema, what, Some(header_span(file, b)), "block type")),
                }
            }
        }
    }
    for (name, attr) in &schema.attributes {
        if attr.required && body.get_attribute(name).is_none() {
            diags.push(
                Diagnostic::error("strata::config::missing_attribute", format!("`{what}` is missing the required argument `{name}`"))
                    .with_label(Some(header.clone()), format!("`{name}` is required"))
                    .with_help(format!("add `{name} = ...` ({})", attr.ty)),
            );
        }
    }
    for (name, nested) in &schema.blocks {
        let n = seen_blocks.get(name).copied().unwrap_or(0);
        let dynamic = dynamic_blocks.contains(name);
        if n < nested.min_items && !dynamic {
            diags.push(
                Diagnostic::error(
                    "strata::config::missing_block",
                    format!("`{what}` needs at least {} `{name}` block(s)", nested.min_items),
                )
                .with_label(Some(header.clone()), format!("add a `{name} {{ }}` block")),
            );
        }
        let max = if nested.nesting == Nesting::Single { Some(1) } else { nested.max_items };
        if let Some(max) = max
            && n > max
        {
            diags.push(
                Diagnostic::error("strata::config::too_many_blocks", format!("`{what}` takes at most {max} `{name}` block(s), found {n}"))
                    .with_label(Some(header.clone()), "too many blocks"),
            );
        }
    }
    diags
}

fn unsupported(name: &str, schema: &BlockSchema, what: &str, span: Option<Span>, kind: &str) -> Diagnostic {
    let names: Vec<&String> = schema
        .attributes
        .keys()
        .filter(|k| {
            let a = &schema.attributes[*k];
            a.optional || a.required
        })
        .chain(schema.blocks.keys())
        .collect();
    let code = if kind == "argument" { "strata::config::unsupported_attribute" } else { "strata::config::unsupported_block" };
    let d = Diagnostic::error(code, format!("`{what}` has no {kind} `{name}`")).with_label(span, format!("unknown {kind}"));
    match did_you_mean(name, &names) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help(format!("`{what}` takes: {}", names.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))),
    }
}

/// Evaluate a body into an object of the attributes and blocks it writes:
/// values converted to the attribute's type, sensitive attributes marked,
/// blocks as lists of objects. Unset attributes are absent: filling them
/// (defaults, prior or unknown computed values) is planning's job.
pub(crate) fn eval_body(body: &Body, schema: &BlockSchema, ctx: &ExprCtx) -> (Value, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut out = BTreeMap::new();
    let mut blocks: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut unknown_blocks: Vec<String> = Vec::new();
    for s in body {
        match s {
            Structure::Attribute(a) if schema.blocks.contains_key(a.key.as_str()) => {
                // Blocks written as an attribute: a list of objects.
                match eval_expr(&a.value, ctx) {
                    Ok(v) if v.is_null() => {
                        blocks.entry(a.key.as_str().to_string()).or_default();
                    }
                    Ok(v) => match v.convert(&Type::list(Type::Any)) {
                        Ok(Value::List(items)) => blocks.entry(a.key.as_str().to_string()).or_default().extend(items),
                        Ok(_) => unknown_blocks.push(a.key.as_str().to_string()),
                        Err(msg) => diags.push(
                            Diagnostic::error(
                                "strata::config::invalid_attribute_value",
                                format!("invalid value for `{}`: {msg}", a.key.as_str()),
                            )
                            .with_label(span_of(ctx.file, &a.value), "expected a list of objects"),
                        ),
                    },
                    Err(d) => diags.extend(d),
                }
            }
            Structure::Attribute(a) => {
                let Some(attr) = schema.attributes.get(a.key.as_str()) else { continue };
                match eval_expr(&a.value, ctx) {
                    Ok(v) => match v.convert(&attr.ty) {
                        Ok(v) => {
                            out.insert(a.key.as_str().to_string(), v.mark_if(attr.sensitive));
                        }
                        Err(msg) => {
                            diags.push(
                                Diagnostic::error(
                                    "strata::config::invalid_attribute_value",
                                    format!("invalid value for `{}`: {msg}", a.key.as_str()),
                                )
                                .with_label(span_of(ctx.file, &a.value), format!("expected {}", attr.ty)),
                            );
                            out.insert(a.key.as_str().to_string(), Value::Unknown(attr.ty.clone()));
                        }
                    },
                    Err(d) => {
                        diags.extend(d);
                        out.insert(a.key.as_str().to_string(), Value::Unknown(attr.ty.clone()));
                    }
                }
            }
            Structure::Block(b) if b.ident.as_str() == "dynamic" => {
                let Some(label) = b.labels.first().map(|l| l.as_str().to_string()) else { continue };
                let Some(nested) = schema.blocks.get(&label) else { continue };
                match eval_dynamic(b, &label, &nested.block, ctx, &mut diags) {
                    Some(items) => blocks.entry(label).or_default().extend(items),
                    None => unknown_blocks.push(label),
                }
            }
            Structure::Block(b) => {
                let Some(nested) = schema.blocks.get(b.ident.as_str()) else { continue };
                let (v, d) = eval_body(&b.body, &nested.block, ctx);
                diags.extend(d);
                blocks.entry(b.ident.as_str().to_string()).or_default().push(v);
            }
        }
    }
    for (name, items) in blocks {
        out.insert(name, Value::List(items.into()));
    }
    for name in unknown_blocks {
        out.insert(name, Value::unknown());
    }
    (Value::Map(out.into()), diags)
}

/// The blocks a `dynamic` block generates; `None` when its `for_each` is unknown.
fn eval_dynamic(b: &Block, label: &str, schema: &BlockSchema, ctx: &ExprCtx, diags: &mut Diagnostics) -> Option<Vec<Value>> {
    let iterator = b
        .body
        .get_attribute("iterator")
        .and_then(|a| if let Expression::Variable(v) = &a.value { Some(v.as_str().to_string()) } else { None })
        .unwrap_or_else(|| label.to_string());
    let for_each = b.body.get_attribute("for_each")?;
    let coll = match eval_expr(&for_each.value, ctx) {
        Ok(v) => v,
        Err(d) => {
            diags.extend(d);
            return Some(Vec::new());
        }
    };
    if !coll.is_wholly_known() && (coll.is_unknown() || coll.as_seq().is_none() && coll.as_map().is_none()) {
        return None;
    }
    let (coll, sensitive) = coll.unmark();
    let pairs: Vec<(Value, Value)> = match &coll {
        Value::List(items) | Value::Set(items) => items.iter().enumerate().map(|(i, v)| (Value::Number(i as f64), v.clone())).collect(),
        Value::Map(m) => m.iter().map(|(k, v)| (Value::string(k.clone()), v.clone())).collect(),
        Value::Null => Vec::new(),
        other => {
            diags.push(
                Diagnostic::error(
                    "strata::config::invalid_for_each",
                    format!("dynamic `{label}` needs a collection to iterate, got a {}", other.type_name()),
                )
                .with_label(span_of(ctx.file, &for_each.value), "not a list, set or map"),
            );
            return Some(Vec::new());
        }
    };
    let content = b.body.get_blocks("content").next()?;
    let mut out = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        let mut vars = BTreeMap::new();
        vars.insert(iterator.clone(), Value::map([("key", k.mark_if(sensitive)), ("value", v.mark_if(sensitive))]));
        let child = ChildScope { parent: ctx.scope, vars };
        let inner = ExprCtx { scope: &child, ..*ctx };
        let (v, d) = eval_body(&content.body, schema, &inner);
        diags.extend(d);
        out.push(v);
    }
    Some(out)
}

/// Evaluate a body without a schema (provider and settings blocks): arguments
/// become attributes; blocks become objects (a list when repeated; keyed by
/// label when labelled).
pub(crate) fn eval_generic_body(body: &Body, ctx: &ExprCtx) -> (Value, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for s in body {
        match s {
            Structure::Attribute(a) => {
                let v = eval_expr(&a.value, ctx).unwrap_or_else(|d| {
                    diags.extend(d);
                    Value::unknown()
                });
                out.insert(a.key.as_str().to_string(), v);
            }
            Structure::Block(b) => {
                let (v, d) = eval_generic_body(&b.body, ctx);
                diags.extend(d);
                let v = match b.labels.first() {
                    Some(l) => Value::map([(l.as_str().to_string(), v)]),
                    None => v,
                };
                match out.remove(b.ident.as_str()) {
                    None => out.insert(b.ident.as_str().to_string(), v),
                    Some(Value::List(mut items)) => {
                        items.push(v);
                        out.insert(b.ident.as_str().to_string(), Value::List(items))
                    }
                    Some(prev) => out.insert(b.ident.as_str().to_string(), Value::List(vec![prev, v].into())),
                };
            }
        }
    }
    (Value::Map(out.into()), diags)
}
