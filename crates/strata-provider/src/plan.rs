//! Planning one object: prior state + configuration → planned values and the
//! attributes that force replacement (OpenTofu's PlanResourceChange), driven
//! by the schema alone.

use std::collections::BTreeMap;

use strata_core::Value;

use crate::schema::{BlockSchema, Nesting, ResourceSchema};

/// The result of planning one object.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedChange {
    /// Every attribute of the schema: configured values; for unset computed
    /// attributes the prior value (or `Unknown` for a new object); defaults.
    pub planned: Value,
    /// Paths of force-new attributes whose planned value differs from the
    /// prior one (`ami`, `root_block_device.encrypted`); empty for creates.
    pub requires_replace: Vec<String>,
}

/// Plan an object of `schema` from its configuration (`config` holds only the
/// attributes and blocks that were written; nested blocks as lists of
/// objects) and its prior state, if any. Attributes in `ignore_changes` (or
/// `*` for all) keep their prior values. With `force_replace` the object is
/// planned as new even if nothing forces it.
pub fn plan_change(
    schema: &ResourceSchema,
    prior: Option<&Value>,
    config: &Value,
    ignore_changes: &[String],
    force_replace: bool,
) -> PlannedChange {
    let prior_map = prior.and_then(|p| p.peel().as_map());
    let config_map = config.peel().as_map();
    let in_place = plan_block(&schema.block, prior_map, config_map, ignore_changes);
    let Some(prior_map) = prior_map else {
        return PlannedChange { planned: Value::Map(in_place.into()), requires_replace: Vec::new() };
    };
    let mut requires_replace = Vec::new();
    replace_paths(&schema.block, prior_map, &in_place, "", &mut requires_replace);
    if requires_replace.is_empty() && !force_replace {
        return PlannedChange { planned: Value::Map(in_place.into()), requires_replace };
    }
    // A replacement is a new object: computed attributes are unknown again.
    let fresh = plan_block(&schema.block, None, config_map, &[]);
    PlannedChange { planned: Value::Map(fresh.into()), requires_replace }
}

fn plan_block(
    block: &BlockSchema,
    prior: Option<&BTreeMap<String, Value>>,
    config: Option<&BTreeMap<String, Value>>,
    ignore: &[String],
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let ignore_all = ignore.iter().any(|i| i == "*");
    for (name, attr) in &block.attributes {
        let cfg = config.and_then(|c| c.get(name)).filter(|v| !v.is_null());
        let old = prior.and_then(|p| p.get(name));
        let ignored = prior.is_some() && (ignore_all || ignore.iter().any(|i| i == name));
        let v = if ignored {
            old.cloned().unwrap_or(Value::Null)
        } else if let Some(cfg) = cfg {
            cfg.clone()
        } else if attr.computed {
            let source_changed = attr.derived_from.is_some_and(|src| {
                let now = config.and_then(|c| c.get(src)).filter(|v| !v.is_null()).unwrap_or(&Value::Null);
                prior.and_then(|p| p.get(src)).unwrap_or(&Value::Null).peel() != now.peel()
            });
            match prior {
                Some(_) if source_changed => Value::Unknown(attr.ty.clone()),
                Some(_) => old.cloned().unwrap_or(Value::Null),
                None => Value::Unknown(attr.ty.clone()),
            }
        } else if prior.is_some() && old.is_none_or(Value::is_null) {
            // The provider recorded nothing for an unset attribute: its default
            // is what the cloud has; planning the default would be a no-op diff.
            Value::Null
        } else {
            attr.default.clone().unwrap_or(Value::Null)
        };
        let v = match prior {
            Some(_) if !ignored => keep_ignored_keys(name, v, old, ignore),
            _ => v,
        };
        // A policy written differently but meaning the same keeps its recorded text.
        let same_policy = attr.json_policy
            && match (old.and_then(|o| o.peel().as_str()), v.peel().as_str()) {
                (Some(o), Some(n)) => crate::policy::policies_equivalent(o, n),
                _ => false,
            };
        let v = match old {
            Some(o) if same_policy => o.clone(),
            _ => v,
        };
        out.insert(name.clone(), v.mark_if(attr.sensitive));
    }
    for (name, nested) in &block.blocks {
        let old = prior.and_then(|p| p.get(name));
        let ignored = prior.is_some() && (ignore_all || ignore.iter().any(|i| i == name));
        let cfg = config.and_then(|c| c.get(name));
        let v = match cfg {
            _ if ignored => old.cloned().unwrap_or(Value::List(Vec::new().into())),
            Some(v) if v.is_unknown() => v.clone(),
            Some(v) if v.as_seq().is_some_and(|s| !s.is_empty()) => {
                let items = v.as_seq().unwrap_or_default();
                let old_items = old.and_then(Value::as_seq).unwrap_or_default();
                Value::List(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            let prior_item = prior.and(old_items.get(i)).and_then(|p| p.as_map());
                            Value::Map(plan_block(&nested.block, prior_item, item.as_map(), &[]).into())
                        })
                        .collect(),
                )
            }
            // A single block the configuration leaves out (root_block_device,
            // metadata_options) is filled in by the provider, and a computed
            // block left out entirely (a route table's `route`) may be managed
            // elsewhere: keep what the provider reported.
            None if (nested.nesting == Nesting::Single || nested.computed) && prior.is_some() => {
                old.cloned().unwrap_or(Value::List(Vec::new().into()))
            }
            Some(v) if nested.nesting == Nesting::Single && prior.is_some() && v.as_seq().is_some_and(<[Value]>::is_empty) => {
                old.cloned().unwrap_or(Value::List(Vec::new().into()))
            }
            _ => Value::List(Vec::new().into()),
        };
        out.insert(name.clone(), v);
    }
    out
}

/// `ignore_changes = [tags["DeployedAt"]]`: the map entries named keep their
/// prior values (an entry the object did not have stays absent).
fn keep_ignored_keys(name: &str, v: Value, old: Option<&Value>, ignore: &[String]) -> Value {
    let keys: Vec<&str> = ignore.iter().filter_map(|i| i.strip_prefix(name)?.strip_prefix("[\"")?.strip_suffix("\"]")).collect();
    if keys.is_empty() || !v.is_wholly_known() {
        return v;
    }
    let (inner, sensitive) = v.unmark();
    let mut map = match inner {
        Value::Map(m) => m,
        Value::Null => strata_core::value::Map::new(),
        other => return other.mark_if(sensitive),
    };
    let old = old.and_then(|o| o.peel().as_map());
    for k in keys {
        match old.and_then(|o| o.get(k)) {
            Some(prior) => {
                map.insert(k.to_string(), prior.clone());
            }
            None => {
                map.remove(k);
            }
        }
    }
    Value::Map(map).mark_if(sensitive)
}

/// Force-new paths whose planned value differs from the prior one.
fn replace_paths(
    block: &BlockSchema,
    prior: &BTreeMap<String, Value>,
    planned: &BTreeMap<String, Value>,
    prefix: &str,
    out: &mut Vec<String>,
) {
    for (name, attr) in &block.attributes {
        if attr.force_new && differs(prior.get(name), planned.get(name)) {
            out.push(format!("{prefix}{name}"));
        }
    }
    for (name, nested) in &block.blocks {
        let (old, new) = (prior.get(name), planned.get(name));
        if nested.force_new {
            if differs(old, new) {
                out.push(format!("{prefix}{name}"));
            }
            continue;
        }
        let old_items = old.and_then(Value::as_seq).unwrap_or_default();
        let new_items = new.and_then(Value::as_seq).unwrap_or_default();
        for (i, (o, n)) in old_items.iter().zip(new_items).enumerate() {
            if let (Some(o), Some(n)) = (o.as_map(), n.as_map()) {
                let path = if nested.nesting == Nesting::Single { format!("{prefix}{name}.") } else { format!("{prefix}{name}[{i}].") };
                replace_paths(&nested.block, o, n, &path, out);
            }
        }
    }
}

/// Whether two attribute values differ, looking through sensitive marks; an
/// unknown planned value differs from any known prior one.
pub fn differs(old: Option<&Value>, new: Option<&Value>) -> bool {
    let norm = |v: Option<&Value>| v.cloned().unwrap_or(Value::Null).unmark_deep().0;
    let (o, n) = (norm(old), norm(new));
    if n.is_unknown() || !n.is_wholly_known() {
        return true;
    }
    !equivalent(&o, &n)
}

/// Equality where null and an empty collection count as the same, as
/// providers report them interchangeably.
fn equivalent(a: &Value, b: &Value) -> bool {
    let empty = |v: &Value| match v {
        Value::Null => true,
        Value::List(x) | Value::Set(x) => x.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    };
    match (a, b) {
        _ if empty(a) && empty(b) => true,
        (Value::List(x) | Value::Set(x), Value::List(y) | Value::Set(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equivalent(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.keys().chain(y.keys()).all(|k| equivalent(x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws;

    fn obj(items: &[(&str, Value)]) -> Value {
        Value::map(items.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }

    #[test]
    fn new_objects_have_unknown_computed_attributes() {
        let s = aws::schema().resource("aws_instance").unwrap();
        let cfg = obj(&[("ami", Value::string("ami-1")), ("instance_type", Value::string("t3.micro"))]);
        let p = plan_change(s, None, &cfg, &[], false);
        let m = p.planned.as_map().unwrap();
        assert!(m["id"].is_unknown());
        assert_eq!(m["ami"], Value::string("ami-1"));
        assert!(p.requires_replace.is_empty());
    }

    /// `terraform_data.output` follows `input`: unknown when it changes,
    /// kept when it does not.
    #[test]
    fn derived_attributes_are_unknown_when_their_source_changes() {
        let s = crate::local::schema().resource("terraform_data").unwrap();
        let prior = obj(&[("id", Value::string("x")), ("input", Value::string("a")), ("output", Value::string("a"))]);
        let same = plan_change(s, Some(&prior), &obj(&[("input", Value::string("a"))]), &[], false);
        assert_eq!(same.planned.as_map().unwrap()["output"], Value::string("a"));
        let changed = plan_change(s, Some(&prior), &obj(&[("input", Value::string("b"))]), &[], false);
        assert!(changed.planned.as_map().unwrap()["output"].is_unknown());
        assert!(changed.requires_replace.is_empty());
    }

    #[test]
    fn unchanged_objects_keep_prior_computed_values() {
        let s = aws::schema().resource("aws_instance").unwrap();
        let cfg = obj(&[("ami", Value::string("ami-1")), ("instance_type", Value::string("t3.micro"))]);
        // What a provider would report after creating it: everything known.
        fn known(v: Value) -> Value {
            match v {
                Value::Unknown(_) => Value::Null,
                Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, known(v))).collect()),
                Value::List(l) => Value::List(l.into_iter().map(known).collect()),
                v => v,
            }
        }
        let prior = known(plan_change(s, None, &cfg, &[], false).planned);
        let mut prior = prior.as_map().unwrap().clone();
        prior.insert("id".into(), Value::string("i-123"));
        prior.insert("arn".into(), Value::string("arn:aws:ec2:::instance/i-123"));
        let prior = Value::Map(prior.into());
        let p = plan_change(s, Some(&prior), &cfg, &[], false);
        assert_eq!(p.planned.as_map().unwrap()["id"], Value::string("i-123"));
        assert!(!differs(Some(&prior), Some(&p.planned)), "no change planned");

        let changed = obj(&[("ami", Value::string("ami-2")), ("instance_type", Value::string("t3.micro"))]);
        let p = plan_change(s, Some(&prior), &changed, &[], false);
        assert_eq!(p.requires_replace, ["ami"]);
        assert!(p.planned.as_map().unwrap()["id"].is_unknown(), "a replacement gets a new id");

        let resized = obj(&[("ami", Value::string("ami-1")), ("instance_type", Value::string("t3.large"))]);
        let p = plan_change(s, Some(&prior), &resized, &[], false);
        assert!(p.requires_replace.is_empty(), "instance_type changes in place");
        assert_eq!(p.planned.as_map().unwrap()["id"], Value::string("i-123"));

        let p = plan_change(s, Some(&prior), &changed, &["ami".to_string()], false);
        assert!(p.requires_replace.is_empty(), "ignore_changes keeps the prior ami");
        let p = plan_change(s, Some(&prior), &cfg, &[], true);
        assert!(p.planned.as_map().unwrap()["id"].is_unknown(), "forced replacement");
    }
}
