//! Values in messages. Every diagnostic, error or log line that names a value
//! goes through these functions, which take the sensitive mark into account:
//! a message about a sensitive value says `(sensitive value)`, never the value.
//!
//! Text that strata does not build itself (a cloud API's error message, which
//! may echo what it was sent) is cleaned with [`redact`] against the secrets
//! the request carried ([`secrets_in`]).

use crate::value::{Value, format_number};

/// What a message says instead of a sensitive value.
pub const SENSITIVE: &str = "(sensitive value)";

/// How a message names a value it refuses: `the string "abc"` for strings,
/// the type for everything else, and `(sensitive value)` when the value (or
/// any part of it) is sensitive.
pub fn describe(v: &Value) -> String {
    if v.contains_sensitive() {
        return SENSITIVE.to_owned();
    }
    match v {
        Value::String(s) => format!("the string {s:?}"),
        v => v.type_name().to_owned(),
    }
}

/// A value as a message quotes it (`"abc"`, `5`, `["a"]`), or
/// `(sensitive value)` when any part of it is sensitive.
pub fn shown(v: &Value) -> String {
    if v.contains_sensitive() { SENSITIVE.to_owned() } else { v.to_string() }
}

/// A number as a message quotes it, or `(sensitive value)`.
pub fn shown_number(n: f64, sensitive: bool) -> String {
    if sensitive { SENSITIVE.to_owned() } else { format_number(n) }
}

/// A map key or other text as a message quotes it (`"key"`), or `(sensitive value)`.
pub fn shown_text(s: &str, sensitive: bool) -> String {
    if sensitive { SENSITIVE.to_owned() } else { format!("{s:?}") }
}

/// Every sensitive primitive inside `v`, as text (strings as they are,
/// numbers and bools as templates print them), for [`redact`].
pub fn secrets_in(v: &Value) -> Vec<String> {
    fn walk(v: &Value, under: bool, out: &mut Vec<String>) {
        match v {
            Value::Sensitive(inner) => walk(inner, true, out),
            Value::List(vs) | Value::Set(vs) => vs.iter().for_each(|v| walk(v, under, out)),
            Value::Map(m) => m.values().for_each(|v| walk(v, under, out)),
            v if under => out.extend(v.to_template_string().filter(|s| !s.is_empty())),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, false, &mut out);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// `text` with every occurrence of each secret replaced by `(sensitive
/// value)`, longest secrets first. For text strata did not build (a cloud
/// API's error message) and so cannot format with the mark in hand.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    let mut secrets: Vec<&String> = secrets.iter().filter(|s| !s.is_empty()).collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in secrets {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), SENSITIVE);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(v: Value) -> Value {
        Value::Sensitive(Box::new(v))
    }

    #[test]
    fn sensitive_values_are_never_shown() {
        assert_eq!(describe(&Value::string("abc")), "the string \"abc\"");
        assert_eq!(describe(&secret(Value::string("abc"))), SENSITIVE);
        assert_eq!(describe(&Value::list(vec![secret(Value::string("abc"))])), SENSITIVE);
        assert_eq!(shown(&Value::Number(5.0)), "5");
        assert_eq!(shown(&Value::map([("k", secret(Value::Number(5.0)))])), SENSITIVE);
        assert_eq!(shown_number(7.0, true), SENSITIVE);
        assert_eq!(shown_text("k", false), "\"k\"");
    }

    #[test]
    fn redaction_replaces_every_secret_longest_first() {
        let v = Value::map([
            ("a", secret(Value::string("hunter2"))),
            ("b", Value::string("public")),
            ("c", secret(Value::list(vec![Value::string("hunter"), Value::Number(42.0)]))),
        ]);
        let secrets = secrets_in(&v);
        assert_eq!(secrets, ["hunter2", "hunter", "42"]);
        assert_eq!(
            redact("bad value hunter2 (hunter), 42 public", &secrets),
            "bad value (sensitive value) ((sensitive value)), (sensitive value) public"
        );
    }
}
