//! JSON, base64, URL encoding and hashes; `uuid` and `timestamp`.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::Digest as _;
use strata_core::{Type, Value, format_number};

use crate::{FnResult, arg_err, string_arg};

/// The JSON text of a wholly known value, as Terraform's `jsonencode`
/// writes it: object keys sorted, integers without a fraction, and `<`, `>`,
/// `&`, U+2028 and U+2029 escaped as Go's encoder escapes them.
pub(crate) fn json(v: &Value) -> Result<String, String> {
    let mut out = String::new();
    write_json(v, &mut out)?;
    Ok(out)
}

fn write_json(v: &Value, out: &mut String) -> Result<(), String> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_finite() => out.push_str(&format_number(*n)),
        Value::Number(_) => return Err("cannot encode an infinite number as JSON".into()),
        Value::String(s) => write_json_string(s, out),
        Value::List(vs) | Value::Set(vs) => {
            out.push('[');
            for (i, v) in vs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(v, out)?;
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                write_json(v, out)?;
            }
            out.push('}');
        }
        Value::Unknown(_) => return Err("value is not yet known".into()),
        Value::Sensitive(v) => write_json(v, out)?,
    }
    Ok(())
}

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

pub(crate) fn jsonencode(args: &[Value]) -> FnResult {
    json(&args[0]).map(Value::string).map_err(|e| arg_err(0, e))
}

pub(crate) fn jsondecode(args: &[Value]) -> FnResult {
    let s = string_arg(args, 0)?;
    let j: serde_json::Value = serde_json::from_str(&s).map_err(|e| arg_err(0, format!("invalid JSON: {e}")))?;
    Ok(Value::from_json(&j))
}

pub(crate) fn base64encode(args: &[Value]) -> FnResult {
    Ok(Value::String(STANDARD.encode(string_arg(args, 0)?).into()))
}

pub(crate) fn base64decode(args: &[Value]) -> FnResult {
    let s = string_arg(args, 0)?;
    let bytes = STANDARD.decode(&s).map_err(|e| arg_err(0, format!("failed to decode base64 data: {e}")))?;
    String::from_utf8(bytes).map(Value::string).map_err(|_| arg_err(0, "the result of decoding the provided string is not valid UTF-8"))
}

/// Encodes like Go's `url.QueryEscape`: spaces become `+`.
pub(crate) fn urlencode(args: &[Value]) -> FnResult {
    let s = string_arg(args, 0)?;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    Ok(Value::String(out.into()))
}

fn hex(bytes: &[u8]) -> Value {
    Value::String(
        bytes
            .iter()
            .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            })
            .into(),
    )
}

pub(crate) fn md5(args: &[Value]) -> FnResult {
    Ok(hex(&md5::Md5::digest(string_arg(args, 0)?)))
}

pub(crate) fn sha1(args: &[Value]) -> FnResult {
    Ok(hex(&sha1::Sha1::digest(string_arg(args, 0)?)))
}

pub(crate) fn sha256(args: &[Value]) -> FnResult {
    Ok(hex(&sha2::Sha256::digest(string_arg(args, 0)?)))
}

pub(crate) fn sha512(args: &[Value]) -> FnResult {
    Ok(hex(&sha2::Sha512::digest(string_arg(args, 0)?)))
}

pub(crate) fn base64sha256(args: &[Value]) -> FnResult {
    Ok(Value::String(STANDARD.encode(sha2::Sha256::digest(string_arg(args, 0)?)).into()))
}

/// `uuid()` and `timestamp()` differ on every run, so a plan can only say
/// that they will be known after apply (as Terraform plans them).
/// [`crate::call`] answers for them without calling this.
pub(crate) fn known_after_apply(_: &[Value]) -> FnResult {
    Ok(Value::Unknown(Type::String))
}

#[cfg(test)]
mod tests {
    use strata_core::{Type, Value};

    use crate::tests::{check, check_err, list, n, s, strs};

    #[test]
    fn jsonencode_matches_terraform() {
        check("jsonencode", vec![Value::map([("hello", s("world"))])], s(r#"{"hello":"world"}"#));
        let m = Value::map([("b", n(1.0)), ("a", list(vec![n(1.5), Value::Bool(true), Value::Null]))]);
        check("jsonencode", vec![m], s(r#"{"a":[1.5,true,null],"b":1}"#));
        check("jsonencode", vec![n(1e30)], s("1000000000000000000000000000000"));
        check("jsonencode", vec![n(0.1 + 0.2)], s("0.3"));
        check("jsonencode", vec![Value::Null], s("null"));
        check("jsonencode", vec![s("<a & b>\u{2028}\n\u{1}")], s(r#""\u003ca \u0026 b\u003e\u2028\n\u0001""#));
        check("jsonencode", vec![Value::set(vec![s("b"), s("a")])], s(r#"["a","b"]"#));
        check("jsonencode", vec![list(vec![Value::unknown()])], Value::Unknown(Type::String));
    }

    #[test]
    fn jsondecode_builds_values() {
        check("jsondecode", vec![s(r#"{"hello": "world"}"#)], Value::map([("hello", s("world"))]));
        check("jsondecode", vec![s("true")], Value::Bool(true));
        check("jsondecode", vec![s("[1, \"a\", null]")], list(vec![n(1.0), s("a"), Value::Null]));
        check_err("jsondecode", vec![s("{")], "invalid JSON");
        check_err("jsondecode", vec![s(&"[".repeat(100_000))], "invalid JSON");
    }

    #[test]
    fn base64_roundtrips_and_checks_utf8() {
        check("base64encode", vec![s("Hello World")], s("SGVsbG8gV29ybGQ="));
        check("base64decode", vec![s("SGVsbG8gV29ybGQ=")], s("Hello World"));
        check("base64decode", vec![s("0JfQtNGA0LDQstGB0YLQstGD0LksINC80LjRgA==")], s("Здравствуй, мир"));
        check_err("base64decode", vec![s("not base64!")], "failed to decode base64 data");
        check_err("base64decode", vec![s("/w==")], "not valid UTF-8");
    }

    #[test]
    fn hashes_match_known_digests() {
        check("md5", vec![s("hello world")], s("5eb63bbbe01eeed093cb22bb8f5acdc3"));
        check("sha1", vec![s("hello world")], s("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"));
        check("sha256", vec![s("hello world")], s("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"));
        check(
            "sha512",
            vec![s("hello world")],
            s(
                "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f",
            ),
        );
        check("base64sha256", vec![s("hello world")], s("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="));
        check("urlencode", vec![s("Hello World!")], s("Hello+World%21"));
        check("urlencode", vec![s("☃")], s("%E2%98%83"));
        check_err("md5", vec![strs(&["x"])], "string required");
    }
}
