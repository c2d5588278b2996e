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

/// GitHub refuses comments longer than 65,536 characters; past this the
/// per-resource details are left out of the Markdown.
const MARKDOWN_LIMIT: usize = 60_000;

/// Rows per layer table in the Markdown; larger layers show their largest changes.
const MARKDOWN_ROWS: usize = 50;

/// The report as a plain-text table grouped by layer, each resource with its
/// components, notes and "not priced" reason, then subtotals and totals.
pub fn render_table(report: &CostReport) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_table(report, &mut out);
    out
}

fn write_table(report: &CostReport, out: &mut String) -> fmt::Result {
    let region = report.region.as_deref().unwrap_or("region unknown");
    writeln!(out, "Monthly cost estimate ({region}, USD, {} hours a month)", format_number(report.hours_per_month))?;
    if report.baseline {
        writeln!(out, "Before: the baseline report. After: this configuration.")?;
    }
    if report.resources.is_empty() {
        return writeln!(out, "\nNo resources to price.");
    }
    if let Some(warning) = incomplete(report) {
        writeln!(out, "\n{warning}.")?;
    }
    let width = report.resources.iter().map(|l| l.address.chars().count() + 4).max().unwrap_or(0).clamp(32, 72);
    let row = |out: &mut String, label: &str, before: &str, after: &str, change: &str| {
        writeln!(out, "{label:<width$} {before:>12} {after:>12} {change:>12}").map(|_| trim_end(out))
    };
    writeln!(out)?;
    row(out, "", "Before", "After", "Change")?;
    for layer in &report.layers {
        writeln!(out)?;
        writeln!(out, "Layer {} {}", layer.layer, layer.name)?;
        for line in report.resources.iter().filter(|l| l.layer == layer.layer) {
            let (before, after, change) = money_cells(line);
            row(out, &format!("  {} {}", marker(line), line.address), &before, &after, &change)?;
            if let Some(reason) = line.not_priced_reason() {
                writeln!(out, "      not priced: {reason}")?;
            }
            if let Some(cost) = line.current() {
                for c in &cost.components {
                    writeln!(out, "      {}: {}", component_label(c), component_figures(c))?;
                }
                for note in &cost.notes {
                    writeln!(out, "      note: {note}")?;
                }
            }
        }
        row(out, "  Subtotal", &format_usd(layer.before), &format_usd(layer.after), &format_usd_delta(layer.delta))?;
    }
    writeln!(out)?;
    let mut change = format_usd_delta(report.delta);
    if let Some(p) = report.delta_percent {
        change = format!("{change} ({})", format_percent(p));
    }
    writeln!(out, "{:<width$} {:>12} {:>12} {change:>12}", "Total", format_usd(report.total_before), format_usd(report.total_after))?;
    writeln!(out)?;
    writeln!(out, "{}", counts_sentence(report))?;
    if report.counts.not_priced > 0 {
        writeln!(out, "Totals leave out resources that are not priced: they are lower bounds.")?;
    }
    Ok(())
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

/// The pull-request comment: a headline, a table per layer, collapsible
/// details per resource, and the counts of resources priced, free and not
/// priced.
pub fn render_markdown(report: &CostReport) -> String {
    let mut head = String::new();
    let mut details = String::new();
    let mut tail = String::new();
    let _ = write_markdown(report, &mut head, &mut details, &mut tail);
    if head.len() + details.len() + tail.len() > MARKDOWN_LIMIT {
        details = "_Per-resource details are left out: the comment would be too long. Run `strata cost` for them._\n\n".into();
    }
    head + &details + &tail
}

fn write_markdown(report: &CostReport, head: &mut String, details: &mut String, tail: &mut String) -> fmt::Result {
    writeln!(head, "## strata cost estimate\n")?;
    match incomplete(report) {
        Some(warning) => {
            let percent = report.delta_percent.map(|p| format!(" ({})", format_percent(p))).unwrap_or_default();
            writeln!(head, "**⚠ {warning}**\n\nOf what could be priced: {}{percent} a month.\n", format_usd_delta(report.delta))?
        }
        None => writeln!(head, "**{}**\n", headline(report))?,
    }
    let compared = if report.baseline { " (before: the baseline report)" } else { "" };
    writeln!(
        head,
        "{} → {} a month{compared}, {}, {} hours a month.\n",
        format_usd(report.total_before),
        format_usd(report.total_after),
        report.region.as_deref().unwrap_or("region unknown"),
        format_number(report.hours_per_month)
    )?;
    if report.resources.is_empty() {
        return writeln!(head, "No resources to price.");
    }
    writeln!(head, "| Layer | Before | After | Change |\n|:--|--:|--:|--:|")?;
    for l in &report.layers {
        writeln!(head, "| {} {} | {} | {} | {} |", l.layer, l.name, format_usd(l.before), format_usd(l.after), format_usd_delta(l.delta))?;
    }
    let percent = report.delta_percent.map(|p| format!(" ({})", format_percent(p))).unwrap_or_default();
    writeln!(
        head,
        "| **Total** | **{}** | **{}** | **{}{percent}** |\n",
        format_usd(report.total_before),
        format_usd(report.total_after),
        format_usd_delta(report.delta)
    )?;

    if let Some(b) = &report.budget {
        writeln!(head, "{}\n", budget_line(b))?;
    }
    for layer in &report.layers {
        let lines: Vec<&ResourceCostLine> = report.resources.iter().filter(|l| l.layer == layer.layer).collect();
        writeln!(head, "### Layer {} {}\n", layer.layer, layer.name)?;
        writeln!(head, "| Resource | Before | After | Change |\n|:--|--:|--:|--:|")?;
        let mut shown: Vec<&ResourceCostLine> = lines.iter().copied().filter(|l| l.status() != LineStatus::Free).collect();
        let free = lines.len() - shown.len();
        let hidden = shown.len().saturating_sub(MARKDOWN_ROWS);
        if hidden > 0 {
            let size = |l: &ResourceCostLine| l.delta.map_or(0.0, f64::abs);
            shown.sort_by(|a, b| size(b).total_cmp(&size(a)));
            shown.truncate(MARKDOWN_ROWS);
        }
        for line in &shown {
            let (before, after, change) = money_cells(line);
            writeln!(head, "| {} | {before} | {after} | {change} |", md_code(&line.address))?;
        }
        if hidden > 0 {
            writeln!(head, "| _… and {hidden} more with smaller changes_ | | | |")?;
        }
        if free > 0 {
            writeln!(head, "| _{}_ | | | |", plural(free, "free resource"))?;
        }
        writeln!(head)?;
        for line in shown.iter().filter(|l| l.current().is_some_and(|c| !c.components.is_empty())) {
            if details.is_empty() {
                writeln!(details, "### Resource details\n")?;
            }
            write_details(line, details)?;
        }
    }

    writeln!(tail, "**Resources:** {}\n", counts_sentence(report))?;
    let not_priced: Vec<&ResourceCostLine> = report.resources.iter().filter(|l| l.status() == LineStatus::NotPriced).collect();
    if !not_priced.is_empty() {
        writeln!(tail, "**Not priced** (left out of the totals):\n")?;
        for line in not_priced.iter().take(MARKDOWN_ROWS) {
            writeln!(tail, "- {}: {}", md_code(&line.address), md_text(line.not_priced_reason().unwrap_or("")))?;
        }
        if not_priced.len() > MARKDOWN_ROWS {
            writeln!(tail, "- … and {} more", not_priced.len() - MARKDOWN_ROWS)?;
        }
        writeln!(tail)?;
    }
    writeln!(tail, "<sub>On-demand prices from strata's offline catalog; usage-priced parts need a `--usage-file`.</sub>")
}

/// A resource's components as a collapsible section.
fn write_details(line: &ResourceCostLine, out: &mut String) -> fmt::Result {
    let Some(cost) = line.current() else { return Ok(()) };
    let figure = match line.after_monthly.or(line.before_monthly) {
        Some(m) if line.after.is_some() => format!("{} a month", format_usd(m)),
        Some(m) => format!("{} a month before, removed", format_usd(m)),
        None => "not priced".into(),
    };
    writeln!(out, "<details><summary><code>{}</code>: {figure}</summary>\n", html(&line.address))?;
    writeln!(out, "| Component | Quantity | Unit price | Monthly |\n|:--|--:|--:|--:|")?;
    for c in &cost.components {
        let quantity = c.quantity.map_or_else(|| "depends on usage".into(), |q| format!("{} {}", format_number(q), c.unit));
        let monthly = c.monthly_usd.map_or_else(|| "–".into(), format_usd);
        writeln!(
            out,
            "| {} | {quantity} | {} per {} | {monthly} |",
            md_text(&component_label(c)),
            format_unit_usd(c.unit_usd),
            singular(&c.unit)
        )?;
    }
    if !cost.notes.is_empty() {
        writeln!(out)?;
        for note in &cost.notes {
            writeln!(out, "- {}", md_text(note))?;
        }
    }
    writeln!(out, "\n</details>\n")
}

/// Two or three lines for the end of `strata plan`.
pub fn render_summary(report: &CostReport) -> String {
    let mut out = String::new();
    let cents = (report.delta * 100.0).round();
    let percent = report.delta_percent.map(|p| format!(", {}", format_percent(p))).unwrap_or_default();
    let _ = if let Some(warning) = incomplete(report) {
        writeln!(
            out,
            "Cost: {warning}: at least {} a month after this plan (at least {} before).",
            format_usd(report.total_after),
            format_usd(report.total_before)
        )
    } else if cents > 0.0 {
        writeln!(
            out,
            "Cost: {} a month after this plan, up {} from {}{percent}.",
            format_usd(report.total_after),
            format_usd(report.delta),
            format_usd(report.total_before)
        )
    } else if cents < 0.0 {
        writeln!(
            out,
            "Cost: {} a month after this plan, down {} from {}{percent}.",
            format_usd(report.total_after),
            format_usd(-report.delta),
            format_usd(report.total_before)
        )
    } else {
        writeln!(out, "Cost: {} a month, unchanged by this plan.", format_usd(report.total_after))
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

/// "Monthly cost will increase by $X (+Y%)", "... decrease by ...", "... not change".
fn headline(report: &CostReport) -> String {
    let cents = (report.delta * 100.0).round();
    let percent = report.delta_percent.map(|p| format!(" ({})", format_percent(p))).unwrap_or_default();
    if cents > 0.0 {
        format!("Monthly cost will increase by {}{percent}", format_usd(report.delta))
    } else if cents < 0.0 {
        format!("Monthly cost will decrease by {}{percent}", format_usd(-report.delta))
    } else {
        "Monthly cost will not change".into()
    }
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
fn marker(line: &ResourceCostLine) -> char {
    match (&line.before, &line.after) {
        (None, Some(_)) => '+',
        (Some(_), None) => '-',
        _ if line.delta.is_some_and(|d| (d * 100.0).round() != 0.0) => '~',
        _ => ' ',
    }
}

/// Before, after and change cells: `-` for a side that does not exist,
/// `free`, `not priced`, or dollars.
fn money_cells(line: &ResourceCostLine) -> (String, String, String) {
    let side = |cost: &Option<ResourceCost>, monthly: Option<f64>| match (cost, monthly) {
        (None, _) => "-".to_string(),
        (Some(c), _) if c.status == CostStatus::Free => "free".into(),
        (Some(_), Some(m)) => format_usd(m),
        (Some(_), None) => "not priced".into(),
    };
    let change = match (line.status(), line.delta) {
        (LineStatus::Priced, Some(d)) => format_usd_delta(d),
        _ => String::new(),
    };
    (side(&line.before, line.before_monthly), side(&line.after, line.after_monthly), change)
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

fn html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn trim_end(out: &mut String) {
    let keep = out.trim_end().len();
    out.truncate(keep);
    out.push('\n');
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
        CostInput { address: address.into(), ty: ty.into(), layer, region: None, before, after }
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
        let out = render_table(&sample());
        assert!(out.starts_with("Monthly cost estimate (us-east-1, USD, 730 hours a month)\n"), "{out}");
        let layer1 = out.find("Layer 1 infrastructure").unwrap();
        let layer3 = out.find("Layer 3 application").unwrap();
        assert!(layer1 < out.find("Layer 2 data").unwrap() && out.find("Layer 2 data").unwrap() < layer3, "{out}");
        assert!(out.contains("      NAT gateway: 730 hours × $0.045 = $32.85\n"), "{out}");
        assert!(out.contains("      data processed: depends on usage ($0.045 per GB)\n"), "{out}");
        assert!(out.contains("      not priced: no price for application load balancer hours in ap-southeast-6 in the catalog\n"), "{out}");
        assert!(out.contains("      compute (t3.small, Linux on-demand): 730 hours × $0.0208 = $15.18\n"), "{out}");
        let app = out.lines().find(|l| l.contains("aws_instance.app[0]")).unwrap();
        assert!(app.starts_with("  ~ aws_instance.app[0]") && app.ends_with("$8.23       $15.82       +$7.59"), "{app:?}");
        let vpc = out.lines().find(|l| l.contains("aws_vpc.main")).unwrap();
        assert!(vpc.starts_with("  + aws_vpc.main") && vpc.ends_with("-         free"), "{vpc:?}");
        // 32.85 (NAT) + 15.44 (database) + 15.824 (app) after; 8.232 before.
        let total = out.lines().find(|l| l.starts_with("Total")).unwrap();
        assert!(total.ends_with("$8.23       $64.11 +$55.88 (+678.8%)"), "{total:?}");
        assert!(
            out.contains("3 resources priced, 1 free, 2 not priced; 2 parts depend on usage (give figures with --usage-file).\n"),
            "{out}"
        );
        assert!(out.contains("Totals leave out resources that are not priced: they are lower bounds."));
        assert!(out.contains("\n2 of 6 resources could not be priced; the total is a lower bound.\n"), "it leads: {out}");
    }

    #[test]
    fn markdown_comment_has_headline_layer_tables_details_and_counts() {
        let out = render_markdown(&sample());
        assert!(
            out.starts_with("## strata cost estimate\n\n**⚠ 2 of 6 resources could not be priced; the total is a lower bound**\n\nOf what could be priced: +$55.88 (+678.8%) a month.\n"),
            "{out}"
        );
        assert!(out.contains("| 1 infrastructure | $0.00 | $32.85 | +$32.85 |"), "{out}");
        assert!(out.contains("| **Total** | **$8.23** | **$64.11** | **+$55.88 (+678.8%)** |"), "{out}");
        assert!(out.contains("### Layer 3 application\n\n| Resource | Before | After | Change |"), "{out}");
        assert!(out.contains("| `aws_instance.app[0]` | $8.23 | $15.82 | +$7.59 |"), "{out}");
        assert!(out.contains("| _1 free resource_ | | | |"), "{out}");
        assert!(out.contains("<details><summary><code>aws_nat_gateway.main</code>: $32.85 a month</summary>"), "{out}");
        assert!(out.contains("| data processed | depends on usage | $0.045 per GB | – |"), "{out}");
        assert!(out.contains("| compute (db.t3.micro PostgreSQL) | 730 hours | $0.018 per hour | $13.14 |"), "{out}");
        assert_eq!(out.matches("<details>").count(), out.matches("</details>").count());
        assert!(out.contains("**Resources:** 3 resources priced, 1 free, 2 not priced;"), "{out}");
        assert!(out.contains("- `aws_lb.nz`: no price for application load balancer hours in ap-southeast-6 in the catalog"), "{out}");
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
        assert!(render_markdown(&first).contains("**Monthly cost will increase by $32.85**\n"));
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
        assert!(md.contains("**⚠ 1 of 2 resources could not be priced; the total is a lower bound**"), "{md}");
        assert!(!md.contains("**Monthly cost will not change**"), "{md}");
        assert!(render_table(&unpriced).contains("\n1 of 2 resources could not be priced; the total is a lower bound.\n"));
        assert!(unpriced.to_json().contains("\"lower_bound\": true"));
        assert!(render_summary(&report(&[input("aws_vpc.v", "aws_vpc", 1, None, Some(obj(&[])))])).contains("unchanged"));
    }

    #[test]
    fn sensitive_values_are_never_rendered() {
        let r = sample();
        for out in [render_table(&r), render_markdown(&r), render_summary(&r), r.to_json()] {
            assert!(!out.contains("correct-horse-battery") && !out.contains("m5.xlarge-hidden"), "{out}");
        }
        assert!(render_table(&r).contains("not priced: instance_type is sensitive"));
    }

    #[test]
    fn markdown_escapes_addresses_and_stays_under_the_comment_limit() {
        let odd = report(&[input("aws_instance.x[\"a|b\"]", "aws_instance", 3, None, Some(instance("t3.micro")))]);
        let out = render_markdown(&odd);
        assert!(out.contains("| `aws_instance.x[\"a\\|b\"]` |"), "{out}");
        assert!(out.contains("<summary><code>aws_instance.x[&quot;a|b&quot;]</code>"), "{out}");
        let many: Vec<CostInput> = (0..1500)
            .map(|i| input(&format!("aws_instance.app[{i}]"), "aws_instance", (i % 5 + 1) as u8, None, Some(instance("t3.micro"))))
            .collect();
        let out = render_markdown(&report(&many));
        assert!(out.len() < 65_536, "{}", out.len());
        assert!(out.contains("| _… and 250 more with smaller changes_ | | | |"), "{out}");
        assert!(out.contains("Per-resource details are left out") && !out.contains("<details>"));
        assert!(out.contains("**Monthly cost will increase by $12,348.00**"), "{}", &out[..300]);
        // A layer of up to 50 priced resources keeps its details.
        let few: Vec<CostInput> =
            (0..50).map(|i| input(&format!("aws_instance.app[{i}]"), "aws_instance", 3, None, Some(instance("t3.micro")))).collect();
        assert_eq!(render_markdown(&report(&few)).matches("<details>").count(), 50);
    }

    #[test]
    fn empty_reports_say_so() {
        let r = report(&[]);
        assert!(render_table(&r).ends_with("\nNo resources to price.\n"));
        assert!(render_markdown(&r).contains("**Monthly cost will not change**"));
    }
}
