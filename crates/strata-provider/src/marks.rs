//! Sensitive marks on attributes the provider computes from others.
//!
//! A provider reports objects without marks; the engine marks the schema's
//! sensitive attributes and the paths the configuration marked. An attribute
//! the provider *derives* from a marked one would still show the secret
//! (`tags_all` holds every entry of `tags`), so the marks follow the
//! derivations declared here, and, as a safety net for derivations nobody
//! declared (an ARN or endpoint built from a sensitive name), any unmarked
//! string of an attribute only the provider sets that contains a secret of
//! the same object is marked too.

use std::collections::BTreeMap;

use strata_core::Value;

use crate::schema::ResourceSchema;

/// Attributes computed entry by entry from another: `(from, to)`.
/// `tags_all` is `tags` merged with the provider's default tags.
const DERIVED: &[(&str, &str)] = &[("tags", "tags_all")];

/// Secrets shorter than this are matched by the declared derivations only:
/// containment of a one- or two-character text says nothing.
const MIN_SECRET_LEN: usize = 4;

/// `value` (an object of `schema`'s type, already marked where the schema
/// and configuration say) with the marks carried to what is derived from
/// marked parts.
pub fn propagate_marks(schema: &ResourceSchema, value: Value) -> Value {
    let (value, whole) = value.unmark();
    let Value::Map(mut m) = value else { return value.mark_if(whole) };
    if schema.taggable {
        for (from, to) in DERIVED {
            derive(&mut m, from, to);
        }
    }
    let secrets: Vec<String> =
        strata_core::shown::secrets_in(&Value::Map(m.clone())).into_iter().filter(|s| s.len() >= MIN_SECRET_LEN).collect();
    // Only what the provider alone computes: a configured value is marked
    // (or not) by the configuration itself.
    let computed_only = |k: &str| schema.block.attribute(k).is_some_and(|a| a.computed && !a.optional && !a.required);
    let out = if secrets.is_empty() {
        Value::Map(m)
    } else {
        Value::Map(
            m.into_iter()
                .map(|(k, v)| {
                    if computed_only(&k) {
                        let v = mark_containing(v, &secrets);
                        (k, v)
                    } else {
                        (k, v)
                    }
                })
                .collect(),
        )
    };
    out.mark_if(whole)
}

/// Mark the entries of `m[to]` whose key names a sensitive entry of
/// `m[from]`; all of `m[to]` when `m[from]` is sensitive as a whole or
/// `m[to]` is not known yet while some entry is sensitive.
fn derive(m: &mut BTreeMap<String, Value>, from: &str, to: &str) {
    let Some(source) = m.get(from) else { return };
    let whole = source.is_sensitive();
    let keys: Vec<String> =
        source.as_map().map(|s| s.iter().filter(|(_, v)| v.contains_sensitive()).map(|(k, _)| k.clone()).collect()).unwrap_or_default();
    if !whole && keys.is_empty() {
        return;
    }
    let Some(target) = m.remove(to) else { return };
    let target = match target {
        t if t.is_null() => t,
        t if whole || t.is_unknown() => t.mark_if(true),
        t => {
            let (t, marked) = t.unmark();
            match t {
                Value::Map(entries) => Value::Map(
                    entries
                        .into_iter()
                        .map(|(k, v)| {
                            let secret = keys.contains(&k);
                            (k, v.mark_if(secret))
                        })
                        .collect(),
                ),
                t => t.mark_if(true),
            }
            .mark_if(marked)
        }
    };
    m.insert(to.to_string(), target);
}

/// Mark every unmarked string inside `v` that contains one of `secrets`.
fn mark_containing(v: Value, secrets: &[String]) -> Value {
    match v {
        Value::Sensitive(_) => v,
        Value::String(s) if secrets.iter().any(|x| s.contains(x.as_str())) => Value::String(s).mark_if(true),
        Value::List(items) => Value::List(items.into_iter().map(|v| mark_containing(v, secrets)).collect()),
        Value::Set(items) => Value::Set(items.into_iter().map(|v| mark_containing(v, secrets)).collect()),
        Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, mark_containing(v, secrets))).collect()),
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(v: Value) -> Value {
        Value::Sensitive(Box::new(v))
    }

    fn vpc() -> &'static ResourceSchema {
        crate::aws::schema().resource("aws_vpc").unwrap()
    }

    /// Guards against `tags_all` printing a secret that `tags` hides.
    #[test]
    fn tags_all_entries_follow_sensitive_tags() {
        let v = Value::map([
            ("tags", Value::map([("Token", secret(Value::string("tok-1"))), ("Name", Value::string("a"))])),
            ("tags_all", Value::map([("Token", Value::string("tok-1")), ("Name", Value::string("a")), ("Team", Value::string("t"))])),
        ]);
        let out = propagate_marks(vpc(), v);
        let all = out.as_map().unwrap()["tags_all"].as_map().unwrap();
        assert!(all["Token"].is_sensitive());
        assert!(!all["Name"].is_sensitive() && !all["Team"].is_sensitive());
        // A short secret is found through the derivation, not by its text.
        let v = Value::map([
            ("tags", secret(Value::map([("K", Value::string("ab"))]))),
            ("tags_all", Value::map([("K", Value::string("ab"))])),
        ]);
        assert!(propagate_marks(vpc(), v).as_map().unwrap()["tags_all"].is_sensitive());
        // Not known yet (a new object): the whole planned value is sensitive.
        let v = Value::map([("tags", Value::map([("K", secret(Value::string("x")))])), ("tags_all", Value::unknown())]);
        assert!(propagate_marks(vpc(), v).as_map().unwrap()["tags_all"].is_sensitive());
    }

    #[test]
    fn strings_that_contain_a_secret_of_the_object_are_marked() {
        let v = Value::map([
            ("cidr_block", secret(Value::string("10.77.0.0/16"))),
            ("arn", Value::string("arn:aws:ec2:vpc/10.77.0.0/16")),
            ("id", Value::string("vpc-1")),
            ("tags", Value::map([("Name", Value::string("net 10.77.0.0/16"))])),
        ]);
        let out = propagate_marks(vpc(), v);
        let m = out.as_map().unwrap();
        assert!(m["arn"].is_sensitive());
        assert!(!m["id"].is_sensitive());
        // What the configuration sets is marked by the configuration alone.
        assert!(!m["tags"].contains_sensitive());
    }
}
