//! Policy documents compared by meaning: two JSON policies that grant the
//! same thing (reformatted, keys reordered, a one-element list written as a
//! string, actions listed in another order) are the same value, so that a
//! policy the cloud gives back reformatted, or a configuration that writes
//! the same policy differently, is not a change.

use serde_json::{Map, Value as Json};

/// Whether two policy documents are equivalent. Text that is not JSON
/// compares as text.
pub fn policies_equivalent(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (serde_json::from_str::<Json>(a), serde_json::from_str::<Json>(b)) {
        (Ok(x), Ok(y)) => normalize_doc(&x) == normalize_doc(&y),
        _ => false,
    }
}

/// The document with every order-free part sorted and every string-or-list
/// written as a sorted list.
fn normalize_doc(doc: &Json) -> Json {
    let Some(doc) = doc.as_object() else { return doc.clone() };
    let mut out = Map::new();
    for (k, v) in sorted(doc) {
        let v = match k.as_str() {
            "Statement" => {
                let statements = match v {
                    Json::Array(items) => items.iter().map(normalize_statement).collect(),
                    one => vec![normalize_statement(one)],
                };
                let mut keyed: Vec<(String, Json)> = statements.into_iter().map(|s| (s.to_string(), s)).collect();
                keyed.sort_by(|a, b| a.0.cmp(&b.0));
                Json::Array(keyed.into_iter().map(|(_, s)| s).collect())
            }
            "Id" if v.as_str() == Some("") => continue,
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    Json::Object(out)
}

fn normalize_statement(s: &Json) -> Json {
    let Some(s) = s.as_object() else { return s.clone() };
    let mut out = Map::new();
    for (k, v) in sorted(s) {
        let v = match k.as_str() {
            "Sid" if v.as_str() == Some("") => continue,
            "Action" | "NotAction" | "Resource" | "NotResource" => string_set(v),
            "Principal" | "NotPrincipal" => principal(v),
            "Condition" => condition(v),
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    Json::Object(out)
}

/// `"*"` is `{"AWS": "*"}`; each principal type's identifiers as a set.
fn principal(v: &Json) -> Json {
    match v {
        Json::String(s) if s == "*" => Json::Object(Map::from_iter([("AWS".to_string(), string_set(v))])),
        Json::Object(m) => Json::Object(sorted(m).into_iter().map(|(k, v)| (k.clone(), string_set(v))).collect()),
        other => other.clone(),
    }
}

/// Tests and variables as sorted maps, values as sets of strings (`true`
/// and `"true"` alike).
fn condition(v: &Json) -> Json {
    let Some(tests) = v.as_object() else { return v.clone() };
    Json::Object(
        sorted(tests)
            .into_iter()
            .map(|(test, vars)| {
                let vars = match vars.as_object() {
                    Some(m) => Json::Object(sorted(m).into_iter().map(|(k, v)| (k.clone(), string_set(v))).collect()),
                    None => vars.clone(),
                };
                (test.clone(), vars)
            })
            .collect(),
    )
}

/// A string or a list of scalars as a sorted, deduplicated list of strings.
fn string_set(v: &Json) -> Json {
    let scalar = |v: &Json| match v {
        Json::String(s) => Some(s.clone()),
        Json::Bool(_) | Json::Number(_) => Some(v.to_string()),
        _ => None,
    };
    let mut items: Vec<String> = match v {
        Json::Array(items) => match items.iter().map(scalar).collect::<Option<Vec<_>>>() {
            Some(items) => items,
            None => return v.clone(),
        },
        other => match scalar(other) {
            Some(s) => vec![s],
            None => return v.clone(),
        },
    };
    items.sort();
    items.dedup();
    Json::Array(items.into_iter().map(Json::String).collect())
}

fn sorted(m: &Map<String, Json>) -> Vec<(&String, &Json)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

#[cfg(test)]
mod tests {
    use super::policies_equivalent;

    #[test]
    fn reformatted_and_reordered_policies_are_equivalent() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":["s3:B","s3:A"],"Resource":"*","Principal":{"Service":"ec2.amazonaws.com"},"Condition":{"Bool":{"aws:SecureTransport":true}}}]}"#;
        let b = "{\n  \"Statement\": {\n    \"Resource\": [\"*\"],\n    \"Action\": [\"s3:A\", \"s3:B\", \"s3:A\"],\n    \"Effect\": \"Allow\",\n    \"Principal\": {\"Service\": [\"ec2.amazonaws.com\"]},\n    \"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"true\"}}\n  },\n  \"Version\": \"2012-10-17\"\n}";
        assert!(policies_equivalent(a, b));
        assert!(policies_equivalent(r#"{"Statement":[{"Principal":"*"}]}"#, r#"{"Statement":[{"Principal":{"AWS":["*"]}}]}"#));
    }

    #[test]
    fn different_policies_are_not() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        for b in [
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}"#,
            r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
            "not json",
        ] {
            assert!(!policies_equivalent(a, b), "{b}");
        }
        // Condition values keep no order, but their count of distinct values counts.
        assert!(!policies_equivalent(
            r#"{"Statement":[{"Condition":{"StringEquals":{"k":["a","b"]}}}]}"#,
            r#"{"Statement":[{"Condition":{"StringEquals":{"k":"a"}}}]}"#
        ));
    }

    /// Planning keeps the recorded text of an equivalent policy (no diff
    /// from formatting) and takes a different one.
    #[test]
    fn a_plan_keeps_the_recorded_text_of_an_equivalent_policy() {
        use strata_core::{Layer, Type, Value};

        use crate::schema::{BlockSchema, ResourceSchema, required};
        let schema =
            ResourceSchema::new("t", Layer::Infrastructure, BlockSchema::new().attr("policy", required(Type::String).json_policy()));
        let recorded =
            "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}]\n}";
        let prior = Value::map([("policy", Value::string(recorded)), ("id", Value::string("x"))]);
        let plan = |text: &str| {
            let config = Value::map([("policy", Value::string(text))]);
            crate::plan_change(&schema, Some(&prior), &config, &[], false).planned.peel().as_map().unwrap()["policy"].clone()
        };
        let same = r#"{"Statement":[{"Resource":["*"],"Action":["s3:*"],"Effect":"Allow"}],"Version":"2012-10-17"}"#;
        assert_eq!(plan(same), Value::string(recorded));
        let other = r#"{"Statement":[{"Resource":"*","Action":"s3:GetObject","Effect":"Allow"}],"Version":"2012-10-17"}"#;
        assert_eq!(plan(other), Value::string(other));
    }
}
