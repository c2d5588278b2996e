//! The budget guardrail of the `strata { budget { ... } }` block.
//!
//! ```hcl
//! strata {
//!   budget {
//!     monthly_limit        = 500   # dollars a month after the plan
//!     max_increase         = 100   # dollars a month more than before
//!     max_increase_percent = 20    # percent more than before
//!     strict               = true  # unpriced resources fail the check
//!   }
//! }
//! ```
//!
//! A percentage limit does not apply when nothing was spent before (a first
//! deployment has no percentage); `max_increase` covers that case.
//!
//! Resources that cannot be priced are not counted, so with any of them the
//! check is incomplete: a warning, or with `strict = true` a failure (exit 3).

use std::fmt;

use strata_core::{Diagnostic, Diagnostics, Span, Type, Value, did_you_mean, format_number};

use crate::report::CostReport;
use crate::{format_usd, money};

const CODE: &str = "strata::cost::invalid_budget";
const SETTINGS: [&str; 4] = ["monthly_limit", "max_increase", "max_increase_percent", "strict"];

/// Limits on a plan's monthly cost; unset limits do not apply.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Budget {
    pub monthly_limit: Option<f64>,
    pub max_increase: Option<f64>,
    pub max_increase_percent: Option<f64>,
    /// Unpriced resources fail the check instead of warning.
    pub strict: bool,
}

/// Which limit a plan breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetLimit {
    MonthlyLimit,
    MaxIncrease,
    MaxIncreasePercent,
    /// Resources could not be priced, so the check is incomplete (`actual`
    /// is how many): a warning, an error under `strict`.
    Complete,
}

impl BudgetLimit {
    /// The setting's name in the `budget` block.
    pub fn name(self) -> &'static str {
        match self {
            BudgetLimit::MonthlyLimit => "monthly_limit",
            BudgetLimit::MaxIncrease => "max_increase",
            BudgetLimit::MaxIncreasePercent => "max_increase_percent",
            BudgetLimit::Complete => "strict",
        }
    }
}

/// A breached limit with the figures.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetViolation {
    pub limit: BudgetLimit,
    /// The limit: dollars, or percent for `max_increase_percent`.
    pub allowed: f64,
    /// The plan's figure in the same unit.
    pub actual: f64,
    /// Resources left out of the figures because they are not priced.
    pub not_priced: usize,
    /// Fails the check (exit 3); only an incomplete check without `strict`
    /// does not.
    pub blocking: bool,
}

impl BudgetViolation {
    /// The violation as an error (`plan` and `cost` exit 3 on these).
    /// `span` is the budget block's, if known.
    pub fn to_diagnostic(&self, span: Option<Span>) -> Diagnostic {
        if self.limit == BudgetLimit::Complete {
            let help = "price them with --prices (an AWS offer file) or check their types and regions; \
                        `strict = true` in the budget block makes this fail the check";
            let d = if self.blocking {
                Diagnostic::error("strata::cost::budget_incomplete", self.to_string())
                    .with_label(span, "`strict = true` is set here")
                    .with_help("price them with --prices (an AWS offer file) or check their types and regions")
            } else {
                Diagnostic::warning("strata::cost::budget_incomplete", self.to_string()).with_label(span, "this budget").with_help(help)
            };
            return d;
        }
        Diagnostic::error("strata::cost::budget_exceeded", self.to_string())
            .with_label(span, format!("`{}` is set here", self.limit.name()))
            .with_help("lower the planned cost, or change the limit in the `strata { budget { ... } }` block")
    }
}

impl fmt::Display for BudgetViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.limit {
            BudgetLimit::Complete => {
                let n = self.not_priced;
                let (what, verb) = if n == 1 { ("resource", "is") } else { ("resources", "are") };
                return write!(f, "the budget check is incomplete: {n} {what} could not be priced and {verb} not counted in its figures");
            }
            BudgetLimit::MonthlyLimit => write!(
                f,
                "the monthly cost after this plan, {}, exceeds the budget's monthly_limit of {}",
                format_usd(self.actual),
                format_usd(self.allowed)
            )?,
            BudgetLimit::MaxIncrease => write!(
                f,
                "the monthly cost increases by {}, more than the budget's max_increase of {}",
                format_usd(self.actual),
                format_usd(self.allowed)
            )?,
            BudgetLimit::MaxIncreasePercent => write!(
                f,
                "the monthly cost increases by {:.1}%, more than the budget's max_increase_percent of {}%",
                self.actual,
                format_number(self.allowed)
            )?,
        }
        match self.not_priced {
            0 => Ok(()),
            1 => f.write_str(" (1 resource is not priced and not counted)"),
            n => write!(f, " ({n} resources are not priced and not counted)"),
        }
    }
}

impl Budget {
    /// Read the evaluated `budget` block. `span` labels errors (the block's span, if known).
    pub fn from_value(value: &Value, span: Option<Span>) -> Result<Budget, Diagnostics> {
        let mut budget = Budget::default();
        let map = match value {
            Value::Null => return Ok(budget),
            Value::Map(m) => m,
            Value::Sensitive(_) => {
                let d = Diagnostic::error(CODE, "the `budget` block must not be sensitive: budget figures are printed");
                return Err(Diagnostics(vec![d.with_label(span, "budget block")]));
            }
            other => {
                let d = Diagnostic::error(CODE, format!("the `budget` block must be an object, not a {}", other.type_name()));
                return Err(Diagnostics(vec![d.with_label(span, "budget block")]));
            }
        };
        let mut diags = Diagnostics::new();
        for (name, v) in map.iter() {
            if name == "strict" {
                match v.peel() {
                    Value::Null => {}
                    Value::Bool(b) => budget.strict = *b,
                    other => diags.push(
                        Diagnostic::error(CODE, format!("`strict` must be true or false, not a {}", other.type_name()))
                            .with_label(span.clone(), "in this block"),
                    ),
                }
                continue;
            }
            let slot = match name.as_str() {
                "monthly_limit" => &mut budget.monthly_limit,
                "max_increase" => &mut budget.max_increase,
                "max_increase_percent" => &mut budget.max_increase_percent,
                other => {
                    let mut d =
                        Diagnostic::error(CODE, format!("unknown budget setting `{other}`")).with_label(span.clone(), "in this block");
                    d = match did_you_mean(other, SETTINGS) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(format!("budget settings: {}", SETTINGS.join(", "))),
                    };
                    diags.push(d);
                    continue;
                }
            };
            let problem = match v {
                Value::Null => continue,
                Value::Unknown(_) => format!("`{name}` must be known before apply"),
                Value::Sensitive(_) => format!("`{name}` must not be sensitive: budget figures are printed"),
                v => match v.convert(&Type::Number).ok().and_then(|n| n.as_f64()) {
                    Some(n) if n.is_finite() && n >= 0.0 => {
                        *slot = Some(n);
                        continue;
                    }
                    Some(_) => format!("`{name}` must be zero or more"),
                    None => format!("`{name}` must be a number, not a {}", v.type_name()),
                },
            };
            diags.push(Diagnostic::error(CODE, problem).with_label(span.clone(), "in this block"));
        }
        if diags.has_errors() { Err(diags) } else { Ok(budget) }
    }

    pub fn is_empty(&self) -> bool {
        *self == Budget::default()
    }
}

/// A budget's settings and what the check found, for the report (the
/// comment and the JSON).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BudgetStatus {
    pub monthly_limit: Option<f64>,
    pub max_increase: Option<f64>,
    pub max_increase_percent: Option<f64>,
    pub strict: bool,
    /// The limits broken (`monthly_limit`, ...).
    pub breached: Vec<String>,
    /// Some resources could not be priced: the figures checked leave them out.
    pub incomplete: bool,
    /// The check fails (exit 3).
    pub failed: bool,
}

impl BudgetStatus {
    pub fn new(budget: &Budget, violations: &[BudgetViolation]) -> BudgetStatus {
        BudgetStatus {
            monthly_limit: budget.monthly_limit,
            max_increase: budget.max_increase,
            max_increase_percent: budget.max_increase_percent,
            strict: budget.strict,
            breached: violations.iter().filter(|v| v.limit != BudgetLimit::Complete).map(|v| v.limit.name().to_string()).collect(),
            incomplete: violations.iter().any(|v| v.limit == BudgetLimit::Complete),
            failed: violations.iter().any(|v| v.blocking),
        }
    }
}

/// The limits a report breaks, in the order of the settings.
pub fn check_budget(report: &CostReport, budget: &Budget) -> Vec<BudgetViolation> {
    let not_priced = report.counts.not_priced;
    let over = |actual: f64, allowed: f64| money(actual) > money(allowed);
    let mut out = Vec::new();
    if let Some(allowed) = budget.monthly_limit.filter(|a| over(report.total_after, *a)) {
        out.push(BudgetViolation { limit: BudgetLimit::MonthlyLimit, allowed, actual: report.total_after, not_priced, blocking: true });
    }
    if let Some(allowed) = budget.max_increase.filter(|a| over(report.delta, *a)) {
        out.push(BudgetViolation { limit: BudgetLimit::MaxIncrease, allowed, actual: report.delta, not_priced, blocking: true });
    }
    if let (Some(allowed), Some(actual)) = (budget.max_increase_percent, report.delta_percent)
        && over(actual, allowed)
    {
        out.push(BudgetViolation { limit: BudgetLimit::MaxIncreasePercent, allowed, actual, not_priced, blocking: true });
    }
    let has_limits = budget.monthly_limit.is_some() || budget.max_increase.is_some() || budget.max_increase_percent.is_some();
    if (has_limits || budget.strict) && not_priced > 0 {
        out.push(BudgetViolation {
            limit: BudgetLimit::Complete,
            allowed: 0.0,
            actual: not_priced as f64,
            not_priced,
            blocking: budget.strict,
        });
    }
    out
}
