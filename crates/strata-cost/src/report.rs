//! Cost reports: every resource before and after the plan, per-layer
//! subtotals, totals and the delta, and the report's JSON file format (the
//! baseline of the next run).
//!
//! Each total sums the sides that could be priced (a side not priced is left
//! out, so the total is a lower bound, `lower_bound`); the change sums only
//! resources priced on every side they have (their `delta` is known), so that
//! a price the catalog lacks never shows up as a change. A baseline's "before"
//! total is therefore exactly what the baseline recorded, even when a
//! resource it priced cannot be priced now.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use strata_core::{Diagnostic, Layer, Value};

use crate::catalog::Catalog;
use crate::price::{CostStatus, PriceContext, ResourceCost, price};
use crate::usage::Usage;
use crate::{HOURS_PER_MONTH, money};
use strata_provider::{PriceModel, Pricing};

/// The version of the report's JSON format (`format_version`). Version 1
/// named it `version` and counted a resource in a total only when both its
/// sides were priced; it is still read as a baseline.
pub const REPORT_VERSION: u32 = 2;

/// One planned resource instance to price.
#[derive(Debug, Clone, PartialEq)]
pub struct CostInput {
    pub address: String,
    pub ty: String,
    /// How the type's schema says it is priced; `None` when strata does not
    /// support the type.
    pub pricing: Option<Pricing>,
    pub layer: u8,
    /// The region of this resource's provider when it is not the default
    /// region given to [`build_report`] (an aliased provider).
    pub region: Option<String>,
    /// The value in state; `None` when the plan creates the resource.
    pub before: Option<Value>,
    /// The planned value; `None` when the plan destroys the resource.
    pub after: Option<Value>,
}

/// How a report line counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    Priced,
    Free,
    NotPriced,
}

/// One resource in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceCostLine {
    pub address: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub layer: u8,
    /// `None` when the resource does not exist before the plan.
    pub before: Option<ResourceCost>,
    /// `None` when the resource does not exist after the plan.
    pub after: Option<ResourceCost>,
    /// `None` when the side does not exist or is not priced.
    pub before_monthly: Option<f64>,
    pub after_monthly: Option<f64>,
    /// After minus before, a missing side counting 0; `None` when a side
    /// that exists is not priced.
    pub delta: Option<f64>,
}

impl ResourceCostLine {
    pub fn new(address: String, ty: String, layer: u8, before: Option<ResourceCost>, after: Option<ResourceCost>) -> ResourceCostLine {
        let before_monthly = before.as_ref().and_then(ResourceCost::monthly_usd);
        let after_monthly = after.as_ref().and_then(ResourceCost::monthly_usd);
        let side = |cost: &Option<ResourceCost>, monthly: Option<f64>| if cost.is_none() { Some(0.0) } else { monthly };
        let delta = match (side(&before, before_monthly), side(&after, after_monthly)) {
            (Some(b), Some(a)) => Some(money(a - b)),
            _ => None,
        };
        ResourceCostLine { address, ty, layer, before, after, before_monthly, after_monthly, delta }
    }

    pub fn status(&self) -> LineStatus {
        let sides: Vec<&ResourceCost> = [&self.before, &self.after].into_iter().flatten().collect();
        if sides.iter().any(|c| matches!(c.status, CostStatus::NotPriced { .. })) {
            LineStatus::NotPriced
        } else if sides.iter().all(|c| c.status == CostStatus::Free) {
            LineStatus::Free
        } else {
            LineStatus::Priced
        }
    }

    /// Why the line is not priced (the planned side's reason first).
    pub fn not_priced_reason(&self) -> Option<&str> {
        self.after
            .as_ref()
            .and_then(ResourceCost::not_priced_reason)
            .or_else(|| self.before.as_ref().and_then(ResourceCost::not_priced_reason))
    }

    /// The side that describes the resource now: after the plan, or before it for a destroy.
    pub fn current(&self) -> Option<&ResourceCost> {
        self.after.as_ref().or(self.before.as_ref())
    }
}

/// The sums of one layer's counted resources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSubtotal {
    pub layer: u8,
    /// `infrastructure`, `data`, ...
    pub name: String,
    pub before: f64,
    pub after: f64,
    pub delta: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub priced: usize,
    pub free: usize,
    pub not_priced: usize,
}

/// A priced plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostReport {
    #[serde(alias = "version")]
    pub format_version: u32,
    /// The project's name (`--project`, by default the configuration
    /// directory's name); the pull-request comment's marker names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub currency: String,
    pub hours_per_month: f64,
    pub region: Option<String>,
    /// True when the "before" figures come from a baseline report
    /// ([`CostReport::compare_to`]) rather than from the state.
    pub baseline: bool,
    /// What the baseline recorded, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compared_to: Option<BaselineInfo>,
    /// By layer, then in input order.
    pub resources: Vec<ResourceCostLine>,
    /// Layers with at least one resource, in order.
    pub layers: Vec<LayerSubtotal>,
    pub total_before: f64,
    pub total_after: f64,
    /// The change of the resources priced on every side they have; equal
    /// to `total_after - total_before` unless `lower_bound`.
    pub delta: f64,
    /// `delta` against the "before" of those same resources; `None` when
    /// that is 0.
    pub delta_percent: Option<f64>,
    /// Some resources could not be priced: the totals leave them out and
    /// are lower bounds (`counts.not_priced` says how many).
    #[serde(default)]
    pub lower_bound: bool,
    /// The budget's settings and what its check found, when the
    /// configuration sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<crate::BudgetStatus>,
    pub counts: Counts,
    /// Planned components priced by usage that have no usage figures.
    pub usage_based_parts: usize,
}

/// The baseline a report was compared with: its project and region as it
/// recorded them, and its total after (the "before" of the comparison).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineInfo {
    pub project: Option<String>,
    pub region: Option<String>,
    pub total: f64,
}

/// Price every input and sum the results. `region` is the default
/// provider's region (`None` when unknown: nothing regional is priced).
pub fn build_report(inputs: &[CostInput], region: Option<&str>, catalog: &Catalog, usage: &Usage) -> CostReport {
    let sources_before = DbSources::new(inputs, |i| i.before.as_ref());
    let sources_after = DbSources::new(inputs, |i| i.after.as_ref());
    let lines = inputs
        .iter()
        .filter(|i| i.before.is_some() || i.after.is_some())
        .map(|i| {
            let figures = usage.figures(&i.address, &i.ty);
            let cx = PriceContext { catalog, region: i.region.as_deref().or(region), usage: (!figures.0.is_empty()).then_some(&figures) };
            let side = |v: &Option<Value>, sources: &DbSources| v.as_ref().map(|v| price_side(&i.ty, i.pricing.as_ref(), v, &cx, sources));
            ResourceCostLine::new(
                i.address.clone(),
                i.ty.clone(),
                i.layer,
                side(&i.before, &sources_before),
                side(&i.after, &sources_after),
            )
        })
        .collect();
    CostReport::from_lines(region.map(str::to_string), false, lines)
}

/// Price one side; a read replica takes what it does not set from its source.
fn price_side(ty: &str, pricing: Option<&Pricing>, value: &Value, cx: &PriceContext, sources: &DbSources) -> ResourceCost {
    if crate::usage::price_model(ty) != Some(PriceModel::DbInstance) {
        return price(pricing, value, cx);
    }
    let Some((value, source)) = sources.resolve_replica(value) else { return price(pricing, value, cx) };
    let cost = price(pricing, &value, cx);
    let engine_missing = matches!(value.as_map().and_then(|m| m.get("engine")), None | Some(Value::Null | Value::Unknown(_)));
    let from = match &source {
        ReplicaSource::Found(address) => address.as_str(),
        ReplicaSource::Unknown => "a source database known only after apply",
        ReplicaSource::Absent => "a source database that is not in this configuration",
    };
    if engine_missing {
        return ResourceCost::not_priced(format!("engine is known only after apply: this read replica takes it from {from}"));
    }
    let mut cost = cost;
    if let ReplicaSource::Found(address) = source {
        cost.notes.push(format!("a read replica: engine and storage not set here are taken from {address}"));
    }
    cost
}

/// Where a read replica's source database is.
enum ReplicaSource {
    /// The address of the source in this configuration.
    Found(String),
    /// `replicate_source_db` is known only after apply.
    Unknown,
    /// No database here has that identifier.
    Absent,
}

/// The databases (types priced as [`PriceModel::DbInstance`]) of one side by identifier, for read replicas.
struct DbSources<'a> {
    by_identifier: HashMap<&'a str, (&'a str, &'a BTreeMap<String, Value>)>,
}

impl<'a> DbSources<'a> {
    fn new(inputs: &'a [CostInput], side: impl Fn(&'a CostInput) -> Option<&'a Value>) -> DbSources<'a> {
        let mut by_identifier = HashMap::new();
        for i in inputs.iter().filter(|i| crate::usage::price_model(&i.ty) == Some(PriceModel::DbInstance)) {
            let Some(Value::Map(m)) = side(i) else { continue };
            if let Some(Value::String(id)) = m.get("identifier") {
                by_identifier.insert(id.as_str(), (i.address.as_str(), &**m));
            }
        }
        DbSources { by_identifier }
    }

    /// For a replica (`replicate_source_db` set), its value with the
    /// source's engine and storage filled in where it has none, and where
    /// the source is. `None` for a primary.
    fn resolve_replica(&self, value: &Value) -> Option<(Value, ReplicaSource)> {
        let Value::Map(m) = value else { return None };
        // An ARN names the source by its last segment (`arn:aws:rds:...:db:NAME`).
        let source = match m.get("replicate_source_db")? {
            Value::String(s) => s.rsplit(':').next().unwrap_or(s),
            Value::Null => return None,
            _ => return Some((value.clone(), ReplicaSource::Unknown)),
        };
        let Some((address, src)) = self.by_identifier.get(source) else { return Some((value.clone(), ReplicaSource::Absent)) };
        let mut filled = m.clone();
        for key in ["engine", "allocated_storage", "storage_type", "iops", "storage_throughput"] {
            let missing = matches!(filled.get(key), None | Some(Value::Null | Value::Unknown(_)));
            if let Some(v) = src.get(key).filter(|v| missing && !v.is_unknown() && !v.is_null()) {
                filled.insert(key.to_string(), v.clone());
            }
        }
        Some((Value::Map(filled), ReplicaSource::Found(address.to_string())))
    }
}

impl CostReport {
    /// Sum lines into a report; lines are ordered by layer, keeping their order within one.
    pub fn from_lines(region: Option<String>, baseline: bool, mut resources: Vec<ResourceCostLine>) -> CostReport {
        resources.sort_by_key(|l| l.layer);
        let mut layers: Vec<LayerSubtotal> = Vec::new();
        let mut counts = Counts::default();
        let (mut total_before, mut total_after, mut counted_before, mut delta) = (0.0, 0.0, 0.0, 0.0);
        let mut usage_based_parts = 0;
        for line in &resources {
            match line.status() {
                LineStatus::Priced => counts.priced += 1,
                LineStatus::Free => counts.free += 1,
                LineStatus::NotPriced => counts.not_priced += 1,
            }
            usage_based_parts += line.after.iter().flat_map(|c| &c.components).filter(|c| c.depends_on_usage()).count();
            if layers.last().is_none_or(|l| l.layer != line.layer) {
                let name = Layer::from_number(line.layer).map_or("unknown", Layer::name).to_string();
                layers.push(LayerSubtotal { layer: line.layer, name, before: 0.0, after: 0.0, delta: 0.0 });
            }
            let (b, a) = (line.before_monthly.unwrap_or(0.0), line.after_monthly.unwrap_or(0.0));
            if let Some(l) = layers.last_mut() {
                l.before = money(l.before + b);
                l.after = money(l.after + a);
                if let Some(d) = line.delta {
                    l.delta = money(l.delta + d);
                }
            }
            total_before += b;
            total_after += a;
            if let Some(d) = line.delta {
                delta += d;
                counted_before += b;
            }
        }
        let (total_before, total_after, delta) = (money(total_before), money(total_after), money(delta));
        let delta_percent = (money(counted_before) > 0.0).then(|| money(delta / counted_before * 100.0));
        CostReport {
            lower_bound: counts.not_priced > 0,
            budget: None,
            format_version: REPORT_VERSION,
            project: None,
            compared_to: None,
            currency: "USD".into(),
            hours_per_month: HOURS_PER_MONTH,
            region,
            baseline,
            resources,
            layers,
            total_before,
            total_after,
            delta,
            delta_percent,
            counts,
            usage_based_parts,
        }
    }

    /// Compare this report's planned figures with a baseline's: each
    /// resource's "before" becomes the baseline's "after". Resources only in
    /// the baseline are shown as removed, resources only here as added.
    pub fn compare_to(&self, baseline: &CostReport) -> CostReport {
        let base: HashMap<&str, &ResourceCostLine> = baseline.resources.iter().map(|l| (l.address.as_str(), l)).collect();
        let here: HashSet<&str> = self.resources.iter().map(|l| l.address.as_str()).collect();
        let mut lines: Vec<ResourceCostLine> = self
            .resources
            .iter()
            .map(|l| {
                let before = base.get(l.address.as_str()).and_then(|b| b.after.clone());
                ResourceCostLine::new(l.address.clone(), l.ty.clone(), l.layer, before, l.after.clone())
            })
            .collect();
        lines.extend(
            baseline
                .resources
                .iter()
                .filter(|b| !here.contains(b.address.as_str()))
                .map(|b| ResourceCostLine::new(b.address.clone(), b.ty.clone(), b.layer, b.after.clone(), None)),
        );
        lines.retain(|l| l.before.is_some() || l.after.is_some());
        let mut report = CostReport::from_lines(self.region.clone(), true, lines);
        report.project = self.project.clone();
        report.compared_to =
            Some(BaselineInfo { project: baseline.project.clone(), region: baseline.region.clone(), total: baseline.total_after });
        report
    }

    /// How the baseline differs from this run in what makes a comparison
    /// meaningful: another project, another region. Each is a sentence.
    pub fn baseline_mismatches(&self, baseline: &CostReport) -> Vec<String> {
        let mut out = Vec::new();
        if let (Some(here), Some(there)) = (&self.project, &baseline.project)
            && here != there
        {
            out.push(format!("the baseline was recorded for project `{there}`, not `{here}`"));
        }
        if self.region != baseline.region {
            let name = |r: &Option<String>| r.clone().unwrap_or_else(|| "an unknown region".into());
            out.push(format!("the baseline was priced in {}, this run in {}", name(&baseline.region), name(&self.region)));
        }
        out
    }

    /// The report as pretty JSON (the `--format json` output and baseline file).
    pub fn to_json(&self) -> String {
        // Plain structs with string keys and finite numbers always serialize.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Read a report written by [`CostReport::to_json`]. Derived figures are
    /// recomputed from the components, so a hand-edited file stays consistent.
    pub fn from_json(text: &str, origin: &str) -> Result<CostReport, Diagnostic> {
        const CODE: &str = "strata::cost::bad_baseline";
        let help = "write a baseline with `strata cost DIR --format json > base.json`";
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|e| Diagnostic::error(CODE, format!("{origin} is not valid JSON: {e}")).with_help(help))?;
        let version = json.get("format_version").or_else(|| json.get("version")).and_then(serde_json::Value::as_u64);
        match version {
            Some(v) if v > u64::from(REPORT_VERSION) => {
                return Err(Diagnostic::error(
                    CODE,
                    format!("{origin} is a version {v} cost report; this strata reads version {REPORT_VERSION}"),
                )
                .with_help("upgrade strata, or write the baseline again with this version"));
            }
            Some(_) => {}
            None => {
                return Err(Diagnostic::error(CODE, format!("{origin} is not a strata cost report (no `format_version`)")).with_help(help));
            }
        }
        let report: CostReport = serde_json::from_value(json)
            .map_err(|e| Diagnostic::error(CODE, format!("{origin} is not a strata cost report: {e}")).with_help(help))?;
        let lines = report.resources.into_iter().map(|l| ResourceCostLine::new(l.address, l.ty, l.layer, l.before, l.after)).collect();
        let mut back = CostReport::from_lines(report.region, report.baseline, lines);
        (back.project, back.compared_to, back.budget) = (report.project, report.compared_to, report.budget);
        Ok(back)
    }
}
