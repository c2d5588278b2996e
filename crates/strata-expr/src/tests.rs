//! Unit tests of expression evaluation.

use std::collections::BTreeMap;
use std::path::Path;

use hcl_edit::expr::{Array, Expression, Parenthesis};
use strata_core::{Diagnostic, Diagnostics, FileId, ObjectAttr, Type, Value};

use crate::{ExprCtx, RefStep, Reference, codes, eval_expr, eval_template_str, parse_type_constraint, references};

fn s(v: &str) -> Value {
    Value::string(v)
}

fn n(v: f64) -> Value {
    Value::Number(v)
}

fn list(vs: impl IntoIterator<Item = Value>) -> Value {
    Value::List(vs.into_iter().collect())
}

fn obj<'a>(items: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    Value::map(items)
}

fn secret(v: Value) -> Value {
    Value::Sensitive(Box::new(v))
}

fn scope() -> BTreeMap<String, Value> {
    let mut m = BTreeMap::new();
    m.insert(
        "var".into(),
        obj([
            ("list", list([s("a"), s("b"), s("c")])),
            ("nums", list([n(1.0), n(2.0), n(3.0)])),
            ("map", obj([("abc", n(1.0)), ("1", s("one"))])),
            ("set", Value::set(vec![s("y"), s("x")])),
            ("region", s("eu-west-1")),
            ("count", n(3.0)),
            ("flag", s("true")),
            ("nothing", Value::Null),
            ("pending", Value::unknown()),
            ("secret", secret(obj([("password", s("hunter2"))]))),
            ("secret_num", secret(n(41.0))),
            ("objs", list([obj([("tags", list([s("t0"), s("t1")]))]), obj([("tags", list([s("u0")]))])])),
        ]),
    );
    m.insert("local".into(), obj([("m", obj([("abc", n(1.0)), ("xyz", n(2.0))])), ("k", s("dyn"))]));
    m.insert("aws_subnet".into(), obj([("public", obj([("id", s("subnet-1"))])), ("private", obj([("id", s("subnet-2"))]))]));
    m.insert(
        "aws_instance".into(),
        obj([
            ("web", obj([("id", s("i-web")), ("tags", obj([("Name", s("web"))]))])),
            ("app", list([obj([("id", s("i-0"))]), obj([("id", s("i-1"))])])),
            ("pending", obj([("id", Value::Unknown(Type::String))])),
        ]),
    );
    m
}

fn eval_with(src: &str, scope: &BTreeMap<String, Value>) -> Result<Value, Diagnostics> {
    let expr = hcl_edit::parser::parse_expr(src).unwrap_or_else(|e| panic!("{src:?} does not parse: {e}"));
    let ctx = ExprCtx { file: FileId(0), scope, module_dir: Path::new(".") };
    eval_expr(&expr, &ctx)
}

fn eval(src: &str) -> Result<Value, Diagnostics> {
    eval_with(src, &scope())
}

#[track_caller]
fn check(src: &str, expected: Value) {
    match eval(src) {
        Ok(v) => assert_eq!(v, expected, "{src}"),
        Err(d) => panic!("{src}: unexpected error {d:#?}"),
    }
}

/// Evaluate `src`, expect one error with `code` whose primary label covers
/// exactly `label` in the source; returns the diagnostic for further checks.
#[track_caller]
fn check_err(src: &str, code: &str, label: &str) -> Diagnostic {
    let diags = match eval(src) {
        Ok(v) => panic!("{src}: expected {code}, got {v:?}"),
        Err(d) => d,
    };
    assert_eq!(diags.0.len(), 1, "{src}: {diags:#?}");
    let d = diags.0.into_iter().next().unwrap();
    assert_eq!(d.code, code, "{src}: {d:#?}");
    let span = d.primary_span().unwrap_or_else(|| panic!("{src}: no label in {d:#?}"));
    assert_eq!(&src[span.range.clone()], label, "{src}: {d:#?}");
    d
}

fn help(d: &Diagnostic) -> &str {
    d.help.as_deref().unwrap_or("")
}

#[test]
fn literals_and_collections() {
    check("null", Value::Null);
    check("true", Value::Bool(true));
    check("42", n(42.0));
    check("-1.5", n(-1.5));
    check("\"hi\\n\"", s("hi\n"));
    check("[1, \"a\", [true]]", list([n(1.0), s("a"), list([Value::Bool(true)])]));
    check("{a = 1, \"b c\" = 2, (local.k) = 3, 4 = 4}", obj([("a", n(1.0)), ("b c", n(2.0)), ("dyn", n(3.0)), ("4", n(4.0))]));
    check("((1 + 2)) * 3", n(9.0));
    check("9007199254740991 - 1", n(9007199254740990.0));
}

#[test]
fn duplicate_and_bad_object_keys() {
    let d = check_err("{a = 1, \"a\" = 2}", codes::DUPLICATE_KEY, "\"a\"");
    assert!(d.message.contains("\"a\""), "{d:?}");
    check_err("{(var.list) = 1}", codes::TYPE_MISMATCH, "(var.list)");
    check_err("{(var.nothing) = 1}", codes::TYPE_MISMATCH, "(var.nothing)");
    assert_eq!(eval("{(var.pending) = 1}").unwrap(), Value::unknown());
}

#[test]
fn array_errors_are_all_reported() {
    let d = eval("[nope1, 1, nope2]").unwrap_err();
    assert_eq!(d.0.len(), 2, "{d:#?}");
    assert!(d.iter().all(|d| d.code == codes::UNKNOWN_REFERENCE));
}

#[test]
fn unknown_root_names_suggest() {
    let d = check_err("locl.m", codes::UNKNOWN_REFERENCE, "locl");
    assert_eq!(help(&d), "did you mean `local`?");
    let d = check_err("zzzzzz", codes::UNKNOWN_REFERENCE, "zzzzzz");
    assert!(d.help.is_none());
}

#[test]
fn traversals() {
    check("aws_subnet.public.id", s("subnet-1"));
    check("aws_instance.app[1].id", s("i-1"));
    check("var.list[1]", s("b"));
    check("var.list.2", s("c"));
    check("var.list[\"0\"]", s("a"));
    check("var.map[\"abc\"]", n(1.0));
    check("var.map[1]", s("one"));
    check("local.m[local.k == \"dyn\" ? \"xyz\" : \"abc\"]", n(2.0));
    check("[[1, 2], [3]][0][1]", n(2.0));
    check("{a = {b = 5}}.a.b", n(5.0));
}

#[test]
fn missing_attributes_name_the_path_and_suggest() {
    let d = check_err("aws_subnet.pubic.id", codes::UNKNOWN_REFERENCE, "aws_subnet.pubic");
    assert_eq!(d.message, "`aws_subnet` has no attribute `pubic`");
    assert_eq!(help(&d), "did you mean `aws_subnet.public`?");
    let d = check_err("local.m[\"abd\"]", codes::INVALID_INDEX, "local.m[\"abd\"]");
    assert_eq!(help(&d), "did you mean `local.m[\"abc\"]`?");
    let d = check_err("aws_instance.app[0].idd", codes::INVALID_INDEX, "aws_instance.app[0].idd");
    assert_eq!(help(&d), "did you mean `aws_instance.app[0].id`?");
    let d = check_err("aws_instance.web.qqqqq", codes::UNKNOWN_REFERENCE, "aws_instance.web.qqqqq");
    assert_eq!(help(&d), "available: id, tags");
    // A resource with `count` is a list: the help points at the splat.
    let d = check_err("aws_instance.app.id", codes::UNKNOWN_REFERENCE, "aws_instance.app.id");
    assert!(help(&d).contains("aws_instance.app[*].id"), "{d:?}");
    check_err("var.nothing.x", codes::INVALID_INDEX, "var.nothing.x");
    check_err("var.region.x", codes::INVALID_INDEX, "var.region.x");
}

#[test]
fn bad_indexes() {
    let d = check_err("var.list[5]", codes::INVALID_INDEX, "var.list[5]");
    assert_eq!(d.message, "index 5 is out of range for `var.list`, which has 3 elements");
    check_err("var.list[-1]", codes::INVALID_INDEX, "var.list[-1]");
    check_err("var.list[1.5]", codes::INVALID_INDEX, "var.list[1.5]");
    check_err("var.list[\"x\"]", codes::INVALID_INDEX, "var.list[\"x\"]");
    let d = check_err("var.set[0]", codes::INVALID_INDEX, "var.set[0]");
    assert!(help(&d).contains("tolist"));
    check_err("var.map[[1]]", codes::INVALID_INDEX, "var.map[[1]]");
    check_err("var.nothing[0]", codes::INVALID_INDEX, "var.nothing[0]");
    check_err("var.list.9", codes::INVALID_INDEX, "var.list.9");
}

#[test]
fn splats() {
    check("aws_instance.app[*].id", list([s("i-0"), s("i-1")]));
    check("aws_instance.app.*.id", list([s("i-0"), s("i-1")]));
    // A splat on a single object wraps it, on null gives an empty list.
    check("aws_instance.web.*.id", list([s("i-web")]));
    check("aws_instance.web[*].tags.Name", list([s("web")]));
    check("var.nothing[*].id", list([]));
    check("var.set[*]", list([s("x"), s("y")]));
    // The full splat applies indexes to each element; the attribute splat
    // ends at the first index, which then applies to the resulting list.
    check("var.objs[*].tags[0]", list([s("t0"), s("u0")]));
    check("var.objs.*.tags[0]", list([s("t0"), s("t1")]));
    check("var.objs[*].tags[*]", list([list([s("t0"), s("t1")]), list([s("u0")])]));
    check_err("aws_instance.app[*].nope", codes::INVALID_INDEX, "aws_instance.app[*].nope");
}

#[test]
fn unknown_and_sensitive_traversals() {
    check("var.pending.a.b[0]", Value::unknown());
    check("aws_instance.pending.id", Value::Unknown(Type::String));
    check("var.list[var.pending]", Value::unknown());
    check("var.secret.password", secret(s("hunter2")));
    check("var.secret", secret(obj([("password", s("hunter2"))])));
    check("var.list[var.secret_num - 40]", secret(s("b")));
    check("[var.secret][*].password", list([secret(s("hunter2"))]));
}

#[test]
fn arithmetic_and_comparison() {
    check("1 + 2 * 3 - 4", n(3.0));
    check("\"3\" + 4", n(7.0));
    check("7 / 2", n(3.5));
    check("7 % 3", n(1.0));
    check("-7 % 3", n(-1.0));
    check("-var.count", n(-3.0));
    assert_eq!(strata_core::format_number(eval("0.1 + 0.2").unwrap().as_f64().unwrap()), "0.3");
    check("0.1 + 0.2 == 0.3", Value::Bool(true));
    check("3 > 2", Value::Bool(true));
    check("\"10\" > 9", Value::Bool(true));
    check("2 <= 2", Value::Bool(true));
    check("1 >= 2", Value::Bool(false));
    check("1 < 0", Value::Bool(false));
}

#[test]
fn equality_compares_type_and_value() {
    check("1 == \"1\"", Value::Bool(false));
    check("1 != \"1\"", Value::Bool(true));
    check("\"a\" == \"a\"", Value::Bool(true));
    check("[1, [2]] == [1, [2]]", Value::Bool(true));
    check("{a = 1} == {a = 1}", Value::Bool(true));
    check("{a = 1} == {b = 1}", Value::Bool(false));
    check("null == null", Value::Bool(true));
    check("var.nothing == null", Value::Bool(true));
    check("var.region != null", Value::Bool(true));
    check("[1, var.pending] == [2, var.pending]", Value::Bool(false));
    check("[1, var.pending] == [1, 2]", Value::Unknown(Type::Bool));
    check("var.secret_num == 41", secret(Value::Bool(true)));
    check("[var.secret_num] == [41]", secret(Value::Bool(true)));
}

#[test]
fn logic() {
    check("!true", Value::Bool(false));
    check("true && false", Value::Bool(false));
    check("false || true", Value::Bool(true));
    check("var.flag && true", Value::Bool(true));
    check("var.pending || false", Value::Unknown(Type::Bool));
    check("false && var.pending", Value::Unknown(Type::Bool));
    // A deciding left operand hides errors on the right.
    check("var.nothing != null && var.nothing.enabled", Value::Bool(false));
    check_err("true && var.nothing.enabled", codes::INVALID_INDEX, "var.nothing.enabled");
    check_err("1 && true", codes::TYPE_MISMATCH, "1");
    check_err("!\"yes\"", codes::TYPE_MISMATCH, "\"yes\"");
}

#[test]
fn operator_errors() {
    let d = check_err("1 + true", codes::TYPE_MISMATCH, "true");
    assert_eq!(d.message, "invalid operand for `+`: a number is required, got bool");
    let d = check_err("\"abc\" * 2", codes::TYPE_MISMATCH, "\"abc\"");
    assert!(d.message.contains("the string \"abc\""), "{d:?}");
    check_err("-[1]", codes::TYPE_MISMATCH, "[1]");
    check_err("1 + null", codes::TYPE_MISMATCH, "null");
    check_err("10 / (var.count - 3)", codes::DIVISION_BY_ZERO, "(var.count - 3)");
    check_err("10 % 0", codes::DIVISION_BY_ZERO, "0");
}

/// Guards against `1e308 * 10` being accepted (printed as `Infinity`, written
/// to JSON as `null`): arithmetic and function results that are not finite
/// numbers are errors with the expression's span.
#[test]
fn non_finite_results_are_errors() {
    let d = check_err("1e308 * 10", codes::NON_FINITE, "1e308 * 10");
    assert_eq!(d.message, "the result of `*` is too large for a number (it overflows to infinity)");
    assert!(help(&d).contains("1.8e308"), "{d:?}");
    check_err("-1e308 - 1e308", codes::NON_FINITE, "-1e308 - 1e308");
    check_err("1 + 1e308 / 1e-308", codes::NON_FINITE, "1e308 / 1e-308");
    check_err("[1, 2 * (1e300 * 1e300)]", codes::NON_FINITE, "1e300 * 1e300");
    let d = check_err("pow(10, 400)", codes::NON_FINITE, "pow(10, 400)");
    assert_eq!(d.message, "the result of `pow` is too large for a number (it overflows to infinity)");
    check_err("sum([1e308, 1e308])", codes::NON_FINITE, "sum([1e308, 1e308])");
    check_err("max(1e308, 1) * 10", codes::NON_FINITE, "max(1e308, 1) * 10");
    check_err("parseint(\"ff\", 16) * 1e307", codes::NON_FINITE, "parseint(\"ff\", 16) * 1e307");
    // Near the limit is still a number; an overflowing operand of a comparison is an error too.
    check("1e308 * 1.5", n(1.5e308));
    check_err("1e308 * 10 > 1", codes::NON_FINITE, "1e308 * 10");
}

#[test]
fn unknown_and_sensitive_operands() {
    check("var.pending + 1", Value::Unknown(Type::Number));
    check("-var.pending", Value::Unknown(Type::Number));
    check("var.pending > 1", Value::Unknown(Type::Bool));
    check("var.pending == 1", Value::Unknown(Type::Bool));
    check("var.secret_num + 1", secret(n(42.0)));
    check("-var.secret_num", secret(n(-41.0)));
    check("var.secret_num + var.pending", secret(Value::Unknown(Type::Number)));
    // Unknown does not hide type errors in the known operand.
    check_err("var.pending + true", codes::TYPE_MISMATCH, "true");
}

#[test]
fn conditionals() {
    check("true ? 1 : 2", n(1.0));
    check("var.flag ? \"yes\" : \"no\"", s("yes"));
    check("\"false\" ? 1 : 2", n(2.0));
    check("var.pending ? 1 : 2", Value::unknown());
    check("var.secret_num > 0 ? 1 : 2", secret(n(1.0)));
    // Branch types unify: a number meeting a string becomes a string.
    check("true ? 1 : \"x\"", s("1"));
    check("false ? \"x\" : true", s("true"));
    check("true ? 1 : 2", n(1.0));
    // Only the chosen branch's errors count.
    check("var.nothing == null ? \"none\" : var.nothing.name", s("none"));
    let d = check_err("var.count ? 1 : 2", codes::TYPE_MISMATCH, "var.count");
    assert_eq!(d.message, "condition must be bool, got number");
    check_err("null ? 1 : 2", codes::TYPE_MISMATCH, "null");
}

#[test]
fn templates() {
    check("\"a${1 + 1}b\"", s("a2b"));
    check("\"${var.region}-${var.count}-${true}\"", s("eu-west-1-3-true"));
    // Exactly one interpolation yields the value unconverted.
    check("\"${var.list}\"", list([s("a"), s("b"), s("c")]));
    check("\"${var.count}\"", n(3.0));
    check("\"$${literal} %%{x}\"", s("${literal} %{x}"));
    check("\"a ${~ \"b\" ~} c\"", s("abc"));
    check("\"a ${\"b\"} c\"", s("a b c"));
    check("\"x-${var.pending}\"", Value::Unknown(Type::String));
    check("\"p=${var.secret.password}\"", secret(s("p=hunter2")));
    let d = check_err("\"v=${var.list}\"", codes::TYPE_MISMATCH, "var.list");
    assert!(help(&d).contains("join"), "{d:?}");
    check_err("\"v=${var.nothing}\"", codes::TYPE_MISMATCH, "var.nothing");
}

#[test]
fn template_directives() {
    check("\"%{ if var.count > 2 }big%{ else }small%{ endif }\"", s("big"));
    check("\"%{ if false }big%{ else }small%{ endif }\"", s("small"));
    check("\"%{ if false }big%{ endif }!\"", s("!"));
    check("\"%{ if var.pending }a%{ endif }\"", Value::Unknown(Type::String));
    check("\"%{ for x in var.list }${x},%{ endfor }\"", s("a,b,c,"));
    check("\"%{ for i, x in var.list }${i}=${x} %{ endfor }\"", s("0=a 1=b 2=c "));
    check("\"%{ for k, v in local.m }${k}:${v};%{ endfor }\"", s("abc:1;xyz:2;"));
    check("\"%{ for x in var.pending }${x}%{ endfor }\"", Value::Unknown(Type::String));
    check_err("\"%{ if 3 }a%{ endif }\"", codes::TYPE_MISMATCH, "3");
    check_err("\"%{ for x in 3 }a%{ endfor }\"", codes::TYPE_MISMATCH, "3");
    // Strip markers trim whitespace, newlines included, next to directives.
    let src = "<<EOT\n%{ for x in var.list ~}\n  ${x}\n%{ endfor ~}\nend\nEOT";
    check(src, s("a\nb\nc\nend\n"));
    let src = "<<EOT\nbegin\n%{~ if true ~}\n  yes\n%{~ else ~}\n  no\n%{~ endif ~}\n\nend\nEOT";
    check(src, s("beginyesend\n"));
}

#[test]
fn heredocs() {
    check("<<EOT\nhello ${var.region}\n  world\nEOT", s("hello eu-west-1\n  world\n"));
    check("<<-EOT\n    hello\n      ${var.count}\n    EOT", s("hello\n  3\n"));
}

#[test]
fn template_strings() {
    let scope = scope();
    let ctx = ExprCtx { file: FileId(0), scope: &scope, module_dir: Path::new(".") };
    assert_eq!(eval_template_str("r=${var.region}\n%{ for x in var.nums }${x * 2} %{ endfor }", &ctx).unwrap(), s("r=eu-west-1\n2 4 6 "));
    assert_eq!(eval_template_str("${var.nums}", &ctx).unwrap(), list([n(1.0), n(2.0), n(3.0)]));
    let d = eval_template_str("a ${ b", &ctx).unwrap_err();
    assert_eq!(d.0[0].code, codes::TEMPLATE_SYNTAX);
}

#[test]
fn for_expressions() {
    check("[for x in var.nums : x * 2]", list([n(2.0), n(4.0), n(6.0)]));
    check("[for i, x in var.list : \"${i}${x}\" if i != 1]", list([s("0a"), s("2c")]));
    check("[for x in var.set : upper(x)]", list([s("X"), s("Y")]));
    check("[for k, v in var.set : k]", list([s("x"), s("y")]));
    check("{for k, v in local.m : v => k}", obj([("1", s("abc")), ("2", s("xyz"))]));
    check("{for x in [\"a\", \"bb\", \"cc\"] : length(x) => x...}", obj([("1", list([s("a")])), ("2", list([s("bb"), s("cc")]))]));
    check("[for k, v in {b = 2, a = 1} : k]", list([s("a"), s("b")]));
    check("[for x in var.pending : x]", Value::unknown());
    check("[for x in var.nums : x if var.pending]", Value::unknown());
    check("{for x in var.nums : x => var.pending}", obj([("1", Value::unknown()), ("2", Value::unknown()), ("3", Value::unknown())]));
    check("[for x in [var.secret_num] : x + 1]", list([secret(n(42.0))]));
    check("[for x in var.secret : x]", secret(list([s("hunter2")])));
    // Bindings shadow outer names and do not leak.
    check("[for var in [1] : var]", list([n(1.0)]));
    check("[for x in [[1, 2], [3]] : [for x in x : x * 10]]", list([list([n(10.0), n(20.0)]), list([n(30.0)])]));
    let d = check_err("{for x in [\"a\", \"b\", \"a\"] : x => 1}", codes::DUPLICATE_KEY, "x");
    assert!(help(&d).contains("..."), "{d:?}");
    check_err("[for x in var.region : x]", codes::TYPE_MISMATCH, "var.region");
    check_err("[for x in var.nums : x if x]", codes::TYPE_MISMATCH, "x");
    check_err("{for x in var.nums : [x] => x}", codes::TYPE_MISMATCH, "[x]");
    check_err("[for x in var.nums : y]", codes::UNKNOWN_REFERENCE, "y");
}

#[test]
fn try_and_can() {
    check("try(var.nothing.a, local.m.nope, \"default\")", s("default"));
    check("try(var.region, \"default\")", s("eu-west-1"));
    check("try(var.pending, \"default\")", Value::unknown());
    check("try([var.pending], \"default\")", Value::unknown());
    check("can(var.list[5])", Value::Bool(false));
    check("can(var.list[2])", Value::Bool(true));
    check("can(var.pending)", Value::Unknown(Type::Bool));
    let d = check_err("try(var.nothing.a, nope)", codes::FUNCTION_ERROR, "try(var.nothing.a, nope)");
    assert!(help(&d).contains("nope"), "{d:?}");
    check_err("try()", codes::FUNCTION_ARITY, "try()");
    check_err("can(1, 2)", codes::FUNCTION_ARITY, "can(1, 2)");
}

#[test]
fn function_calls() {
    check("length(var.list)", n(3.0));
    check("upper(var.region)", s("EU-WEST-1"));
    check("max(var.nums...)", n(3.0));
    check("max(0, var.nums...)", n(3.0));
    check("length(var.pending)", Value::Unknown(Type::Number));
    check("upper(var.secret.password)", secret(s("HUNTER2")));
    check("max(var.pending...)", Value::unknown());
    let d = check_err("lenght(var.list)", codes::UNKNOWN_FUNCTION, "lenght");
    assert_eq!(help(&d), "did you mean `length`?");
    check_err("length(var.list, 2)", codes::FUNCTION_ARITY, "length(var.list, 2)");
    check_err("cidrsubnet(\"10.0.0.0/16\", \"x\", 1)", codes::FUNCTION_ARGUMENT, "\"x\"");
    check_err("max(var.region...)", codes::FUNCTION_ARGUMENT, "var.region");
    let d = eval("upper(nope1, nope2)").unwrap_err();
    assert_eq!(d.0.len(), 2, "{d:#?}");
}

#[test]
fn templatefile_renders_with_only_its_variables() {
    let dir = std::env::temp_dir().join(format!("strata-expr-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("t.tpl"), "name=${name}\n%{ for p in ports ~}\nport ${p}\n%{ endfor ~}\n").unwrap();
    std::fs::write(dir.join("bad.tpl"), "x=${var.region}").unwrap();
    let scope = scope();
    let ctx = ExprCtx { file: FileId(0), scope: &scope, module_dir: &dir };
    let run = |src: &str| eval_expr(&hcl_edit::parser::parse_expr(src).unwrap(), &ctx);
    assert_eq!(run("templatefile(\"t.tpl\", {name = var.region, ports = [80, 443]})").unwrap(), s("name=eu-west-1\nport 80\nport 443\n"));
    // The template sees only its variables, not the module scope.
    let d = run("templatefile(\"bad.tpl\", {})").unwrap_err();
    assert_eq!(d.0[0].code, codes::FUNCTION_ERROR, "{d:#?}");
    assert!(d.0[0].message.contains("var"), "{d:#?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn type_constraints() {
    let scope = scope();
    let ctx = ExprCtx { file: FileId(0), scope: &scope, module_dir: Path::new(".") };
    let ty = |src: &str| parse_type_constraint(&hcl_edit::parser::parse_expr(src).unwrap(), &ctx);
    assert_eq!(ty("string").unwrap(), Type::String);
    assert_eq!(ty("number").unwrap(), Type::Number);
    assert_eq!(ty("bool").unwrap(), Type::Bool);
    assert_eq!(ty("any").unwrap(), Type::Any);
    assert_eq!(ty("\"string\"").unwrap(), Type::String);
    assert_eq!(ty("\"list\"").unwrap(), Type::list(Type::Any));
    assert_eq!(ty("\"map\"").unwrap(), Type::map(Type::Any));
    assert_eq!(ty("list(string)").unwrap(), Type::list(Type::String));
    assert_eq!(ty("set(number)").unwrap(), Type::set(Type::Number));
    assert_eq!(ty("map(list(bool))").unwrap(), Type::map(Type::list(Type::Bool)));
    assert_eq!(ty("tuple([string, number])").unwrap(), Type::Tuple(vec![Type::String, Type::Number]));
    let mut attrs = BTreeMap::new();
    attrs.insert("a".to_string(), ObjectAttr::required(Type::String));
    attrs.insert("b".to_string(), ObjectAttr { ty: Type::Number, optional: true, default: Some(n(5.0)) });
    attrs.insert("c".to_string(), ObjectAttr { ty: Type::list(Type::String), optional: true, default: None });
    assert_eq!(ty("object({a = string, b = optional(number, \"5\"), c = optional(list(string))})").unwrap(), Type::Object(attrs));
    for (bad, label) in [
        ("strin", "strin"),
        ("\"bool\"", "\"bool\""),
        ("list(string, number)", "list(string, number)"),
        ("tuple(string)", "string"),
        ("object([string])", "[string]"),
        ("optional(string)", "optional(string)"),
        ("object({a = optional(number, \"x\")})", "\"x\""),
        ("lst(string)", "lst"),
        ("1", "1"),
    ] {
        let d = ty(bad).unwrap_err();
        let d = &d.0[0];
        assert_eq!(d.code, codes::INVALID_TYPE, "{bad}: {d:#?}");
        assert_eq!(&bad[d.primary_span().unwrap().range.clone()], label, "{bad}");
        assert!(help(d).contains("object({name = T, ...})"), "{bad}: {d:?}");
    }
    assert!(help(&ty("strin").unwrap_err().0[0]).starts_with("did you mean `string`?"));
    // Defaults are constants: references are errors.
    assert_eq!(ty("object({a = optional(string, var.region)})").unwrap_err().0[0].code, codes::UNKNOWN_REFERENCE);
}

fn refs(src: &str) -> Vec<(String, Vec<RefStep>, String)> {
    let expr = hcl_edit::parser::parse_expr(src).unwrap();
    references(&expr).into_iter().map(|Reference { root, path, span, .. }| (root, path, src[span].to_string())).collect()
}

fn attr(a: &str) -> RefStep {
    RefStep::Attr(a.into())
}

#[test]
fn references_find_every_rooted_traversal() {
    assert_eq!(refs("aws_vpc.main.id"), vec![("aws_vpc".into(), vec![attr("main"), attr("id")], "aws_vpc.main.id".into())]);
    assert_eq!(
        refs("aws_instance.web.*.id"),
        vec![("aws_instance".into(), vec![attr("web"), RefStep::Splat, attr("id")], "aws_instance.web.*.id".into())]
    );
    assert_eq!(
        refs("aws_instance.app[count.index].id"),
        vec![
            (
                "aws_instance".into(),
                vec![attr("app"), RefStep::Index(Value::unknown()), attr("id")],
                "aws_instance.app[count.index].id".into()
            ),
            ("count".into(), vec![attr("index")], "count.index".into()),
        ]
    );
    assert_eq!(
        refs("aws_subnet.x[\"a\"].id"),
        vec![("aws_subnet".into(), vec![attr("x"), RefStep::Index(s("a")), attr("id")], "aws_subnet.x[\"a\"].id".into())]
    );
    assert_eq!(refs("var.list.0"), vec![("var".into(), vec![attr("list"), RefStep::Index(n(0.0))], "var.list.0".into())]);
    let roots = |src: &str| refs(src).into_iter().map(|(r, _, text)| format!("{r}:{text}")).collect::<Vec<_>>();
    assert_eq!(
        roots("\"${var.x}-%{ for s in module.net.subnets }${s.id}${each.value}%{ endfor }\""),
        ["var:var.x", "module:module.net.subnets", "each:each.value"]
    );
    assert_eq!(roots("{for k, v in local.m : k => v.id if v.ok && var.on}"), ["local:local.m", "var:var.on"]);
    assert_eq!(roots("[for x in x : x]"), ["x:x"]);
    assert_eq!(
        roots("length(concat(var.a, [data.aws_ami.u.id])) > 0 ? -count.index : path.module"),
        ["var:var.a", "data:data.aws_ami.u.id", "count:count.index", "path:path.module"]
    );
    assert_eq!(roots("{(local.k) = [1][var.i]}.x"), ["local:local.k", "var:var.i"]);
    assert!(refs("[1, \"two\", {a = true}]").is_empty());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let mut e = Expression::from(1);
    for _ in 0..400 {
        e = Expression::from(Parenthesis::new(e));
    }
    let scope = scope();
    let ctx = ExprCtx { file: FileId(0), scope: &scope, module_dir: Path::new(".") };
    assert_eq!(eval_expr(&e, &ctx).unwrap_err().0[0].code, codes::TOO_DEEP);
    let mut e = Expression::from(1);
    for _ in 0..400 {
        e = Expression::Array(Array::from_iter([e]));
    }
    assert_eq!(eval_expr(&e, &ctx).unwrap_err().0[0].code, codes::TOO_DEEP);
    assert!(references(&e).is_empty());
    // The deepest nesting the parser accepts evaluates.
    let src = format!("{}1{}", "[".repeat(60), "]".repeat(60));
    assert!(eval(&src).is_ok());
    let src = (0..120).map(|_| "1").collect::<Vec<_>>().join(" + ");
    check(&src, n(120.0));
}

#[test]
fn ten_thousand_references_evaluate() {
    let mut scope = BTreeMap::new();
    let instances: BTreeMap<String, Value> =
        (0..10_000).map(|i| (format!("r{i}"), obj([("id", s(&format!("i-{i}"))), ("tags", obj([("Name", s("x"))]))]))).collect();
    scope.insert("aws_instance".to_string(), Value::Map(instances.into()));
    let exprs: Vec<Expression> = (0..10_000)
        .map(|i| hcl_edit::parser::parse_expr(&format!("\"${{aws_instance.r{i}.id}}-${{aws_instance.r{i}.tags.Name}}\"")).unwrap())
        .collect();
    let ctx = ExprCtx { file: FileId(0), scope: &scope, module_dir: Path::new(".") };
    // Correctness only: speed is measured by the benchmark, never asserted in tests.
    for (i, e) in exprs.iter().enumerate() {
        assert_eq!(eval_expr(e, &ctx).unwrap(), s(&format!("i-{i}-x")));
    }
}

/// Guards against evaluation blowups found by fuzzing the evaluator: a few
/// lines that used to run for minutes and take gigabytes now stop with one
/// `too_expensive` error.
#[test]
fn runaway_expressions_stop_with_one_error() {
    let blowups = [
        // A million 1000-byte strings.
        r#"[for i in range(1024) : [for j in range(1024) : format("%1000d", j)]]"#,
        // A template repeating text a million times.
        r#""%{for i in range(1024)}%{for j in range(1024)}${local.k}-padding-padding%{endfor}%{endfor}""#,
        // A billion iterations that each produce almost nothing.
        "[for i in range(1024) : [for j in range(1024) : [for k in range(1024) : k]]]",
        // `try` and `can` must not swallow the error and carry on.
        r#"try([for i in range(1024) : [for j in range(1024) : format("%1000d", j)]], 1)"#,
        r#"can([for i in range(1024) : [for j in range(1024) : format("%1000d", j)]])"#,
    ];
    for src in blowups {
        let Err(diags) = eval(src) else { panic!("{src}: evaluated without error") };
        assert_eq!(diags.0.len(), 1, "{src}: {diags:#?}");
        let d = &diags.0[0];
        assert_eq!(d.code, codes::TOO_EXPENSIVE, "{src}: {d:#?}");
        assert!(help(d).contains("iterate over fewer elements"), "{src}: {d:#?}");
    }
    // 64 MiB of text, the literal repeated a million times.
    let tpl = format!("%{{for i in range(1024)}}%{{for j in range(1024)}}{}%{{endfor}}%{{endfor}}", "x".repeat(64));
    let scope = scope();
    let ctx = ExprCtx { file: FileId(0), scope: &scope, module_dir: Path::new(".") };
    let code = eval_template_str(&tpl, &ctx).err().map(|d| d.0[0].code);
    assert_eq!(code, Some(codes::TOO_EXPENSIVE));
}

#[test]
fn the_work_budget_leaves_room_for_large_real_expressions() {
    check("length([for i in range(1024) : [for j in range(1024) : j]])", n(1024.0));
    check(r#"length(join(",", [for i in range(1024) : format("%1000d", i)]))"#, n(1024.0 * 1001.0 - 1.0));
    // The budget belongs to one evaluation: the next starts afresh.
    check("length([for i in range(1024) : [for j in range(1024) : j]])", n(1024.0));
}

/// Guards against many affordable expressions adding up without bound (one
/// expression per `count` instance): a run budget stops them all.
#[test]
fn a_run_budget_is_shared_by_every_expression_in_it() {
    // About 3,000 units each: four fit in 13,000.
    let src = "length([for i in range(1024) : i])";
    let outcomes: Vec<bool> = crate::with_budget(13_000, || (0..6).map(|_| eval(src).is_ok()).collect());
    assert_eq!(outcomes, [true, true, true, true, false, false]);
    let d = crate::with_budget(10, || eval(src)).unwrap_err();
    assert_eq!(d.0.len(), 1);
    assert_eq!(d.0[0].code, codes::TOO_EXPENSIVE);
    assert!(help(&d.0[0]).starts_with("the whole evaluation may take 10 steps"), "{d:#?}");
    // Nested runs share the outer budget; it closes with the outer run.
    let inner = crate::with_budget(1_000_000, || crate::with_budget(13_000, || (0..6).filter(|_| eval(src).is_ok()).count()));
    assert_eq!(inner, 6);
    check(src, n(1024.0));
}

/// Guards against diagnostics that quote sensitive values: operators,
/// indexing, object keys and function calls on a sensitive canary fail with
/// a message that says `(sensitive value)` and holds no part of the secret
/// (nor a sensitive collection's keys or length).
#[test]
fn errors_never_quote_sensitive_values() {
    let canary = "c4n4ry-expr-s3cret";
    let mut scope = scope();
    let var = obj([
        ("pw", secret(s(canary))),
        ("idx", secret(n(7331.0))),
        ("half", secret(n(0.5))),
        ("m", secret(obj([(canary, n(1.0))]))),
        ("l", secret(list([s(canary)]))),
        ("plain", obj([("c4n4ry-key-near", n(1.0))])),
    ]);
    scope.insert("var".into(), var);
    let cases = [
        "var.pw + 1",
        "1 + var.pw",
        "-var.pw",
        "!var.pw",
        "var.pw && true",
        "var.pw * 2",
        "[1, 2][var.idx]",
        "[1, 2][var.half]",
        "[1, 2][var.pw]",
        "var.plain[var.pw]",
        "var.m[\"k4n4ry-expr-s3cret\"]",
        "var.m.missing",
        "var.l[5]",
        "var.l.attr",
        "{(var.pw) = 2, (\"${var.pw}\") = 3}",
        "{ for k in [var.pw, var.pw] : k => 1 }",
        "tonumber(var.pw)",
        "tobool(var.pw)",
        "parseint(var.pw, 10)",
        "cidrsubnet(var.pw, 8, 1)",
        "file(var.pw)",
        "lookup(var.m, \"x\")",
        "format(\"%d\", var.pw)",
        "tonumber(var.l...)",
    ];
    for src in cases {
        let d = eval_with(src, &scope).expect_err(src);
        let text = format!("{d:?}");
        assert!(!text.contains("c4n4ry") && !text.contains("7331") && !text.contains("0.5"), "{src}: {text}");
        assert!(
            text.contains("(sensitive value)") || src.contains("missing") || src.contains(".attr") || src.contains("k4n4ry"),
            "{src}: {text}"
        );
    }
    // Guards against telling a secret's value through why arithmetic failed:
    // "cannot divide by zero" said the sensitive divisor was 0.
    let mut numbers = crate::tests::scope();
    numbers.insert("var".into(), obj([("zero", secret(n(0.0))), ("big", secret(n(1e308)))]));
    for src in ["1 / var.zero", "5 % var.zero", "var.big * 10", "var.big + var.big"] {
        let d = eval_with(src, &numbers).expect_err(src);
        // The help may list the possible causes; the message and label pick none.
        let text = d.0.iter().map(|d| format!("{} {:?}", d.message, d.labels)).collect::<String>();
        assert!(!text.contains("zero") && !text.contains("overflow") && text.contains("(sensitive value)"), "{src}: {text}");
    }
    assert!(format!("{:?}", eval_with("1 / 0", &numbers).unwrap_err()).contains("by zero"), "plain values say why");

    // Without the mark the same errors quote what they refuse.
    scope.insert("var".into(), obj([("pw", s(canary))]));
    let d = eval_with("var.pw + 1", &scope).unwrap_err();
    assert!(format!("{d:?}").contains(canary));
}
