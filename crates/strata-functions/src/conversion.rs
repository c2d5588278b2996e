//! Type conversion (`tostring`, `tolist`, ...) and the mark functions
//! (`sensitive`, `nonsensitive`).

use strata_core::{Type, Value};

use crate::{FnResult, arg_err};

pub(crate) fn tostring(args: &[Value]) -> FnResult {
    match &args[0] {
        Value::Null => Ok(Value::Null),
        v => v.to_template_string().map(Value::string).ok_or_else(|| arg_err(0, format!("cannot convert {} to string", v.type_name()))),
    }
}

pub(crate) fn tonumber(args: &[Value]) -> FnResult {
    match &args[0] {
        Value::Null => Ok(Value::Null),
        Value::Number(n) => Ok(Value::Number(*n)),
        Value::String(s) => strata_core::value::parse_number(s).map(Value::Number).ok_or_else(|| {
            arg_err(0, format!("cannot convert {s:?} to number; given string must be a decimal representation of a number"))
        }),
        v => Err(arg_err(0, format!("cannot convert {} to number", v.type_name()))),
    }
}

pub(crate) fn tobool(args: &[Value]) -> FnResult {
    match &args[0] {
        Value::Null => Ok(Value::Null),
        Value::String(s) if s != "true" && s != "false" => {
            Err(arg_err(0, format!("cannot convert {s:?} to bool; only the strings \"true\" or \"false\" are allowed")))
        }
        v => v.to_bool().map(Value::Bool).ok_or_else(|| arg_err(0, format!("cannot convert {} to bool", v.type_name()))),
    }
}

/// Converts a collection to `ty` and checks that its elements ended up with
/// one type (Terraform refuses `tolist(["a", {}])`).
fn collection(v: &Value, ty: &Type, what: &str) -> FnResult {
    let converted = v.convert(ty).map_err(|e| arg_err(0, e))?;
    let elements: Vec<&Value> = match &converted {
        Value::List(vs) | Value::Set(vs) => vs.iter().collect(),
        Value::Map(m) => m.values().collect(),
        _ => Vec::new(),
    };
    let kinds: Vec<&str> = elements.iter().filter(|e| !matches!(e, Value::Null | Value::Unknown(_))).map(|e| e.type_name()).collect();
    if kinds.windows(2).any(|w| w[0] != w[1]) {
        return Err(arg_err(0, format!("cannot convert to {what}: all elements must have the same type")));
    }
    Ok(converted)
}

pub(crate) fn tolist(args: &[Value]) -> FnResult {
    match &args[0] {
        Value::Null => Ok(Value::Null),
        v @ (Value::List(_) | Value::Set(_)) => collection(v, &Type::list(Type::Any), "list"),
        v => Err(arg_err(0, format!("cannot convert {} to list", v.type_name()))),
    }
}

pub(crate) fn toset(args: &[Value]) -> FnResult {
    match &args[0] {
        Value::Null => Ok(Value::Null),
        v @ (Value::List(_) | Value::Set(_)) => collection(v, &Type::set(Type::Any), "set"),
        v => Err(arg_err(0, format!("cannot convert {} to set", v.type_name()))),
    }
}

pub(crate) fn tomap(args: &[Value]) -> FnResult {
    match &args[0] {
        Value::Null => Ok(Value::Null),
        v @ Value::Map(_) => collection(v, &Type::map(Type::Any), "map"),
        v => Err(arg_err(0, format!("cannot convert {} to map", v.type_name()))),
    }
}

pub(crate) fn sensitive(args: &[Value]) -> FnResult {
    Ok(args[0].clone().mark_if(true))
}

/// Removes every sensitive mark: [`crate::call`] calls this before its
/// marks policy would re-mark the result.
pub(crate) fn nonsensitive(args: &[Value]) -> FnResult {
    Ok(args.first().cloned().unwrap_or(Value::Null).unmark_deep().0)
}

#[cfg(test)]
mod tests {
    use strata_core::{Type, Value};

    use crate::tests::{call, check, check_err, list, n, nums, s, secret, strs};

    #[test]
    fn primitive_conversions() {
        check("tostring", vec![s("hello")], s("hello"));
        check("tostring", vec![n(1.0)], s("1"));
        check("tostring", vec![n(1.5)], s("1.5"));
        check("tostring", vec![Value::Bool(true)], s("true"));
        check("tostring", vec![Value::Null], Value::Null);
        check("tostring", vec![Value::unknown()], Value::Unknown(Type::String));
        check_err("tostring", vec![strs(&["a"])], "cannot convert list to string");
        check("tonumber", vec![s("1")], n(1.0));
        check("tonumber", vec![s("-2.5")], n(-2.5));
        check("tonumber", vec![n(1.0)], n(1.0));
        check("tonumber", vec![Value::Null], Value::Null);
        check_err("tonumber", vec![s("no")], "cannot convert \"no\" to number");
        check("tobool", vec![s("true")], Value::Bool(true));
        check("tobool", vec![Value::Bool(false)], Value::Bool(false));
        check("tobool", vec![Value::Null], Value::Null);
        check_err("tobool", vec![s("no")], "only the strings \"true\" or \"false\" are allowed");
        check_err("tobool", vec![n(1.0)], "cannot convert number to bool");
    }

    #[test]
    fn collection_conversions_unify_element_types() {
        check("tolist", vec![list(vec![s("a"), s("b"), s("c")])], strs(&["a", "b", "c"]));
        check("tolist", vec![list(vec![s("a"), n(1.0)])], strs(&["a", "1"]));
        check("tolist", vec![Value::set(vec![s("b"), s("a")])], strs(&["a", "b"]));
        check("tolist", vec![list(vec![Value::unknown(), s("a")])], list(vec![Value::Unknown(Type::String), s("a")]));
        check_err("tolist", vec![list(vec![s("a"), Value::map([("x", n(1.0))])])], "all elements must have the same type");
        check("toset", vec![strs(&["c", "b", "b"])], Value::set(vec![s("b"), s("c")]));
        check("toset", vec![list(vec![s("a"), n(1.0)])], Value::set(vec![s("1"), s("a")]));
        check("toset", vec![nums(&[3.0, 1.0])], Value::set(vec![n(1.0), n(3.0)]));
        check("tomap", vec![Value::map([("a", s("b")), ("c", n(1.0))])], Value::map([("a", s("b")), ("c", s("1"))]));
        check_err("tomap", vec![strs(&["a"])], "cannot convert list to map");
    }

    #[test]
    fn sensitive_marks_and_nonsensitive_unmarks() {
        assert_eq!(call("sensitive", vec![s("x")]).unwrap(), secret(s("x")));
        assert_eq!(call("nonsensitive", vec![secret(s("x"))]).unwrap(), s("x"));
        assert_eq!(call("nonsensitive", vec![list(vec![secret(s("x"))])]).unwrap(), strs(&["x"]));
        assert_eq!(call("nonsensitive", vec![secret(Value::unknown())]).unwrap(), Value::unknown());
    }
}
