//! Values of the root module's input variables.
//!
//! Sources, lowest precedence first: `TF_VAR_name`, then `STRATA_VAR_name`
//! environment variables; `terraform.tfvars`, `terraform.tfvars.json`,
//! `*.auto.tfvars` / `*.auto.tfvars.json` (in name order) beside the
//! configuration; `--var-file` files in the order given; `--var k=v` flags in
//! the order given. A later source wins.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::structure::Structure;
use strata_core::{Diagnostic, Diagnostics, Span, Type, Value, did_you_mean};
use strata_expr::{ExprCtx, eval_expr};

use crate::loader::{Config, span_of};
use crate::model::Variable;

/// Where the variable values come from, as the command line gives them.
#[derive(Debug, Clone, Default)]
pub struct VarSources {
    /// `--var-file` paths in order.
    pub var_files: Vec<PathBuf>,
    /// `--var NAME=VALUE` flags in order.
    pub vars: Vec<String>,
    /// Environment variables (the caller passes `std::env::vars()`; tests pass their own).
    pub env: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub enum RawValue {
    /// From a variable file: already a value.
    Parsed(Value),
    /// From the command line or environment: text, interpreted by the variable's type.
    Text(String),
}

#[derive(Debug, Clone)]
pub struct InputValue {
    pub value: RawValue,
    /// Human description of the source ("--var", "STRATA_VAR_region", "prod.tfvars").
    pub origin: String,
    pub span: Option<Span>,
}

/// The winning value of every root variable that was set.
#[derive(Debug, Clone, Default)]
pub struct InputVariables {
    pub values: BTreeMap<String, InputValue>,
}

/// Gather root variable values from all sources. Variable files are added to
/// the configuration's source map so that their errors point into them.
pub fn collect_inputs(config: &mut Config, sources: &VarSources) -> (InputVariables, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut inputs = InputVariables::default();
    let declared: Vec<String> = config.root().variables.keys().cloned().collect();
    let sensitive: Vec<String> = config.root().variables.values().filter(|v| v.sensitive).map(|v| v.name.clone()).collect();

    for prefix in ["TF_VAR_", "STRATA_VAR_"] {
        for (k, v) in &sources.env {
            if let Some(name) = k.strip_prefix(prefix)
                && declared.iter().any(|d| d == name)
            {
                inputs.values.insert(name.to_string(), InputValue { value: RawValue::Text(v.clone()), origin: k.clone(), span: None });
            }
        }
    }

    let mut files: Vec<PathBuf> = Vec::new();
    let dir = config.root_dir.clone();
    for name in ["terraform.tfvars", "terraform.tfvars.json"] {
        let p = dir.join(name);
        if p.is_file() {
            files.push(p);
        }
    }
    let mut auto: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json"))
                })
                .collect()
        })
        .unwrap_or_default();
    auto.sort();
    files.extend(auto);
    files.extend(sources.var_files.iter().cloned());

    // As in Terraform, an undeclared name in any variable file is a warning.
    for path in &files {
        load_var_file(config, path, &declared, &sensitive, &mut inputs, &mut diags);
    }

    for (i, flag) in sources.vars.iter().enumerate() {
        let Some((name, value)) = flag.split_once('=') else {
            // A bare name is quoted; anything else may be a value typed
            // without its name (a secret, say) and is not shown.
            let message = if crate::loader::is_valid_name(flag.trim()) {
                format!("--var {:?} has no value: it is not NAME=VALUE", flag.trim())
            } else {
                format!("the --var argument number {} is not NAME=VALUE (not shown: it may hold a value)", i + 1)
            };
            diags.push(Diagnostic::error("strata::config::invalid_var_flag", message).with_help("write --var region=eu-west-1"));
            continue;
        };
        let name = name.trim();
        if !declared.iter().any(|d| d == name) {
            diags.push(undeclared(name, &declared, None, "--var", true));
            continue;
        }
        inputs.values.insert(name.to_string(), InputValue { value: RawValue::Text(value.to_string()), origin: "--var".into(), span: None });
    }
    (inputs, diags)
}

/// Values of variables declared `sensitive` are secret from the moment they
/// are read: an error in one never quotes or shows its text, and when a file
/// fails to parse (before any value can be told from another) while some
/// variable is sensitive, the error gives the position without the line.
fn load_var_file(
    config: &mut Config,
    path: &Path,
    declared: &[String],
    sensitive: &[String],
    inputs: &mut InputVariables,
    diags: &mut Diagnostics,
) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error("strata::config::unreadable_file", format!("cannot read variable file {}: {e}", path.display())));
            return;
        }
    };
    let origin = path.display().to_string();
    let file = config.sources.add(path, origin.clone(), text.as_str());
    let is_json = path.extension().is_some_and(|e| e == "json");
    if is_json {
        let json: serde_json::Value = match serde_json::from_str(&text) {
            Ok(j) => j,
            Err(e) => {
                let offset = line_col_offset(&text, e.line(), e.column());
                let d = Diagnostic::error("strata::config::syntax", format!("invalid JSON in variable file: {e}"));
                diags.push(syntax_label(d, config, file, offset, "here", !sensitive.is_empty()));
                return;
            }
        };
        let Some(obj) = json.as_object() else {
            diags
                .push(Diagnostic::error("strata::config::invalid_var_file", format!("{origin}: a JSON variable file must hold an object")));
            return;
        };
        for (name, v) in obj {
            if !declared.iter().any(|d| d == name) {
                diags.push(undeclared(name, declared, None, &origin, false));
                continue;
            }
            inputs
                .values
                .insert(name.clone(), InputValue { value: RawValue::Parsed(Value::from_json(v)), origin: origin.clone(), span: None });
        }
        return;
    }
    let body = match hcl_edit::parser::parse_body(&text) {
        Ok(b) => b,
        Err(e) => {
            let offset = e.location().offset().min(text.len());
            let d = Diagnostic::error("strata::config::syntax", format!("syntax error in variable file: {}", e.message()));
            diags.push(syntax_label(d, config, file, offset, e.message(), !sensitive.is_empty()));
            return;
        }
    };
    let empty: BTreeMap<String, Value> = BTreeMap::new();
    for s in &body {
        match s {
            Structure::Attribute(a) => {
                let name = a.key.as_str();
                let span = span_of(file, &a.key);
                if !declared.iter().any(|d| d == name) {
                    // A misspelt sensitive variable's value is a secret too:
                    // while any variable is sensitive, the warning gives the
                    // position without a label, whose snippet would show the line.
                    let (span, origin) = match span {
                        Some(s) if !sensitive.is_empty() => (None, config.sources.location(&s)),
                        span => (span, origin.clone()),
                    };
                    diags.push(undeclared(name, declared, span, &origin, false));
                    continue;
                }
                let ctx = ExprCtx { file, scope: &empty, module_dir: crate::eval::file_base() };
                let secret = sensitive.iter().any(|s| s == name);
                match eval_expr(&a.value, &ctx) {
                    // No label: the line would show the value.
                    Err(_) if secret => {
                        let at = span.as_ref().map_or_else(|| origin.clone(), |s| config.sources.location(s));
                        diags.push(hidden_value_error(name, &at));
                    }
                    Ok(v) => {
                        inputs.values.insert(
                            name.to_string(),
                            InputValue { value: RawValue::Parsed(v), origin: origin.clone(), span: span_of(file, &a.value) },
                        );
                    }
                    Err(d) => diags.extend(d),
                }
            }
            Structure::Block(b) => diags.push(
                Diagnostic::error("strata::config::invalid_var_file", "variable files hold only `name = value` assignments")
                    .with_label(Some(crate::loader::header_span(file, b)), "unexpected block"),
            ),
        }
    }
}

/// A syntax error in a variable file, labelled on the line unless a
/// sensitive value could be on it; then the position is in the message.
fn syntax_label(d: Diagnostic, config: &Config, file: strata_core::FileId, offset: usize, label: &str, hide: bool) -> Diagnostic {
    let span = Span::new(file, offset..offset);
    if hide {
        let message =
            format!("{} (at {}; the line is not shown because it may hold a sensitive value)", d.message, config.sources.location(&span));
        Diagnostic { message, ..d }
    } else {
        d.with_label(Some(span), label.to_string())
    }
}

/// The value given for a sensitive variable does not read: where, never what.
fn hidden_value_error(name: &str, origin: &str) -> Diagnostic {
    Diagnostic::error(
        "strata::config::invalid_variable_value",
        format!("cannot read the value of sensitive variable `{name}` from {origin}: {}", strata_core::shown::SENSITIVE),
    )
    .with_help("the reason is not shown because it could reveal the value; check the value's syntax and type")
}

fn undeclared(name: &str, declared: &[String], span: Option<Span>, origin: &str, error: bool) -> Diagnostic {
    let msg = format!("value for undeclared variable `{name}` (from {origin})");
    let d = if error {
        Diagnostic::error("strata::config::undeclared_variable", msg)
    } else {
        Diagnostic::warning("strata::config::undeclared_variable", msg)
    };
    let d = d.with_label(span, "no `variable` block declares this");
    match did_you_mean(name, declared) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help(format!("declare it with `variable \"{name}\" {{}}` or remove the value")),
    }
}

fn line_col_offset(text: &str, line: usize, col: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (offset + col.saturating_sub(1)).min(text.len());
        }
        offset += l.len();
    }
    text.len()
}

/// The input value of a root variable, interpreted for its type; `Ok(None)`
/// when no source set it. Text from the command line is taken literally for
/// primitive types and parsed as an HCL expression for collection types, as
/// Terraform does.
///
/// The value of a variable declared `sensitive` is marked here, before it is
/// converted or parsed, and an error reading it never quotes it.
pub(crate) fn resolve_root_variable(inputs: &InputVariables, var: &Variable, ty: &Type) -> Result<Option<Value>, Diagnostic> {
    let Some(input) = inputs.values.get(&var.name) else { return Ok(None) };
    match &input.value {
        RawValue::Parsed(v) => Ok(Some(v.clone().mark_if(var.sensitive))),
        RawValue::Text(s) if ty.is_primitive() || *ty == Type::Any => Ok(Some(Value::String(s.clone().into()).mark_if(var.sensitive))),
        RawValue::Text(_) if var.sensitive => {
            let parsed = read_text(inputs, var).map(|v| v.mark_if(true));
            parsed
                .map(Some)
                .map_err(|_| hidden_value_error(&var.name, &input.origin).with_label(Some(var.span.clone()), format!("declared as {ty}")))
        }
        RawValue::Text(s) => {
            let fail = |msg: String| {
                Diagnostic::error(
                    "strata::config::invalid_variable_value",
                    format!("cannot read the value of `{}` from {}: {msg}", var.name, input.origin),
                )
                .with_label(Some(var.span.clone()), format!("declared as {ty}"))
                .with_help(format!("a {} value is written in HCL syntax, e.g. [\"a\", \"b\"] or {{ key = \"value\" }}", ty.friendly()))
            };
            let expr = hcl_edit::parser::parse_expr(s).map_err(|e| fail(e.message().to_string()))?;
            let empty: BTreeMap<String, Value> = BTreeMap::new();
            let ctx = ExprCtx { file: var.span.file, scope: &empty, module_dir: crate::eval::file_base() };
            eval_expr(&expr, &ctx).map_err(|d| fail(d.iter().map(|d| d.message.clone()).collect::<Vec<_>>().join("; "))).map(Some)
        }
    }
}

/// Parse and evaluate a variable's text (for a sensitive variable, whose
/// errors are reported without their reason).
fn read_text(inputs: &InputVariables, var: &Variable) -> Result<Value, ()> {
    let Some(RawValue::Text(s)) = inputs.values.get(&var.name).map(|i| &i.value) else { return Err(()) };
    let expr = hcl_edit::parser::parse_expr(s).map_err(|_| ())?;
    let empty: BTreeMap<String, Value> = BTreeMap::new();
    let ctx = ExprCtx { file: var.span.file, scope: &empty, module_dir: crate::eval::file_base() };
    eval_expr(&expr, &ctx).map_err(|_| ())
}
