//! Type constraints of `variable` blocks and `optional()` attributes.

use std::collections::BTreeMap;
use std::ops::Range;

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, FuncCall, ObjectKey};
use strata_core::{Diagnostics, ObjectAttr, Type, Value, did_you_mean};

use crate::expr::{MAX_DEPTH, error, eval, too_deep};
use crate::{ExprCtx, codes};

const VALID_FORMS: &str = "valid types: string, number, bool, any, list(T), set(T), map(T), tuple([T, ...]), \
     object({name = T, ...}); object attributes may be optional(T) or optional(T, default)";

/// Turn a type expression (`list(object({a = optional(number, 5)}))`) into a
/// [`Type`]. `optional()` defaults are evaluated as constants: they may not
/// refer to anything.
pub fn parse_type_constraint(expr: &Expression, ctx: &ExprCtx) -> Result<Type, Diagnostics> {
    parse(expr, ctx, 0)
}

fn invalid(ctx: &ExprCtx, span: Option<Range<usize>>, message: impl Into<String>, help: Option<String>) -> Diagnostics {
    let help = help.map_or_else(|| VALID_FORMS.to_owned(), |h| format!("{h}; {VALID_FORMS}"));
    Diagnostics(vec![error(ctx, codes::INVALID_TYPE, span, message, "invalid type").with_help(help)])
}

fn parse(expr: &Expression, ctx: &ExprCtx, depth: usize) -> Result<Type, Diagnostics> {
    if depth > MAX_DEPTH {
        return Err(too_deep(ctx, expr.span()));
    }
    match expr {
        Expression::Variable(v) => match v.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "any" => Ok(Type::Any),
            // Bare `list` and `map` are Terraform 0.11 shorthands for collections of any.
            "list" => Ok(Type::list(Type::Any)),
            "map" => Ok(Type::map(Type::Any)),
            name => {
                let keywords = ["string", "number", "bool", "any", "list", "set", "map", "tuple", "object"];
                let help = did_you_mean(name, keywords).map(|s| format!("did you mean `{s}`?"));
                Err(invalid(ctx, v.span(), format!("`{name}` is not a type"), help))
            }
        },
        Expression::String(s) => match s.value().as_str() {
            "string" => Ok(Type::String),
            "list" => Ok(Type::list(Type::Any)),
            "map" => Ok(Type::map(Type::Any)),
            other => Err(invalid(ctx, s.span(), format!("{other:?} is not a type"), Some("write types without quotes".into()))),
        },
        Expression::Parenthesis(p) => parse(p.inner(), ctx, depth + 1),
        Expression::FuncCall(f) => parse_call(f, ctx, depth + 1),
        e => Err(invalid(ctx, e.span(), "invalid type expression", None)),
    }
}

fn single_arg<'f>(f: &'f FuncCall, ctx: &ExprCtx) -> Result<&'f Expression, Diagnostics> {
    match (f.args.get(0), f.args.len(), f.args.expand_final()) {
        (Some(arg), 1, false) => Ok(arg),
        _ => Err(invalid(ctx, f.span(), format!("`{}(...)` takes exactly one argument", f.name.name.as_str()), None)),
    }
}

fn parse_call(f: &FuncCall, ctx: &ExprCtx, depth: usize) -> Result<Type, Diagnostics> {
    let name = f.name.name.as_str();
    if !f.name.namespace.is_empty() {
        return Err(invalid(ctx, f.span(), "invalid type expression", None));
    }
    match name {
        "list" => Ok(Type::list(parse(single_arg(f, ctx)?, ctx, depth)?)),
        "set" => Ok(Type::set(parse(single_arg(f, ctx)?, ctx, depth)?)),
        "map" => Ok(Type::map(parse(single_arg(f, ctx)?, ctx, depth)?)),
        "tuple" => match single_arg(f, ctx)? {
            Expression::Array(a) => a.iter().map(|e| parse(e, ctx, depth)).collect::<Result<_, _>>().map(Type::Tuple),
            e => Err(invalid(ctx, e.span(), "`tuple(...)` takes a list of types: `tuple([string, number])`", None)),
        },
        "object" => match single_arg(f, ctx)? {
            Expression::Object(o) => {
                let mut attrs = BTreeMap::new();
                for (k, v) in o.iter() {
                    let (key, span) = match k {
                        ObjectKey::Ident(id) => (id.as_str().to_owned(), id.span()),
                        ObjectKey::Expression(Expression::String(s)) => (s.value().clone(), s.span()),
                        ObjectKey::Expression(Expression::Variable(v)) => (v.as_str().to_owned(), v.span()),
                        ObjectKey::Expression(e) => {
                            return Err(invalid(ctx, e.span(), "object attribute names must be identifiers or strings", None));
                        }
                    };
                    if attrs.contains_key(&key) {
                        return Err(invalid(ctx, span, format!("duplicate object attribute `{key}`"), None));
                    }
                    let attr = match v.expr() {
                        Expression::FuncCall(call) if call.name.namespace.is_empty() && call.name.name.as_str() == "optional" => {
                            optional(call, ctx, depth)?
                        }
                        e => ObjectAttr::required(parse(e, ctx, depth)?),
                    };
                    attrs.insert(key, attr);
                }
                Ok(Type::Object(attrs))
            }
            e => Err(invalid(ctx, e.span(), "`object(...)` takes an object of attribute types: `object({name = string})`", None)),
        },
        "optional" => Err(invalid(ctx, f.span(), "`optional(...)` is only valid as the type of an object attribute", None)),
        other => {
            let help = did_you_mean(other, ["list", "set", "map", "tuple", "object", "optional"]).map(|s| format!("did you mean `{s}`?"));
            Err(invalid(ctx, f.name.name.span(), format!("`{other}(...)` is not a type"), help))
        }
    }
}

fn optional(f: &FuncCall, ctx: &ExprCtx, depth: usize) -> Result<ObjectAttr, Diagnostics> {
    let (Some(ty_expr), 1..=2, false) = (f.args.get(0), f.args.len(), f.args.expand_final()) else {
        return Err(invalid(ctx, f.span(), "`optional(...)` takes a type and an optional default: `optional(number, 5)`", None));
    };
    let ty = parse(ty_expr, ctx, depth)?;
    let default = match f.args.get(1) {
        None => None,
        Some(e) => {
            let constants = BTreeMap::<String, Value>::new();
            let v = eval(e, &ExprCtx { scope: &constants, ..*ctx }, depth)?;
            let v = v.convert(&ty).map_err(|msg| invalid(ctx, e.span(), format!("default value does not match type {ty}: {msg}"), None))?;
            (!v.is_null()).then_some(v)
        }
    };
    Ok(ObjectAttr { ty, optional: true, default })
}
