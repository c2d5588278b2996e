//! Static analysis: which named things each block refers to.

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Body, Structure};
use strata_expr::{RefStep, Reference};

/// Every reference in an expression, minus those rooted at `bound` names
/// (dynamic block iterators).
pub(crate) fn expr_refs(expr: &Expression, bound: &[String], out: &mut Vec<Reference>) {
    out.extend(strata_expr::references(expr).into_iter().filter(|r| !bound.contains(&r.root)).map(|mut r| {
        // An index that names a dynamic block's iterator is not the instance's.
        if r.key_expr.as_ref().is_some_and(|e| strata_expr::references(e).iter().any(|k| bound.contains(&k.root))) {
            r.key_expr = None;
        }
        r
    }));
}

/// Every reference in a resource body, descending into nested and dynamic
/// blocks; a dynamic block's iterator is bound inside its `content`.
pub(crate) fn body_refs(body: &Body, bound: &mut Vec<String>, out: &mut Vec<Reference>) {
    for s in body {
        match s {
            Structure::Attribute(a) => expr_refs(&a.value, bound, out),
            Structure::Block(b) if b.ident.as_str() == "dynamic" => {
                let label = b.labels.first().map(|l| l.as_str().to_string()).unwrap_or_default();
                let iterator = b
                    .body
                    .get_attribute("iterator")
                    .and_then(|a| if let Expression::Variable(v) = &a.value { Some(v.as_str().to_string()) } else { None })
                    .unwrap_or(label);
                if let Some(fe) = b.body.get_attribute("for_each") {
                    expr_refs(&fe.value, bound, out);
                }
                bound.push(iterator);
                for inner in &b.body {
                    match inner {
                        Structure::Block(c) if c.ident.as_str() == "content" => body_refs(&c.body, bound, out),
                        Structure::Attribute(a) if !matches!(a.key.as_str(), "for_each" | "iterator") => expr_refs(&a.value, bound, out),
                        _ => {}
                    }
                }
                bound.pop();
            }
            Structure::Block(b) => body_refs(&b.body, bound, out),
        }
    }
}

/// The `name` of `root.name...` if the first step is an attribute.
pub(crate) fn first_attr(r: &Reference) -> Option<&str> {
    match r.path.first() {
        Some(RefStep::Attr(a)) => Some(a),
        _ => None,
    }
}

/// The attribute after the first one, skipping one index step
/// (`module.m[0].out` → `out`).
pub(crate) fn second_attr(r: &Reference) -> Option<&str> {
    let mut steps = r.path.iter().skip(1);
    match steps.next() {
        Some(RefStep::Attr(a)) => Some(a),
        Some(RefStep::Index(_)) | Some(RefStep::Splat) => match steps.next() {
            Some(RefStep::Attr(a)) => Some(a),
            _ => None,
        },
        None => None,
    }
}
