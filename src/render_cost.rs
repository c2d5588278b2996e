//! Renders cost reports: the plain-text table of `strata cost`, the
//! pull-request comment in Markdown, and the short summary at the end of
//! `strata plan`. The JSON form is `CostReport::to_json`: strata-cost owns
//! that file format because a report is read back as a baseline.
//!
//! Nothing here reads a resource's values: only what pricing produced
//! (addresses, components, notes, reasons), which never holds a sensitive
//! value.

use std::fmt::{self, Write};

use strata_core::format_number;
use strata_cost::{Component, CostReport, CostStatus, LineStatus, ResourceCost, ResourceCostLine};
use strata_cost::{format_percent, format_unit_usd, format_usd, format_usd_delta};

/// Rows per layer table in the Markdown; larger layers show their largest changes.
const MARKDOWN_ROWS: usize = 50;

/// Two columns of indentation in the table: no-break spaces, which the
/// table keeps (it trims and splits at ASCII spaces), printed as spaces.
const INDENT: &str = "\u{a0}\u{a0}";

/// The table's width when the output is not a terminal.
const TABLE_WIDTH: u16 = 120;

/// The report as a plain-text table grouped by layer, each resource with its
/// components, notes and "not priced" reason, then subtotals and totals.
/// `width` is the terminal's (`None`: not a terminal, [`TABLE_WIDTH`]);
/// long cells wrap to fit it. Figures are rounded once, as in the comment: the cells of a
/// column add up to its subtotals and total.
pub fn render_table(report: &CostReport, width: Option<u16>) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_table(report, width, &mut out);
    out
}

fn write_table(report: &CostReport, width: Option<u16>, out: &mut String) -> fmt::Result {
    use comfy_table::{CellAlignment, ContentArrangement, Table, presets};

    let region = report.region.as_deref().unwrap_or("region unknown");
    let name = report.project.as_deref().map(|p| format!(" for {p}")).unwrap_or_default();
    writeln!(out, "Monthly cost estimate{name} ({region}, USD, {} hours a month)", format_number(report.hours_per_month))?;
    if report.compared_to.is_some() {
        writeln!(out, "Before: the baseline report. After: this configuration.")?;
    }
    if report.resources.is_empty() {
        return writeln!(out, "\nNo resources to price.");
    }
    if let Some(warning) = incomplete(report) {
        writeln!(out, "\n{warning}.")?;
    }
    let lines: Vec<&ResourceCostLine> = report.resources.iter().collect();
    let before = apportion(&lines.iter().map(|l| side_figure(&l.before, l.before_monthly)).collect::<Vec<_>>());
    let after = apportion(&lines.iter().map(|l| side_figure(&l.after, l.after_monthly)).collect::<Vec<_>>());
    let change: Vec<Option<i64>> =
        (0..lines.len()).map(|i| lines[i].delta.map(|_| after[i].unwrap_or(0) - before[i].unwrap_or(0))).collect();

    let mut table = Table::new();
    table.load_style(presets::NOTHING).set_header(vec!["", "Before", "After", "Change"]);
    // The figures take about 32 columns; details wrap to the rest.
    table.set_content_arrangement(ContentArrangement::Disabled);
    let text_width = usize::from(width.unwrap_or(TABLE_WIDTH)).saturating_sub(32).max(40);
    let money_row = |label: String, b: String, a: String, c: String| vec![label, b, a, c];
    let (mut total_b, mut total_a, mut total_c) = (0, 0, 0);
    for layer in &report.layers {
        table.add_row(vec![String::new()]);
        table.add_row(vec![format!("Layer {} {}", layer.layer, layer.name)]);
        let (mut sub_b, mut sub_a, mut sub_c) = (0, 0, 0);
        for (i, line) in lines.iter().enumerate().filter(|(_, l)| l.layer == layer.layer) {
            let cell = |cost: &Option<ResourceCost>, cents: Option<i64>| match (cost, cents) {
                (None, _) => "-".to_string(),
                (Some(c), _) if c.status == CostStatus::Free => "free".into(),
                (Some(_), Some(c)) => cents_usd(c),
                (Some(_), None) => "not priced".into(),
            };
            let delta = match (line.status(), change[i]) {
                (LineStatus::Priced, Some(c)) => cents_delta(c),
                _ => String::new(),
            };
            (sub_b, sub_a, sub_c) = (sub_b + before[i].unwrap_or(0), sub_a + after[i].unwrap_or(0), sub_c + change[i].unwrap_or(0));
            table.add_row(money_row(
                format!("{}{} {}", INDENT, marker(line, change[i]), line.address),
                cell(&line.before, before[i]),
                cell(&line.after, after[i]),
                delta,
            ));
            let mut details: Vec<String> = line
                .not_priced_reason()
                .map(|r| if r == strata_cost::UNSUPPORTED { r.to_string() } else { format!("not priced: {r}") })
                .into_iter()
                .collect();
            if let Some(cost) = line.current() {
                details.extend(cost.components.iter().map(|c| format!("{}: {}", component_label(c), component_figures(c))));
                details.extend(cost.notes.iter().map(|n| format!("note: {n}")));
            }
            for detail in details {
                for (n, part) in wrap(&detail, text_width - 6).into_iter().enumerate() {
                    let indent = if n == 0 { INDENT.repeat(3) } else { INDENT.repeat(5) };
                    table.add_row(vec![format!("{indent}{part}")]);
                }
            }
        }
        table.add_row(money_row(format!("{INDENT}Subtotal"), cents_usd(sub_b), cents_usd(sub_a), cents_delta(sub_c)));
        (total_b, total_a, total_c) = (total_b + sub_b, total_a + sub_a, total_c + sub_c);
    }
    let percent = report.delta_percent.map(|p| format!(" ({})", format_percent(p))).unwrap_or_default();
    table.add_row(vec![String::new()]);
    table.add_row(money_row("Total".into(), cents_usd(total_b), cents_usd(total_a), cents_delta(total_c)));
    for (i, column) in table.column_iter_mut().enumerate() {
        column.set_padding(if i == 0 { (0, 1) } else { (1, 0) });
        if i > 0 {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    writeln!(out)?;
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end().replace('\u{a0}', " "))?;
    }
    writeln!(out)?;
    match report.counts.not_priced {
        0 => writeln!(out, "{}.", headline_cents(total_c, &percent))?,
        _ => writeln!(out, "Of what could be priced: {}{percent} a month.", cents_delta(total_c))?,
    }
    writeln!(out, "{}", counts_sentence(report))?;
    if report.counts.not_priced > 0 {
        writeln!(out, "Totals leave out resources that are not priced: they are lower bounds.")?;
    }
    Ok(())
}

/// Words of `text` in lines of at most `width` characters (a longer word
/// has a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// A side's figure for rounding: its dollars, 0 when free, `None` when it
/// does not exist or is not priced.
fn side_figure(cost: &Option<ResourceCost>, monthly: Option<f64>) -> Option<f64> {
    match cost {
        Some(c) if c.status == CostStatus::Free => Some(0.0),
        Some(_) => monthly,
        None => None,
    }
}

/// "N of M resources could not be priced; the total is a lower bound", when
/// any could not: every headline leads with it, since a total (or "no
/// change") that leaves resources out would read as the whole cost.
fn incomplete(report: &CostReport) -> Option<String> {
    let n = report.counts.not_priced;
    (n > 0).then(|| {
        let of = report.resources.len();
        format!("{n} of {} could not be priced; the total is a lower bound", plural(of, "resource"))
    })
}

/// The pull-request comment. Its first line is the marker
/// `<!-- strata-cost: PROJECT -->` that CI looks for to update its own
/// comment; then a heading with the project, the headline, one table of the
/// resources whose cost changes (each changed component under it), the
/// rest as one row, the total, the budget, what could not be priced, and the
/// counts.
///
/// Figures are rounded once: each cell shows cents apportioned so that the
/// cells of a column add up to the rounded column total (largest remainder),
/// and a total change is the sum of the changes shown.
pub fn render_markdown(report: &CostReport) -> String {
    let mut out = String::new();
    let _ = write_markdown(report, &mut out);
    out
}

/// The project's name as the marker and heading show it.
fn project(report: &CostReport) -> &str {
    report.project.as_deref().unwrap_or("default")
}

/// The marker CI finds its comment by: `<!-- strata-cost: NAME -->`.
pub fn comment_marker(project: &str) -> String {
    format!("<!-- strata-cost: {} -->", project.replace("--", "- -").replace('>', "&gt;"))
}

/// One row of the comment's table, before rounding.
struct Row {
    label: String,
    before: Option<f64>,
    after: Option<f64>,
    /// The cell text when a side has no figure (`-`, `not priced`).
    before_text: &'static str,
    after_text: &'static str,
    /// The change counts (the resource is priced on every side it has).
    counted: bool,
    /// Changed components: (label, before, after), in dollars.
    parts: Vec<(String, f64, f64)>,
    /// A row summing several resources: it takes the rounding difference.
    sum: bool,
}

fn write_markdown(report: &CostReport, out: &mut String) -> fmt::Result {
    writeln!(out, "{}", comment_marker(project(report)))?;
    writeln!(out, "## Cost estimate: {}\n", md_text(project(report)))?;
    let rows = comment_rows(report);
    // Round once: cents per cell, apportioned per column.
    let sums: Vec<bool> = rows.iter().map(|r| r.sum).collect();
    let before_cents = apportion_rows(&rows.iter().map(|r| r.before).collect::<Vec<_>>(), &sums);
    let after_cents = apportion_rows(&rows.iter().map(|r| r.after).collect::<Vec<_>>(), &sums);
    let change_cents: Vec<Option<i64>> =
        rows.iter().enumerate().map(|(i, r)| r.counted.then(|| after_cents[i].unwrap_or(0) - before_cents[i].unwrap_or(0))).collect();
    let total_before: i64 = before_cents.iter().flatten().sum();
    let total_after: i64 = after_cents.iter().flatten().sum();
    let total_change: i64 = change_cents.iter().flatten().sum();
    let percent = report.delta_percent.map(|p| format!(" ({})", format_percent(p))).unwrap_or_default();
    let region = report.region.as_deref().unwrap_or("region unknown");
    let span = format!("{} → {} a month", cents_usd(total_before), cents_usd(total_after));
    match incomplete(report) {
        Some(warning) => {
            writeln!(out, "**⚠ {warning}.** Of what could be priced: {}{percent} a month; {span} ({region}).\n", cents_delta(total_change))?
        }
        None => writeln!(out, "**{}**: {span} ({region}).\n", headline_cents(total_change, &percent))?,
    }
    if let Some(b) = &report.compared_to {
        let mut line = String::from("Before: the baseline report");
        let mut differs = Vec::new();
        if b.project.as_deref().is_some_and(|p| p != project(report)) {
            differs.push(format!("project {}", md_text(b.project.as_deref().unwrap_or(""))));
        }
        if b.region != report.region {
            differs.push(format!("region {}", b.region.as_deref().unwrap_or("unknown")));
        }
        if !differs.is_empty() {
            line = format!("⚠ {line}, recorded for another {}", differs.join(" and "));
        }
        writeln!(out, "{line}.\n")?;
    }
    if report.resources.is_empty() {
        writeln!(out, "No resources to price.\n")?;
    } else {
        writeln!(out, "| Resource | Before | After | Change |\n|:--|--:|--:|--:|")?;
        for (i, row) in rows.iter().enumerate() {
            let cell = |cents: Option<i64>, text: &str| cents.map_or_else(|| text.to_string(), cents_usd);
            let change = change_cents[i].map(cents_delta).unwrap_or_default();
            writeln!(
                out,
                "| {} | {} | {} | {change} |",
                row.label,
                cell(before_cents[i], row.before_text),
                cell(after_cents[i], row.after_text)
            )?;
            if row.parts.is_empty() {
                continue;
            }
            // The parts add up to their resource's cells.
            let pb = apportion_to(&row.parts.iter().map(|p| Some(p.1)).collect::<Vec<_>>(), before_cents[i].unwrap_or(0));
            let pa = apportion_to(&row.parts.iter().map(|p| Some(p.2)).collect::<Vec<_>>(), after_cents[i].unwrap_or(0));
            for (j, (label, _, _)) in row.parts.iter().enumerate() {
                let (b, a) = (pb[j].unwrap_or(0), pa[j].unwrap_or(0));
                if a != b {
                    writeln!(out, "| &emsp;↳ {label} | {} | {} | {} |", cents_usd(b), cents_usd(a), cents_delta(a - b))?;
                }
            }
        }
        writeln!(
            out,
            "| **Total** | **{}** | **{}** | **{}{percent}** |\n",
            cents_usd(total_before),
            cents_usd(total_after),
            cents_delta(total_change)
        )?;
    }
    if let Some(b) = &report.budget {
        writeln!(out, "{}\n", budget_line(b))?;
    }
    let not_priced: Vec<&ResourceCostLine> = report.resources.iter().filter(|l| l.status() == LineStatus::NotPriced).collect();
    if !not_priced.is_empty() {
        writeln!(out, "**Not priced** (left out of the totals):")?;
        for line in not_priced.iter().take(MARKDOWN_ROWS) {
            writeln!(out, "- {}: {}", md_code(&line.address), md_text(line.not_priced_reason().unwrap_or("")))?;
        }
        if not_priced.len() > MARKDOWN_ROWS {
            writeln!(out, "- … and {} more", not_priced.len() - MARKDOWN_ROWS)?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "<sub>{} On-demand prices from strata's offline catalog, USD, {} hours a month; `strata cost` shows every component.</sub>",
        md_text(&counts_sentence(report)),
        format_number(report.hours_per_month)
    )
}

/// The table's rows: resources whose cost changes (largest change first, at
/// most [`MARKDOWN_ROWS`]), resources not priced, then one row for the rest.
fn comment_rows(report: &CostReport) -> Vec<Row> {
    let changed = |l: &ResourceCostLine| {
        l.status() == LineStatus::Priced && (l.before.is_none() || l.after.is_none() || l.delta.is_some_and(|d| (d * 100.0).round() != 0.0))
    };
    let mut shown: Vec<&ResourceCostLine> = report.resources.iter().filter(|l| changed(l)).collect();
    let size = |l: &ResourceCostLine| l.delta.map_or(0.0, f64::abs);
    shown.sort_by(|a, b| size(b).total_cmp(&size(a)));
    let more = shown.split_off(shown.len().min(MARKDOWN_ROWS));
    let not_priced: Vec<&ResourceCostLine> =
        report.resources.iter().filter(|l| l.status() == LineStatus::NotPriced).take(MARKDOWN_ROWS).collect();
    let mut rows: Vec<Row> = shown.iter().chain(&not_priced).map(|l| resource_row(l)).collect();
    let listed: std::collections::HashSet<*const ResourceCostLine> = shown.iter().chain(&not_priced).map(|l| *l as *const _).collect();
    let sum = |lines: &[&ResourceCostLine], side: fn(&ResourceCostLine) -> Option<f64>| lines.iter().filter_map(|l| side(l)).sum::<f64>();
    if !more.is_empty() {
        rows.push(Row {
            label: format!("_… and {} with smaller changes_", plural(more.len(), "more resource")),
            before: Some(sum(&more, |l| l.before_monthly)),
            after: Some(sum(&more, |l| l.after_monthly)),
            before_text: "",
            after_text: "",
            counted: true,
            parts: Vec::new(),
            sum: true,
        });
    }
    let rest: Vec<&ResourceCostLine> =
        report.resources.iter().filter(|l| !listed.contains(&(*l as *const _)) && !more.iter().any(|m| std::ptr::eq(*m, *l))).collect();
    if !rest.is_empty() {
        let free = rest.iter().filter(|l| l.status() == LineStatus::Free).count();
        let label = match (free, rest.len() - free) {
            (0, n) => plural(n, "unchanged resource"),
            (f, 0) => plural(f, "free resource"),
            (f, n) => format!("{}, {f} free", plural(n, "unchanged resource")),
        };
        rows.push(Row {
            label: format!("_{label}_"),
            before: Some(sum(&rest, |l| l.before_monthly)),
            after: Some(sum(&rest, |l| l.after_monthly)),
            before_text: "",
            after_text: "",
            counted: true,
            parts: Vec::new(),
            sum: true,
        });
    }
    rows
}

/// A resource's row: `+` new, `-` removed, `~` changed, with the changed
/// components of a resource that exists on both sides.
fn resource_row(line: &ResourceCostLine) -> Row {
    let mark = match (&line.before, &line.after) {
        (None, Some(_)) => "new",
        (Some(_), None) => "removed",
        _ => "",
    };
    let label = if mark.is_empty() { md_code(&line.address) } else { format!("{} ({mark})", md_code(&line.address)) };
    let text = |cost: &Option<ResourceCost>| if cost.is_none() { "-" } else { "not priced" };
    let parts = match (&line.before, &line.after, line.delta) {
        (Some(b), Some(a), Some(_)) => component_changes(b, a),
        _ => Vec::new(),
    };
    Row {
        label,
        before: line.before_monthly.or(line.before.as_ref().filter(|c| c.status == CostStatus::Free).map(|_| 0.0)),
        after: line.after_monthly.or(line.after.as_ref().filter(|c| c.status == CostStatus::Free).map(|_| 0.0)),
        before_text: text(&line.before),
        after_text: text(&line.after),
        counted: line.delta.is_some(),
        parts,
        sum: false,
    }
}

/// Every component of either side, matched by name, labelled with what
/// changed (`compute: t3.small → t3.medium`); the rows show those whose
/// figures change.
fn component_changes(before: &ResourceCost, after: &ResourceCost) -> Vec<(String, f64, f64)> {
    let mut names: Vec<&str> = Vec::new();
    for c in before.components.iter().chain(&after.components) {
        if !names.contains(&c.name.as_str()) {
            names.push(&c.name);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let b = before.components.iter().find(|c| c.name == name);
            let a = after.components.iter().find(|c| c.name == name);
            let figure = |c: Option<&Component>| c.and_then(|c| c.monthly_usd).unwrap_or(0.0);
            let label = match (b, a) {
                (Some(b), Some(a)) => match (b.detail.as_deref(), a.detail.as_deref()) {
                    (Some(db), Some(da)) if db != da => format!("{}: {}", md_text(name), md_text(&detail_change(db, da))),
                    _ if b.quantity != a.quantity => {
                        let q = |c: &Component| c.quantity.map_or_else(|| "usage".into(), format_number);
                        format!("{}: {} → {} {}", md_text(name), q(b), q(a), md_text(&a.unit))
                    }
                    _ => md_text(name),
                },
                (None, Some(_)) => format!("{} (new)", md_text(name)),
                (Some(_), None) => format!("{} (removed)", md_text(name)),
                (None, None) => md_text(name),
            };
            (label, figure(b), figure(a))
        })
        .collect()
}

/// `t3.small, Linux on-demand` → `t3.medium, Linux on-demand` is
/// `t3.small → t3.medium`: the parts that differ.
fn detail_change(before: &str, after: &str) -> String {
    let (b, a): (Vec<&str>, Vec<&str>) = (before.split(", ").collect(), after.split(", ").collect());
    if b.len() != a.len() {
        return format!("{before} → {after}");
    }
    let (db, da): (Vec<&str>, Vec<&str>) = b.iter().zip(&a).filter(|(x, y)| x != y).map(|(x, y)| (*x, *y)).unzip();
    format!("{} → {}", db.join(", "), da.join(", "))
}

/// Cents for the rows of a column, adding up to the rounded sum of their
/// figures: each row rounded on its own, the difference (a few cents at
/// most) taken by the largest row that sums several resources, or, without
/// one, apportioned as [`apportion`] does.
fn apportion_rows(values: &[Option<f64>], sums: &[bool]) -> Vec<Option<i64>> {
    let total = (values.iter().flatten().sum::<f64>() * 100.0).round() as i64;
    let mut cents: Vec<Option<i64>> = values.iter().map(|v| v.map(|x| (x * 100.0).round() as i64)).collect();
    let diff = total - cents.iter().flatten().sum::<i64>();
    if diff == 0 {
        return cents;
    }
    let largest = (0..values.len()).filter(|i| sums[*i]).filter_map(|i| cents[i].map(|c| (i, c))).max_by_key(|(_, c)| *c);
    match largest {
        Some((i, c)) if c + diff >= 0 => {
            cents[i] = Some(c + diff);
            cents
        }
        _ => apportion_to(values, total),
    }
}

/// Cents for each figure (`None` stays `None`), rounded so that they add up
/// to the rounded sum of the figures: each is its figure rounded down or up,
/// the largest remainders rounded up (Hamilton's method).
fn apportion(values: &[Option<f64>]) -> Vec<Option<i64>> {
    let total = (values.iter().flatten().sum::<f64>() * 100.0).round() as i64;
    apportion_to(values, total)
}

/// [`apportion`] to a given total in cents.
fn apportion_to(values: &[Option<f64>], total: i64) -> Vec<Option<i64>> {
    let exact: Vec<Option<f64>> = values.iter().map(|v| v.map(|x| x * 100.0)).collect();
    let mut cents: Vec<Option<i64>> = exact.iter().map(|v| v.map(|x| x.floor() as i64)).collect();
    let mut short = total - cents.iter().flatten().sum::<i64>();
    let mut order: Vec<usize> = (0..values.len()).filter(|i| exact[*i].is_some()).collect();
    // Up: the largest remainders first; down (a total below the floors): the smallest.
    let rem = |i: usize| exact[i].map_or(0.0, |x| x - x.floor());
    order.sort_by(|a, b| rem(*b).total_cmp(&rem(*a)));
    if short < 0 {
        order.reverse();
    }
    while short != 0 && !order.is_empty() {
        for &i in &order {
            if short == 0 {
                break;
            }
            let step = short.signum();
            if let Some(c) = cents[i].as_mut() {
                *c += step;
            }
            short -= step;
        }
    }
    cents
}

fn cents_usd(c: i64) -> String {
    format_usd(c as f64 / 100.0)
}

fn cents_delta(c: i64) -> String {
    format_usd_delta(c as f64 / 100.0)
}

/// "Monthly cost will increase by $X (+Y%)", "... decrease by ...", "... not change".
fn headline_cents(change: i64, percent: &str) -> String {
    match change.signum() {
        1 => format!("Monthly cost will increase by {}{percent}", cents_usd(change)),
        -1 => format!("Monthly cost will decrease by {}{percent}", cents_usd(-change)),
        _ => "Monthly cost will not change".into(),
    }
}

/// Two or three lines for the end of `strata plan`.
pub fn render_summary(report: &CostReport) -> String {
    let mut out = String::new();
    // Rounded once: the change shown is the difference of the totals shown.
    let (before, after) = ((report.total_before * 100.0).round() as i64, (report.total_after * 100.0).round() as i64);
    let change = after - before;
    let percent = report.delta_percent.map(|p| format!(", {}", format_percent(p))).unwrap_or_default();
    let _ = if let Some(warning) = incomplete(report) {
        writeln!(out, "Cost: {warning}: at least {} a month after this plan (at least {} before).", cents_usd(after), cents_usd(before))
    } else if change > 0 {
        writeln!(out, "Cost: {} a month after this plan, up {} from {}{percent}.", cents_usd(after), cents_usd(change), cents_usd(before))
    } else if change < 0 {
        writeln!(
            out,
            "Cost: {} a month after this plan, down {} from {}{percent}.",
            cents_usd(after),
            cents_usd(-change),
            cents_usd(before)
        )
    } else {
        writeln!(out, "Cost: {} a month, unchanged by this plan.", cents_usd(after))
    };
    let _ = writeln!(out, "{}", counts_sentence(report));
    if report.counts.not_priced > 0 || report.usage_based_parts > 0 {
        let _ = writeln!(out, "Run `strata cost` for the details.");
    }
    out
}

/// "**Budget:** monthly_limit $500.00, strict: ✓ within budget" (or what
/// was breached, and whether the check is complete).
fn budget_line(b: &strata_cost::BudgetStatus) -> String {
    let mut limits = Vec::new();
    if let Some(x) = b.monthly_limit {
        limits.push(format!("monthly_limit {}", format_usd(x)));
    }
    if let Some(x) = b.max_increase {
        limits.push(format!("max_increase {}", format_usd(x)));
    }
    if let Some(x) = b.max_increase_percent {
        limits.push(format!("max_increase_percent {}%", format_number(x)));
    }
    if b.strict {
        limits.push("strict".into());
    }
    let verdict = match (b.breached.is_empty(), b.incomplete) {
        (false, _) => format!("✗ breached: {}", b.breached.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ")),
        (true, true) if b.failed => "✗ incomplete: resources could not be priced (`strict`)".to_string(),
        (true, true) => "⚠ within budget as far as priced: resources could not be priced".to_string(),
        (true, false) => "✓ within budget".to_string(),
    };
    format!("**Budget:** {}: {verdict}", limits.join(", "))
}

/// "3 resources priced, 10 free, 1 not priced; 2 parts depend on usage."
fn counts_sentence(report: &CostReport) -> String {
    let c = report.counts;
    let mut s = format!("{} priced, {} free, {} not priced", plural(c.priced, "resource"), c.free, c.not_priced);
    if report.usage_based_parts > 0 {
        let parts = report.usage_based_parts;
        let verb = if parts == 1 { "depends" } else { "depend" };
        s = format!("{s}; {} {verb} on usage (give figures with --usage-file)", plural(parts, "part"));
    }
    s + "."
}

/// `+` created, `-` destroyed, `~` cost changed.
fn marker(line: &ResourceCostLine, change: Option<i64>) -> char {
    match (&line.before, &line.after) {
        (None, Some(_)) => '+',
        (Some(_), None) => '-',
        _ if change.is_some_and(|c| c != 0) => '~',
        _ => ' ',
    }
}

/// `compute (t3.micro, Linux on-demand)`.
fn component_label(c: &Component) -> String {
    match &c.detail {
        Some(d) => format!("{} ({d})", c.name),
        None => c.name.clone(),
    }
}

/// `730 hours × $0.0104 = $7.59`, or `depends on usage ($0.045 per GB)`.
fn component_figures(c: &Component) -> String {
    match (c.quantity, c.monthly_usd) {
        (Some(q), Some(m)) => format!("{} {} × {} = {}", format_number(q), c.unit, format_unit_usd(c.unit_usd), format_usd(m)),
        _ => format!("depends on usage ({} per {})", format_unit_usd(c.unit_usd), singular(&c.unit)),
    }
}

/// `hours` → `hour`, `GB-months` → `GB-month`; `GB` stays.
fn singular(unit: &str) -> &str {
    if unit.ends_with("hours") || unit.ends_with("months") { &unit[..unit.len() - 1] } else { unit }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

/// A Markdown code span that is safe in a table cell.
fn md_code(s: &str) -> String {
    let s = s.replace('|', "\\|");
    if s.contains('`') { format!("`` {s} ``") } else { format!("`{s}`") }
}

/// Plain text with Markdown and HTML syntax escaped.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use strata_core::Value;
    use strata_cost::{Catalog, CostInput, Usage, build_report};

    use super::*;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::map(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }

    fn input(address: &str, ty: &str, layer: u8, before: Option<Value>, after: Option<Value>) -> CostInput {
        let pricing = strata_provider::merged_schema().resource(ty).and_then(|t| t.pricing.clone());
        CostInput { address: address.into(), ty: ty.into(), pricing, layer, region: None, before, after }
    }

    fn instance(ty: &str) -> Value {
        obj(&[("instance_type", Value::string(ty))])
    }

    fn report(inputs: &[CostInput]) -> CostReport {
        build_report(inputs, Some("us-east-1"), Catalog::embedded(), &Usage::default())
    }

    fn sample() -> CostReport {
        let db = obj(&[
            ("instance_class", Value::string("db.t3.micro")),
            ("engine", Value::string("postgres")),
            ("allocated_storage", Value::Number(20.0)),
            ("password", Value::Sensitive(Box::new(Value::string("correct-horse-battery")))),
        ]);
        report(&[
            input("aws_vpc.main", "aws_vpc", 1, None, Some(obj(&[]))),
            input("aws_nat_gateway.main", "aws_nat_gateway", 1, None, Some(obj(&[]))),
            // The embedded catalog has no load balancer prices in ap-southeast-6.
            CostInput { region: Some("ap-southeast-6".into()), ..input("aws_lb.nz", "aws_lb", 1, None, Some(obj(&[]))) },
            input("aws_db_instance.db", "aws_db_instance", 2, None, Some(db)),
            input("aws_instance.app[0]", "aws_instance", 3, Some(instance("t3.micro")), Some(instance("t3.small"))),
            input(
                "aws_instance.secret",
                "aws_instance",
                3,
                None,
                Some(obj(&[("instance_type", Value::Sensitive(Box::new(Value::string("m5.xlarge-hidden"))))])),
            ),
        ])
    }

    #[test]
    fn table_groups_by_layer_with_components_and_totals() {
        let out = render_table(&sample(), None).replace('\u{a0}', " ");
        assert!(out.starts_with("Monthly cost estimate (us-east-1, USD, 730 hours a month)\n"), "{out}");
        let layer1 = out.find("Layer 1 infrastructure").unwrap();
        let layer3 = out.find("Layer 3 application").unwrap();
        assert!(layer1 < out.find("Layer 2 data").unwrap() && out.find("Layer 2 data").unwrap() < layer3, "{out}");
        assert!(out.contains("\n      NAT gateway: 730 hours × $0.045 = $32.85\n"), "{out}");
        assert!(out.contains("\n      data processed: depends on usage ($0.045 per GB)\n"), "{out}");
        assert!(out.contains("\n      not priced: no price for application load balancer hours in ap-southeast-6 in the"), "{out}");
        assert!(out.contains("\n      compute (t3.small, Linux on-demand): 730 hours × $0.0208 = $15.18\n"), "{out}");
        let app = out.lines().find(|l| l.contains("aws_instance.app[0]")).unwrap();
        let words = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(app.starts_with("  ~ aws_instance.app[0]") && words(app).ends_with(" $8.23 $15.82 +$7.59"), "{app:?}");
        let vpc = out.lines().find(|l| l.contains("aws_vpc.main")).unwrap();
        assert!(vpc.starts_with("  + aws_vpc.main") && words(vpc).ends_with(" - free"), "{vpc:?}");
        // 32.85 (NAT) + 15.44 (database) + 15.824 (app) after; 8.232 before.
        let total = out.lines().find(|l| l.starts_with("Total")).unwrap();
        assert!(words(total).ends_with("$8.23 $64.11 +$55.88"), "{total:?}");
        assert!(out.contains("\nOf what could be priced: +$55.88 (+678.8%) a month.\n"), "{out}");
        assert!(
            out.contains("3 resources priced, 1 free, 2 not priced; 2 parts depend on usage (give figures with --usage-file).\n"),
            "{out}"
        );
        assert!(out.contains("Totals leave out resources that are not priced: they are lower bounds."));
        assert!(out.contains("\n2 of 6 resources could not be priced; the total is a lower bound.\n"), "it leads: {out}");
    }

    /// Guards against a table that ran past an 80-column terminal: details
    /// wrap to the width, indented under their resource.
    #[test]
    fn table_wraps_details_to_the_terminal() {
        let out = render_table(&sample(), Some(80));
        for line in out.lines().filter(|l| !l.contains("resources priced")) {
            assert!(line.chars().count() <= 80, "{} columns: {line:?}", line.chars().count());
        }
        let out = out.replace('\u{a0}', " ");
        assert!(out.contains("\n      note: "), "{out}");
    }

    /// The sums of the table add up: each column's cells (resources, then
    /// subtotals) add up to what is shown below them.
    #[test]
    fn table_sums_add_up() {
        let out = render_table(&two_instance_change(), None);
        let cents = |cell: &str| -> i64 { cell.trim_start_matches(['+', '$']).replace([',', '.'], "").parse().unwrap_or(0) };
        let figures = |line: &str| -> Vec<i64> {
            let cells: Vec<&str> = line.split_whitespace().rev().take(3).collect();
            cells.iter().rev().map(|c| cents(c)).collect()
        };
        let (mut layer, mut subtotals) = ([0i64; 3].to_vec(), [0i64; 3].to_vec());
        let mut checked = 0;
        for line in out.lines() {
            if line.contains("aws_") && !line.contains(':') {
                layer = layer.iter().zip(figures(line)).map(|(a, b)| a + b).collect();
            } else if line.trim_start().starts_with("Subtotal") {
                assert_eq!(figures(line), layer, "{line}\n{out}");
                subtotals = subtotals.iter().zip(&layer).map(|(a, b)| a + b).collect();
                layer = vec![0; 3];
                checked += 1;
            } else if line.starts_with("Total") {
                assert_eq!(figures(line), subtotals, "{out}");
                checked += 1;
            }
        }
        assert_eq!(checked, 3, "{out}");
    }

    /// The pull-request comment for a two-instance change: `api` goes from
    /// t3.small to t3.medium, `worker` is added, the network is unchanged.
    fn two_instance_change() -> CostReport {
        let mut r = report(&[
            input("aws_vpc.main", "aws_vpc", 1, Some(obj(&[])), Some(obj(&[]))),
            input("aws_nat_gateway.main", "aws_nat_gateway", 1, Some(obj(&[])), Some(obj(&[]))),
            input("aws_instance.api", "aws_instance", 3, Some(instance("t3.small")), Some(instance("t3.medium"))),
            input("aws_instance.worker", "aws_instance", 3, None, Some(instance("t3.small"))),
        ]);
        r.project = Some("shop".into());
        r
    }

    #[test]
    fn comment_for_a_two_instance_change() {
        let out = render_markdown(&two_instance_change());
        assert!(out.starts_with("<!-- strata-cost: shop -->\n## Cost estimate: shop\n"), "{out}");
        assert!(out.contains("| &emsp;↳ compute: t3.small → t3.medium | $15.18 | $30.37 | +$15.19 |"), "{out}");
        assert!(out.lines().count() < 30, "{} lines:\n{out}", out.lines().count());
        insta::assert_snapshot!("comment_two_instance_change", out);
    }

    #[test]
    fn comment_with_unpriced_resources() {
        let mut r = report(&[
            input("aws_instance.api", "aws_instance", 3, Some(instance("t3.small")), Some(instance("t3.medium"))),
            input("aws_instance.gpu", "aws_instance", 3, None, Some(instance("x9.nonesuch"))),
            // The embedded catalog has no load balancer prices in ap-southeast-6.
            CostInput { region: Some("ap-southeast-6".into()), ..input("aws_lb.nz", "aws_lb", 4, None, Some(obj(&[]))) },
        ]);
        r.project = Some("shop".into());
        let out = render_markdown(&r);
        assert!(out.contains("**⚠ 2 of 3 resources could not be priced; the total is a lower bound.**"), "{out}");
        insta::assert_snapshot!("comment_unpriced", out);
    }

    #[test]
    fn comment_with_a_budget() {
        let mut r = two_instance_change();
        let budget = strata_cost::Budget { monthly_limit: Some(100.0), max_increase: Some(20.0), ..Default::default() };
        let violations = strata_cost::check_budget(&r, &budget);
        r.budget = Some(strata_cost::BudgetStatus::new(&budget, &violations));
        let out = render_markdown(&r);
        assert!(out.contains("**Budget:** monthly_limit $100.00, max_increase $20.00: ✗ breached: `max_increase`"), "{out}");
        insta::assert_snapshot!("comment_budget", out);
    }

    /// Guards against sums that do not add up: figures rounded one by one
    /// (three resources of $0.333… each shown as $0.33 under a total of
    /// $1.00). Each column's cells add up to the total shown, and the
    /// headline's change is the table's.
    #[test]
    fn comment_sums_add_up() {
        let third = |address: &str| {
            let mut cost = strata_cost::ResourceCost::free();
            cost.status = CostStatus::Priced;
            cost.components.push(Component {
                name: "compute".into(),
                detail: None,
                quantity: Some(1.0),
                unit: "hours".into(),
                unit_usd: 1.0 / 3.0,
                monthly_usd: Some(1.0 / 3.0),
                source: "test".into(),
                source_id: None,
                source_url: None,
                source_date: None,
            });
            ResourceCostLine::new(address.into(), "aws_instance".into(), 3, None, Some(cost))
        };
        let lines = vec![third("aws_instance.a"), third("aws_instance.b"), third("aws_instance.c")];
        let r = CostReport::from_lines(Some("us-east-1".into()), false, lines);
        let out = render_markdown(&r);
        let cells: Vec<&str> = out.lines().filter(|l| l.starts_with("| `aws_instance.")).collect();
        let after: Vec<&str> = cells.iter().map(|l| l.split(" | ").nth(2).unwrap()).collect();
        let mut sorted = after.clone();
        sorted.sort();
        assert_eq!(sorted, ["$0.33", "$0.33", "$0.34"], "{out}");
        assert!(out.contains("| **Total** | **$0.00** | **$1.00** | **+$1.00** |"), "{out}");
        assert!(out.contains("**Monthly cost will increase by $1.00**"), "{out}");
        assert_eq!(apportion(&[Some(0.005), Some(0.005), None, Some(0.0)]), [Some(1), Some(0), None, Some(0)]);
        assert_eq!(apportion_to(&[Some(1.004), Some(1.996)], 300), [Some(100), Some(200)]);
        assert_eq!(apportion_to(&[Some(1.0), Some(2.0)], 299).iter().flatten().sum::<i64>(), 299);
    }

    #[test]
    fn comment_marker_is_the_first_line_and_stays_a_comment() {
        assert_eq!(comment_marker("shop"), "<!-- strata-cost: shop -->");
        assert_eq!(comment_marker("a--b>c"), "<!-- strata-cost: a- -b&gt;c -->");
        let mut r = report(&[]);
        r.project = Some("web app".into());
        assert!(render_markdown(&r).starts_with("<!-- strata-cost: web app -->\n"));
    }

    #[test]
    fn headlines_for_decrease_and_no_change() {
        let down = report(&[input("aws_instance.a", "aws_instance", 3, Some(instance("t3.small")), Some(instance("t3.micro")))]);
        assert!(render_markdown(&down).contains("**Monthly cost will decrease by $7.59 (-48.0%)**"));
        assert_eq!(
            render_summary(&down),
            "Cost: $8.23 a month after this plan, down $7.59 from $15.82, -48.0%.\n1 resource priced, 0 free, 0 not priced.\n"
        );
        let same = report(&[input("aws_vpc.a", "aws_vpc", 1, Some(obj(&[])), Some(obj(&[])))]);
        assert!(render_markdown(&same).contains("**Monthly cost will not change**"));
        assert_eq!(render_summary(&same), "Cost: $0.00 a month, unchanged by this plan.\n0 resources priced, 1 free, 0 not priced.\n");
        let first = report(&[input("aws_nat_gateway.a", "aws_nat_gateway", 1, None, Some(obj(&[])))]);
        assert!(render_markdown(&first).contains("**Monthly cost will increase by $32.85**: $0.00 → $32.85 a month"));
        assert!(render_summary(&first).starts_with("Cost: $32.85 a month after this plan, up $32.85 from $0.00.\n"));
        assert!(render_summary(&first).ends_with("Run `strata cost` for the details.\n"));
    }

    /// Guards against "$0.00, unchanged" and "Monthly cost will not change"
    /// for a plan whose resources could not be priced (three-tier in
    /// ap-southeast-2: 36 creates).
    #[test]
    fn unpriced_resources_lead_every_headline() {
        let unpriced = report(&[
            input("aws_instance.a", "aws_instance", 3, None, Some(instance("x9.nonesuch"))),
            input("aws_vpc.v", "aws_vpc", 1, None, Some(obj(&[]))),
        ]);
        let summary = render_summary(&unpriced);
        assert!(
            summary.starts_with("Cost: 1 of 2 resources could not be priced; the total is a lower bound: at least $0.00 a month"),
            "{summary}"
        );
        assert!(!summary.contains("unchanged"), "{summary}");
        let md = render_markdown(&unpriced);
        assert!(md.contains("**⚠ 1 of 2 resources could not be priced; the total is a lower bound.**"), "{md}");
        assert!(!md.contains("**Monthly cost will not change**"), "{md}");
        assert!(render_table(&unpriced, None).contains("\n1 of 2 resources could not be priced; the total is a lower bound.\n"));
        assert!(unpriced.to_json().contains("\"lower_bound\": true"));
        assert!(render_summary(&report(&[input("aws_vpc.v", "aws_vpc", 1, None, Some(obj(&[])))])).contains("unchanged"));
    }

    #[test]
    fn sensitive_values_are_never_rendered() {
        let r = sample();
        for out in [render_table(&r, None), render_markdown(&r), render_summary(&r), r.to_json()] {
            assert!(!out.contains("correct-horse-battery") && !out.contains("m5.xlarge-hidden"), "{out}");
        }
        assert!(render_table(&r, None).contains("not priced: instance_type is sensitive"));
    }

    #[test]
    fn markdown_escapes_addresses_and_stays_under_the_comment_limit() {
        let odd = report(&[input("aws_instance.x[\"a|b\"]", "aws_instance", 3, None, Some(instance("t3.micro")))]);
        let out = render_markdown(&odd);
        assert!(out.contains("| `aws_instance.x[\"a\\|b\"]` (new) |"), "{out}");
        let many: Vec<CostInput> = (0..1500)
            .map(|i| input(&format!("aws_instance.app[{i}]"), "aws_instance", (i % 5 + 1) as u8, None, Some(instance("t3.micro"))))
            .collect();
        let out = render_markdown(&report(&many));
        assert!(out.len() < 65_536, "{}", out.len());
        assert!(out.lines().count() < 70, "{out}");
        assert!(out.contains("| _… and 1450 more resources with smaller changes_ | $0.00 | $11,936.50 | +$11,936.50 |"), "{out}");
        assert!(out.contains("**Monthly cost will increase by $12,348.00**"), "{}", &out[..300]);
    }

    #[test]
    fn empty_reports_say_so() {
        let r = report(&[]);
        assert!(render_table(&r, None).ends_with("\nNo resources to price.\n"));
        assert!(render_markdown(&r).contains("**Monthly cost will not change**"));
    }
}
