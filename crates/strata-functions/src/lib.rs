//! Built-in functions (`length`, `merge`, `cidrsubnet`, ...).
//!
//! `try` and `can` take unevaluated arguments and are handled by the
//! expression evaluator; everything else is called here with evaluated
//! arguments.

use std::path::Path;

use strata_core::Value;

/// What a function needs from its caller.
pub struct FnCtx<'a> {
    /// Relative paths in `file()` / `templatefile()` resolve against this.
    pub module_dir: &'a Path,
    /// Renders a template text (the contents of a `templatefile` file) with
    /// the given variables (an object). Supplied by the expression evaluator.
    pub render_template: &'a dyn Fn(&str, &Value) -> Result<Value, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FnError {
    /// No such function.
    Unknown,
    /// Wrong number of arguments; the message says what was expected.
    Arity(String),
    /// Argument `index` (zero-based) is invalid.
    Arg { index: usize, message: String },
    /// Any other failure.
    Message(String),
}

/// Names of every function, for "did you mean" and docs (includes `try` and `can`).
pub fn names() -> &'static [&'static str] {
    todo!()
}

/// Call a function by name.
pub fn call(name: &str, args: Vec<Value>, ctx: &FnCtx) -> Result<Value, FnError> {
    let _ = (name, args, ctx);
    todo!()
}
