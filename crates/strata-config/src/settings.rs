//! The top-level `strata { }` block.

use hcl_edit::structure::{Body, Structure};
use strata_core::{Diagnostic, Diagnostics, did_you_mean};
use strata_expr::{ExprCtx, eval_expr};

use crate::body::eval_generic_body;
use crate::eval::Settings;
use crate::loader::{header_span, span_of};

const ARGUMENTS: [&str; 2] = ["required_version", "strict_layers"];
const BLOCKS: [&str; 3] = ["backend", "budget", "policy"];

pub(crate) fn eval_settings(body: &Body, ctx: &ExprCtx) -> (Settings, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut settings = Settings::default();
    for s in body {
        match s {
            Structure::Attribute(a) => {
                let name = a.key.as_str();
                let span = span_of(ctx.file, &a.value);
                let v = match eval_expr(&a.value, ctx) {
                    Ok(v) => v,
                    Err(d) => {
                        diags.extend(d);
                        continue;
                    }
                };
                match name {
                    "strict_layers" => match v.to_bool() {
                        Some(b) => settings.strict_layers = b,
                        None => diags.push(
                            Diagnostic::error("strata::config::invalid_value", "`strict_layers` must be true or false")
                                .with_label(span, "not a bool"),
                        ),
                    },
                    "required_version" => match v.as_str() {
                        Some(req) => {
                            match version_satisfies(env!("CARGO_PKG_VERSION"), req) {
                                Ok(true) => {}
                                Ok(false) => diags.push(
                                    Diagnostic::error(
                                        "strata::config::unsupported_version",
                                        format!(
                                            "this configuration requires strata {req}, but this is strata {}",
                                            env!("CARGO_PKG_VERSION")
                                        ),
                                    )
                                    .with_label(span, "version constraint")
                                    .with_help("install a matching strata version or relax `required_version`"),
                                ),
                                Err(msg) => diags.push(
                                    Diagnostic::error("strata::config::invalid_value", format!("invalid version constraint: {msg}"))
                                        .with_label(span, "invalid constraint")
                                        .with_help("write constraints like \">= 0.1, < 2.0\" or \"~> 0.1\""),
                                ),
                            }
                            settings.required_version = Some(req.to_string());
                        }
                        None => diags.push(
                            Diagnostic::error("strata::config::invalid_value", "`required_version` must be a string")
                                .with_label(span, "not a string"),
                        ),
                    },
                    other => {
                        let mut d = Diagnostic::error(
                            "strata::config::unsupported_attribute",
                            format!("unsupported argument `{other}` in the `strata` block"),
                        )
                        .with_label(span_of(ctx.file, &a.key), "not a strata setting");
                        d = match did_you_mean(other, ARGUMENTS) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help(format!("settings: {}; blocks: {}", ARGUMENTS.join(", "), BLOCKS.join(", "))),
                        };
                        diags.push(d);
                    }
                }
            }
            Structure::Block(b) => {
                let (v, d) = eval_generic_body(&b.body, ctx);
                diags.extend(d);
                match b.ident.as_str() {
                    "backend" => match b.labels.first() {
                        Some(kind) => {
                            if kind.as_str() == "local" {
                                for a in b.body.attributes().filter(|a| a.key.as_str() != "path") {
                                    diags.push(
                                        Diagnostic::warning(
                                            "strata::config::backend_argument_ignored",
                                            format!("`{}` has no effect on the local backend", a.key.as_str()),
                                        )
                                        .with_label(span_of(ctx.file, a), "ignored")
                                        .with_help("the local backend takes `path` only"),
                                    );
                                }
                            }
                            settings.backend = Some((kind.as_str().to_string(), v));
                        }
                        None => diags.push(
                            Diagnostic::error("strata::config::block_labels", "a `backend` block takes one label: the backend kind")
                                .with_label(Some(header_span(ctx.file, b)), "write `backend \"local\" { ... }`"),
                        ),
                    },
                    "budget" => settings.budget = Some(v),
                    "policy" => {
                        diags.push(
                            Diagnostic::error(
                                "strata::config::policy_unsupported",
                                "`policy` blocks are not enforced by this version of strata",
                            )
                            .with_label(Some(header_span(ctx.file, b)), "not enforced")
                            .with_help("remove the block; limit spending with `budget { ... }`, which is enforced"),
                        );
                        settings.policy = Some(v);
                    }
                    other => {
                        let mut d = Diagnostic::error(
                            "strata::config::unsupported_block",
                            format!("unsupported block `{other}` in the `strata` block"),
                        )
                        .with_label(Some(header_span(ctx.file, b)), "not a strata setting");
                        if let Some(s) = did_you_mean(other, BLOCKS) {
                            d = d.with_help(format!("did you mean `{s}`?"));
                        }
                        diags.push(d);
                    }
                }
            }
        }
    }
    (settings, diags)
}

/// Does `version` satisfy a Terraform-style constraint list (`>= 0.1, < 2`, `~> 0.1.0`)?
pub fn version_satisfies(version: &str, constraints: &str) -> Result<bool, String> {
    let have = parse_version(version).ok_or_else(|| format!("bad version {version:?}"))?;
    for c in constraints.split(',') {
        let c = c.trim();
        let (op, rest) =
            ["~>", ">=", "<=", "!=", ">", "<", "="].iter().find_map(|op| c.strip_prefix(op).map(|r| (*op, r.trim()))).unwrap_or(("=", c));
        let want = parse_version(rest).ok_or_else(|| format!("{c:?} is not a version constraint"))?;
        let parts = rest.split('.').count();
        let ok = match op {
            "=" => have == want,
            "!=" => have != want,
            ">" => have > want,
            ">=" => have >= want,
            "<" => have < want,
            "<=" => have <= want,
            _ => {
                // `~> 1.2` allows >= 1.2, < 2.0; `~> 1.2.3` allows >= 1.2.3, < 1.3.0.
                let upper = if parts <= 2 { (want.0 + 1, 0, 0) } else { (want.0, want.1 + 1, 0) };
                have >= want && have < upper
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn parse_version(s: &str) -> Option<(u64, u64, u64)> {
    let s = s.trim().trim_start_matches('v');
    let s = s.split(['-', '+']).next()?;
    let mut it = s.split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next().map_or(Some(0), |p| p.parse().ok())?;
    let patch = it.next().map_or(Some(0), |p| p.parse().ok())?;
    if it.next().is_some() {
        return None;
    }
    Some((major, minor, patch))
}

#[cfg(test)]
mod tests {
    use super::version_satisfies;

    #[test]
    fn version_constraints() {
        assert_eq!(version_satisfies("0.1.0", ">= 0.1"), Ok(true));
        assert_eq!(version_satisfies("0.1.0", ">= 0.1, < 0.2"), Ok(true));
        assert_eq!(version_satisfies("0.1.0", "> 0.1.0"), Ok(false));
        assert_eq!(version_satisfies("0.1.5", "~> 0.1.0"), Ok(true));
        assert_eq!(version_satisfies("0.2.0", "~> 0.1.0"), Ok(false));
        assert_eq!(version_satisfies("1.9.0", "~> 1.2"), Ok(true));
        assert_eq!(version_satisfies("2.0.0", "~> 1.2"), Ok(false));
        assert!(version_satisfies("0.1.0", ">= banana").is_err());
    }
}

/// The `strata { backend "KIND" { ... } }` settings read without evaluating
/// anything: the state must be found before the configuration is evaluated
/// (planning needs it), so, as in Terraform, backend settings are literals.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendSettings {
    pub kind: String,
    /// Literal string arguments (`path`, `conn_str`, `workspace`, ...).
    pub arguments: std::collections::BTreeMap<String, String>,
    pub span: strata_core::Span,
}

pub fn backend_settings(config: &crate::Config) -> Result<Option<BackendSettings>, strata_core::Diagnostic> {
    let Some(settings) = &config.root().settings else { return Ok(None) };
    let Some(block) = settings.body.get_blocks("backend").next() else { return Ok(None) };
    let span = header_span(settings.file, block);
    let Some(kind) = block.labels.first().map(|l| l.as_str().to_string()) else {
        return Err(Diagnostic::error("strata::config::block_labels", "a `backend` block takes one label: the backend kind")
            .with_label(Some(span), "write `backend \"local\" { ... }`"));
    };
    let mut arguments = std::collections::BTreeMap::new();
    for a in block.body.attributes() {
        match a.value.as_str() {
            Some(v) => {
                arguments.insert(a.key.as_str().to_string(), v.to_string());
            }
            None => {
                return Err(Diagnostic::error(
                    "strata::config::backend_not_literal",
                    format!("backend argument `{}` must be a literal string", a.key.as_str()),
                )
                .with_label(span_of(settings.file, &a.value), "not a literal")
                .with_help("the state is located before anything is evaluated, so backend settings cannot use variables"));
            }
        }
    }
    Ok(Some(BackendSettings { kind, arguments, span }))
}
