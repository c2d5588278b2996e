//! The configuration model: what a module's files declare, with expressions
//! kept unevaluated (as hcl-edit syntax trees) and every item's span.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use strata_core::{FileId, Mode, Span};

/// An expression together with the file it was parsed from.
#[derive(Debug, Clone)]
pub struct Expr {
    pub file: FileId,
    pub expr: Expression,
}

impl Expr {
    pub fn span(&self) -> Option<Span> {
        hcl_edit::Span::span(&self.expr).map(|r| Span::new(self.file, r))
    }
}

/// One module: the root configuration directory or a directory loaded
/// through a `module` block.
#[derive(Debug, Default)]
pub struct Module {
    pub dir: PathBuf,
    pub variables: BTreeMap<String, Variable>,
    pub locals: BTreeMap<String, Local>,
    /// Managed resources and data sources, keyed by `type.name` / `data.type.name`.
    pub resources: BTreeMap<String, Resource>,
    pub outputs: BTreeMap<String, Output>,
    pub module_calls: BTreeMap<String, ModuleCall>,
    pub providers: Vec<ProviderBlock>,
    /// `configuration_aliases = [aws.west]` of `terraform { required_providers { ... } }`:
    /// the aliased provider configurations a caller must pass in.
    pub configuration_aliases: Vec<ProviderRef>,
    pub moved: Vec<Moved>,
    /// The `strata { }` block (root module only).
    pub settings: Option<SettingsBlock>,
    /// `check "NAME" { assert { ... } }` blocks.
    pub checks: Vec<Check>,
}

#[derive(Debug)]
pub struct Variable {
    pub name: String,
    pub span: Span,
    pub type_expr: Option<Expr>,
    pub default: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub nullable: bool,
    pub validations: Vec<Validation>,
}

#[derive(Debug)]
pub struct Validation {
    pub condition: Expr,
    pub error_message: Expr,
    pub span: Span,
}

#[derive(Debug)]
pub struct Local {
    pub name: String,
    pub span: Span,
    pub value: Expr,
}

#[derive(Debug)]
pub struct Resource {
    pub mode: Mode,
    pub ty: String,
    pub name: String,
    pub file: FileId,
    /// The block header (`resource "aws_vpc" "main"`).
    pub span: Span,
    pub type_span: Span,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    /// `provider = aws.west`.
    pub provider: Option<ProviderRef>,
    pub layer: Option<Expr>,
    pub lifecycle: LifecycleBlock,
    /// `lifecycle { precondition { ... } }`: checked before the change is planned.
    pub preconditions: Vec<Condition>,
    /// `lifecycle { postcondition { ... } }`: checked against the planned
    /// object (`self`) when it is known, else after the apply.
    pub postconditions: Vec<Condition>,
    /// The block body (attributes, nested and dynamic blocks); meta-arguments
    /// are skipped when it is evaluated.
    pub body: Body,
}

impl Resource {
    /// `aws_vpc.main` or `data.aws_ami.ubuntu`.
    pub fn key(&self) -> String {
        match self.mode {
            Mode::Managed => format!("{}.{}", self.ty, self.name),
            Mode::Data => format!("data.{}.{}", self.ty, self.name),
        }
    }
}

#[derive(Debug, Default)]
pub struct LifecycleBlock {
    pub create_before_destroy: Option<Expr>,
    pub prevent_destroy: Option<Expr>,
    /// `ignore_changes = [tags, user_data]` or `all`.
    pub ignore_changes: Option<Expr>,
}

#[derive(Debug)]
pub struct Output {
    pub name: String,
    pub span: Span,
    pub value: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub depends_on: Vec<Expr>,
    pub preconditions: Vec<Condition>,
}

/// A `precondition`, `postcondition` or `assert` block.
#[derive(Debug, Clone)]
pub struct Condition {
    pub condition: Expr,
    pub error_message: Expr,
    /// The block header.
    pub span: Span,
}

/// Which kind of condition a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConditionKind {
    Precondition,
    Postcondition,
    /// `assert` of a `check` block.
    Assert,
}

impl ConditionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionKind::Precondition => "precondition",
            ConditionKind::Postcondition => "postcondition",
            ConditionKind::Assert => "assertion",
        }
    }
}

/// A `check "NAME" { ... }` block: assertions that warn, never fail.
#[derive(Debug)]
pub struct Check {
    pub name: String,
    pub span: Span,
    pub asserts: Vec<Condition>,
}

#[derive(Debug)]
pub struct ModuleCall {
    pub name: String,
    pub span: Span,
    pub source: String,
    pub source_span: Span,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    /// Input variables of the child module.
    pub inputs: BTreeMap<String, (Span, Expr)>,
    /// `providers = { aws = aws.west, aws.east = aws.east }`: the child's
    /// provider configuration (key) and the caller's that it is (value).
    pub providers: Vec<(ProviderRef, ProviderRef)>,
}

/// A reference to a provider configuration as written in a module:
/// `aws` (the default one) or `aws.west` (an alias).
#[derive(Debug, Clone)]
pub struct ProviderRef {
    pub name: String,
    pub alias: Option<String>,
    pub span: Span,
}

impl ProviderRef {
    /// `aws` or `aws.west`, as written.
    pub fn local(&self) -> String {
        match &self.alias {
            Some(a) => format!("{}.{a}", self.name),
            None => self.name.clone(),
        }
    }
}

#[derive(Debug)]
pub struct ProviderBlock {
    pub name: String,
    pub alias: Option<String>,
    /// The block header (`provider "aws"`).
    pub span: Span,
    /// The `alias = "west"` attribute, when set.
    pub alias_span: Option<Span>,
    pub file: FileId,
    pub body: Body,
}

#[derive(Debug)]
pub struct Moved {
    pub from: Expr,
    pub to: Expr,
    pub span: Span,
}

/// The top-level `strata { }` block.
#[derive(Debug)]
pub struct SettingsBlock {
    pub span: Span,
    pub file: FileId,
    pub body: Body,
}
