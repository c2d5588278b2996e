//! Static analysis: which root names an expression refers to, and through
//! which path. The config loader builds the dependency graph from this.

use std::ops::Range;

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};
use strata_core::Value;

use crate::expr::MAX_DEPTH;

/// One traversal rooted at a variable: `aws_vpc.main.id` is root `aws_vpc`
/// with path `[Attr("main"), Attr("id")]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub root: String,
    pub path: Vec<RefStep>,
    /// The whole traversal in the source.
    pub span: Range<usize>,
    /// The expression of a non-literal index right after the first
    /// attribute (`count.index` in `aws_instance.app[count.index].id`), for
    /// the evaluator to learn which instance an instance refers to.
    pub key_expr: Option<Expression>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RefStep {
    Attr(String),
    /// The key when the index is a literal (`[0]`, `["a"]`, `.0`), else `Value::Unknown`.
    Index(Value),
    /// `.*` or `[*]`.
    Splat,
}

/// Every traversal rooted at a variable anywhere inside `expr` (templates,
/// function arguments, `for` expressions and index expressions included),
/// except those of names bound by an enclosing `for`.
pub fn references(expr: &Expression) -> Vec<Reference> {
    let mut w = Walker { bound: Vec::new(), out: Vec::new() };
    w.expr(expr, 0);
    w.out
}

struct Walker<'e> {
    bound: Vec<&'e str>,
    out: Vec<Reference>,
}

impl<'e> Walker<'e> {
    fn expr(&mut self, e: &'e Expression, depth: usize) {
        // The evaluator reports expressions this deep; nothing more to find.
        if depth > MAX_DEPTH {
            return;
        }
        let depth = depth + 1;
        match e {
            Expression::Null(_) | Expression::Bool(_) | Expression::Number(_) | Expression::String(_) => {}
            Expression::Array(a) => a.iter().for_each(|x| self.expr(x, depth)),
            Expression::Object(o) => {
                for (k, v) in o.iter() {
                    if let ObjectKey::Expression(k) = k {
                        self.expr(k, depth);
                    }
                    self.expr(v.expr(), depth);
                }
            }
            Expression::StringTemplate(t) => self.template(t, depth),
            Expression::HeredocTemplate(h) => self.template(&h.template, depth),
            Expression::Parenthesis(p) => self.expr(p.inner(), depth),
            Expression::Variable(v) => self.push(v.as_str(), Vec::new(), e.span(), None),
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr, depth);
                self.expr(&c.true_expr, depth);
                self.expr(&c.false_expr, depth);
            }
            Expression::FuncCall(f) => f.args.iter().for_each(|a| self.expr(a, depth)),
            Expression::UnaryOp(u) => self.expr(&u.expr, depth),
            Expression::BinaryOp(b) => {
                self.expr(&b.lhs_expr, depth);
                self.expr(&b.rhs_expr, depth);
            }
            Expression::Traversal(t) => {
                match &t.expr {
                    Expression::Variable(v) => {
                        let path = t
                            .operators
                            .iter()
                            .map(|op| match op.value() {
                                TraversalOperator::GetAttr(name) => RefStep::Attr(name.as_str().to_owned()),
                                TraversalOperator::Index(Expression::String(s)) => RefStep::Index(Value::String(s.value().clone().into())),
                                TraversalOperator::Index(Expression::Number(n)) => {
                                    RefStep::Index(n.value().as_f64().map_or(Value::unknown(), Value::Number))
                                }
                                TraversalOperator::Index(_) => RefStep::Index(Value::unknown()),
                                TraversalOperator::LegacyIndex(n) => RefStep::Index(Value::Number(*n.value() as f64)),
                                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => RefStep::Splat,
                            })
                            .collect();
                        // Not when it names a `for` variable: the loop, not the
                        // instance, decides that index.
                        let key_expr = match t.operators.get(1).map(|op| op.value()) {
                            Some(TraversalOperator::Index(e))
                                if !matches!(e, Expression::String(_) | Expression::Number(_))
                                    && !references(e).iter().any(|r| self.bound.contains(&r.root.as_str())) =>
                            {
                                Some(e.clone())
                            }
                            _ => None,
                        };
                        self.push(v.as_str(), path, t.span(), key_expr);
                    }
                    base => self.expr(base, depth),
                }
                for op in &t.operators {
                    if let TraversalOperator::Index(i) = op.value() {
                        self.expr(i, depth);
                    }
                }
            }
            Expression::ForExpr(f) => {
                self.expr(&f.intro.collection_expr, depth);
                let n = self.bind(f.intro.key_var.as_ref().map(|k| k.as_str()), f.intro.value_var.as_str());
                if let Some(k) = &f.key_expr {
                    self.expr(k, depth);
                }
                self.expr(&f.value_expr, depth);
                if let Some(c) = &f.cond {
                    self.expr(&c.expr, depth);
                }
                self.bound.truncate(n);
            }
        }
    }

    fn template(&mut self, t: &'e Template, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let depth = depth + 1;
        for el in t.iter() {
            match el {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.expr(&i.expr, depth),
                Element::Directive(d) => match &**d {
                    Directive::If(d) => {
                        self.expr(&d.if_expr.cond_expr, depth);
                        self.template(&d.if_expr.template, depth);
                        if let Some(e) = &d.else_expr {
                            self.template(&e.template, depth);
                        }
                    }
                    Directive::For(d) => {
                        let f = &d.for_expr;
                        self.expr(&f.collection_expr, depth);
                        let n = self.bind(f.key_var.as_ref().map(|k| k.as_str()), f.value_var.as_str());
                        self.template(&f.template, depth);
                        self.bound.truncate(n);
                    }
                },
            }
        }
    }

    /// Bind `for` variables; returns the length to truncate back to.
    fn bind(&mut self, key: Option<&'e str>, value: &'e str) -> usize {
        let n = self.bound.len();
        self.bound.extend(key);
        self.bound.push(value);
        n
    }

    fn push(&mut self, root: &str, path: Vec<RefStep>, span: Option<Range<usize>>, key_expr: Option<Expression>) {
        if !self.bound.contains(&root) {
            self.out.push(Reference { root: root.to_owned(), path, span: span.unwrap_or(0..0), key_expr });
        }
    }
}
