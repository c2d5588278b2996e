//! `tags_all` of existing objects: the provider's `default_tags` merged with
//! the resource's `tags`, so that a change to `default_tags` reaches every
//! object it applies to as an in-place update of its tags.

use std::collections::BTreeMap;

use strata_config::{Evaluated, ProviderConfig};
use strata_core::{Type, Value};

/// Plan `tags_all` for every instance that keeps its object: `default_tags`
/// of its provider configuration, then its own `tags` (which win). Objects
/// about to be created or replaced keep it unknown (it is computed by the
/// create). Tags AWS reserves (`aws:`) that the object has are kept.
///
/// Called on the evaluation a plan is built from and on every
/// re-evaluation during the apply, so that both agree.
pub fn plan_tags_all(ev: &mut Evaluated) {
    for r in &mut ev.resources {
        let p = &r.planned;
        let Some(prior) = &p.prior else { continue };
        if !p.requires_replace.is_empty() || p.replace_requested {
            continue;
        }
        if r.ignore_changes.iter().any(|i| i == "*" || i == "tags_all") {
            continue;
        }
        let Some(values) = r.values.peel().as_map() else { continue };
        if !values.contains_key("tags_all") {
            continue;
        }
        let defaults = default_tags(&ev.providers, &r.provider);
        let tags = values.get("tags").cloned().unwrap_or(Value::Null);
        let wanted = match (defaults, tags.peel()) {
            (Some(d), _) if !d.is_wholly_known() => Value::Unknown(Type::map(Type::String)),
            (_, t) if !t.is_wholly_known() => Value::Unknown(Type::map(Type::String)),
            (d, t) => {
                let mut all: BTreeMap<String, Value> = BTreeMap::new();
                for source in [d.as_ref().map(Value::peel), Some(t)].into_iter().flatten() {
                    if let Some(m) = source.as_map() {
                        for (k, v) in m {
                            if !v.is_null() {
                                all.insert(k.clone(), v.clone());
                            }
                        }
                    }
                }
                let recorded = prior.peel().as_map().and_then(|m| m.get("tags_all")).and_then(|t| t.peel().as_map());
                for (k, v) in recorded.into_iter().flatten() {
                    if k.starts_with("aws:") {
                        all.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                Value::Map(all.into())
            }
        };
        if let Value::Map(m) = &mut r.values {
            m.insert("tags_all".into(), wanted);
        } else if let Value::Sensitive(inner) = &mut r.values
            && let Value::Map(m) = inner.as_mut()
        {
            m.insert("tags_all".into(), wanted);
        }
    }
}

/// The `default_tags { tags = {...} }` of the provider configuration an
/// instance uses (`aws.west` names an alias; none is the default `aws`).
fn default_tags(providers: &[ProviderConfig], provider: &str) -> Option<Value> {
    let config = providers.iter().find(|p| p.address() == provider)?;
    let block = config.config.peel().as_map()?.get("default_tags")?;
    let block = match block.peel() {
        Value::List(items) => items.first()?.clone(),
        v => v.clone(),
    };
    if block.is_unknown() {
        return Some(block);
    }
    block.peel().as_map()?.get("tags").cloned()
}
