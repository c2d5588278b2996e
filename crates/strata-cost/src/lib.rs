//! Offline cost estimates for strata plans.
//!
//! The pipeline is: a [`Catalog`] of on-demand prices (embedded, optionally
//! extended by an AWS Price List offer file), optional [`Usage`] figures, and
//! one [`CostInput`] per planned resource (its value before and after the
//! plan) → [`build_report`] → a [`CostReport`] with components per resource,
//! per-layer subtotals, totals and the delta. A report's JSON form is the
//! baseline of the next run ([`CostReport::compare_to`]); a [`Budget`] turns
//! a report into [`BudgetViolation`]s.
//!
//! Invariants: prices come from the catalog or not at all. Anything the
//! catalog lacks is "not priced" with a reason, never a silent $0; a
//! usage-priced part without usage figures "depends on usage". Pricing never
//! reads a sensitive value (a resource whose price would need one is not
//! priced), so no output of this crate can reveal one. The crate renders no
//! tables: the binary owns every output shape except the report's JSON file
//! format, which this crate defines because it is read back as a baseline.

mod budget;
mod catalog;
mod price;
mod report;
mod usage;

#[cfg(test)]
mod tests;

pub use budget::{Budget, BudgetLimit, BudgetStatus, BudgetViolation, check_budget};
pub use catalog::{Catalog, OfferLoad, PriceKey, PriceRow, PriceSource};
pub use price::{Component, CostStatus, PriceContext, ResourceCost, UNSUPPORTED, price};
pub use report::{BaselineInfo, CostInput, CostReport, Counts, LayerSubtotal, LineStatus, REPORT_VERSION, ResourceCostLine, build_report};
pub use usage::{INFRACOST_KEYS, USAGE_KEY_DOCS, USAGE_KEYS, Usage, UsageFigures, price_model, usage_keys, usage_template, usage_types};

/// Hours in a month, as AWS and most estimators count them.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Round a dollar figure to a millionth of a dollar, so that sums print
/// without floating-point noise (`0.0104 × 730` is `7.592`, not `7.592000000000001`).
pub(crate) fn money(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Format dollars as `$1,234.56` (negative: `-$1,234.56`).
pub fn format_usd(x: f64) -> String {
    let cents = (x.abs() * 100.0).round();
    let sign = if x < 0.0 && cents > 0.0 { "-" } else { "" };
    let whole = format!("{:.0}", (cents / 100.0).trunc());
    let frac = (cents % 100.0) as u64;
    format!("{sign}${}.{frac:02}", group_thousands(&whole))
}

/// Format a change in dollars with its sign: `+$12.00`, `-$3.50`, `$0.00`.
pub fn format_usd_delta(x: f64) -> String {
    if (x * 100.0).round() > 0.0 { format!("+{}", format_usd(x)) } else { format_usd(x) }
}

/// Format a unit price with the precision prices are quoted in: `$0.0104`,
/// `$0.08`, `$40.96` (at least two decimals, at most six).
pub fn format_unit_usd(x: f64) -> String {
    let s = format!("{:.6}", x.abs());
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut frac = frac.trim_end_matches('0').to_string();
    while frac.len() < 2 {
        frac.push('0');
    }
    let sign = if x < 0.0 { "-" } else { "" };
    format!("{sign}${}.{frac}", group_thousands(whole))
}

/// Format a percentage change with its sign and one decimal: `+12.5%`, `-3.0%`.
pub fn format_percent(p: f64) -> String {
    let s = format!("{p:+.1}%");
    if s == "-0.0%" { "+0.0%".into() } else { s }
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
