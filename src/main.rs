//! The `strata` binary: argument parsing, rendering and exit codes. All the
//! work happens in the library crates under `crates/`.

mod cli;
mod diagnostics;
mod graph_render;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use serde_json::json;
use strata_config::VarSources;
use strata_engine::Prepared;

use cli::{Cli, Command, ConfigArgs, GraphArgs, GraphFormat, ValidateArgs};

// glibc's allocator spends a third of a 10,000-resource validate freeing small
// values; mimalloc does not (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes shared by every command.
mod exit {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
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
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal();
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).with_ansi(ansi).try_init();
}

/// Output settings every command shares.
struct Ui {
    color: bool,
}

impl Ui {
    fn new(cli: &Cli) -> Ui {
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Ui { color: !cli.no_color && !no_color_env && std::io::stderr().is_terminal() }
    }
}

fn try_main(cli: Cli) -> std::io::Result<u8> {
    if let Some(dir) = &cli.chdir {
        std::env::set_current_dir(dir).map_err(|e| std::io::Error::new(e.kind(), format!("cannot switch to {}: {e}", dir.display())))?;
    }
    let ui = Ui::new(&cli);
    match cli.command {
        Command::Validate(args) => validate(&ui, &args),
        Command::Graph(args) => graph(&ui, &args),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "strata", &mut std::io::stdout());
            Ok(exit::OK)
        }
    }
}

fn prepare(args: &ConfigArgs) -> Prepared {
    let vars = VarSources { var_files: args.var_files.clone(), vars: args.vars.clone(), env: std::env::vars().collect() };
    strata_engine::prepare(&args.dir, &vars, strata_provider::aws::schema())
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
