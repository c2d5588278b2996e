//! Configuration that strata reads but does not act on: every such block or
//! argument is a warning (or an error where ignoring it would do harm), never
//! silence. The list, with each item's treatment, is docs/unsupported.md.

use hcl_edit::structure::{Block, Structure};
use strata_core::{Diagnostic, Diagnostics, FileId};

use crate::loader::{header_span, span_of};

/// The Terraform language version strata implements: `terraform {
/// required_version }` is checked against it.
pub const TERRAFORM_LANGUAGE_VERSION: &str = "1.11.4";

/// The hashicorp/aws release whose schemas and defaults strata's AWS provider
/// follows: the `version` of an `aws` requirement is checked against it.
pub const AWS_PROVIDER_VERSION: &str = "5.100.0";

/// A version constraint that `version` fails, or that cannot be read, is a
/// warning; one it satisfies is acted on and says nothing.
#[allow(clippy::too_many_arguments)]
fn check_version(
    diags: &mut Diagnostics,
    span: Option<strata_core::Span>,
    constraint: Option<&str>,
    version: &str,
    code: &'static str,
    what: &str,
    against: String,
    help: &str,
) {
    let Some(constraint) = constraint else {
        diags.push(
            Diagnostic::warning(code, format!("{what} is not a literal version constraint, so it is not checked"))
                .with_label(span, "not a string")
                .with_help("write a constraint such as \">= 1.5, < 2.0\""),
        );
        return;
    };
    match crate::version_satisfies(version, constraint) {
        Ok(true) => {}
        Ok(false) => diags.push(
            Diagnostic::warning(code, format!("{what} `{constraint}` excludes {against}"))
                .with_label(span, format!("{version} does not satisfy this"))
                .with_help(help.to_string()),
        ),
        Err(e) => diags.push(
            Diagnostic::warning(code, format!("{what} cannot be checked: {e}"))
                .with_label(span, "not a version constraint")
                .with_help("write a constraint such as \">= 1.5, < 2.0\" or \"~> 5.0\""),
        ),
    }
}

/// The string value of `key` in an object expression (`{ version = "~> 5.0" }`):
/// `None` without the key, `Some((None, span))` when its value is not a string.
fn object_string(file: FileId, e: &hcl_edit::expr::Expression, key: &str) -> Option<(Option<String>, Option<strata_core::Span>)> {
    let hcl_edit::expr::Expression::Object(obj) = e else { return None };
    obj.iter().find_map(|(k, v)| {
        let name = match k {
            hcl_edit::expr::ObjectKey::Ident(id) => id.as_str().to_string(),
            hcl_edit::expr::ObjectKey::Expression(x) => x.as_str()?.to_string(),
        };
        (name == key).then(|| (v.expr().as_str().map(str::to_string), span_of(file, v.expr())))
    })
}

/// Arguments of `provider "aws"` that strata's AWS provider honours (`alias`
/// and `assume_role` are configured per alias).
const AWS_PROVIDER_ARGUMENTS: [&str; 9] =
    ["region", "profile", "access_key", "secret_key", "token", "endpoints", "default_tags", "alias", "assume_role"];

/// Arguments of `provider "aws"` whose absence of effect could do harm: they
/// select credentials or accounts, or protect tags from being removed.
const AWS_PROVIDER_REFUSED: [&str; 5] =
    ["allowed_account_ids", "forbidden_account_ids", "shared_credentials_files", "shared_config_files", "ignore_tags"];

/// `terraform { ... }`: nothing in it changes what strata does.
pub(crate) fn terraform_block(file: FileId, block: &Block, diags: &mut Diagnostics) {
    for s in block.body.iter() {
        match s {
            Structure::Attribute(a) if a.key.as_str() == "required_version" => {
                let constraint = a.value.as_str().map(str::to_string);
                check_version(
                    diags,
                    span_of(file, a),
                    constraint.as_deref(),
                    TERRAFORM_LANGUAGE_VERSION,
                    "strata::config::terraform_version_unsatisfied",
                    "the required Terraform version",
                    format!("Terraform {TERRAFORM_LANGUAGE_VERSION}, the language strata implements"),
                    "the configuration may rely on language features strata does not have; constrain strata's own version with `strata { required_version = \"...\" }`",
                );
            }
            Structure::Attribute(a) => diags.push(
                Diagnostic::warning(
                    "strata::config::terraform_setting_ignored",
                    format!("`terraform {{ {} }}` is not used by strata", a.key.as_str()),
                )
                .with_label(span_of(file, a), "ignored")
                .with_help("remove it if the configuration is only for strata"),
            ),
            Structure::Block(b) => match b.ident.as_str() {
                "required_providers" => required_providers(file, b, diags),
                "backend" | "cloud" => {
                    let what = match b.labels.first() {
                        Some(l) => format!("the Terraform backend \"{}\"", l.as_str()),
                        None => "HCP Terraform (`cloud`)".to_string(),
                    };
                    diags.push(
                        Diagnostic::warning(
                            "strata::config::terraform_backend_ignored",
                            format!("{what} is not used: strata keeps its own state (.strata/state.json by default)"),
                        )
                        .with_label(Some(header_span(file, b)), "not strata's state")
                        .with_help(
                            "strata cannot read Terraform state: objects recorded there are unknown to strata; set strata's state with `strata { backend \"local\" { path = \"...\" } }`",
                        ),
                    );
                }
                other => diags.push(
                    Diagnostic::warning(
                        "strata::config::terraform_setting_ignored",
                        format!("`terraform {{ {other} }}` is not used by strata"),
                    )
                    .with_label(Some(header_span(file, b)), "ignored")
                    .with_help("remove it if the configuration is only for strata"),
                ),
            },
        }
    }
}

fn required_providers(file: FileId, block: &Block, diags: &mut Diagnostics) {
    for s in block.body.iter() {
        let Structure::Attribute(a) = s else { continue };
        let name = a.key.as_str();
        let text = a.value.to_string();
        let source_is_aws = !text.contains("source") || text.contains("hashicorp/aws");
        if name != "aws" || !source_is_aws {
            diags.push(
                Diagnostic::warning(
                    "strata::config::provider_unsupported",
                    format!("strata has no `{name}` provider; this requirement is ignored"),
                )
                .with_label(span_of(file, a), "not provided by strata")
                .with_help("strata provides the `aws` provider (hashicorp/aws) only; resources of other providers are rejected"),
            );
        } else if let Some((constraint, span)) = object_string(file, &a.value, "version") {
            check_version(
                diags,
                span.or_else(|| span_of(file, a)),
                constraint.as_deref(),
                AWS_PROVIDER_VERSION,
                "strata::config::provider_version_unsatisfied",
                "the required `aws` provider version",
                format!("hashicorp/aws {AWS_PROVIDER_VERSION}, whose schemas and defaults strata's built-in AWS provider follows"),
                "arguments, defaults or behaviour the constraint asks for may differ from what strata plans; `strata validate` reports the arguments it does not know",
            );
        }
    }
}

/// `provider "NAME" { ... }`: other providers do nothing, and `aws`
/// arguments strata's provider does not implement are reported.
pub(crate) fn provider_block(file: FileId, block: &Block, is_root: bool, diags: &mut Diagnostics) {
    let header = header_span(file, block);
    let name = block.labels.first().map(|l| l.as_str()).unwrap_or_default();
    if name != "aws" {
        diags.push(
            Diagnostic::warning("strata::config::provider_unsupported", format!("strata has no `{name}` provider; this block is ignored"))
                .with_label(Some(header), "not provided by strata")
                .with_help("strata provides the `aws` provider only"),
        );
        return;
    }
    if !is_root {
        diags.push(
            Diagnostic::warning("strata::config::provider_in_module", "a `provider` block in a called module is ignored")
                .with_label(Some(header), "ignored")
                .with_help("configure providers in the root module (and pass aliases with `providers = { ... }`)"),
        );
        return;
    }
    for s in block.body.iter() {
        let (key, span) = match s {
            Structure::Attribute(a) => (a.key.as_str(), span_of(file, a)),
            Structure::Block(b) => (b.ident.as_str(), Some(header_span(file, b))),
        };
        if AWS_PROVIDER_ARGUMENTS.contains(&key) {
            continue;
        }
        if AWS_PROVIDER_REFUSED.contains(&key) {
            diags.push(
                Diagnostic::error(
                    "strata::config::provider_argument_unsupported",
                    format!("strata's AWS provider does not implement `{key}`, and ignoring it could act on the wrong account or objects"),
                )
                .with_label(span, "not implemented")
                .with_help(match key {
                    "ignore_tags" => "strata would remove the tags `ignore_tags` protects when it updates an object's tags; remove it and manage those tags in the configuration".to_string(),
                    _ => format!("remove `{key}` and choose credentials with `profile`, the AWS_* environment variables or `access_key`/`secret_key`"),
                }),
            );
        } else {
            diags.push(
                Diagnostic::warning(
                    "strata::config::provider_argument_ignored",
                    format!("`{key}` of the `aws` provider is ignored by strata"),
                )
                .with_label(span, "ignored")
                .with_help(format!("strata's AWS provider reads: {}", AWS_PROVIDER_ARGUMENTS.join(", "))),
            );
        }
    }
}
