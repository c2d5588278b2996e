//! Test helpers shared by the function modules, and the tests of what
//! [`crate::call`] does for every function: names, arity, marks, unknowns,
//! and surviving hostile arguments.

use std::path::Path;

use strata_core::{Type, Value};

use crate::{FnCtx, FnError, names};

pub(crate) fn s(v: &str) -> Value {
    Value::string(v)
}

pub(crate) fn n(v: f64) -> Value {
    Value::Number(v)
}

pub(crate) fn list(vs: Vec<Value>) -> Value {
    Value::List(vs.into())
}

pub(crate) fn strs(vs: &[&str]) -> Value {
    Value::List(vs.iter().map(|v| s(v)).collect())
}

pub(crate) fn nums(vs: &[f64]) -> Value {
    Value::List(vs.iter().map(|v| n(*v)).collect())
}

pub(crate) fn secret(v: Value) -> Value {
    Value::Sensitive(Box::new(v))
}

fn no_template(_: &str, _: &Value) -> Result<Value, String> {
    Err("templates are not rendered in this test".into())
}

/// Calls a function with a module directory that does not exist.
pub(crate) fn call(name: &str, args: Vec<Value>) -> Result<Value, FnError> {
    let ctx = FnCtx { module_dir: Path::new("/nonexistent/strata-functions-test"), render_template: &no_template };
    crate::call(name, args, &ctx)
}

#[track_caller]
pub(crate) fn check(name: &str, args: Vec<Value>, want: Value) {
    let shown = format!("{name}({args:?})");
    match call(name, args) {
        Ok(got) => assert_eq!(got, want, "{shown}"),
        Err(e) => panic!("{shown} failed: {e}"),
    }
}

#[track_caller]
pub(crate) fn check_err(name: &str, args: Vec<Value>, needle: &str) {
    let shown = format!("{name}({args:?})");
    match call(name, args) {
        Ok(got) => panic!("{shown} returned {got:?}, expected an error containing {needle:?}"),
        Err(e) => assert!(e.to_string().contains(needle), "{shown}: error {e:?} does not contain {needle:?}"),
    }
}

#[test]
fn names_cover_the_library_and_the_evaluator_functions() {
    let names = names();
    let required = [
        "length",
        "lookup",
        "merge",
        "concat",
        "flatten",
        "distinct",
        "contains",
        "keys",
        "values",
        "element",
        "slice",
        "index",
        "zipmap",
        "coalesce",
        "compact",
        "range",
        "min",
        "max",
        "abs",
        "ceil",
        "floor",
        "format",
        "formatlist",
        "join",
        "split",
        "lower",
        "upper",
        "title",
        "trimspace",
        "replace",
        "substr",
        "startswith",
        "endswith",
        "regex",
        "regexall",
        "tostring",
        "tonumber",
        "tobool",
        "tolist",
        "toset",
        "tomap",
        "jsonencode",
        "jsondecode",
        "base64encode",
        "base64decode",
        "cidrsubnet",
        "cidrhost",
        "cidrnetmask",
        "file",
        "templatefile",
        "alltrue",
        "anytrue",
        "one",
        "sum",
        "reverse",
        "sort",
        "chunklist",
        "coalescelist",
        "setunion",
        "setintersection",
        "setsubtract",
        "trimprefix",
        "trimsuffix",
        "trim",
        "md5",
        "sha1",
        "sha256",
        "uuid",
        "timestamp",
        "try",
        "can",
    ];
    for name in required {
        assert!(names.contains(&name), "{name} missing from names()");
    }
    assert!(names.windows(2).all(|w| w[0] < w[1]), "names() must be sorted and free of duplicates");
    assert_eq!(call("lenght", vec![]), Err(FnError::Unknown));
    assert_eq!(call("try", vec![s("a")]), Err(FnError::Unknown), "try is the evaluator's");
    assert_eq!(strata_core::did_you_mean("lenght", names.iter()).as_deref(), Some("length"));
}

#[test]
fn arity_is_checked_before_anything_else() {
    assert_eq!(call("length", vec![]), Err(FnError::Arity("expects 1 argument, got 0".into())));
    assert_eq!(call("cidrsubnet", vec![s("10.0.0.0/8")]), Err(FnError::Arity("expects 3 arguments, got 1".into())));
    assert_eq!(call("lookup", vec![Value::unknown()]), Err(FnError::Arity("expects 2 to 3 arguments, got 1".into())));
    assert_eq!(call("min", vec![]), Err(FnError::Arity("expects at least 1 argument, got 0".into())));
    assert_eq!(call("join", vec![s(",")]), Err(FnError::Arity("expects at least 2 arguments, got 1".into())));
    assert_eq!(call("uuid", vec![s("x")]), Err(FnError::Arity("expects no arguments, got 1".into())));
    // Variadic functions take any count Terraform takes.
    let many: Vec<Value> = (0..50).map(|i| n(f64::from(i))).collect();
    assert_eq!(call("max", many.clone()).unwrap(), n(49.0));
    let mut fmt = vec![s(&"%d".repeat(50))];
    fmt.extend(many);
    assert!(call("format", fmt).is_ok());
    assert_eq!(call("concat", vec![strs(&["a"]); 20]).unwrap().as_seq().unwrap().len(), 20);
}

#[test]
fn sensitive_arguments_make_sensitive_results() {
    check("upper", vec![secret(s("abc"))], secret(s("ABC")));
    check("length", vec![list(vec![secret(s("a")), s("b")])], secret(n(2.0)));
    check("keys", vec![Value::map([("a", secret(n(1.0)))])], secret(strs(&["a"])));
    check("cidrsubnet", vec![s("10.0.0.0/8"), secret(n(8.0)), n(1.0)], secret(s("10.1.0.0/16")));
    check("upper", vec![secret(Value::unknown())], secret(Value::Unknown(Type::String)));
    check("upper", vec![s("abc")], s("ABC"));
    // Errors stay errors; the mark hides only what they would say about the value.
    check_err("upper", vec![secret(strs(&["a"]))], "invalid value for argument 1: (sensitive value)");
}

/// Guards against error messages that quote sensitive arguments: each of
/// these calls fails on a sensitive canary, and the message names the
/// argument but never the value.
#[test]
fn errors_never_quote_sensitive_arguments() {
    let canary = "c4n4ry-fn-s3cret";
    let cases: Vec<(&str, Vec<Value>)> = vec![
        ("tonumber", vec![secret(s(canary))]),
        ("tobool", vec![secret(s(canary))]),
        ("parseint", vec![secret(s(canary)), n(10.0)]),
        ("parseint", vec![s("zz"), secret(n(1.0))]),
        ("cidrsubnet", vec![secret(s(canary)), n(8.0), n(1.0)]),
        ("cidrsubnet", vec![s("10.0.0.0/8"), n(8.0), secret(n(7331.0))]),
        ("cidrhost", vec![secret(s(canary)), n(1.0)]),
        ("file", vec![secret(s(canary))]),
        ("lookup", vec![secret(Value::map([(canary, n(1.0))])), s("missing")]),
        ("lookup", vec![Value::map([("a", n(1.0))]), secret(s(canary))]),
        ("format", vec![s("%d"), secret(s(canary))]),
        ("format", vec![secret(s(&format!("{canary} %d %d")))]),
        ("element", vec![secret(list(vec![])), n(1.0)]),
        ("jsondecode", vec![secret(s(canary))]),
        ("regex", vec![secret(s(&format!("({canary}"))), s("x")]),
        ("base64decode", vec![secret(s(canary))]),
        ("tolist", vec![secret(s(canary))]),
        ("tonumber", vec![list(vec![secret(s(canary))])]),
        ("templatefile", vec![s(canary), secret(Value::map([("k", s(canary))]))]),
    ];
    for (name, args) in cases {
        let shown = format!("{name}(...)");
        let err = call(name, args).expect_err(&shown).to_string();
        assert!(!err.contains(canary) && !err.contains("7331"), "{shown}: {err}");
        assert!(err.contains("(sensitive value)"), "{shown}: {err}");
    }
    // Without the mark, the same failures explain themselves.
    let err = call("tonumber", vec![s("abc")]).unwrap_err().to_string();
    assert!(err.contains("\"abc\""), "{err}");
}

/// The same guard over every function and many argument shapes: whatever
/// fails with a sensitive canary among its arguments does not quote it.
#[test]
fn no_function_error_quotes_a_sensitive_canary() {
    let canary = "c4n4ry-any-s3cret";
    let marked = [
        secret(s(canary)),
        secret(n(7331.25)),
        list(vec![s("a"), secret(s(canary))]),
        secret(Value::map([(canary, s("v"))])),
        Value::map([("k", secret(s(canary)))]),
    ];
    let pool = odd_values();
    let mut failures = 0;
    for &name in names() {
        for m in &marked {
            let mut arg_lists = vec![vec![m.clone()]];
            for other in pool.iter().step_by(2) {
                arg_lists.push(vec![m.clone(), other.clone()]);
                arg_lists.push(vec![other.clone(), m.clone()]);
                arg_lists.push(vec![other.clone(), n(1.0), m.clone()]);
            }
            for args in arg_lists {
                if let Err(e) = call(name, args) {
                    let e = e.to_string();
                    assert!(!e.contains(canary) && !e.contains("7331"), "{name}: {e}");
                    failures += 1;
                }
            }
        }
    }
    assert!(failures > 1000, "the canaries must reach error paths ({failures})");
}

#[test]
fn unknown_arguments_make_unknown_results_of_the_right_type() {
    check("uuid", vec![], Value::Unknown(Type::String));
    check("timestamp", vec![], Value::Unknown(Type::String));
    check("upper", vec![Value::unknown()], Value::Unknown(Type::String));
    check("length", vec![Value::unknown()], Value::Unknown(Type::Number));
    check("join", vec![s(","), Value::unknown()], Value::Unknown(Type::String));
    check("split", vec![s(","), Value::Unknown(Type::String)], Value::Unknown(Type::list(Type::String)));
    check("cidrsubnet", vec![s("10.0.0.0/8"), n(8.0), Value::unknown()], Value::Unknown(Type::String));
    check("merge", vec![Value::map([("a", n(1.0))]), Value::unknown()], Value::unknown());
    check("jsonencode", vec![Value::map([("a", Value::unknown())])], Value::Unknown(Type::String));
    check("element", vec![list(vec![s("a"), Value::unknown()]), n(0.0)], s("a"));
}

/// Values chosen to break things: nulls, unknowns, marks, empty and nested
/// collections, huge, negative, fractional, infinite and NaN numbers, and
/// strings that are special to some function.
fn odd_values() -> Vec<Value> {
    vec![
        Value::Null,
        Value::unknown(),
        Value::Unknown(Type::list(Type::String)),
        secret(s("x")),
        s(""),
        s("abc"),
        s("%"),
        s("%[99]d %.*f %-0+#5.3q"),
        s("/(/"),
        s("10.0.0.0/8"),
        s("fd00::/8"),
        s("::/0"),
        s("-1"),
        n(0.0),
        n(-1.0),
        n(1.5),
        n(1e300),
        n(-1e300),
        n(f64::NAN),
        n(f64::INFINITY),
        n(9.3e18),
        n(-0.0),
        Value::Bool(true),
        list(vec![]),
        list(vec![Value::Null, Value::unknown(), secret(n(1.0))]),
        list(vec![list(vec![s("a")]), Value::map([("k", list(vec![]))])]),
        Value::set(vec![n(2.0), n(1.0)]),
        Value::map::<String>([]),
        Value::map([("a", strs(&["b"])), ("b", Value::Null)]),
    ]
}

#[test]
fn no_function_panics_on_odd_arguments() {
    let pool = odd_values();
    let small: Vec<Value> = pool.iter().step_by(3).cloned().collect();
    let mut calls = 0;
    for &name in names() {
        let mut arg_lists: Vec<Vec<Value>> = vec![vec![]];
        arg_lists.extend(pool.iter().map(|a| vec![a.clone()]));
        for a in &pool {
            arg_lists.extend(pool.iter().map(|b| vec![a.clone(), b.clone()]));
        }
        for a in &small {
            for b in &small {
                arg_lists.extend(small.iter().map(|c| vec![a.clone(), b.clone(), c.clone()]));
            }
        }
        arg_lists.push(vec![n(1.0); 4]);
        arg_lists.push(vec![s("%s%s%s"), s("a"), s("b"), s("c")]);
        for args in arg_lists {
            let shown = format!("{name}({args:?})");
            let result = std::panic::catch_unwind(|| call(name, args));
            assert!(result.is_ok(), "{shown} panicked");
            calls += 1;
        }
    }
    assert!(calls > 10_000);
}

#[test]
fn results_never_contain_nan() {
    // Terraform has no NaN: arithmetic that would produce one is an error.
    for (name, args) in [("log", vec![n(-1.0), n(2.0)]), ("pow", vec![n(-8.0), n(1.0 / 3.0)])] {
        assert!(call(name, args).is_err(), "{name}");
    }
}
