//! Values as HCL-like text for people: multi-line objects and lists,
//! `(sensitive value)` for secrets and `(known after apply)` for unknowns.

use strata_core::{Value, format_number};

/// Render a value; nested lines are indented by `indent` levels of two spaces.
pub fn render(v: &Value, indent: usize) -> String {
    let mut out = String::new();
    write_value(&mut out, v, indent);
    out
}

fn write_value(out: &mut String, v: &Value, indent: usize) {
    let pad = "  ".repeat(indent + 1);
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&format_number(*n)),
        Value::String(s) if s.contains('\n') => {
            out.push_str("<<-EOT\n");
            for line in s.lines() {
                out.push_str(&pad);
                out.push_str(line);
                out.push('\n');
            }
            out.push_str(&"  ".repeat(indent));
            out.push_str("EOT");
        }
        Value::String(s) => out.push_str(&format!("{s:?}")),
        Value::Unknown(_) => out.push_str("(known after apply)"),
        Value::Sensitive(_) => out.push_str("(sensitive value)"),
        Value::List(items) | Value::Set(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            if items.iter().all(|i| matches!(i, Value::String(_) | Value::Number(_) | Value::Bool(_))) && items.len() <= 4 {
                let parts: Vec<String> = items.iter().map(|i| render(i, 0)).collect();
                out.push_str(&format!("[{}]", parts.join(", ")));
                return;
            }
            out.push_str("[\n");
            for item in items {
                out.push_str(&pad);
                write_value(out, item, indent + 1);
                out.push_str(",\n");
            }
            out.push_str(&"  ".repeat(indent));
            out.push(']');
        }
        Value::Map(m) => {
            if m.is_empty() {
                out.push_str("{}");
                return;
            }
            let width = m.keys().map(|k| key(k).len()).max().unwrap_or(0);
            out.push_str("{\n");
            for (k, item) in m {
                out.push_str(&pad);
                let k = key(k);
                out.push_str(&format!("{k:width$} = "));
                write_value(out, item, indent + 1);
                out.push('\n');
            }
            out.push_str(&"  ".repeat(indent));
            out.push('}');
        }
    }
}

/// A value on one line, as a set element is shown:
/// `{ cidr_blocks = ["0.0.0.0/0"], from_port = 443, protocol = "tcp" }`.
/// Object fields that are null, empty strings or empty collections are left
/// out; secrets are `(sensitive value)`, multi-line strings quoted with `\n`.
pub fn one_line(v: &Value) -> String {
    let blank = |v: &Value| match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::List(x) | Value::Set(x) => x.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    };
    match v {
        Value::List(items) | Value::Set(items) => format!("[{}]", items.iter().map(one_line).collect::<Vec<_>>().join(", ")),
        Value::Map(m) => {
            let fields: Vec<String> = m.iter().filter(|(_, v)| !blank(v)).map(|(k, v)| format!("{} = {}", key(k), one_line(v))).collect();
            if fields.is_empty() { "{}".into() } else { format!("{{ {} }}", fields.join(", ")) }
        }
        Value::String(s) => format!("{s:?}"),
        v => render(v, 0),
    }
}

/// Object keys that are not identifiers are quoted.
fn key(k: &str) -> String {
    let ident =
        k.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_') && k.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if ident { k.to_string() } else { format!("{k:?}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_leaves_out_blank_fields_and_hides_secrets() {
        let v = Value::map([
            ("cidr_blocks", Value::List(vec![Value::string("0.0.0.0/0")].into())),
            ("description", Value::string("")),
            ("ipv6_cidr_blocks", Value::List(Vec::new().into())),
            ("from_port", Value::Number(443.0)),
            ("self", Value::Bool(false)),
            ("value", Value::Sensitive(Box::new(Value::string("hunter2")))),
            ("note", Value::string("a\nb")),
        ]);
        assert_eq!(
            one_line(&v),
            r#"{ cidr_blocks = ["0.0.0.0/0"], from_port = 443, note = "a\nb", self = false, value = (sensitive value) }"#
        );
    }

    #[test]
    fn secrets_and_unknowns_are_hidden() {
        let v = Value::map([
            ("password", Value::Sensitive(Box::new(Value::string("hunter2")))),
            ("id", Value::unknown()),
            ("tags", Value::map([("Name", Value::string("web")), ("a b", Value::Number(1.5))])),
        ]);
        let text = render(&v, 0);
        assert!(!text.contains("hunter2"));
        assert_eq!(
            text,
            "{\n  id       = (known after apply)\n  password = (sensitive value)\n  tags     = {\n    Name  = \"web\"\n    \"a b\" = 1.5\n  }\n}"
        );
    }
}
