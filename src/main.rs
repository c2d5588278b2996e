//! The `strata` binary: argument parsing, rendering and exit codes. All the
//! work happens in the library crates under `crates/`.

mod cli;
mod diagnostics;
mod drift;
mod graph_render;
mod progress;
mod render_cost;
mod render_plan;
mod render_value;
mod run;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use serde_json::json;
use strata_config::VarSources;
use strata_engine::Prepared;

use cli::{
    Cli, Command, ConfigArgs, CostArgs, CostFormat, ForceUnlockArgs, GraphArgs, GraphFormat, OutputArgs, PlanArgs, PricingArgs, ShowArgs,
    StateCommand, ValidateArgs,
};
use strata_core::{Diagnostic, Diagnostics, SourceMap};
use strata_state::State;

// glibc's allocator spends a third of a 10,000-resource validate freeing small
// values; mimalloc does not (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes shared by every command.
pub(crate) mod exit {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
    /// Changes present (`--detailed-exitcode`) or drift found.
    pub const CHANGES: u8 = 2;
    /// A policy or budget violation.
    pub const POLICY: u8 = 3;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    match try_main(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(exit::OK),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(exit::ERROR)
        }
    }
}

fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    // The AWS SDK's own logs (credential chain, retries) one level quieter.
    // Its runtime traces whole HTTP responses, and an API's error may echo a
    // sensitive value it was sent: that stays at debug even with -vvv.
    let default = match verbose {
        0 => "warn,aws=error",
        1 => "info,aws=warn",
        2 => "debug,aws=info,hyper=info,rustls=info",
        _ => "trace,aws_smithy_runtime=debug,aws_smithy_runtime_api=debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = colors(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).with_ansi(ansi).try_init();
}

/// Output settings every command shares.
pub(crate) struct Ui {
    /// Colours on standard error (diagnostics).
    pub(crate) color: bool,
    /// Colours on standard output (plans): decided for that stream alone, so
    /// a plan piped to a file is plain while diagnostics on a terminal are not.
    pub(crate) stdout_color: bool,
}

impl Ui {
    fn new(cli: &Cli) -> Ui {
        Ui { color: !cli.no_color && colors(&std::io::stderr()), stdout_color: !cli.no_color && colors(&std::io::stdout()) }
    }
}

/// Whether to colour `stream`, as anstream decides: NO_COLOR (set, not
/// empty) turns colours off, then CLICOLOR_FORCE (set, not `0`) forces them,
/// CLICOLOR=0 turns them off, and otherwise a terminal (not `TERM=dumb`)
/// gets them.
fn colors(stream: &impl anstream::stream::RawStream) -> bool {
    anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never
}

fn try_main(cli: Cli) -> std::io::Result<u8> {
    if let Some(dir) = &cli.chdir {
        std::env::set_current_dir(dir).map_err(|e| std::io::Error::new(e.kind(), format!("cannot switch to {}: {e}", dir.display())))?;
    }
    let ui = Ui::new(&cli);
    match cli.command {
        Command::Validate(args) => validate(&ui, &args),
        Command::Graph(args) => graph(&ui, &args),
        Command::Plan(args) => plan(&ui, &args),
        Command::Cost(args) => cost(&ui, &args),
        Command::Apply(args) => run::apply(&ui, &args),
        Command::Destroy(args) => run::destroy(&ui, &args),
        Command::Refresh(args) => run::refresh(&ui, &args),
        Command::Import(args) => run::import(&ui, &args),
        Command::Drift(args) => drift::run(&ui, &args),
        Command::Show(args) => show(&ui, &args),
        Command::State(StateCommand::List { filters, dir }) => state_list(&ui, &dir.dir, &filters),
        Command::State(StateCommand::Show { address, dir }) => state_show(&ui, &dir.dir, &address),
        Command::State(StateCommand::Path { dir }) => state_path(&ui, &dir.dir),
        Command::Output(args) => output(&ui, &args),
        Command::ForceUnlock(args) => force_unlock(&ui, &args),
        Command::Completions { shell } => {
            // Into a buffer first: clap_complete panics when a write fails
            // (`strata completions bash | head`); a closed pipe ends quietly.
            let mut cmd = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "strata", &mut script);
            std::io::stdout().lock().write_all(&script)?;
            Ok(exit::OK)
        }
    }
}

fn prepare(args: &ConfigArgs) -> Prepared {
    strata_engine::prepare(&args.dir, &var_sources(args), strata_provider::merged_schema())
}

fn print_diagnostics(ui: &Ui, p: &Prepared) -> std::io::Result<()> {
    if !p.diagnostics.is_empty() {
        let text = diagnostics::render(&p.diagnostics, &p.config.sources, ui.color);
        std::io::stderr().write_all(text.as_bytes())?;
    }
    Ok(())
}

fn validate(ui: &Ui, args: &ValidateArgs) -> std::io::Result<u8> {
    let p = prepare(&args.config);
    let d = &p.diagnostics;
    let resources = p.evaluated.as_ref().map_or(0, |e| e.resources.len());
    let data = p.evaluated.as_ref().map_or(0, |e| e.data.len());
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = json!({
            "valid": !d.has_errors(),
            "error_count": d.error_count(),
            "warning_count": d.warning_count(),
            "resources": resources,
            "data_sources": data,
            "modules": p.config.modules.len(),
            "diagnostics": diagnostics::to_json(d, &p.config.sources),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc).unwrap_or_default())?;
    } else {
        print_diagnostics(ui, &p)?;
        if d.has_errors() {
            writeln!(out, "✗ {} found.", counts(d.error_count(), d.warning_count()))?;
        } else {
            let waves = p.graph.as_ref().map_or(0, |g| g.apply_waves().len());
            let layers = p.graph.as_ref().map_or(0, |g| {
                let mut l: Vec<_> = g.apply_waves().iter().map(|w| w.layer).collect();
                l.dedup();
                l.len()
            });
            write!(
                out,
                "✓ The configuration is valid: {resources} resource instance{} and {data} data source{} in {} module{}, {layers} layer{}, {waves} apply wave{}",
                plural(resources),
                plural(data),
                p.config.modules.len(),
                plural(p.config.modules.len()),
                plural(layers),
                plural(waves),
            )?;
            if d.warning_count() > 0 {
                write!(out, " ({})", counts(0, d.warning_count()))?;
            }
            writeln!(out, ".")?;
        }
    }
    Ok(if d.has_errors() { exit::ERROR } else { exit::OK })
}

fn graph(ui: &Ui, args: &GraphArgs) -> std::io::Result<u8> {
    let p = prepare(&args.config);
    print_diagnostics(ui, &p)?;
    if p.diagnostics.has_errors() {
        eprintln!("✗ {} found; no graph drawn.", counts(p.diagnostics.error_count(), p.diagnostics.warning_count()));
        return Ok(exit::ERROR);
    }
    let Some(g) = &p.graph else { return Ok(exit::ERROR) };
    let format = if args.json { GraphFormat::Json } else { args.format };
    let text = match format {
        GraphFormat::Dot => graph_render::render_dot(g),
        GraphFormat::Mermaid => graph_render::render_mermaid(g),
        GraphFormat::Json => serde_json::to_string_pretty(&graph_render::render_json(g)).unwrap_or_default() + "\n",
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(exit::OK)
}

pub(crate) fn var_sources(args: &ConfigArgs) -> VarSources {
    args.variables.sources()
}

impl cli::VarArgs {
    /// The variable sources: these flags and the environment.
    pub(crate) fn sources(&self) -> VarSources {
        VarSources { var_files: self.var_files.clone(), vars: self.vars.clone(), env: std::env::vars().collect() }
    }
}

/// Parse `--target` and `--replace`; `None` after printing the errors.
pub(crate) fn parse_targets(
    ui: &Ui,
    targets: &[String],
    replace: &[String],
) -> std::io::Result<Option<(Vec<strata_plan::Target>, Vec<strata_core::Address>)>> {
    let mut diags = Diagnostics::new();
    let targets: Vec<strata_plan::Target> = targets
        .iter()
        .filter_map(|t| match t.parse() {
            Ok(t) => Some(t),
            Err(e) => {
                diags.push(Diagnostic::error(
                    "strata::cli::invalid_address",
                    format!("--target {t:?} is not a resource or module address: {e}"),
                ));
                None
            }
        })
        .collect();
    let replace = strata_engine::plan::parse_addresses(replace, "--replace").unwrap_or_else(|d| {
        diags.push(d);
        Vec::new()
    });
    if diags.has_errors() {
        print_plain(ui, diags, &SourceMap::new())?;
        return Ok(None);
    }
    Ok(Some((targets, replace)))
}

fn plan(ui: &Ui, args: &PlanArgs) -> std::io::Result<u8> {
    let Some((targets, replace)) = parse_targets(ui, &args.scope.targets, &args.scope.replace)? else { return Ok(exit::ERROR) };
    let req = strata_engine::plan::PlanRequest { vars: var_sources(&args.config), targets, replace };
    // The plan reads the cloud (refresh, data sources) but writes nothing:
    // no state lock, no intent recovery (apply does that under the lock).
    let rt = run::runtime()?;
    let live = strata_engine::plan::Live { providers: run::providers(), runtime: &rt, refresh: args.scope.refresh, optional: true };
    let mode = strata_engine::plan::RunMode { live: Some(&live), ..Default::default() };
    let mut run = strata_engine::plan::plan(&args.config.dir, &req, strata_provider::merged_schema(), mode);
    if !run.diagnostics.is_empty() {
        let text = diagnostics::render(&run.diagnostics, &run.config.sources, ui.color);
        std::io::stderr().write_all(text.as_bytes())?;
    }
    let Some(plan) = &run.plan else {
        eprintln!("✗ {} found; no plan made.", counts(run.diagnostics.error_count(), run.diagnostics.warning_count()));
        return Ok(exit::ERROR);
    };
    render_plan::print(plan, args.json, ui.stdout_color)?;
    // What pricing does not need goes before it (the state and the graph
    // of a large configuration are most of the memory).
    // A plan with --target prices the recorded objects outside its slice too.
    if run.plan.as_ref().is_some_and(|p| p.targets.is_empty()) {
        run.state = None;
    }
    run.graph = None;
    let mut out = std::io::stdout().lock();
    let priced = price(ui, &mut run, &args.pricing)?;
    let (Some(priced), Some(plan)) = (priced, &run.plan) else { return Ok(exit::ERROR) };
    if !args.json {
        writeln!(out)?;
        out.write_all(render_cost::render_summary(&priced.report).as_bytes())?;
    }
    if let Some(path) = &args.out {
        // A saved plan is applied exactly as it is: one planned without its
        // data sources would apply what their unknown values forced
        // (replacements, say), so it is not saved.
        if !plan.data_not_read.is_empty() {
            let d = Diagnostic::error(
                "strata::plan::data_not_read",
                format!("cannot save a plan whose data sources were not read ({})", plan.data_not_read.join(", ")),
            )
            .with_help("plan with credentials and without --refresh=false to save it; `strata apply DIR` plans afresh");
            print_plain(ui, [d], &SourceMap::new())?;
            return Ok(exit::ERROR);
        }
        let saved = match &run.key {
            Some(key) => plan.save(path, key),
            None => Err(Diagnostic::error("strata::plan::unwritable", "cannot save the plan: no random key for its hashes could be made")),
        };
        if let Err(d) = saved {
            print_plain(ui, [d], &SourceMap::new())?;
            return Ok(exit::ERROR);
        }
        if !args.json {
            writeln!(out, "\nSaved the plan to {}; apply exactly these changes with `strata apply {}`.", path.display(), path.display())?;
        }
    }
    if report_violations(ui, &priced, &run.config.sources)? {
        return Ok(exit::POLICY);
    }
    Ok(if args.detailed_exitcode && plan.has_changes() { exit::CHANGES } else { exit::OK })
}

/// Price a plan run; `None` after printing the errors that stopped it.
fn price(ui: &Ui, run: &mut strata_engine::plan::PlanRun, pricing: &PricingArgs) -> std::io::Result<Option<strata_engine::cost::CostRun>> {
    let req = strata_engine::cost::CostRequest { prices: pricing.prices.clone(), usage_file: pricing.usage_file.clone() };
    match strata_engine::cost::cost(run, &req, strata_provider::merged_schema()) {
        Ok(c) => {
            if !c.warnings.is_empty() {
                std::io::stderr().write_all(diagnostics::render(&c.warnings, &run.config.sources, ui.color).as_bytes())?;
            }
            Ok(Some(c))
        }
        Err(d) => {
            std::io::stderr().write_all(diagnostics::render(&d, &run.config.sources, ui.color).as_bytes())?;
            Ok(None)
        }
    }
}

/// Print budget violations (and an incomplete check's warning); true when
/// any fails the check (exit 3).
fn report_violations(ui: &Ui, priced: &strata_engine::cost::CostRun, sources: &SourceMap) -> std::io::Result<bool> {
    if priced.violations.is_empty() {
        return Ok(false);
    }
    let d = Diagnostics(priced.violations.iter().map(|v| v.to_diagnostic(priced.budget_span.clone())).collect());
    std::io::stderr().write_all(diagnostics::render(&d, sources, ui.color).as_bytes())?;
    Ok(priced.violations.iter().any(|v| v.blocking))
}

fn cost(ui: &Ui, args: &CostArgs) -> std::io::Result<u8> {
    let project = match &args.project {
        Some(name) => name.clone(),
        None => project_name(&args.config.dir),
    };
    if let (Some(_), Err(d)) = (&args.project, check_project_name(&project)) {
        print_plain(ui, [d], &SourceMap::new())?;
        return Ok(exit::ERROR);
    }
    let req = strata_engine::plan::PlanRequest { vars: var_sources(&args.config), ..Default::default() };
    // Unsupported types are listed as not priced, not refused.
    let mode = strata_engine::plan::RunMode { allow_unsupported: true, ..Default::default() };
    let mut run = strata_engine::plan::plan(&args.config.dir, &req, strata_provider::merged_schema(), mode);
    if !run.diagnostics.is_empty() {
        std::io::stderr().write_all(diagnostics::render(&run.diagnostics, &run.config.sources, ui.color).as_bytes())?;
    }
    if run.plan.is_none() {
        return Ok(exit::ERROR);
    }
    (run.state, run.graph) = (None, None);
    let mut pricing = PricingArgs { prices: args.pricing.prices.clone(), usage_file: args.pricing.usage_file.clone() };
    if let Some(path) = args.sync_usage_file.as_ref().filter(|p| p.exists()) {
        pricing.usage_file = Some(path.clone());
    }
    let Some(mut priced) = price(ui, &mut run, &pricing)? else { return Ok(exit::ERROR) };
    priced.report.project = Some(project);
    if let Some(path) = &args.sync_usage_file {
        let resources: Vec<(String, String)> =
            priced.report.resources.iter().filter(|l| l.after.is_some()).map(|l| (l.address.clone(), l.ty.clone())).collect();
        let existing = match pricing.usage_file.as_ref().map(std::fs::read_to_string) {
            Some(Ok(text)) => strata_cost::Usage::from_yaml(&text, strata_core::FileId(0)).unwrap_or_default(),
            _ => strata_cost::Usage::default(),
        };
        let template = strata_cost::usage_template(&resources, &existing);
        if let Err(e) = std::fs::write(path, template) {
            let d = Diagnostic::error("strata::cost::bad_usage_file", format!("cannot write usage file {}: {e}", path.display()));
            print_plain(ui, [d], &SourceMap::new())?;
            return Ok(exit::ERROR);
        }
        let listed = resources.iter().filter(|(_, ty)| !strata_cost::usage_keys(ty).is_empty()).count();
        eprintln!("Wrote {} to {}.", plural_of(listed, "usage-priced resource"), path.display());
    }
    if let Some(path) = &args.compare_to {
        let baseline = std::fs::read_to_string(path)
            .map_err(|e| Diagnostic::error("strata::cost::bad_baseline", format!("cannot read {}: {e}", path.display())))
            .and_then(|text| strata_cost::CostReport::from_json(&text, &path.display().to_string()));
        match baseline {
            Ok(base) => {
                let mismatches = priced.report.baseline_mismatches(&base);
                if !mismatches.is_empty() {
                    let d = Diagnostic::warning(
                        "strata::cost::baseline_mismatch",
                        format!("{} may not be comparable: {}", path.display(), mismatches.join("; ")),
                    )
                    .with_help(
                        "write the baseline from the same project and region, e.g. the base branch's `strata cost DIR --format json`",
                    );
                    print_plain(ui, [d], &run.config.sources)?;
                }
                priced.report = priced.report.compare_to(&base);
                // The budget's figures are the comparison's.
                priced.violations = strata_cost::check_budget(&priced.report, &priced.budget);
                if !priced.budget.is_empty() {
                    priced.report.budget = Some(strata_cost::BudgetStatus::new(&priced.budget, &priced.violations));
                }
            }
            Err(d) => {
                print_plain(ui, [d], &run.config.sources)?;
                return Ok(exit::ERROR);
            }
        }
    }
    let text = match args.format {
        CostFormat::Table => {
            let width = std::io::IsTerminal::is_terminal(&std::io::stdout())
                .then(|| terminal_size::terminal_size().map(|(w, _)| w.0).filter(|w| *w >= 40).unwrap_or(80));
            render_cost::render_table(&priced.report, width)
        }
        CostFormat::Markdown => render_cost::render_markdown(&priced.report),
        CostFormat::Json => priced.report.to_json() + "\n",
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(if report_violations(ui, &priced, &run.config.sources)? { exit::POLICY } else { exit::OK })
}

/// The configuration directory's name (of its absolute path: `.` names the
/// current directory), or `default` when it has none (`/`). A name given
/// with `--project` is checked instead ([`check_project_name`]).
fn project_name(dir: &std::path::Path) -> String {
    let absolute = std::fs::canonicalize(dir).or_else(|_| std::path::absolute(dir)).unwrap_or_else(|_| dir.to_path_buf());
    let name = absolute.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // What would end the marker's HTML comment, or break its line, is replaced.
    let mut name: String = name.chars().map(|c| if c.is_control() || c == '<' || c == '>' { '_' } else { c }).collect();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    if name.trim().is_empty() { "default".into() } else { name }
}

/// A project name goes into an HTML comment and a heading: no `--`, no
/// `>`, no line break, not empty, at most 100 characters.
fn check_project_name(name: &str) -> Result<(), Diagnostic> {
    let bad =
        name.trim().is_empty() || name.len() > 100 || name.contains("--") || name.chars().any(|c| c == '>' || c == '<' || c.is_control());
    if bad {
        return Err(Diagnostic::error("strata::cli::invalid_project", format!("{name:?} is not a usable project name"))
            .with_help("a project name is 1 to 100 characters without `--`, `<`, `>` or line breaks; set one with --project"));
    }
    Ok(())
}

fn plural_of(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn counts(errors: usize, warnings: usize) -> String {
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(format!("{errors} error{}", plural(errors)));
    }
    if warnings > 0 {
        parts.push(format!("{warnings} warning{}", plural(warnings)));
    }
    parts.join(", ")
}

/// Print diagnostics that have no configuration source (state, plan files).
fn print_plain(ui: &Ui, diags: impl IntoIterator<Item = Diagnostic>, sources: &SourceMap) -> std::io::Result<()> {
    let d = Diagnostics(diags.into_iter().collect());
    std::io::stderr().write_all(diagnostics::render(&d, sources, ui.color).as_bytes())
}

/// The state of the configuration in `dir`, or the diagnostics that prevent reading it.
fn read_state(ui: &Ui, dir: &std::path::Path) -> std::io::Result<Result<Option<State>, u8>> {
    let (config, backend) = strata_engine::state::backend_for_dir(dir);
    let result = backend.and_then(|b| strata_engine::state::read(&b));
    match result {
        Ok(s) => Ok(Ok(s)),
        Err(d) => {
            print_plain(ui, [d], &config.sources)?;
            Ok(Err(exit::ERROR))
        }
    }
}

fn show(ui: &Ui, args: &ShowArgs) -> std::io::Result<u8> {
    if let Some(path) = &args.plan {
        return match strata_plan::Plan::load(path) {
            Ok(plan) => {
                render_plan::print(&plan, args.json, ui.stdout_color)?;
                Ok(exit::OK)
            }
            Err(d) => {
                print_plain(ui, [d], &SourceMap::new())?;
                Ok(exit::ERROR)
            }
        };
    }
    let state = match read_state(ui, &args.dir.dir)? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&state_json(state.as_ref())).unwrap_or_default())?;
        return Ok(exit::OK);
    }
    let Some(state) = state else {
        writeln!(out, "No state. Nothing has been applied from this configuration yet.")?;
        return Ok(exit::OK);
    };
    for r in &state.resources {
        write_resource(&mut out, r)?;
    }
    write_outputs(&mut out, &state, None, false)?;
    Ok(exit::OK)
}

/// The version of `strata show --json` of a state (schema in docs/state-json.md).
const STATE_VIEW_FORMAT_VERSION: u32 = 1;

/// `strata show --json` of a state: what is recorded, sensitive values
/// replaced. Without a state, `found` is false and the lists are empty (a
/// script reads one shape either way).
fn state_json(state: Option<&State>) -> serde_json::Value {
    let outputs: serde_json::Map<String, serde_json::Value> = state
        .iter()
        .flat_map(|s| &s.outputs)
        .map(|(n, o)| {
            let value = if o.sensitive { json!("(sensitive value)") } else { o.value.clone() };
            (n.clone(), json!({"value": value, "sensitive": o.sensitive}))
        })
        .collect();
    json!({
        "format_version": STATE_VIEW_FORMAT_VERSION,
        "strata_version": env!("CARGO_PKG_VERSION"),
        "found": state.is_some(),
        "lineage": state.map(|s| &s.lineage),
        "serial": state.map(|s| s.serial),
        "resources": state.iter().flat_map(|s| &s.resources).map(resource_json).collect::<Vec<_>>(),
        "outputs": outputs,
    })
}

/// The version of `strata output --json --wrapped` (docs/output-json.md).
const OUTPUT_FORMAT_VERSION: u32 = 1;

/// A recorded resource for machines: sensitive values replaced.
fn resource_json(r: &strata_state::ResourceState) -> serde_json::Value {
    json!({
        "address": r.address, "type": r.ty, "layer": r.layer, "id": r.id,
        "attributes": redacted_json(&r.values()),
        "dependencies": r.dependencies,
    })
}

fn redacted_json(v: &strata_core::Value) -> serde_json::Value {
    use strata_core::Value;
    match v {
        Value::Sensitive(_) => serde_json::Value::String("(sensitive value)".into()),
        Value::List(items) | Value::Set(items) => serde_json::Value::Array(items.iter().map(redacted_json).collect()),
        Value::Map(m) => serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), redacted_json(v))).collect()),
        v => v.to_json(),
    }
}

fn write_resource(out: &mut impl Write, r: &strata_state::ResourceState) -> std::io::Result<()> {
    let layer = r.layer().map_or_else(|| r.layer.to_string(), |l| l.to_string());
    writeln!(out, "# {} (layer {layer}, id {})", r.address, r.id)?;
    let name = r.addr().map(|a| format!("{:?} {:?}", a.ty, a.name)).unwrap_or_else(|_| format!("{:?}", r.ty));
    writeln!(out, "resource {name} {}\n", render_value::render(&r.values(), 0))
}

fn write_outputs(out: &mut impl Write, state: &State, only: Option<&str>, raw: bool) -> std::io::Result<()> {
    for (name, o) in &state.outputs {
        if only.is_some_and(|n| n != name) {
            continue;
        }
        let v = strata_core::Value::from_json(&o.value).mark_if(o.sensitive);
        if raw && let Some(s) = v.as_str().filter(|_| !o.sensitive) {
            writeln!(out, "{s}")?;
        } else if only.is_some() {
            writeln!(out, "{}", render_value::render(&v, 0))?;
        } else {
            writeln!(out, "{name} = {}", render_value::render(&v, 0))?;
        }
    }
    Ok(())
}

fn state_list(ui: &Ui, dir: &std::path::Path, filters: &[String]) -> std::io::Result<u8> {
    let state = match read_state(ui, dir)? {
        Ok(s) => s.unwrap_or_default(),
        Err(code) => return Ok(code),
    };
    let mut out = std::io::stdout().lock();
    for r in &state.resources {
        if filters.is_empty()
            || filters.iter().any(|f| r.address == *f || r.address.starts_with(&format!("{f}.")) || r.address.starts_with(&format!("{f}[")))
        {
            writeln!(out, "{}", r.address)?;
        }
    }
    Ok(exit::OK)
}

fn state_show(ui: &Ui, dir: &std::path::Path, address: &str) -> std::io::Result<u8> {
    if let Err(e) = address.parse::<strata_core::Address>() {
        eprintln!("error: invalid address {address:?}: {e}");
        return Ok(exit::ERROR);
    }
    let state = match read_state(ui, dir)? {
        Ok(s) => s.unwrap_or_default(),
        Err(code) => return Ok(code),
    };
    match state.resource(address) {
        Some(r) => {
            write_resource(&mut std::io::stdout().lock(), r)?;
            Ok(exit::OK)
        }
        None => {
            let mut d = Diagnostic::error("strata::state::no_such_resource", format!("no resource instance `{address}` in the state"));
            if let Some(s) = strata_core::did_you_mean(address, state.resources.iter().map(|r| r.address.as_str())) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            print_plain(ui, [d], &SourceMap::new())?;
            Ok(exit::ERROR)
        }
    }
}

fn output(ui: &Ui, args: &OutputArgs) -> std::io::Result<u8> {
    let state = match read_state(ui, &args.dir.dir)? {
        Ok(s) => s.unwrap_or_default(),
        Err(code) => return Ok(code),
    };
    if let Some(name) = &args.name
        && !state.outputs.contains_key(name)
    {
        let mut d = Diagnostic::error("strata::state::no_such_output", format!("no output `{name}` in the state"));
        if let Some(s) = strata_core::did_you_mean(name, state.outputs.keys()) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        print_plain(ui, [d], &SourceMap::new())?;
        return Ok(exit::ERROR);
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc: serde_json::Map<String, serde_json::Value> = state
            .outputs
            .iter()
            .filter(|(n, _)| args.name.as_ref().is_none_or(|x| x == *n))
            .map(|(n, o)| (n.clone(), json!({"value": o.value, "sensitive": o.sensitive})))
            .collect();
        // Without --wrapped, Terraform's `output -json` shapes (docs/output-json.md
        // says why there is no format_version in them).
        let doc = match (&args.name, args.wrapped) {
            (_, true) => json!({
                "format_version": OUTPUT_FORMAT_VERSION,
                "strata_version": env!("CARGO_PKG_VERSION"),
                "outputs": doc,
            }),
            (Some(n), false) => doc.get(n).map(|o| o["value"].clone()).unwrap_or_default(),
            (None, false) => serde_json::Value::Object(doc),
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&doc).unwrap_or_default())?;
        return Ok(exit::OK);
    }
    write_outputs(&mut out, &state, args.name.as_deref(), args.raw)?;
    Ok(exit::OK)
}

fn state_path(ui: &Ui, dir: &std::path::Path) -> std::io::Result<u8> {
    let (config, backend) = strata_engine::state::backend_for_dir(dir);
    match backend {
        Ok(b) => {
            writeln!(std::io::stdout().lock(), "{}", b.path().display())?;
            Ok(exit::OK)
        }
        Err(d) => {
            print_plain(ui, [d], &config.sources)?;
            Ok(exit::ERROR)
        }
    }
}

fn force_unlock(ui: &Ui, args: &ForceUnlockArgs) -> std::io::Result<u8> {
    let (config, backend) = strata_engine::state::backend_for_dir(&args.dir.dir);
    let result = backend.and_then(|b| b.force_unlock(&args.id).map_err(Diagnostic::from));
    match result {
        Ok(info) => {
            println!(
                "Lock {} removed (was held by pid {}, {}@{}, {} since {}).",
                info.id, info.pid, info.user, info.host, info.operation, info.since
            );
            Ok(exit::OK)
        }
        Err(d) => {
            print_plain(ui, [d], &config.sources)?;
            Ok(exit::ERROR)
        }
    }
}
