//! The commands that change things: apply, destroy, refresh, import.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use strata_core::{Address, Diagnostic, Diagnostics, SourceMap};
use strata_engine::apply::{ApplyContext, ApplyOptions, Cancel, ConfigReplanner, DestroyReplanner, OpKind, Replanner};
use strata_engine::plan::{Live, PlanRequest, PlanRun, RunMode};
use strata_engine::providers::{MakeProvider, Providers};
use strata_provider::Provider;

use crate::cli::{ApplyArgs, DestroyArgs, ImportArgs, LockArgs, RefreshArgs, RunArgs};
use crate::{Ui, diagnostics, exit, render_cost, render_plan};

pub(crate) fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()
}

/// One provider instance per provider configuration (the default one and
/// each alias): AWS, and the local providers served in-process
/// (`strata_provider::local::PROVIDERS`), over the merged schema.
pub(crate) fn providers() -> Providers {
    let aws: Arc<MakeProvider> = Arc::new(|| Arc::new(strata_aws::AwsProvider::new()) as Arc<dyn Provider>);
    let local: Arc<MakeProvider> = Arc::new(|| Arc::new(strata_local::LocalProvider::new()) as Arc<dyn Provider>);
    let mut makers = vec![("aws", aws)];
    makers.extend(strata_provider::local::PROVIDERS.iter().map(|name| (*name, local.clone())));
    Providers::by_name(strata_provider::merged_schema(), makers)
}

pub(crate) fn print_diags(ui: &Ui, d: &Diagnostics, sources: &SourceMap) -> std::io::Result<()> {
    if !d.is_empty() {
        std::io::stderr().write_all(diagnostics::render(d, sources, ui.color).as_bytes())?;
    }
    Ok(())
}

/// `30s`, `2m`, `1h30m`.
pub(crate) fn lock_timeout(args: &LockArgs) -> Result<Duration, Diagnostic> {
    strata_engine::apply::parse_duration(&args.lock_timeout).ok_or_else(|| {
        Diagnostic::error("strata::cli::invalid_duration", format!("--lock-timeout {:?} is not a duration", args.lock_timeout))
            .with_help("write a duration such as 30s, 2m or 1h30m")
    })
}

/// Ask before changing anything; `--auto-approve` skips it. Without a
/// terminal to ask on, refuse.
fn approve(run: &RunArgs, what: &str) -> std::io::Result<bool> {
    if run.auto_approve {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        eprintln!("error: standard input is not a terminal to ask on; review the plan and pass --auto-approve to {what}");
        return Ok(false);
    }
    print!("\nDo you want to {what}? Only 'yes' is accepted: ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

/// What a locked run is for: the operation its lock record names, whether
/// it refreshes first, and whether it plans the removal of everything.
#[derive(Clone, Copy)]
pub(crate) struct Purpose {
    pub operation: &'static str,
    pub refresh: bool,
    pub destroy: bool,
}

/// A plan made under the state lock, with what running it needs.
pub(crate) struct Locked {
    pub run: PlanRun,
    /// Held until the run ends.
    pub guard: strata_state::LockGuard,
    pub backend: strata_state::LocalBackend,
    pub providers: Providers,
}

/// Plan under the state lock with a live provider (intents recovered, state refreshed).
pub(crate) fn locked_plan(
    ui: &Ui,
    dir: &Path,
    req: &PlanRequest,
    lock: &LockArgs,
    rt: &tokio::runtime::Runtime,
    purpose: Purpose,
) -> std::io::Result<Result<Locked, u8>> {
    let Purpose { operation, refresh, destroy } = purpose;
    let (config, backend) = strata_engine::state::backend_for_dir(dir);
    let locked = lock_timeout(lock).and_then(|t| backend.and_then(|b| strata_engine::state::lock(&b, operation, t).map(|g| (g, b))));
    let (guard, backend) = match locked {
        Ok(x) => x,
        Err(d) => {
            print_diags(ui, &Diagnostics(vec![d]), &config.sources)?;
            return Ok(Err(exit::ERROR));
        }
    };
    let providers = providers();
    let live = Live { providers: providers.clone(), runtime: rt, refresh, optional: false };
    let run = strata_engine::plan::plan(
        dir,
        req,
        strata_provider::merged_schema(),
        RunMode { live: Some(&live), recover: Some(&backend), destroy, forget_foreign: operation == "refresh", ..Default::default() },
    );
    print_diags(ui, &run.diagnostics, &run.config.sources)?;
    if run.plan.is_none() {
        eprintln!("✗ no plan made.");
        return Ok(Err(exit::ERROR));
    }
    Ok(Ok(Locked { run, guard, backend, providers }))
}

/// Run a plan through the engine and report the outcome.
fn execute(
    ui: &Ui,
    rt: &tokio::runtime::Runtime,
    locked: &Locked,
    plan: &strata_plan::Plan,
    replanner: &dyn Replanner,
    args: &RunArgs,
) -> std::io::Result<u8> {
    let Locked { run, backend, .. } = locked;
    let providers = locked.providers.clone();
    let state = run.state.clone().unwrap_or_default();
    let cancel = Cancel::new();
    let progress = crate::progress::Lines::stdout();
    let options = ApplyOptions { parallelism: args.parallelism.max(1), layer_barrier: !args.no_layer_barrier, fail_fast: args.fail_fast };
    let outcome = rt.block_on(async {
        let _signals = cancel.listen_for_signals();
        strata_engine::apply::apply(ApplyContext {
            providers,
            plan,
            replanner,
            backend,
            state,
            options,
            progress: &progress,
            cancel: cancel.clone(),
        })
        .await
    });
    // The status line goes before the summary is printed.
    drop(progress);
    print_diags(ui, &outcome.diagnostics, &run.config.sources)?;
    let mut out = std::io::stdout().lock();
    writeln!(out)?;
    // After a failure or an interrupt, what did happen is listed too (a
    // clean run's progress lines already said it).
    if !outcome.failed.is_empty() || !outcome.not_run.is_empty() {
        if !outcome.succeeded.is_empty() {
            writeln!(out, "Succeeded:")?;
        }
        for o in &outcome.succeeded {
            writeln!(out, "  ✓ {} ({}) in {:.1}s", o.addr, o.op.as_str(), o.elapsed.as_secs_f64())?;
        }
    }
    if !outcome.failed.is_empty() {
        writeln!(out, "Failed:")?;
        for f in &outcome.failed {
            writeln!(out, "  ✗ {} ({}): {}", f.addr, f.op.as_str(), f.error)?;
        }
    }
    if !outcome.not_run.is_empty() {
        writeln!(out, "Not run:")?;
        for n in &outcome.not_run {
            writeln!(out, "  - {} ({}): {}", n.addr, n.op.as_str(), n.reason)?;
        }
    }
    let count = |k: OpKind| outcome.succeeded.iter().filter(|s| s.op == k).count();
    writeln!(
        out,
        "{}: {} created, {} updated, {} destroyed; {} failed, {} not run.",
        if outcome.interrupted {
            "Interrupted"
        } else if outcome.is_success() {
            "Apply complete"
        } else {
            "Apply failed"
        },
        count(OpKind::Create),
        count(OpKind::Update),
        count(OpKind::Delete) + count(OpKind::DeleteDeposed),
        outcome.failed.len(),
        outcome.not_run.len(),
    )?;
    Ok(if outcome.interrupted {
        130
    } else if outcome.is_success() && !outcome.diagnostics.has_errors() {
        exit::OK
    } else {
        exit::ERROR
    })
}

pub fn apply(ui: &Ui, args: &ApplyArgs) -> std::io::Result<u8> {
    let rt = runtime()?;
    let saved = args.target.is_file();
    let dir = if saved { Path::new(".").to_path_buf() } else { args.target.clone() };
    let (targets, replace) = match crate::parse_targets(ui, &args.scope.targets, &args.scope.replace)? {
        Some(x) => x,
        None => return Ok(exit::ERROR),
    };
    let vars = args.variables.sources();
    let req = PlanRequest { vars, targets, replace };
    // A saved plan is applied as it is: no refresh, only a freshness check.
    let refresh = args.scope.refresh && !saved;
    let mut locked = match locked_plan(ui, &dir, &req, &args.run.lock, &rt, Purpose { operation: "apply", refresh, destroy: false })? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let run = &mut locked.run;
    if saved {
        match strata_plan::Plan::load(&args.target)
            .and_then(|p| strata_plan::check_fresh(&p, run.state.as_ref(), &run.config_digest).map(|()| p))
        {
            Ok(mut p) => {
                // A plan made without a state carries a lineage of its own, but
                // the providers were configured (and tag what they make) with
                // the lineage this apply starts the state with: one lineage.
                if !p.state_found
                    && let Some(s) = &run.state
                {
                    p.lineage = s.lineage.clone();
                }
                run.plan = Some(p)
            }
            Err(d) => {
                print_diags(ui, &Diagnostics(vec![d]), &run.config.sources)?;
                return Ok(exit::ERROR);
            }
        }
    }
    let Some(plan) = &run.plan else { return Ok(exit::ERROR) };
    render_plan::print(plan, false, ui.stdout_color)?;
    let mut out = std::io::stdout().lock();
    match strata_engine::cost::cost(
        run,
        &strata_engine::cost::CostRequest { prices: args.pricing.prices.clone(), usage_file: args.pricing.usage_file.clone() },
        strata_provider::merged_schema(),
    ) {
        Ok(c) => {
            if !c.warnings.is_empty() {
                print_diags(ui, &c.warnings, &run.config.sources)?;
            }
            writeln!(out)?;
            out.write_all(render_cost::render_summary(&c.report).as_bytes())?;
            if !c.violations.is_empty() {
                drop(out);
                let d = Diagnostics(c.violations.iter().map(|v| v.to_diagnostic(c.budget_span.clone())).collect());
                print_diags(ui, &d, &run.config.sources)?;
                if c.violations.iter().any(|v| v.blocking) {
                    return Ok(exit::POLICY);
                }
                out = std::io::stdout().lock();
            }
        }
        Err(d) => print_diags(ui, &d, &run.config.sources)?,
    }
    drop(out);
    // Priced; from here on the plan run is only read.
    let locked = &locked;
    let Some(plan) = &locked.run.plan else { return Ok(exit::ERROR) };
    if !plan.has_changes() && locked.run.state.as_ref().is_none_or(|s| s.deposed.is_empty()) {
        return Ok(exit::OK);
    }
    if !approve(&args.run, "apply these changes")? {
        eprintln!("Apply cancelled.");
        return Ok(exit::ERROR);
    }
    let replanner = ConfigReplanner {
        config: &locked.run.config,
        inputs: &locked.run.inputs,
        schema: strata_provider::merged_schema(),
        data: Some(locked.providers.clone()),
    };
    execute(ui, &rt, locked, plan, &replanner, &args.run)
}

pub fn destroy(ui: &Ui, args: &DestroyArgs) -> std::io::Result<u8> {
    let rt = runtime()?;
    let (targets, _) = match crate::parse_targets(ui, &args.targets, &[])? {
        Some(x) => x,
        None => return Ok(exit::ERROR),
    };
    let req = PlanRequest { vars: crate::var_sources(&args.config), targets, replace: Vec::new() };
    let locked =
        match locked_plan(ui, &args.config.dir, &req, &args.run.lock, &rt, Purpose { operation: "destroy", refresh: true, destroy: true })?
        {
            Ok(x) => x,
            Err(code) => return Ok(code),
        };
    let Some(plan) = &locked.run.plan else { return Ok(exit::ERROR) };
    render_plan::print(plan, false, ui.stdout_color)?;
    if !plan.has_changes() {
        return Ok(exit::OK);
    }
    if !approve(&args.run, "destroy these objects")? {
        eprintln!("Destroy cancelled.");
        return Ok(exit::ERROR);
    }
    execute(ui, &rt, &locked, plan, &DestroyReplanner, &args.run)
}

pub fn refresh(ui: &Ui, args: &RefreshArgs) -> std::io::Result<u8> {
    let rt = runtime()?;
    let req = PlanRequest { vars: crate::var_sources(&args.config), ..Default::default() };
    let Locked { run, guard: _guard, backend, .. } =
        match locked_plan(ui, &args.config.dir, &req, &args.lock, &rt, Purpose { operation: "refresh", refresh: true, destroy: false })? {
            Ok(x) => x,
            Err(code) => return Ok(code),
        };
    let Some(mut state) = run.state else {
        println!("No state: nothing to refresh.");
        return Ok(exit::OK);
    };
    match backend.persist(&mut state) {
        Ok(changed) => {
            println!(
                "Refreshed {} objects{}.",
                state.resources.len(),
                if changed { "; the state was updated" } else { "; nothing changed" }
            );
            Ok(exit::OK)
        }
        Err(e) => {
            print_diags(ui, &Diagnostics(vec![e.into()]), &SourceMap::new())?;
            Ok(exit::ERROR)
        }
    }
}

pub fn import(ui: &Ui, args: &ImportArgs) -> std::io::Result<u8> {
    let addr: Address = match args.address.parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: invalid address {:?}: {e}", args.address);
            return Ok(exit::ERROR);
        }
    };
    let rt = runtime()?;
    let req = PlanRequest { vars: crate::var_sources(&args.config), ..Default::default() };
    let Locked { run, guard: _guard, backend, providers } =
        match locked_plan(ui, &args.config.dir, &req, &args.lock, &rt, Purpose { operation: "import", refresh: false, destroy: false })? {
            Ok(x) => x,
            Err(code) => return Ok(code),
        };
    let mut diags = Diagnostics::new();
    let mut state = run.state.clone().unwrap_or_default();
    let configured = run.evaluated.as_ref().and_then(|ev| ev.resources.iter().find(|r| r.addr == addr)).map(|r| r.provider.clone());
    if configured.is_none() {
        let mut d = Diagnostic::error("strata::import::not_configured", format!("`{addr}` is not in the configuration"))
            .with_help("write the resource block first, then import the object into it");
        if let Some(s) = run
            .evaluated
            .as_ref()
            .and_then(|ev| strata_core::did_you_mean(&addr.to_string(), ev.resources.iter().map(|r| r.addr.to_string())))
        {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        diags.push(d);
    } else if state.resource_at(&addr).is_some() {
        diags.push(
            Diagnostic::error("strata::import::exists", format!("`{addr}` is already in the state"))
                .with_help("an address holds one object; remove it from the configuration or pick another address"),
        );
    }
    if !diags.is_empty() {
        print_diags(ui, &diags, &run.config.sources)?;
        return Ok(exit::ERROR);
    }
    let layer = run.graph.as_ref().and_then(|g| g.find(&addr).map(|id| g.node(id).layer)).unwrap_or(strata_core::Layer::Infrastructure);
    let provider = configured.unwrap_or_else(|| strata_config::default_provider_address(&addr.ty));
    match rt.block_on(strata_engine::refresh::import(&providers, &provider, &addr, &args.id, layer)) {
        Ok(r) => {
            state.upsert_resource(r);
            if let Err(e) = backend.persist(&mut state) {
                print_diags(ui, &Diagnostics(vec![e.into()]), &SourceMap::new())?;
                return Ok(exit::ERROR);
            }
            println!("Imported {} as `{addr}`. Run `strata plan` to see how it differs from the configuration.", args.id);
            Ok(exit::OK)
        }
        Err(e) => {
            let d = Diagnostic::error("strata::import::failed", format!("cannot import {} as `{addr}`: {e}", args.id));
            print_diags(ui, &Diagnostics(vec![d]), &SourceMap::new())?;
            Ok(exit::ERROR)
        }
    }
}
