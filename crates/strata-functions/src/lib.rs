//! Built-in functions (`length`, `merge`, `cidrsubnet`, ...).
//!
//! `try` and `can` take unevaluated arguments and are handled by the
//! expression evaluator; everything else is called here with evaluated
//! arguments.
//!
//! Marks are handled once, in [`call`], so that the functions themselves
//! only ever see unmarked values:
//!
//! - Sensitive: when any argument contains a sensitive mark, every mark is
//!   removed before the call and the whole result is marked sensitive.
//!   `nonsensitive` is the one exception: dropping the mark is its purpose.
//!   Functions build their error messages from the unmarked values they see,
//!   so when any argument was sensitive, `call` drops the message and
//!   answers [`FnError::Sensitive`]: no function can leak a secret through
//!   an error, however it words it.
//! - Unknown: each function declares how much of its arguments it needs to
//!   know (see [`Unknowns`]); when that is not met the result is unknown, of
//!   the best type the function can promise. Functions that work on the
//!   shape of a collection (`length`, `keys`, `concat`, ...) see unknown
//!   elements and pass them through.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use strata_core::{Type, Value};

mod collections;
mod conversion;
mod encoding;
mod filesystem;
mod format;
mod network;
mod numeric;
mod strings;

#[cfg(test)]
mod tests;

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
    /// The call failed while an argument was sensitive. The function's own
    /// message may quote any argument, so it is dropped: `index` is the
    /// refused argument, when the function named one.
    Sensitive { index: Option<usize> },
}

impl FnError {
    /// This error without anything a function wrote about its arguments.
    fn hidden(self) -> FnError {
        match self {
            FnError::Arg { index, .. } => FnError::Sensitive { index: Some(index) },
            FnError::Message(_) => FnError::Sensitive { index: None },
            e => e,
        }
    }
}

impl std::fmt::Display for FnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FnError::Unknown => f.write_str("there is no function with this name"),
            FnError::Arity(m) | FnError::Message(m) => f.write_str(m),
            FnError::Arg { index, message } => write!(f, "invalid value for argument {}: {message}", index + 1),
            FnError::Sensitive { index: Some(index) } => {
                write!(f, "invalid value for argument {}: {}", index + 1, strata_core::shown::SENSITIVE)
            }
            FnError::Sensitive { index: None } => write!(f, "the call failed on {}", strata_core::shown::SENSITIVE),
        }
    }
}

impl std::error::Error for FnError {}

pub(crate) type FnResult = Result<Value, FnError>;

/// How much of its arguments a function must know to produce a known result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unknowns {
    /// Every argument must be wholly known, or the result is unknown.
    Wholly,
    /// Top-level arguments must be known; unknown elements inside
    /// collections reach the function, which passes them through or
    /// answers unknown itself.
    Shallow,
    /// The function sees unknown arguments and decides (`coalesce`).
    Own,
    /// The result is always unknown until apply (`uuid`, `timestamp`).
    Always,
}

/// The type of an unknown result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ret {
    Any,
    Bool,
    Number,
    String,
    ListOfString,
}

impl Ret {
    fn ty(self) -> Type {
        match self {
            Ret::Any => Type::Any,
            Ret::Bool => Type::Bool,
            Ret::Number => Type::Number,
            Ret::String => Type::String,
            Ret::ListOfString => Type::list(Type::String),
        }
    }
}

#[derive(Clone, Copy)]
enum Imp {
    Pure(fn(&[Value]) -> FnResult),
    Ctx(fn(&[Value], &FnCtx) -> FnResult),
}

struct Spec {
    name: &'static str,
    min: usize,
    /// `None` for variadic functions.
    max: Option<usize>,
    unknowns: Unknowns,
    ret: Ret,
    imp: Imp,
}

const fn spec(name: &'static str, min: usize, max: Option<usize>, unknowns: Unknowns, ret: Ret, f: fn(&[Value]) -> FnResult) -> Spec {
    Spec { name, min, max, unknowns, ret, imp: Imp::Pure(f) }
}

use Ret as R;
use Unknowns::{Always, Own, Shallow, Wholly};

const ONE: Option<usize> = Some(1);
const TWO: Option<usize> = Some(2);
const THREE: Option<usize> = Some(3);
const MANY: Option<usize> = None;

#[rustfmt::skip]
static SPECS: &[Spec] = &[
    // Collections.
    spec("alltrue", 1, ONE, Shallow, R::Bool, collections::alltrue),
    spec("anytrue", 1, ONE, Shallow, R::Bool, collections::anytrue),
    spec("chunklist", 2, TWO, Shallow, R::Any, collections::chunklist),
    spec("coalesce", 1, MANY, Own, R::Any, collections::coalesce),
    spec("coalescelist", 1, MANY, Own, R::Any, collections::coalescelist),
    spec("compact", 1, ONE, Wholly, R::ListOfString, collections::compact),
    spec("concat", 0, MANY, Shallow, R::Any, collections::concat),
    spec("contains", 2, TWO, Wholly, R::Bool, collections::contains),
    spec("distinct", 1, ONE, Wholly, R::Any, collections::distinct),
    spec("element", 2, TWO, Shallow, R::Any, collections::element),
    spec("flatten", 1, ONE, Shallow, R::Any, collections::flatten),
    spec("index", 2, TWO, Wholly, R::Number, collections::index),
    spec("keys", 1, ONE, Shallow, R::ListOfString, collections::keys),
    spec("length", 1, ONE, Shallow, R::Number, collections::length),
    spec("lookup", 2, THREE, Own, R::Any, collections::lookup),
    spec("matchkeys", 3, THREE, Wholly, R::Any, collections::matchkeys),
    spec("merge", 0, MANY, Shallow, R::Any, collections::merge),
    spec("one", 1, ONE, Shallow, R::Any, collections::one),
    spec("reverse", 1, ONE, Shallow, R::Any, collections::reverse),
    spec("setintersection", 1, MANY, Wholly, R::Any, collections::setintersection),
    spec("setproduct", 2, MANY, Wholly, R::Any, collections::setproduct),
    spec("setsubtract", 2, TWO, Wholly, R::Any, collections::setsubtract),
    spec("setunion", 1, MANY, Wholly, R::Any, collections::setunion),
    spec("slice", 3, THREE, Shallow, R::Any, collections::slice),
    spec("sort", 1, ONE, Wholly, R::ListOfString, collections::sort),
    spec("transpose", 1, ONE, Wholly, R::Any, collections::transpose),
    spec("values", 1, ONE, Shallow, R::Any, collections::values),
    spec("zipmap", 2, TWO, Shallow, R::Any, collections::zipmap),
    // Type conversion and marks.
    spec("nonsensitive", 1, ONE, Own, R::Any, conversion::nonsensitive),
    spec("sensitive", 1, ONE, Own, R::Any, conversion::sensitive),
    spec("tobool", 1, ONE, Shallow, R::Bool, conversion::tobool),
    spec("tolist", 1, ONE, Shallow, R::Any, conversion::tolist),
    spec("tomap", 1, ONE, Shallow, R::Any, conversion::tomap),
    spec("tonumber", 1, ONE, Shallow, R::Number, conversion::tonumber),
    spec("toset", 1, ONE, Wholly, R::Any, conversion::toset),
    spec("tostring", 1, ONE, Shallow, R::String, conversion::tostring),
    // Numbers.
    spec("abs", 1, ONE, Wholly, R::Number, numeric::abs),
    spec("ceil", 1, ONE, Wholly, R::Number, numeric::ceil),
    spec("floor", 1, ONE, Wholly, R::Number, numeric::floor),
    spec("log", 2, TWO, Wholly, R::Number, numeric::log),
    spec("max", 1, MANY, Wholly, R::Number, numeric::max),
    spec("min", 1, MANY, Wholly, R::Number, numeric::min),
    spec("parseint", 2, TWO, Wholly, R::Number, numeric::parseint),
    spec("pow", 2, TWO, Wholly, R::Number, numeric::pow),
    spec("range", 1, THREE, Wholly, R::Any, numeric::range),
    spec("signum", 1, ONE, Wholly, R::Number, numeric::signum),
    spec("sum", 1, ONE, Wholly, R::Number, numeric::sum),
    // Strings.
    spec("chomp", 1, ONE, Wholly, R::String, strings::chomp),
    spec("endswith", 2, TWO, Wholly, R::Bool, strings::endswith),
    spec("format", 1, MANY, Wholly, R::String, format::format),
    spec("formatlist", 1, MANY, Shallow, R::ListOfString, format::formatlist),
    spec("indent", 2, TWO, Wholly, R::String, strings::indent),
    spec("join", 2, MANY, Wholly, R::String, strings::join),
    spec("lower", 1, ONE, Wholly, R::String, strings::lower),
    spec("regex", 2, TWO, Wholly, R::Any, strings::regex),
    spec("regexall", 2, TWO, Wholly, R::Any, strings::regexall),
    spec("replace", 3, THREE, Wholly, R::String, strings::replace),
    spec("split", 2, TWO, Wholly, R::ListOfString, strings::split),
    spec("startswith", 2, TWO, Wholly, R::Bool, strings::startswith),
    spec("strcontains", 2, TWO, Wholly, R::Bool, strings::strcontains),
    spec("strrev", 1, ONE, Wholly, R::String, strings::strrev),
    spec("substr", 3, THREE, Wholly, R::String, strings::substr),
    spec("title", 1, ONE, Wholly, R::String, strings::title),
    spec("trim", 2, TWO, Wholly, R::String, strings::trim),
    spec("trimprefix", 2, TWO, Wholly, R::String, strings::trimprefix),
    spec("trimspace", 1, ONE, Wholly, R::String, strings::trimspace),
    spec("trimsuffix", 2, TWO, Wholly, R::String, strings::trimsuffix),
    spec("upper", 1, ONE, Wholly, R::String, strings::upper),
    // Encoding and hashing.
    spec("base64decode", 1, ONE, Wholly, R::String, encoding::base64decode),
    spec("base64encode", 1, ONE, Wholly, R::String, encoding::base64encode),
    spec("base64sha256", 1, ONE, Wholly, R::String, encoding::base64sha256),
    spec("jsondecode", 1, ONE, Wholly, R::Any, encoding::jsondecode),
    spec("jsonencode", 1, ONE, Wholly, R::String, encoding::jsonencode),
    spec("md5", 1, ONE, Wholly, R::String, encoding::md5),
    spec("sha1", 1, ONE, Wholly, R::String, encoding::sha1),
    spec("sha256", 1, ONE, Wholly, R::String, encoding::sha256),
    spec("sha512", 1, ONE, Wholly, R::String, encoding::sha512),
    spec("urlencode", 1, ONE, Wholly, R::String, encoding::urlencode),
    spec("timestamp", 0, Some(0), Always, R::String, encoding::known_after_apply),
    spec("uuid", 0, Some(0), Always, R::String, encoding::known_after_apply),
    // Networks.
    spec("cidrhost", 2, TWO, Wholly, R::String, network::cidrhost),
    spec("cidrnetmask", 1, ONE, Wholly, R::String, network::cidrnetmask),
    spec("cidrsubnet", 3, THREE, Wholly, R::String, network::cidrsubnet),
    spec("cidrsubnets", 1, MANY, Wholly, R::ListOfString, network::cidrsubnets),
    // Files.
    spec("basename", 1, ONE, Wholly, R::String, filesystem::basename),
    spec("dirname", 1, ONE, Wholly, R::String, filesystem::dirname),
    Spec { name: "file", min: 1, max: ONE, unknowns: Wholly, ret: R::String, imp: Imp::Ctx(filesystem::file) },
    Spec { name: "filebase64", min: 1, max: ONE, unknowns: Wholly, ret: R::String, imp: Imp::Ctx(filesystem::filebase64) },
    Spec { name: "fileexists", min: 1, max: ONE, unknowns: Wholly, ret: R::Bool, imp: Imp::Ctx(filesystem::fileexists) },
    Spec { name: "templatefile", min: 2, max: TWO, unknowns: Shallow, ret: R::Any, imp: Imp::Ctx(filesystem::templatefile) },
];

/// Functions the expression evaluator implements because they take
/// unevaluated arguments.
const EVALUATOR_FUNCTIONS: [&str; 2] = ["can", "try"];

static NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut names: Vec<&'static str> = SPECS.iter().map(|s| s.name).chain(EVALUATOR_FUNCTIONS).collect();
    names.sort_unstable();
    names
});

/// Names of every function, for "did you mean" and docs (includes `try` and `can`).
pub fn names() -> &'static [&'static str] {
    &NAMES
}

/// Call a function by name.
pub fn call(name: &str, args: Vec<Value>, ctx: &FnCtx) -> Result<Value, FnError> {
    let spec = SPECS.iter().find(|s| s.name == name).ok_or(FnError::Unknown)?;
    check_arity(spec, args.len())?;
    if name == "nonsensitive" {
        // The one function whose purpose is to drop the sensitive mark.
        return conversion::nonsensitive(&args);
    }
    let mut sensitive = false;
    let args: Vec<Value> = args
        .into_iter()
        .map(|a| {
            let (a, s) = a.unmark_deep();
            sensitive |= s;
            a
        })
        .collect();
    let unknown = match spec.unknowns {
        Wholly => !args.iter().all(Value::is_wholly_known),
        Shallow => args.iter().any(Value::is_unknown),
        Own => false,
        Always => true,
    };
    let result = if unknown {
        Value::Unknown(spec.ret.ty())
    } else {
        let result = match spec.imp {
            Imp::Pure(f) => f(&args),
            Imp::Ctx(f) => f(&args, ctx),
        };
        result.map_err(|e| if sensitive { e.hidden() } else { e })?
    };
    Ok(result.mark_if(sensitive))
}

fn check_arity(spec: &Spec, got: usize) -> Result<(), FnError> {
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    let expected = match spec.max {
        Some(max) if got >= spec.min && got <= max => return Ok(()),
        None if got >= spec.min => return Ok(()),
        Some(0) => "no arguments".to_string(),
        Some(max) if max == spec.min => format!("{max} {}", plural(max)),
        Some(max) => format!("{} to {max} arguments", spec.min),
        None => format!("at least {} {}", spec.min, plural(spec.min)),
    };
    Err(FnError::Arity(format!("expects {expected}, got {got}")))
}

// Argument helpers shared by the function modules. Arguments reach the
// functions without sensitive marks; unknowns only where `Unknowns` allows.

pub(crate) fn arg_err(index: usize, message: impl Into<String>) -> FnError {
    FnError::Arg { index, message: message.into() }
}

/// The argument at `i`, which must not be null. Arity was checked, so a
/// missing argument is reported rather than indexed.
pub(crate) fn present(args: &[Value], i: usize) -> Result<&Value, FnError> {
    match args.get(i) {
        None => Err(arg_err(i, "argument is missing")),
        Some(Value::Null) => Err(arg_err(i, "argument must not be null")),
        Some(v) => Ok(v),
    }
}

/// A string argument; numbers and bools convert as Terraform converts them.
pub(crate) fn string_arg(args: &[Value], i: usize) -> Result<String, FnError> {
    match present(args, i)? {
        Value::String(s) => Ok(s.to_string()),
        v => v.to_template_string().ok_or_else(|| arg_err(i, format!("string required, got {}", v.type_name()))),
    }
}

/// A number argument; strings holding a decimal number convert.
pub(crate) fn number_arg(args: &[Value], i: usize) -> Result<f64, FnError> {
    match present(args, i)? {
        Value::Number(n) => Ok(*n),
        v => match v.convert(&Type::Number) {
            Ok(Value::Number(n)) => Ok(n),
            Ok(_) => Err(arg_err(i, "number required")),
            Err(e) => Err(arg_err(i, e)),
        },
    }
}

/// A whole-number argument that fits an `i64`.
pub(crate) fn int_arg(args: &[Value], i: usize) -> Result<i64, FnError> {
    let n = number_arg(args, i)?;
    whole(n).ok_or_else(|| arg_err(i, format!("a whole number is required, got {}", strata_core::format_number(n))))
}

/// `n` as an `i64` when it is a whole number in range.
pub(crate) fn whole(n: f64) -> Option<i64> {
    // -2^63 is exactly representable; 2^63 and above do not fit.
    let limit = i64::MIN as f64;
    (n.fract() == 0.0 && (limit..-limit).contains(&n)).then_some(n as i64)
}

/// The elements of a list, tuple or set argument.
pub(crate) fn seq_arg(args: &[Value], i: usize) -> Result<&[Value], FnError> {
    let v = present(args, i)?;
    v.as_seq().ok_or_else(|| arg_err(i, format!("list, tuple or set required, got {}", v.type_name())))
}

/// The elements of a list or tuple argument (sets have no order to index).
pub(crate) fn list_arg(args: &[Value], i: usize) -> Result<&[Value], FnError> {
    match present(args, i)? {
        Value::List(vs) => Ok(vs),
        v => Err(arg_err(i, format!("list or tuple required, got {}", v.type_name()))),
    }
}

pub(crate) fn map_arg(args: &[Value], i: usize) -> Result<&BTreeMap<String, Value>, FnError> {
    let v = present(args, i)?;
    v.as_map().ok_or_else(|| arg_err(i, format!("map or object required, got {}", v.type_name())))
}

/// Rounds the result of arithmetic to the 15 significant digits Terraform
/// prints, so that `0.1 + 0.2` equals `0.3`; whole numbers stay exact.
pub(crate) fn tidy(n: f64) -> f64 {
    if n.fract() == 0.0 || !n.is_finite() { n } else { format!("{n:.14e}").parse().unwrap_or(n) }
}

/// A list of strings.
pub(crate) fn string_list(items: impl IntoIterator<Item = String>) -> Value {
    Value::List(items.into_iter().map(Value::string).collect())
}
