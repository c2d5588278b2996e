//! Unary and binary operators with Terraform's conversion rules: arithmetic
//! and comparison convert numeric strings to numbers, `&&` `||` `!` accept
//! the strings "true"/"false", `==` compares type and value.

use std::ops::Range;

use hcl_edit::Span as _;
use hcl_edit::expr::{BinaryOp, BinaryOperator, Expression, UnaryOp, UnaryOperator};
use strata_core::shown::describe;
use strata_core::{Diagnostics, Type, Value, format_number};

use crate::expr::{error, eval};
use crate::{ExprCtx, codes};

/// A number, or a string that reads as one.
pub(crate) fn to_number(v: &Value) -> Option<f64> {
    match v.peel() {
        Value::Number(n) => Some(*n),
        Value::String(s) => strata_core::value::parse_number(s),
        _ => None,
    }
}

/// An operand converted for an operator; `None` when it is unknown.
fn operand<T>(
    v: &Value,
    expr: &Expression,
    op: &str,
    want: &str,
    convert: impl Fn(&Value) -> Option<T>,
    ctx: &ExprCtx,
) -> Result<Option<T>, Diagnostics> {
    if v.is_unknown() {
        return Ok(None);
    }
    convert(v).map(Some).ok_or_else(|| {
        // `v` keeps its mark here, so that a sensitive operand is not quoted.
        let got = describe(v);
        let d = error(
            ctx,
            codes::TYPE_MISMATCH,
            expr.span(),
            format!("invalid operand for `{op}`: {want} is required, got {got}"),
            format!("expected {want}"),
        );
        Diagnostics(vec![d])
    })
}

pub(crate) fn eval_unary(u: &UnaryOp, ctx: &ExprCtx, depth: usize) -> Result<Value, Diagnostics> {
    let v = eval(&u.expr, ctx, depth)?;
    let sensitive = v.is_sensitive();
    let out = match u.operator.value() {
        UnaryOperator::Neg => match operand(&v, &u.expr, "-", "a number", to_number, ctx)? {
            Some(n) => Value::Number(-n),
            None => Value::Unknown(Type::Number),
        },
        UnaryOperator::Not => match operand(&v, &u.expr, "!", "a bool", Value::to_bool, ctx)? {
            Some(b) => Value::Bool(!b),
            None => Value::Unknown(Type::Bool),
        },
    };
    Ok(out.mark_if(sensitive))
}

pub(crate) fn eval_binary(b: &BinaryOp, ctx: &ExprCtx, depth: usize) -> Result<Value, Diagnostics> {
    use BinaryOperator as Op;
    let op = *b.operator.value();
    let lhs = eval(&b.lhs_expr, ctx, depth)?;
    // When the left operand of `&&` / `||` decides the result, errors in the
    // right operand are ignored (so `var.x != null && var.x.enabled` works,
    // as in HCL's proposed short-circuit design). An unknown right operand
    // still makes the result unknown, as in Terraform.
    let decided = if matches!(op, Op::And | Op::Or) {
        operand(&lhs, &b.lhs_expr, op.as_str(), "a bool", Value::to_bool, ctx)? == Some(op == Op::Or)
    } else {
        false
    };
    let rhs = match eval(&b.rhs_expr, ctx, depth) {
        Ok(v) => v,
        Err(_) if decided => return Ok(Value::Bool(op == Op::Or).mark_if(lhs.is_sensitive())),
        Err(d) => return Err(d),
    };
    if matches!(op, Op::Eq | Op::NotEq) {
        let sensitive = lhs.contains_sensitive() || rhs.contains_sensitive();
        let out = match equal(&lhs, &rhs) {
            Some(eq) => Value::Bool(eq == (op == Op::Eq)),
            None => Value::Unknown(Type::Bool),
        };
        return Ok(out.mark_if(sensitive));
    }
    let sensitive = lhs.is_sensitive() || rhs.is_sensitive();
    let sym = op.as_str();
    let out = if matches!(op, Op::And | Op::Or) {
        let l = operand(&lhs, &b.lhs_expr, sym, "a bool", Value::to_bool, ctx)?;
        let r = operand(&rhs, &b.rhs_expr, sym, "a bool", Value::to_bool, ctx)?;
        match (l, r) {
            (Some(l), Some(r)) => Value::Bool(if op == Op::And { l && r } else { l || r }),
            _ => Value::Unknown(Type::Bool),
        }
    } else {
        let l = operand(&lhs, &b.lhs_expr, sym, "a number", to_number, ctx)?;
        let r = operand(&rhs, &b.rhs_expr, sym, "a number", to_number, ctx)?;
        let (Some(l), Some(r)) = (l, r) else {
            let ty = if matches!(op, Op::Plus | Op::Minus | Op::Mul | Op::Div | Op::Mod) { Type::Number } else { Type::Bool };
            return Ok(Value::Unknown(ty).mark_if(sensitive));
        };
        let out = match arithmetic(op, l, r, b.rhs_expr.span(), ctx) {
            // Which failure it was (a zero divisor, an overflow) would tell
            // something about a secret: say only that it failed.
            Err(_) if sensitive => return Err(Diagnostics(vec![sensitive_arithmetic(sym, b.span(), ctx)])),
            out => out?,
        };
        if let Value::Number(n) = out
            && !n.is_finite()
        {
            if sensitive {
                return Err(Diagnostics(vec![sensitive_arithmetic(sym, b.span(), ctx)]));
            }
            return Err(Diagnostics(vec![non_finite(n, b.span(), &format!("the result of `{sym}`"), ctx)]));
        }
        out
    };
    Ok(out.mark_if(sensitive))
}

fn arithmetic(op: BinaryOperator, l: f64, r: f64, rhs_span: Option<Range<usize>>, ctx: &ExprCtx) -> Result<Value, Diagnostics> {
    use BinaryOperator as Op;
    if matches!(op, Op::Div | Op::Mod) && r == 0.0 {
        let what = if op == Op::Div { "divide" } else { "take the remainder of a division" };
        let d = error(ctx, codes::DIVISION_BY_ZERO, rhs_span, format!("cannot {what} by zero"), "this is zero");
        return Err(Diagnostics(vec![d]));
    }
    Ok(match op {
        Op::Plus => Value::Number(l + r),
        Op::Minus => Value::Number(l - r),
        Op::Mul => Value::Number(l * r),
        Op::Div => Value::Number(l / r),
        Op::Mod => Value::Number(l % r),
        Op::Less => Value::Bool(l < r),
        Op::LessEq => Value::Bool(l <= r),
        Op::Greater => Value::Bool(l > r),
        Op::GreaterEq => Value::Bool(l >= r),
        Op::Eq | Op::NotEq | Op::And | Op::Or => Value::Null,
    })
}

/// The first number in `v` that is infinite or not a number, looking into
/// collections and through marks.
pub(crate) fn find_non_finite(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => (!n.is_finite()).then_some(*n),
        Value::List(vs) | Value::Set(vs) => vs.iter().find_map(find_non_finite),
        Value::Map(m) => m.values().find_map(find_non_finite),
        Value::Sensitive(v) => find_non_finite(v),
        _ => None,
    }
}

/// The error for a number `n` that is not finite, produced by `what` at `span`.
/// Terraform computes with arbitrary precision; strata's numbers are 64-bit
/// floating point, so a result past their range is an error rather than an
/// `Infinity` that would print as text and vanish as JSON `null`.
/// `{sym}` failed on a sensitive operand: neither the operand nor why (a
/// zero divisor, an overflow) is told.
fn sensitive_arithmetic(sym: &str, span: Option<Range<usize>>, ctx: &ExprCtx) -> strata_core::Diagnostic {
    error(ctx, codes::NON_FINITE, span, format!("`{sym}` has no number result for these operands (sensitive value)"), "(sensitive value)")
        .with_help(
            "a divisor of zero, or a result too large for a number, has no value; the operands are not shown because one is sensitive",
        )
}

pub(crate) fn non_finite(n: f64, span: Option<Range<usize>>, what: &str, ctx: &ExprCtx) -> strata_core::Diagnostic {
    let (message, label) = if n.is_nan() {
        (format!("{what} is not a number (NaN)"), "not a number")
    } else {
        (format!("{what} is too large for a number (it overflows to infinity)"), "overflows")
    };
    error(ctx, codes::NON_FINITE, span, message, label)
        .with_help("numbers are 64-bit floating point values: finite, at most about 1.8e308 in magnitude")
}

/// Terraform equality: same type and same value, looking through sensitive
/// marks. `None` when unknown parts make the answer unknown.
pub(crate) fn equal(a: &Value, b: &Value) -> Option<bool> {
    match (a.peel(), b.peel()) {
        (Value::Unknown(_), _) | (_, Value::Unknown(_)) => None,
        (Value::Null, Value::Null) => Some(true),
        (Value::Bool(x), Value::Bool(y)) => Some(x == y),
        // Numbers are equal when they print the same, so that `0.1 + 0.2 == 0.3`
        // holds as it does with Terraform's arbitrary-precision numbers.
        (Value::Number(x), Value::Number(y)) => Some(x == y || format_number(*x) == format_number(*y)),
        (Value::String(x), Value::String(y)) => Some(x == y),
        (Value::List(x), Value::List(y)) | (Value::Set(x), Value::Set(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            all_equal(x.iter().zip(y))
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.len() != y.len() || x.keys().ne(y.keys()) {
                return Some(false);
            }
            all_equal(x.values().zip(y.values()))
        }
        _ => Some(false),
    }
}

fn all_equal<'a>(pairs: impl Iterator<Item = (&'a Value, &'a Value)>) -> Option<bool> {
    let mut unknown = false;
    for (x, y) in pairs {
        match equal(x, y) {
            Some(false) => return Some(false),
            Some(true) => {}
            None => unknown = true,
        }
    }
    if unknown { None } else { Some(true) }
}
