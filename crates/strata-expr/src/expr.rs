//! Placeholder replaced by the expression evaluator.
use hcl_edit::expr::Expression;
use strata_core::{Diagnostics, Type, Value};

use crate::ExprCtx;

pub fn eval_expr(expr: &Expression, ctx: &ExprCtx) -> Result<Value, Diagnostics> {
    let _ = (expr, ctx);
    todo!()
}

pub fn eval_template_str(text: &str, ctx: &ExprCtx) -> Result<Value, Diagnostics> {
    let _ = (text, ctx);
    todo!()
}

pub fn parse_type_constraint(expr: &Expression, ctx: &ExprCtx) -> Result<Type, Diagnostics> {
    let _ = (expr, ctx);
    todo!()
}
