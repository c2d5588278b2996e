//! Pricing a plan: before (the recorded objects) and after (the planned ones).

use std::path::PathBuf;

use strata_core::{Diagnostic, Diagnostics, Span};
use strata_cost::{Budget, BudgetViolation, Catalog, CostInput, CostReport, Usage};
use strata_plan::{Action, Plan};
use strata_provider::{Pricing, ProviderSchema};

use crate::plan::PlanRun;

/// `--prices` and `--usage-file`.
#[derive(Debug, Clone, Default)]
pub struct CostRequest {
    pub prices: Vec<PathBuf>,
    pub usage_file: Option<PathBuf>,
}

pub struct CostRun {
    pub report: CostReport,
    /// Usage-file addresses that name nothing in the configuration.
    pub warnings: Diagnostics,
    pub violations: Vec<BudgetViolation>,
    /// The `budget` block's settings (empty without one), to check again a
    /// report compared with a baseline.
    pub budget: Budget,
    /// The `budget` block, for labels.
    pub budget_span: Option<Span>,
}

/// Price a plan run. Errors (unreadable price or usage files, an invalid
/// budget block) are diagnostics with the run's source map.
pub fn cost(run: &mut PlanRun, req: &CostRequest, schema: &ProviderSchema) -> Result<CostRun, Diagnostics> {
    let Some(plan) = &run.plan else { return Err(Diagnostics::new()) };
    let mut diags = Diagnostics::new();
    let mut catalog: Catalog = Catalog::embedded().clone();
    for path in &req.prices {
        match catalog.load_offer_file(path) {
            Ok(load) => tracing::info!(file = %path.display(), added = load.added, replaced = load.replaced, "loaded prices"),
            Err(d) => diags.push(d),
        }
    }
    let usage = match &req.usage_file {
        None => Usage::default(),
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => {
                let file = run.config.sources.add(path, path.display().to_string(), text.as_str());
                Usage::from_yaml(&text, file).unwrap_or_else(|d| {
                    diags.extend(d);
                    Usage::default()
                })
            }
            Err(e) => {
                diags.push(Diagnostic::error("strata::cost::bad_usage_file", format!("cannot read usage file {}: {e}", path.display())));
                Usage::default()
            }
        },
    };
    let ev = run.evaluated.as_ref();
    // The region of each provider configuration that sets one; the default
    // configuration's, else the standard AWS environment variables, for the rest.
    let regions: std::collections::BTreeMap<String, String> = ev
        .map(|ev| {
            ev.providers
                .iter()
                .filter_map(|p| Some((p.address(), p.config.peel().as_map()?.get("region")?.peel().as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let env_region = ["AWS_REGION", "AWS_DEFAULT_REGION"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    let region = regions.get(&strata_config::provider_address("aws", None)).cloned().or_else(|| env_region.clone());
    // An alias without `region` takes it from the environment, as its
    // provider instance does, not from the default block.
    let regions: std::collections::BTreeMap<String, String> = ev
        .map(|ev| {
            ev.providers
                .iter()
                .filter(|p| p.alias.is_some())
                .filter_map(|p| Some((p.address(), regions.get(&p.address()).cloned().or_else(|| env_region.clone())?)))
                .collect()
        })
        .unwrap_or_default();
    let budget_span = budget_span(&run.config);
    let budget = match ev.and_then(|ev| ev.settings.budget.as_ref()) {
        Some(v) => Budget::from_value(v, budget_span.clone()).unwrap_or_else(|d| {
            diags.extend(d);
            Budget::default()
        }),
        None => Budget::default(),
    };
    if diags.has_errors() {
        return Err(diags);
    }
    let inputs = inputs(plan, run.state.as_ref(), &regions, schema);
    let mut warnings = Diagnostics(usage.warnings().to_vec());
    if let Some(path) = &req.usage_file {
        let addresses: Vec<String> = inputs.iter().map(|i| i.address.clone()).collect();
        for (address, near) in usage.unmatched(&addresses) {
            let d = Diagnostic::warning(
                "strata::cost::usage_unmatched",
                format!("`{address}` in {} names no resource of this configuration; its figures are not used", path.display()),
            );
            warnings.push(match near {
                Some(n) => d.with_help(format!("did you mean `{n}`?")),
                None => {
                    d.with_help("usage figures apply to resource and instance addresses as `strata plan` prints them, or to a whole type")
                }
            });
        }
    }
    let mut report = strata_cost::build_report(&inputs, region.as_deref(), &catalog, &usage);
    let violations = strata_cost::check_budget(&report, &budget);
    if !budget.is_empty() {
        report.budget = Some(strata_cost::BudgetStatus::new(&budget, &violations));
    }
    Ok(CostRun { report, warnings, violations, budget, budget_span })
}

/// One cost input per planned change: before = the recorded object (absent
/// for creates), after = the planned object (absent for deletes), priced in
/// the region of its provider configuration when that sets one. A plan
/// with `--target` covers a slice of the stack: every other recorded object
/// stays as it is, so it is priced unchanged and the report (and the
/// budget) is the whole stack after the plan. (What the configuration
/// declares but neither the state nor the slice has is not made by this
/// plan, and is not priced.)
fn inputs(
    plan: &Plan,
    state: Option<&strata_state::State>,
    regions: &std::collections::BTreeMap<String, String>,
    schema: &ProviderSchema,
) -> Vec<CostInput> {
    let planned: std::collections::HashSet<String> = plan.changes.iter().map(|c| c.addr.to_string()).collect();
    let untouched = state
        .filter(|_| !plan.targets.is_empty())
        .into_iter()
        .flat_map(|s| &s.resources)
        .filter(|r| r.address.parse::<strata_core::Address>().is_ok_and(|a| a.mode == strata_core::Mode::Managed))
        .filter(|r| !planned.contains(&r.address))
        .map(|r| {
            let value = r.values();
            CostInput {
                address: r.address.clone(),
                ty: r.ty.clone(),
                pricing: pricing(schema, &r.ty),
                layer: r.layer,
                region: r.provider.as_ref().and_then(|p| regions.get(p)).cloned(),
                before: Some(value.clone()),
                after: Some(value),
            }
        });
    plan.changes
        .iter()
        .map(|c| CostInput {
            address: c.addr.to_string(),
            ty: c.ty.clone(),
            pricing: pricing(schema, &c.ty),
            layer: c.layer.number(),
            region: c.provider.as_ref().and_then(|p| regions.get(p)).cloned(),
            before: c.before.clone(),
            after: if c.action == Action::Delete { None } else { c.after.clone().or_else(|| c.before.clone()) },
        })
        .chain(untouched)
        .collect()
}

fn budget_span(config: &strata_config::Config) -> Option<Span> {
    let settings = config.root().settings.as_ref()?;
    let block = settings.body.get_blocks("budget").next()?;
    hcl_edit::Span::span(&block.ident).map(|r| Span::new(settings.file, r))
}

/// How the schema says a type is priced; `None` for a type strata does not
/// support.
fn pricing(schema: &ProviderSchema, ty: &str) -> Option<Pricing> {
    schema.resource(ty).and_then(|t| t.pricing.clone())
}
