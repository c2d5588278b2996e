//! `strata drift [DIR]`: compare the cloud with the state and render what
//! differs as text (by layer), JSON (docs/drift-json.md), Markdown (an issue
//! or pull-request body) or Prometheus textfile-collector metrics.
//!
//! The state is locked for the whole check (an apply in progress would make
//! its new objects look unmanaged) and written only with `--refresh-state`.
//! Exit 0: no drift; 2: drift; 1: an error, including a type whose objects
//! could not be read or listed (the report is then printed, but incomplete).
//!
//! Metrics (`--format prometheus`), all gauges, every series labelled
//! `config="DIR"` (the configuration directory's name, so that checks of two
//! configurations on one host do not collide):
//!
//! - `strata_drift_resources{config="web",kind="changed|deleted|unmanaged",type="aws_vpc"} N`
//!   for every kind and every listed or recorded type (0 included, so that
//!   series do not vanish when drift is resolved);
//! - `strata_drift_ok` 1 when the check found no drift and no error (exit 0);
//! - `strata_drift_errors` the types that could not be read or listed (1
//!   when the check could not run at all: then no per-type series);
//! - `strata_drift_ignored` the unmanaged objects `.strataignore` left out;
//! - `strata_drift_defaults` the objects the cloud made itself that were left out
//!   (without `--include-defaults`);
//! - `strata_drift_last_run_timestamp_seconds` when the check ran.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;
use strata_core::{Diagnostic, Diagnostics, Layer, SourceMap, Value};
use strata_engine::drift::{
    ChangedObject, DriftError, DriftKind, DriftOperation, DriftReport, IGNORE_FILE, IgnoreRules, ManagedObject, UnmanagedObject,
};
use strata_engine::plan::Live;

use crate::cli::{DriftArgs, DriftFormat};
use crate::run::{lock_timeout, print_diags, providers, runtime};
use crate::{Ui, exit, render_value};

/// A GitHub issue or comment body holds at most 65,536 characters.
const MARKDOWN_LIMIT: usize = 60_000;

/// What the check found, and what became of the state.
struct Checked {
    report: DriftReport,
    /// The serial written by `--refresh-state`, when it wrote.
    written: Option<u64>,
    /// The state file compared, as the user named the directory.
    state_path: String,
}

pub fn run(ui: &Ui, args: &DriftArgs) -> std::io::Result<u8> {
    let at = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let checked = match check(ui, args)? {
        Ok(c) => c,
        Err(code) => {
            if args.format == DriftFormat::Prometheus {
                std::io::stdout().lock().write_all(render_failed_metrics(&config_label(&args.config.dir), at).as_bytes())?;
            }
            return Ok(code);
        }
    };
    let report = &checked.report;
    let text = match args.format {
        DriftFormat::Text => render_text(report, &args.config.dir.display().to_string(), &checked.state_path, checked.written),
        DriftFormat::Json => {
            serde_json::to_string_pretty(&render_json(report, args.refresh_state, checked.written)).unwrap_or_default() + "\n"
        }
        DriftFormat::Markdown => render_markdown(report, &args.config.dir.display().to_string(), &checked.state_path),
        DriftFormat::Prometheus => render_metrics(report, &config_label(&args.config.dir), at),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    if !report.errors.is_empty() {
        print_diags(ui, &error_diagnostics(report), &SourceMap::new())?;
        return Ok(exit::ERROR);
    }
    Ok(if report.has_drift() { exit::CHANGES } else { exit::OK })
}

/// One diagnostic per distinct cloud error, naming every type it hit (an
/// unreachable endpoint fails every type the same way).
fn error_diagnostics(r: &DriftReport) -> Diagnostics {
    let mut by_error: Vec<(String, Vec<&DriftError>)> = Vec::new();
    for e in &r.errors {
        let message = e.error.to_string();
        match by_error.iter_mut().find(|(m, _)| *m == message) {
            Some((_, errors)) => errors.push(e),
            None => by_error.push((message, vec![e])),
        }
    }
    let what = |errors: &[&DriftError], op: DriftOperation| {
        let types: Vec<&str> = errors.iter().filter(|e| e.operation == op).map(|e| e.ty.as_str()).collect();
        let whose = if op == DriftOperation::Read { "recorded " } else { "" };
        (!types.is_empty()).then(|| format!("{} the {whose}{} objects", op.as_str(), types.join(", ")))
    };
    Diagnostics(
        by_error
            .into_iter()
            .map(|(message, errors)| {
                let parts: Vec<String> =
                    [DriftOperation::Read, DriftOperation::List].into_iter().filter_map(|op| what(&errors, op)).collect();
                Diagnostic::error("strata::drift::incomplete", format!("cannot {}: {message}", parts.join(" or ")))
                    .with_help("the report leaves these types out; fix the cause and run the check again")
            })
            .collect(),
    )
}

/// Lock, read the state and the ignore file, configure the provider, check,
/// and write the refreshed state if asked. `Err` carries the exit code after
/// the diagnostics are printed.
fn check(ui: &Ui, args: &DriftArgs) -> std::io::Result<Result<Checked, u8>> {
    let schema = strata_provider::merged_schema();
    let (mut config, mut diags) = strata_config::load(&args.config.dir);
    let locked = lock_timeout(&args.lock).and_then(|t| {
        let backend = strata_engine::state::backend(&config)?;
        let guard = strata_engine::state::lock(&backend, "drift", t)?;
        let state = strata_engine::state::read(&backend)?;
        Ok((backend, guard, state))
    });
    let (mut ignore, d) = IgnoreRules::load(&args.config.dir, &mut config.sources, schema);
    ignore.include_defaults = args.include_defaults;
    diags.extend(d);
    let (inputs, d) = strata_config::collect_inputs(&mut config, &crate::var_sources(&args.config));
    diags.extend(d);
    // `lifecycle { ignore_changes }`: what the configuration does not manage
    // is not drift either (errors of the evaluation are the configure step's).
    if !diags.has_errors() {
        let (ev, _) = strata_config::evaluate(&config, &inputs, schema, &strata_config::NoPriorState);
        ignore.ignore_changes =
            ev.resources.into_iter().filter(|r| !r.ignore_changes.is_empty()).map(|r| (r.addr.to_string(), r.ignore_changes)).collect();
    }
    let (backend, _guard, state) = match locked {
        Ok(x) if !diags.has_errors() => x,
        Ok(_) => return fail(ui, diags, &config.sources),
        Err(d) => {
            diags.push(d);
            return fail(ui, diags, &config.sources);
        }
    };
    if state.is_none() && !args.without_state {
        diags.push(no_state(&config.root_dir, backend.path()));
        return fail(ui, diags, &config.sources);
    }
    let rt = runtime()?;
    let live = Live { providers: providers(), runtime: &rt, refresh: true, optional: false };
    let lineage = state.as_ref().map(|s| s.lineage.clone()).unwrap_or_default();
    let configured = strata_engine::plan::configure(&live, &config, &inputs, state.as_ref(), &lineage, schema);
    let configured_ok = !configured.has_errors();
    diags.extend(configured);
    if let Some(s) = &state
        && configured_ok
    {
        strata_engine::plan::check_recorded_providers(&live, s, &mut diags);
    }
    if diags.has_errors() {
        return fail(ui, diags, &config.sources);
    }
    print_diags(ui, &diags, &config.sources)?;
    let others = match other_states(&args.states, backend.path(), state.as_ref()) {
        Ok(o) => o,
        Err(d) => return fail(ui, d, &config.sources),
    };
    let others: Vec<strata_state::State> = others.into_iter().map(|(_, s)| s).collect();
    let mut outcome = rt.block_on(strata_engine::drift::drift_with(&live.providers, state.as_ref(), &others, &ignore));
    let mut written = None;
    if args.refresh_state && state.is_some() {
        match backend.persist(&mut outcome.state) {
            Ok(true) => written = Some(outcome.state.serial),
            Ok(false) => {}
            Err(e) => return fail(ui, Diagnostics(vec![e.into()]), &config.sources),
        }
    }
    let state_path = match backend.path().strip_prefix(&config.root_dir) {
        Ok(rel) => args.config.dir.join(rel).display().to_string(),
        Err(_) => backend.path().display().to_string(),
    };
    Ok(Ok(Checked { report: outcome.report, written, state_path }))
}

/// The states named by `--state` (globs expanded, in path order), without
/// the configuration's own state (by path or lineage) and duplicates. A name
/// or glob that finds no file, and a file that is not a readable state, are
/// errors: a check that silently left a state out would report its objects
/// as unmanaged.
fn other_states(
    names: &[String],
    own: &std::path::Path,
    own_state: Option<&strata_state::State>,
) -> Result<Vec<(std::path::PathBuf, strata_state::State)>, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut paths: Vec<std::path::PathBuf> = Vec::new();
    for name in names {
        let found: Vec<std::path::PathBuf> = if name.contains(['*', '?', '[']) {
            match glob::glob(name) {
                Ok(matches) => matches.filter_map(Result::ok).filter(|p| p.is_file()).collect(),
                Err(e) => {
                    diags.push(
                        Diagnostic::error("strata::drift::bad_state_glob", format!("`--state {name}` is not a valid glob: {e}"))
                            .with_help("`*` matches within a directory, `**` across directories, `?` one character"),
                    );
                    continue;
                }
            }
        } else {
            vec![std::path::PathBuf::from(name)]
        };
        if found.is_empty() {
            diags.push(
                Diagnostic::error("strata::drift::no_state", format!("`--state {name}` matches no file"))
                    .with_help("quote the glob so that strata expands it, and check the path from the current directory"),
            );
        }
        paths.extend(found);
    }
    let canonical = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let own = canonical(own);
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for path in paths {
        if canonical(&path) == own || !seen.insert(canonical(&path)) {
            continue;
        }
        match strata_state::LocalBackend::new(path.clone()).read() {
            Ok(Some(s)) => {
                let same = own_state.is_some_and(|o| o.lineage == s.lineage);
                if !same && !out.iter().any(|(_, o): &(std::path::PathBuf, strata_state::State)| o.lineage == s.lineage) {
                    out.push((path, s));
                }
            }
            Ok(None) => diags.push(
                Diagnostic::error("strata::drift::no_state", format!("no state at {} (`--state`)", path.display()))
                    .with_help("name a state file written by `strata apply`"),
            ),
            Err(e) => diags.push(Diagnostic::from(e)),
        }
    }
    if diags.has_errors() { Err(diags) } else { Ok(out) }
}

/// A scheduled check without a state would report every object in the
/// account as unmanaged: say where the state was looked for instead.
fn no_state(dir: &std::path::Path, path: &std::path::Path) -> strata_core::Diagnostic {
    let default = dir.join(strata_state::DEFAULT_STATE_PATH);
    let help = if path != default && default.is_file() {
        format!(
            "{} exists beside the configuration, but its backend names {}: point `strata {{ backend \"local\" {{ path = \"...\" }} }}` at the state to check",
            default.display(),
            path.display()
        )
    } else {
        "apply the configuration first, or check the backend's path; `--without-state` lists every object found as unmanaged".to_string()
    };
    strata_core::Diagnostic::error(
        "strata::drift::no_state",
        format!("no state at {}: nothing is recorded, so every object would be reported as unmanaged", path.display()),
    )
    .with_help(help)
}

fn fail<T>(ui: &Ui, diags: Diagnostics, sources: &SourceMap) -> std::io::Result<Result<T, u8>> {
    print_diags(ui, &diags, sources)?;
    Ok(Err(exit::ERROR))
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `1 changed, 1 deleted, 2 unmanaged`.
fn summary(r: &DriftReport) -> String {
    let taken = if r.taken.is_empty() { String::new() } else { format!(", {} taken by another owner", r.taken.len()) };
    format!("{} changed, {} deleted, {} unmanaged{taken}", r.changed.len(), r.deleted.len(), r.unmanaged.len())
}

/// An attribute's value on one line where it fits.
fn value_text(v: &Value, sensitive: bool, indent: usize) -> String {
    if sensitive { "(sensitive value)".into() } else { render_value::render(v, indent) }
}

/// `Name: web, strata:address: aws_vpc.main`: the tags worth showing for
/// an unmanaged object.
fn tag_note(u: &UnmanagedObject) -> String {
    let mut parts = Vec::new();
    if let Some(n) = u.name() {
        parts.push(format!("Name: {n}"));
    }
    if let Some(a) = u.tags.get("strata:address") {
        parts.push(format!("strata:address: {a}"));
    }
    if parts.is_empty() { String::new() } else { format!(" ({})", parts.join(", ")) }
}

/// The drifted objects of one layer, in report order.
struct LayerGroup<'a> {
    changed: Vec<&'a ChangedObject>,
    deleted: Vec<&'a ManagedObject>,
    unmanaged: Vec<&'a UnmanagedObject>,
}

fn by_layer(r: &DriftReport) -> Vec<(Layer, LayerGroup<'_>)> {
    Layer::ALL
        .iter()
        .map(|&l| {
            let g = LayerGroup {
                changed: r.changed.iter().filter(|c| c.object.layer == l).collect(),
                deleted: r.deleted.iter().filter(|d| d.layer == l).collect(),
                unmanaged: r.unmanaged.iter().filter(|u| u.layer == l).collect(),
            };
            (l, g)
        })
        .filter(|(_, g)| !g.changed.is_empty() || !g.deleted.is_empty() || !g.unmanaged.is_empty())
        .collect()
}

fn render_text(r: &DriftReport, dir: &str, state_path: &str, written: Option<u64>) -> String {
    let mut out = String::new();
    let _ = write_text(r, dir, state_path, written, &mut out);
    out
}

fn write_text(r: &DriftReport, dir: &str, state_path: &str, written: Option<u64>, out: &mut String) -> std::fmt::Result {
    match &r.lineage {
        Some(_) => {
            writeln!(out, "Compared {} recorded in {state_path} (serial {}) with the cloud.", plural(r.managed, "object"), r.serial)?
        }
        None => writeln!(out, "No state at {state_path}: nothing is managed yet, every object found is unmanaged.")?,
    }
    for (lineage, n) in &r.other_states {
        writeln!(out, "Also managed: {} recorded in the state of lineage {lineage} (--state).", plural(*n, "object"))?;
    }
    for (layer, g) in by_layer(r) {
        writeln!(out, "\nLayer {layer}")?;
        for c in &g.changed {
            writeln!(out, "  ~ {} ({}) changed outside strata:", c.object.addr, c.object.id)?;
            for a in &c.attributes {
                match &a.elements {
                    Some(e) => {
                        for (sym, v) in e.removed.iter().map(|v| ("-", v)).chain(e.added.iter().map(|v| ("+", v))) {
                            writeln!(out, "      {}: {sym} {}", a.path, render_value::one_line(v))?;
                        }
                    }
                    None => writeln!(
                        out,
                        "      {}: {} → {}",
                        a.path,
                        value_text(&a.before, a.sensitive, 3),
                        value_text(&a.after, a.sensitive, 3)
                    )?,
                }
            }
        }
        for d in &g.deleted {
            writeln!(out, "  - {} ({}) deleted outside strata", d.addr, d.id)?;
        }
        for u in &g.unmanaged {
            let lineage = if u.lineage().is_some() { "; tagged with this state's lineage: left by an interrupted apply?" } else { "" };
            writeln!(out, "  + {} {} not managed by strata{}{lineage}", u.ty, u.id, tag_note(u))?;
        }
    }
    if !r.taken.is_empty() {
        writeln!(out, "\nRecorded objects whose name another object has taken (strata will not adopt, change or delete them):")?;
        for t in &r.taken {
            match &t.lineage {
                Some(l) => writeln!(out, "  ! {} ({}) now belongs to another strata state (lineage {l})", t.addr, t.id)?,
                None => writeln!(out, "  ! {} ({}) is now an object without a strata:lineage tag (made outside strata)", t.addr, t.id)?,
            }
        }
    }
    if !r.managed_elsewhere.is_empty() {
        writeln!(out, "\nManaged by another strata state (not drift of this one):")?;
        for u in &r.managed_elsewhere {
            writeln!(out, "  {} {} (lineage {})", u.ty, u.id, u.lineage().unwrap_or_default())?;
        }
    }
    writeln!(out)?;
    let mut ignored =
        if r.ignored > 0 { format!("; {} left out by {IGNORE_FILE}", plural(r.ignored, "unmanaged object")) } else { String::new() };
    if r.defaults > 0 {
        ignored.push_str(&format!(
            "; {} the cloud made itself left out (--include-defaults lists them)",
            plural(r.defaults, "default object")
        ));
    }
    let incomplete = incomplete_note(r);
    if r.has_drift() {
        writeln!(out, "Drift: {}{ignored}.{incomplete}", summary(r))?;
    } else if r.errors.is_empty() {
        writeln!(out, "No drift: the cloud matches the state{ignored}.")?;
    } else {
        writeln!(out, "No drift found in what could be checked{ignored}.{incomplete}")?;
    }
    if let Some(serial) = written {
        writeln!(out, "The state was updated with what the cloud reports (serial {serial}).")?;
    } else if !r.changed.is_empty() || !r.deleted.is_empty() {
        writeln!(
            out,
            "To accept what changed into {state_path}: `strata drift --refresh-state` (or `strata refresh`); \
             to put the cloud back as configured: `strata apply`."
        )?;
    }
    if !r.unmanaged.is_empty() {
        writeln!(out, "To ignore an object, add its `type.id` (wildcards allowed: `aws_subnet.*`) to {dir}/{IGNORE_FILE}.")?;
    }
    Ok(())
}

/// ` Incomplete: 3 resource types could not be checked (see the errors).`
fn incomplete_note(r: &DriftReport) -> String {
    let types: BTreeSet<&str> = r.errors.iter().map(|e| e.ty.as_str()).collect();
    if types.is_empty() {
        String::new()
    } else {
        format!(" Incomplete: {} could not be checked (see the errors).", plural(types.len(), "resource type"))
    }
}

fn sensitive_json(v: &Value, sensitive: bool) -> serde_json::Value {
    if sensitive { json!("(sensitive value)") } else { v.to_json() }
}

/// JSON of a set element with every sensitive part `"(sensitive value)"`.
fn redacted(v: &Value) -> serde_json::Value {
    match v {
        Value::Sensitive(_) => json!("(sensitive value)"),
        Value::Unknown(_) => serde_json::Value::Null,
        Value::List(items) | Value::Set(items) => items.iter().map(redacted).collect(),
        Value::Map(m) => serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), redacted(v))).collect()),
        v => v.to_json(),
    }
}

fn managed_json(o: &ManagedObject) -> serde_json::Value {
    json!({"address": o.addr.to_string(), "type": o.ty, "id": o.id, "layer": o.layer.number()})
}

fn unmanaged_json(u: &UnmanagedObject) -> serde_json::Value {
    json!({"type": u.ty, "id": u.id, "layer": u.layer.number(), "tags": u.tags, "lineage": u.lineage(), "ignore_line": u.ignore_line()})
}

/// The JSON view (docs/drift-json.md).
fn render_json(r: &DriftReport, refresh_requested: bool, written: Option<u64>) -> serde_json::Value {
    let changed: Vec<serde_json::Value> = r
        .changed
        .iter()
        .map(|c| {
            let mut o = managed_json(&c.object);
            o["attributes"] = c
                .attributes
                .iter()
                .map(|a| {
                    let mut j = json!({"path": a.path, "before": sensitive_json(&a.before, a.sensitive), "after": sensitive_json(&a.after, a.sensitive), "sensitive": a.sensitive});
                    if let Some(e) = &a.elements {
                        j["removed"] = e.removed.iter().map(redacted).collect();
                        j["added"] = e.added.iter().map(redacted).collect();
                    }
                    j
                })
                .collect();
            o
        })
        .collect();
    json!({
        "format_version": 1,
        "strata_version": env!("CARGO_PKG_VERSION"),
        "checked_at": strata_state::time::now_rfc3339(),
        "state": {"found": r.lineage.is_some(), "lineage": r.lineage, "serial": r.serial, "resources": r.managed},
        "other_states": r.other_states.iter().map(|(l, n)| json!({"lineage": l, "resources": n})).collect::<Vec<_>>(),
        "drift": r.has_drift(),
        "complete": r.errors.is_empty(),
        "summary": {
            "changed": r.changed.len(), "deleted": r.deleted.len(), "unmanaged": r.unmanaged.len(),
            "managed_elsewhere": r.managed_elsewhere.len(), "ignored": r.ignored, "defaults": r.defaults, "errors": r.errors.len(),
        },
        "changed": changed,
        "deleted": r.deleted.iter().map(managed_json).collect::<Vec<_>>(),
        "unmanaged": r.unmanaged.iter().map(unmanaged_json).collect::<Vec<_>>(),
        "managed_elsewhere": r.managed_elsewhere.iter().map(unmanaged_json).collect::<Vec<_>>(),
        "taken": r.taken.iter().map(|t| json!({"address": t.addr.to_string(), "id": t.id, "lineage": t.lineage})).collect::<Vec<_>>(),
        "listed_types": r.listed_types,
        "errors": r.errors.iter().map(|e| json!({"type": e.ty, "operation": e.operation.as_str(), "code": e.error.code, "message": e.error.message})).collect::<Vec<_>>(),
        "refresh_state": {"requested": refresh_requested, "written": written.is_some(), "serial": written},
        "api_calls": r.calls,
    })
}

/// Markdown-safe text inside a table cell.
fn md(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;").replace('\n', " ")
}

/// Inline code that survives backticks in the text.
fn md_code(s: &str) -> String {
    let s = md(s);
    if s.contains('`') { format!("`` {s} ``") } else { format!("`{s}`") }
}

fn md_value(v: &Value, sensitive: bool) -> String {
    if sensitive { "_(sensitive value)_".into() } else { md_code(&v.to_json().to_string()) }
}

/// An issue body: a summary table by type, then the objects by layer.
fn render_markdown(r: &DriftReport, dir: &str, state_path: &str) -> String {
    let mut head = String::new();
    let mut details = String::new();
    let _ = write_markdown(r, dir, state_path, &mut head, &mut details);
    if head.len() + details.len() > MARKDOWN_LIMIT {
        details = "_The per-object details are left out: the body would be too long. Run `strata drift` for them._\n".into();
    }
    head + &details
}

fn write_markdown(r: &DriftReport, dir: &str, state_path: &str, head: &mut String, details: &mut String) -> std::fmt::Result {
    writeln!(head, "## strata drift: {}\n", md_code(dir))?;
    writeln!(head, "Checked at {} against {}.\n", strata_state::time::now_rfc3339(), md_code(state_path))?;
    if r.has_drift() {
        writeln!(head, "**Drift found: {}.**\n", summary(r))?;
    } else if r.errors.is_empty() {
        writeln!(head, "**No drift: the cloud matches the state.**\n")?;
    } else {
        writeln!(head, "**No drift found in what could be checked.**\n")?;
    }
    match &r.lineage {
        Some(l) => {
            writeln!(head, "{} compared (state lineage {}, serial {}).", plural(r.managed, "recorded object"), md_code(l), r.serial)?
        }
        None => writeln!(head, "No state: nothing is managed yet.")?,
    }
    for (lineage, n) in &r.other_states {
        writeln!(head, "Also managed: {} recorded in the state of lineage {} (`--state`).", plural(*n, "object"), md_code(lineage))?;
    }
    if r.ignored > 0 {
        writeln!(head, "{} left out by {}.", plural(r.ignored, "unmanaged object"), md_code(IGNORE_FILE))?;
    }
    if r.defaults > 0 {
        writeln!(
            head,
            "{} the cloud made itself (default VPC, subnets, security groups, main route tables) left out.",
            plural(r.defaults, "default object")
        )?;
    }
    if !r.errors.is_empty() {
        writeln!(head, "\n> [!WARNING]\n> The check is incomplete:")?;
        for e in &r.errors {
            writeln!(head, "> - cannot {} the {} objects: {}", e.operation.as_str(), md_code(&e.ty), md(&e.error.to_string()))?;
        }
    }
    writeln!(head)?;
    let counts = r.counts();
    let types: BTreeSet<&String> = counts.values().flat_map(|m| m.keys()).collect();
    if !types.is_empty() {
        writeln!(head, "| Type | Changed | Deleted | Unmanaged |\n|:--|--:|--:|--:|")?;
        for ty in types {
            let n = |k: DriftKind| counts.get(&k).and_then(|m| m.get(ty)).copied().unwrap_or(0);
            writeln!(head, "| {} | {} | {} | {} |", md_code(ty), n(DriftKind::Changed), n(DriftKind::Deleted), n(DriftKind::Unmanaged))?;
        }
        writeln!(head)?;
    }
    for (layer, g) in by_layer(r) {
        writeln!(details, "### Layer {layer}\n")?;
        for c in &g.changed {
            writeln!(details, "**Changed** {} ({}):\n", md_code(&c.object.addr.to_string()), md_code(&c.object.id))?;
            let (sets, plain): (Vec<_>, Vec<_>) = c.attributes.iter().partition(|a| a.elements.is_some());
            if !plain.is_empty() {
                writeln!(details, "| Attribute | In the state | In the cloud |\n|:--|:--|:--|")?;
                for a in plain {
                    writeln!(
                        details,
                        "| {} | {} | {} |",
                        md_code(&a.path),
                        md_value(&a.before, a.sensitive),
                        md_value(&a.after, a.sensitive)
                    )?;
                }
                writeln!(details)?;
            }
            // A set as a list of its elements, not JSON in a table cell.
            for (a, e) in sets.iter().filter_map(|a| Some((a, a.elements.as_ref()?))) {
                writeln!(details, "{} (elements compared whole, in any order):\n", md_code(&a.path))?;
                for v in &e.removed {
                    writeln!(details, "- removed in the cloud: {}", md_code(&render_value::one_line(v)))?;
                }
                for v in &e.added {
                    writeln!(details, "- added in the cloud: {}", md_code(&render_value::one_line(v)))?;
                }
                writeln!(details)?;
            }
        }
        if !g.deleted.is_empty() {
            writeln!(details, "**Deleted outside strata:**\n")?;
            for d in &g.deleted {
                writeln!(details, "- {} ({})", md_code(&d.addr.to_string()), md_code(&d.id))?;
            }
            writeln!(details)?;
        }
        if !g.unmanaged.is_empty() {
            writeln!(details, "**Not managed by strata:**\n")?;
            for u in &g.unmanaged {
                writeln!(details, "- {} {}{}", md_code(&u.ty), md_code(&u.id), md(&tag_note(u)))?;
            }
            writeln!(details)?;
        }
    }
    if !r.unmanaged.is_empty() {
        writeln!(details, "<details><summary>Lines that ignore the unmanaged objects in <code>{IGNORE_FILE}</code></summary>\n\n```")?;
        for u in &r.unmanaged {
            writeln!(details, "{}", u.ignore_line())?;
        }
        writeln!(details, "```\n</details>\n")?;
    }
    writeln!(details, "_Reported by `strata drift --format markdown`._")
}

/// A Prometheus label value: backslash, quote and newline escaped.
/// The `config` label of every series: the configuration directory's name,
/// so that checks of two configurations on one host do not collide.
fn config_label(dir: &std::path::Path) -> String {
    let full = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    full.file_name().map_or_else(|| full.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn gauge(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
}

fn render_metrics(r: &DriftReport, config: &str, at: u64) -> String {
    let config = label(config);
    let mut out = String::new();
    gauge(&mut out, "strata_drift_resources", "Objects that drifted from the strata state, by kind and resource type.");
    let counts = r.counts();
    let mut types: BTreeSet<&str> = r.listed_types.iter().map(String::as_str).collect();
    types.extend(counts.values().flat_map(|m| m.keys().map(String::as_str)));
    for kind in DriftKind::ALL {
        for ty in &types {
            let n = counts.get(&kind).and_then(|m| m.get(*ty)).copied().unwrap_or(0);
            let _ = writeln!(out, "strata_drift_resources{{config=\"{config}\",kind=\"{}\",type=\"{}\"}} {n}", kind.as_str(), label(ty));
        }
    }
    gauge(&mut out, "strata_drift_ignored", "Unmanaged objects the ignore file left out of the last check.");
    let _ = writeln!(out, "strata_drift_ignored{{config=\"{config}\"}} {}", r.ignored);
    gauge(&mut out, "strata_drift_defaults", "Objects the cloud made itself (default VPC and its parts) left out of the last check.");
    let _ = writeln!(out, "strata_drift_defaults{{config=\"{config}\"}} {}", r.defaults);
    write_status(&mut out, &config, !r.has_drift() && r.errors.is_empty(), r.errors.len(), at);
    out
}

/// The metrics of a check that could not run.
fn render_failed_metrics(config: &str, at: u64) -> String {
    let mut out = String::new();
    write_status(&mut out, &label(config), false, 1, at);
    out
}

fn write_status(out: &mut String, config: &str, ok: bool, errors: usize, at: u64) {
    gauge(out, "strata_drift_ok", "1 when the last check found no drift and no error (exit 0), else 0.");
    let _ = writeln!(out, "strata_drift_ok{{config=\"{config}\"}} {}", u8::from(ok));
    gauge(out, "strata_drift_errors", "Resource types that could not be read or listed in the last check (1 when it could not run).");
    let _ = writeln!(out, "strata_drift_errors{{config=\"{config}\"}} {errors}");
    gauge(out, "strata_drift_last_run_timestamp_seconds", "When the last check ran (Unix time).");
    let _ = writeln!(out, "strata_drift_last_run_timestamp_seconds{{config=\"{config}\"}} {at}");
}

#[cfg(test)]
mod tests {
    use strata_engine::drift::{AttributeChange, SetElements};

    use super::*;

    fn rule(port: f64) -> Value {
        Value::map([
            ("cidr_blocks", Value::List(vec![Value::string("0.0.0.0/0")].into())),
            ("description", Value::string("")),
            ("from_port", Value::Number(port)),
            ("protocol", Value::string("tcp")),
            ("self", Value::Bool(false)),
            ("to_port", Value::Number(port)),
        ])
    }

    /// A group with one rule added and one removed outside strata, a
    /// changed tag, and a parameter group whose secret parameter changed.
    fn report() -> DriftReport {
        let object = |addr: &str, id: &str| ManagedObject {
            addr: addr.parse().unwrap(),
            ty: addr.split('.').next().unwrap().to_string(),
            id: id.into(),
            layer: Layer::Infrastructure,
        };
        let ingress = AttributeChange {
            path: "ingress".into(),
            before: Value::List(vec![rule(22.0), rule(80.0)].into()),
            after: Value::List(vec![rule(80.0), rule(443.0)].into()),
            sensitive: false,
            elements: Some(SetElements { removed: vec![rule(22.0)], added: vec![rule(443.0)] }),
        };
        let tag = AttributeChange {
            path: "tags.Env".into(),
            before: Value::string("dev"),
            after: Value::string("prod"),
            sensitive: false,
            elements: None,
        };
        let param = |v: &str| Value::map([("name", Value::string("secret")), ("value", Value::string(v).mark_if(true))]);
        let parameter = AttributeChange {
            path: "parameter".into(),
            before: Value::Null,
            after: Value::Null,
            sensitive: true,
            elements: Some(SetElements { removed: vec![param("hunter2")], added: vec![param("hunter3")] }),
        };
        DriftReport {
            lineage: Some("lin".into()),
            serial: 4,
            managed: 2,
            changed: vec![
                ChangedObject { object: object("aws_security_group.web", "sg-1"), attributes: vec![ingress, tag] },
                ChangedObject { object: object("aws_db_parameter_group.main", "pg"), attributes: vec![parameter] },
            ],
            ..DriftReport::default()
        }
    }

    #[test]
    fn sets_show_elements_in_text_markdown_and_json() {
        let r = report();
        let text = render_text(&r, "web", "web/.strata/state.json", None);
        let markdown = render_markdown(&r, "web", "web/.strata/state.json");
        let json = render_json(&r, false, None);
        for secret in ["hunter2", "hunter3"] {
            assert!(!text.contains(secret) && !markdown.contains(secret) && !json.to_string().contains(secret));
        }
        assert!(!markdown.contains("[{"), "no JSON list in a table cell:\n{markdown}");
        let markdown: String = markdown.lines().filter(|l| !l.starts_with("Checked at ")).map(|l| format!("{l}\n")).collect();
        insta::assert_snapshot!("drift_text_set_elements", text);
        insta::assert_snapshot!("drift_markdown_set_elements", markdown);
        let ingress = &json["changed"][0]["attributes"][0];
        assert_eq!(ingress["removed"], json!([rule(22.0).to_json()]));
        assert_eq!(ingress["added"], json!([rule(443.0).to_json()]));
        assert!(json["changed"][0]["attributes"][1].get("added").is_none(), "only sets have elements");
        assert_eq!(json["changed"][1]["attributes"][0]["added"], json!([{"name": "secret", "value": "(sensitive value)"}]));
    }
}
