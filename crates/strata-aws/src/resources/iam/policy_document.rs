//! data `aws_iam_policy_document`, evaluated locally into the JSON
//! hashicorp/aws 5.100.0 writes, byte for byte: the same statement order
//! (source documents, then the configured statements, then override
//! documents, a statement with a Sid replacing the earlier one with that
//! Sid), one-element lists written as strings, configured sets of strings
//! in reverse order, principals and conditions grouped by type, test and
//! variable with keys sorted, `&{` written `${`, Go's escapes of `<`, `>`,
//! `&`, and Go's two-space indentation (`json`) or none (`minified_json`).
//! The `id` is the CRC-32 of `json`, as Terraform's.
//!
//! Statements read from source and override documents keep their values
//! as written (Go decodes them into untyped values and writes them back),
//! except principals and conditions, which go through the same grouping.
//!
//! Unknown values never reach this code: the engine reads a data source
//! only when its arguments are known, and leaves `json` unknown otherwise.

use serde_json::Value as Json;
use strata_core::Value;
use strata_provider::ProviderError;

use crate::util::{Attrs, invalid};

/// A principal's identifiers: one string, or a list.
#[derive(Debug, Clone)]
enum Ids {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone)]
struct Principal {
    ty: String,
    ids: Ids,
}

#[derive(Debug, Clone)]
struct Condition {
    test: String,
    variable: String,
    values: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct Statement {
    sid: String,
    effect: String,
    action: Option<Json>,
    not_action: Option<Json>,
    resource: Option<Json>,
    not_resource: Option<Json>,
    principals: Vec<Principal>,
    not_principals: Vec<Principal>,
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone, Default)]
struct Doc {
    version: String,
    id: String,
    statements: Vec<Statement>,
}

impl Doc {
    /// Terraform's merge: `other`'s Id and a later Version win; its
    /// statements are appended, one with a Sid replacing ours with that Sid.
    fn merge(&mut self, other: Doc) {
        if !other.id.is_empty() {
            self.id = other.id;
        }
        if other.version > self.version {
            self.version = other.version;
        }
        for s in other.statements {
            match self.statements.iter_mut().find(|e| !s.sid.is_empty() && e.sid == s.sid) {
                Some(existing) => *existing = s,
                None => self.statements.push(s),
            }
        }
    }
}

/// The data source's state: the arguments with `json`, `minified_json`
/// and `id` set.
pub fn read(config: &Value) -> Result<Value, ProviderError> {
    let (pretty, minified) = evaluate(config)?;
    let mut m = config.peel().as_map().cloned().unwrap_or_default();
    m.insert("id".into(), Value::string(crate::resources::compute::crc32(pretty.as_bytes()).to_string()));
    m.insert("json".into(), Value::string(pretty));
    m.insert("minified_json".into(), Value::string(minified));
    Ok(crate::util::no_unknowns(Value::Map(m.into())))
}

/// The document as (`json`, `minified_json`).
pub fn evaluate(config: &Value) -> Result<(String, String), ProviderError> {
    for deprecated in ["override_json", "source_json"] {
        if config.str_attr(deprecated).is_some_and(|s| !s.is_empty()) {
            return Err(invalid(format!(
                "`{deprecated}` is no longer used; use `{}` instead",
                deprecated.replace("_json", "_policy_documents")
            )));
        }
    }
    let mut merged = Doc::default();
    let mut sids = std::collections::HashSet::new();
    for (i, text) in config.str_list("source_policy_documents").iter().enumerate() {
        let doc = parse_doc(text).map_err(|e| invalid(format!("merging source document {i}: {e}")))?;
        for (j, s) in doc.statements.iter().enumerate() {
            if !s.sid.is_empty() && !sids.insert(s.sid.clone()) {
                return Err(invalid(format!(
                    "merging source document {i}: duplicate Sid ({}) in source_policy_documents (statement {j}); remove the Sid or make the Sids unique",
                    s.sid
                )));
            }
        }
        merged.merge(doc);
    }
    let version = config.str_attr("version").unwrap_or("2012-10-17").to_string();
    if !matches!(version.as_str(), "2008-10-17" | "2012-10-17") {
        return Err(invalid(format!("version {version:?} is not one of 2008-10-17, 2012-10-17")));
    }
    let mut doc = Doc { id: config.string("policy_id").unwrap_or_default(), statements: Vec::new(), version };
    let mut sids = std::collections::HashSet::new();
    for s in config.blocks("statement") {
        let st = configured_statement(s, &doc.version)?;
        if !st.sid.is_empty() && !sids.insert(st.sid.clone()) {
            return Err(invalid(format!("duplicate Sid ({}); remove the Sid or make it unique", st.sid)));
        }
        doc.statements.push(st);
    }
    merged.merge(doc);
    for (i, text) in config.str_list("override_policy_documents").iter().enumerate() {
        merged.merge(parse_doc(text).map_err(|e| invalid(format!("merging override document {i}: {e}")))?);
    }
    let j = doc_json(&merged);
    Ok((write(&j, Some(0)), write(&j, None)))
}

/// One `statement { }` block.
fn configured_statement(s: &Value, version: &str) -> Result<Statement, ProviderError> {
    let effect = s.str_attr("effect").unwrap_or("Allow").to_string();
    if effect != "Allow" && effect != "Deny" {
        return Err(invalid(format!("statement effect {effect:?} is not Allow or Deny")));
    }
    let sid = s.string("sid").unwrap_or_default();
    if !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid(format!("statement sid {sid:?} must only include alphanumeric characters")));
    }
    let strings = |name: &str, vars: bool| -> Result<Option<Json>, ProviderError> {
        let mut items = s.str_list(name);
        if items.is_empty() {
            return Ok(None);
        }
        if vars {
            items = replace_vars(items, version).map_err(|e| invalid(format!("reading {name}: {e}")))?;
        }
        Ok(Some(match decode(items) {
            Ids::One(one) => Json::String(one),
            Ids::Many(many) => Json::Array(many.into_iter().map(Json::String).collect()),
        }))
    };
    let principals = |name: &str| -> Result<Vec<Principal>, ProviderError> {
        s.blocks(name)
            .into_iter()
            .map(|p| {
                let ids = replace_vars(p.str_list("identifiers"), version).map_err(|e| invalid(format!("reading {name}: {e}")))?;
                Ok(Principal { ty: p.string("type").unwrap_or_default(), ids: decode(ids) })
            })
            .collect()
    };
    let conditions = s
        .blocks("condition")
        .into_iter()
        .map(|c| {
            let values =
                replace_vars(c.str_list("values"), version).map_err(|e| invalid(format!("reading condition: reading values: {e}")))?;
            Ok(Condition { test: c.string("test").unwrap_or_default(), variable: c.string("variable").unwrap_or_default(), values })
        })
        .collect::<Result<Vec<_>, ProviderError>>()?;
    Ok(Statement {
        sid,
        effect,
        action: strings("actions", false)?,
        not_action: strings("not_actions", false)?,
        resource: strings("resources", true)?,
        not_resource: strings("not_resources", true)?,
        principals: principals("principals")?,
        not_principals: principals("not_principals")?,
        conditions,
    })
}

/// One string as itself; several in reverse order (as Terraform decodes a
/// set of strings).
fn decode(mut items: Vec<String>) -> Ids {
    if items.len() == 1 {
        return Ids::One(items.remove(0));
    }
    items.sort_unstable_by(|a, b| b.cmp(a));
    Ids::Many(items)
}

/// `&{aws:username}` → `${aws:username}` (which HCL would interpolate);
/// refused in version 2008-10-17 documents.
fn replace_vars(items: Vec<String>, version: &str) -> Result<Vec<String>, String> {
    items
        .into_iter()
        .map(|s| {
            if version == "2008-10-17" && s.contains("&{") {
                return Err(format!("found &{{ sequence in ({s}), which is not supported in document version 2008-10-17"));
            }
            Ok(s.replace("&{", "${"))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Source and override documents, decoded as Go decodes them: field names
// matched without regard to case, values kept as written.

fn parse_doc(text: &str) -> Result<Doc, String> {
    let v: Json = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let Json::Object(m) = v else { return Err("a policy document must be a JSON object".into()) };
    let mut doc = Doc::default();
    for (k, v) in &m {
        match k.to_ascii_lowercase().as_str() {
            "version" => doc.version = go_string(v, "Version")?,
            "id" => doc.id = go_string(v, "Id")?,
            "statement" => match v {
                Json::Null => doc.statements.clear(),
                Json::Array(items) => doc.statements = items.iter().map(parse_statement).collect::<Result<_, _>>()?,
                _ => return Err("json: cannot unmarshal object into field Statement: it must be a list of statements".into()),
            },
            _ => {}
        }
    }
    Ok(doc)
}

fn go_string(v: &Json, field: &str) -> Result<String, String> {
    match v {
        Json::String(s) => Ok(s.clone()),
        Json::Null => Ok(String::new()),
        _ => Err(format!("json: cannot unmarshal {} into field {field} of type string", kind(v))),
    }
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn parse_statement(v: &Json) -> Result<Statement, String> {
    let Json::Object(m) = v else { return Err(format!("json: cannot unmarshal {} into a statement", kind(v))) };
    let mut s = Statement::default();
    let raw = |v: &Json| (!v.is_null()).then(|| v.clone());
    for (k, v) in m {
        match k.to_ascii_lowercase().as_str() {
            "sid" => s.sid = go_string(v, "Sid")?,
            "effect" => s.effect = go_string(v, "Effect")?,
            "action" => s.action = raw(v),
            "notaction" => s.not_action = raw(v),
            "resource" => s.resource = raw(v),
            "notresource" => s.not_resource = raw(v),
            "principal" => s.principals = parse_principals(v)?,
            "notprincipal" => s.not_principals = parse_principals(v)?,
            "condition" => s.conditions = parse_conditions(v)?,
            _ => {}
        }
    }
    Ok(s)
}

fn parse_principals(v: &Json) -> Result<Vec<Principal>, String> {
    match v {
        Json::Null => Ok(Vec::new()),
        // Any string means everyone.
        Json::String(_) => Ok(vec![Principal { ty: "*".into(), ids: Ids::Many(vec!["*".into()]) }]),
        Json::Object(m) => m
            .iter()
            .map(|(ty, ids)| {
                let ids = match ids {
                    Json::String(s) => Ids::One(s.clone()),
                    Json::Array(items) => {
                        let mut out = items
                            .iter()
                            .enumerate()
                            .map(|(i, x)| {
                                x.as_str()
                                    .map(str::to_string)
                                    .ok_or_else(|| format!("principal type {ty:?}: identifier {i} is a {}, it must be a string", kind(x)))
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        out.sort();
                        Ids::Many(out)
                    }
                    other => return Err(format!("principal type {ty:?}: unsupported identifiers of type {}", kind(other))),
                };
                Ok(Principal { ty: ty.clone(), ids })
            })
            .collect(),
        other => Err(format!("unsupported principal of type {}", kind(other))),
    }
}

fn parse_conditions(v: &Json) -> Result<Vec<Condition>, String> {
    let tests = match v {
        Json::Null => return Ok(Vec::new()),
        Json::Object(m) => m,
        other => return Err(format!("json: cannot unmarshal {} into a condition", kind(other))),
    };
    let mut out = Vec::new();
    for (test, vars) in tests {
        let vars = match vars {
            Json::Object(m) => m,
            Json::Null => continue,
            other => return Err(format!("json: cannot unmarshal {} into condition {test}", kind(other))),
        };
        for (variable, values) in vars {
            let values = match values {
                Json::String(s) => vec![s.clone()],
                Json::Bool(b) => vec![b.to_string()],
                Json::Array(items) => items
                    .iter()
                    .map(|x| x.as_str().map(str::to_string).ok_or_else(|| format!("condition {test} {variable}: values must be strings")))
                    .collect::<Result<_, _>>()?,
                // Terraform drops other values (numbers) without a word.
                _ => continue,
            };
            out.push(Condition { test: test.clone(), variable: variable.clone(), values });
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Writing, as Go's encoding/json does (fields in declaration order, map keys
// sorted, empty fields left out).

/// A JSON value whose object fields keep the order given.
enum J {
    Str(String),
    Raw(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

fn doc_json(d: &Doc) -> J {
    let mut f = Vec::new();
    if !d.version.is_empty() {
        f.push(("Version".to_string(), J::Str(d.version.clone())));
    }
    if !d.id.is_empty() {
        f.push(("Id".to_string(), J::Str(d.id.clone())));
    }
    if !d.statements.is_empty() {
        f.push(("Statement".to_string(), J::Arr(d.statements.iter().map(statement_json).collect())));
    }
    J::Obj(f)
}

fn statement_json(s: &Statement) -> J {
    let mut f = Vec::new();
    let mut put = |k: &str, v: J| f.push((k.to_string(), v));
    if !s.sid.is_empty() {
        put("Sid", J::Str(s.sid.clone()));
    }
    if !s.effect.is_empty() {
        put("Effect", J::Str(s.effect.clone()));
    }
    for (k, v) in [("Action", &s.action), ("NotAction", &s.not_action), ("Resource", &s.resource), ("NotResource", &s.not_resource)] {
        if let Some(v) = v {
            put(k, untyped(v));
        }
    }
    if !s.principals.is_empty() {
        put("Principal", principals_json(&s.principals));
    }
    if !s.not_principals.is_empty() {
        put("NotPrincipal", principals_json(&s.not_principals));
    }
    if !s.conditions.is_empty() {
        put("Condition", conditions_json(&s.conditions));
    }
    J::Obj(f)
}

/// A decoded untyped value written back (object keys sorted).
fn untyped(v: &Json) -> J {
    match v {
        Json::String(s) => J::Str(s.clone()),
        Json::Array(items) => J::Arr(items.iter().map(untyped).collect()),
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            J::Obj(keys.into_iter().map(|k| (k.clone(), untyped(&m[k]))).collect())
        }
        other => J::Raw(other.to_string()),
    }
}

/// `"*"` for everyone (`type = "*"`, `identifiers = ["*"]` alone), else a
/// map of types to identifiers (several blocks of one type joined).
fn principals_json(ps: &[Principal]) -> J {
    if let [p] = ps
        && p.ty == "*"
        && match &p.ids {
            Ids::One(s) => s == "*",
            Ids::Many(v) => v.len() == 1 && v[0] == "*",
        }
    {
        return J::Str("*".into());
    }
    let mut by_type: std::collections::BTreeMap<&str, Ids> = std::collections::BTreeMap::new();
    for p in ps {
        let entry = by_type.remove(p.ty.as_str());
        let joined = match (&p.ids, entry) {
            (Ids::Many(ids), prior) => {
                let mut ids = ids.clone();
                ids.sort_unstable_by(|a, b| b.cmp(a));
                let mut all = match prior {
                    None => Vec::new(),
                    Some(Ids::One(s)) => vec![s],
                    Some(Ids::Many(v)) => v,
                };
                all.extend(ids);
                Ids::Many(all)
            }
            (Ids::One(id), None) => Ids::One(id.clone()),
            (Ids::One(id), Some(Ids::One(s))) => Ids::Many(vec![s, id.clone()]),
            (Ids::One(id), Some(Ids::Many(mut v))) => {
                v.push(id.clone());
                Ids::Many(v)
            }
        };
        by_type.insert(p.ty.as_str(), joined);
    }
    J::Obj(
        by_type
            .into_iter()
            .map(|(ty, ids)| {
                let v = match ids {
                    Ids::One(s) => J::Str(s),
                    Ids::Many(v) => J::Arr(v.into_iter().map(J::Str).collect()),
                };
                (ty.to_string(), v)
            })
            .collect(),
    )
}

/// Test → variable → values (in order; one value written as a string).
fn conditions_json(cs: &[Condition]) -> J {
    let mut tests: std::collections::BTreeMap<&str, std::collections::BTreeMap<&str, Vec<String>>> = Default::default();
    for c in cs {
        tests.entry(&c.test).or_default().entry(&c.variable).or_default().extend(c.values.iter().cloned());
    }
    J::Obj(
        tests
            .into_iter()
            .map(|(test, vars)| {
                let vars = vars
                    .into_iter()
                    .map(|(k, mut v)| {
                        let v = if v.len() == 1 { J::Str(v.remove(0)) } else { J::Arr(v.into_iter().map(J::Str).collect()) };
                        (k.to_string(), v)
                    })
                    .collect();
                (test.to_string(), J::Obj(vars))
            })
            .collect(),
    )
}

/// Go's `json.MarshalIndent(v, "", "  ")` (`indent` the current depth) or
/// `json.Marshal(v)` (`None`).
fn write(j: &J, indent: Option<usize>) -> String {
    let mut out = String::new();
    write_into(&mut out, j, indent);
    out
}

fn write_into(out: &mut String, j: &J, indent: Option<usize>) {
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    match j {
        J::Str(s) => quote(out, s),
        J::Raw(r) => out.push_str(r),
        J::Arr(items) if items.is_empty() => out.push_str("[]"),
        J::Obj(fields) if fields.is_empty() => out.push_str("{}"),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(d) = indent {
                    newline(out, d + 1);
                }
                write_into(out, item, indent.map(|d| d + 1));
            }
            if let Some(d) = indent {
                newline(out, d);
            }
            out.push(']');
        }
        J::Obj(fields) => {
            out.push('{');
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(d) = indent {
                    newline(out, d + 1);
                }
                quote(out, k);
                out.push_str(if indent.is_some() { ": " } else { ":" });
                write_into(out, v, indent.map(|d| d + 1));
            }
            if let Some(d) = indent {
                newline(out, d);
            }
            out.push('}');
        }
    }
}

/// A string as Go writes it: HTML-safe (`<`, `>`, `&` escaped) and with
/// U+2028/U+2029 escaped.
fn quote(out: &mut String, s: &str) {
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
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;

    fn fixtures() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/iam_policy_document")
    }

    /// A `.tf.json` body as the engine passes it: blocks as lists of
    /// objects, then planned against the schema (defaults filled in).
    fn to_value(j: &Json) -> Value {
        match j {
            Json::String(s) => Value::string(s.clone()),
            Json::Array(items) => Value::List(items.iter().map(to_value).collect()),
            Json::Object(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), to_value(v))).collect::<BTreeMap<_, _>>().into()),
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.as_f64().unwrap_or_default()),
            Json::Null => Value::Null,
        }
    }

    fn planned(config: &Json) -> Value {
        let schema = strata_provider::aws::schema().data_source("aws_iam_policy_document").unwrap();
        strata_provider::plan_change(schema, None, &to_value(config), &[], false).planned
    }

    /// Every document of the fixture gives the JSON, minified JSON and id
    /// Terraform 1.11.4 with hashicorp/aws 5.100.0 wrote for it
    /// (`terraform output -json`, kept beside the documents).
    #[test]
    fn documents_match_what_terraform_wrote() {
        let docs: Json = serde_json::from_str(&std::fs::read_to_string(fixtures().join("documents.tf.json")).unwrap()).unwrap();
        let expected: Json = serde_json::from_str(&std::fs::read_to_string(fixtures().join("terraform_output.json")).unwrap()).unwrap();
        let docs = docs["data"]["aws_iam_policy_document"].as_object().unwrap();
        assert!(docs.len() >= 12, "a dozen documents at least");
        for (name, config) in docs {
            let want = &expected[name]["value"];
            let state = read(&planned(config)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(state.str_attr("json"), want["json"].as_str(), "{name}: json");
            assert_eq!(state.str_attr("minified_json"), want["minified_json"].as_str(), "{name}: minified_json");
            assert_eq!(state.str_attr("id"), want["id"].as_str(), "{name}: id");
        }
    }

    #[test]
    fn refused_documents() {
        let cases = [
            (r#"{"source_policy_documents":["{\"Statement\":{\"Effect\":\"Allow\"}}"]}"#, "merging source document 0"),
            (r#"{"statement":[{"sid":"A","actions":["a"]},{"sid":"A","actions":["b"]}]}"#, "duplicate Sid (A)"),
            (
                r#"{"source_policy_documents":["{\"Statement\":[{\"Sid\":\"X\"}]}","{\"Statement\":[{\"Sid\":\"X\"}]}"]}"#,
                "duplicate Sid (X) in source_policy_documents",
            ),
            (
                r#"{"version":"2008-10-17","statement":[{"resources":["a/&{aws:username}"]}]}"#,
                "not supported in document version 2008-10-17",
            ),
            (r#"{"statement":[{"effect":"allow"}]}"#, "not Allow or Deny"),
            (r#"{"source_json":"{}"}"#, "no longer used"),
        ];
        for (config, message) in cases {
            let err = evaluate(&planned(&serde_json::from_str(config).unwrap())).unwrap_err();
            assert!(err.message.contains(message), "{config}: {}", err.message);
        }
    }

    /// Two principal blocks of one type are joined into one list, and a
    /// lone everyone principal is written `"*"` only for type `*`.
    #[test]
    fn principals_of_one_type_are_joined() {
        let config = r#"{"statement":[{"principals":[{"type":"AWS","identifiers":["a"]},{"type":"AWS","identifiers":["c","b"]}]}]}"#;
        let (_, min) = evaluate(&planned(&serde_json::from_str(config).unwrap())).unwrap();
        assert_eq!(min, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["a","c","b"]}}]}"#);
    }
}
