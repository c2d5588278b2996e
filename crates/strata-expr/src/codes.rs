//! Stable diagnostic codes emitted by the evaluator. Tests and tools match on
//! these strings; never change one once released.

/// A root name, attribute or object key that does not exist on a reference path.
pub const UNKNOWN_REFERENCE: &str = "strata::config::unknown_reference";
/// A bad index or key: out of range, missing map key, indexing a set or a primitive.
pub const INVALID_INDEX: &str = "strata::eval::invalid_index";
/// An operand, condition, key or interpolation of the wrong type.
pub const TYPE_MISMATCH: &str = "strata::eval::type_mismatch";
pub const DIVISION_BY_ZERO: &str = "strata::eval::division_by_zero";
/// Arithmetic or a function whose result is infinite or not a number.
pub const NON_FINITE: &str = "strata::eval::non_finite_number";
/// The same key twice in an object constructor or an object `for` expression.
pub const DUPLICATE_KEY: &str = "strata::eval::duplicate_key";
pub const UNKNOWN_FUNCTION: &str = "strata::eval::unknown_function";
pub const FUNCTION_ARITY: &str = "strata::eval::function_arity";
pub const FUNCTION_ARGUMENT: &str = "strata::eval::function_argument";
pub const FUNCTION_ERROR: &str = "strata::eval::function_error";
/// Expressions nested deeper than the evaluator's recursion limit.
pub const TOO_DEEP: &str = "strata::eval::too_deep";
/// An expression that needs more work or memory than one evaluation may use.
pub const TOO_EXPENSIVE: &str = "strata::eval::too_expensive";
/// A template string (from `eval_template_str`) that does not parse.
pub const TEMPLATE_SYNTAX: &str = "strata::eval::template_syntax";
/// A type constraint that is not one of the valid forms.
pub const INVALID_TYPE: &str = "strata::config::invalid_type";
