//! Changes of set-typed attributes and blocks (`ingress`, `parameter`,
//! `vpc_security_group_ids`) as the elements added and removed, the way
//! Terraform's sets compare: an element is identified by its whole value, so
//! a changed rule is one removed and one added element, and order never
//! matters. Renderers show these instead of the whole list before and after.

use strata_core::{Type, Value};

use crate::differs;
use crate::schema::{BlockSchema, Nesting};

/// The elements a set lost and gained, at `path` (`ingress`,
/// `default_action[0].forward[0].target_group`).
#[derive(Debug, Clone, PartialEq)]
pub struct SetChange {
    pub path: String,
    /// In the order of the old set.
    pub removed: Vec<Value>,
    /// In the order of the new set.
    pub added: Vec<Value>,
}

impl BlockSchema {
    /// Whether `name` is set-typed: a block nested as a set, or an attribute
    /// whose type is `set(...)`.
    pub fn is_set(&self, name: &str) -> bool {
        self.nested_block(name).is_some_and(|b| b.nesting == Nesting::Set)
            || self.attribute(name).is_some_and(|a| matches!(a.ty, Type::Set(_)))
    }
}

/// The elements of `old` not in `new` (removed) and of `new` not in `old`
/// (added), each element matched at most once (null is the empty set).
/// `None` when either is not a collection or is sensitive as a whole (its
/// elements are then never shown). An element with an unknown part matches
/// nothing: it is known after apply.
pub fn set_diff(old: Option<&Value>, new: Option<&Value>) -> Option<(Vec<Value>, Vec<Value>)> {
    fn elements(v: Option<&Value>) -> Option<&[Value]> {
        match v {
            None | Some(Value::Null) => Some(&[]),
            Some(Value::List(items) | Value::Set(items)) => Some(items),
            Some(_) => None,
        }
    }
    let (old, new) = (elements(old)?, elements(new)?);
    let mut unmatched: Vec<bool> = vec![true; new.len()];
    let mut removed = Vec::new();
    for o in old {
        match (0..new.len()).find(|&i| unmatched[i] && !differs(Some(o), Some(&new[i]))) {
            Some(i) => unmatched[i] = false,
            None => removed.push(o.clone()),
        }
    }
    let added = new.iter().zip(unmatched).filter(|(_, u)| *u).map(|(v, _)| v.clone()).collect();
    Some((removed, added))
}

/// Every set of an object (described by `block`) whose elements differ
/// between `old` and `new`, sorted by path. Single and list blocks are walked
/// into element by element when both sides have as many; sets inside an
/// added or removed set element are part of that element.
pub fn set_changes(block: &BlockSchema, old: &Value, new: &Value) -> Vec<SetChange> {
    let mut out = Vec::new();
    walk(block, old, new, &mut String::new(), &mut out);
    out
}

fn walk(block: &BlockSchema, old: &Value, new: &Value, path: &mut String, out: &mut Vec<SetChange>) {
    let (Some(o), Some(n)) = (old.as_map(), new.as_map()) else { return };
    if old.is_sensitive() || new.is_sensitive() {
        return;
    }
    let at = |path: &String, name: &str| if path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
    let names = block.attributes.keys().chain(block.blocks.keys());
    for name in names {
        let (ov, nv) = (o.get(name), n.get(name));
        if block.is_set(name) {
            if let Some((removed, added)) = set_diff(ov, nv)
                && (!removed.is_empty() || !added.is_empty())
            {
                out.push(SetChange { path: at(path, name), removed, added });
            }
            continue;
        }
        let Some(nested) = block.nested_block(name) else { continue };
        let (Some(os), Some(ns)) = (ov.and_then(Value::as_seq), nv.and_then(Value::as_seq)) else { continue };
        if os.len() != ns.len() || ov.is_some_and(Value::is_sensitive) || nv.is_some_and(Value::is_sensitive) {
            continue;
        }
        for (i, (x, y)) in os.iter().zip(ns).enumerate() {
            let mut inner = format!("{}[{i}]", at(path, name));
            walk(&nested.block, x, y, &mut inner, out);
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{NestedBlock, optional, required};

    fn rule(port: f64, cidr: &str) -> Value {
        Value::map([
            ("from_port", Value::Number(port)),
            ("to_port", Value::Number(port)),
            ("cidr_blocks", Value::List(vec![Value::string(cidr)].into())),
        ])
    }

    fn schema() -> BlockSchema {
        let rule = BlockSchema::new()
            .attr("from_port", required(Type::Number))
            .attr("to_port", required(Type::Number))
            .attr("cidr_blocks", optional(Type::list(Type::String)));
        let forward = BlockSchema::new().attr("target_groups", optional(Type::set(Type::String)));
        let action = BlockSchema::new().block("forward", NestedBlock::single(forward));
        BlockSchema::new()
            .attr("name", optional(Type::String))
            .attr("ids", optional(Type::set(Type::String)))
            .attr("list", optional(Type::list(Type::String)))
            .block("ingress", NestedBlock::set(rule))
            .block("action", NestedBlock::list(action))
    }

    fn strings(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::string(*s)).collect::<Vec<_>>().into())
    }

    #[test]
    fn is_set_follows_the_schema() {
        let s = schema();
        assert!(s.is_set("ingress") && s.is_set("ids"));
        assert!(!s.is_set("list") && !s.is_set("action") && !s.is_set("name") && !s.is_set("missing"));
    }

    #[test]
    fn one_added_rule_is_one_added_element_whatever_the_order() {
        let old = Value::map([("ingress", Value::List(vec![rule(22.0, "10.0.0.0/8"), rule(80.0, "0.0.0.0/0")].into()))]);
        let new = Value::map([(
            "ingress",
            Value::List(vec![rule(80.0, "0.0.0.0/0"), rule(443.0, "0.0.0.0/0"), rule(22.0, "10.0.0.0/8")].into()),
        )]);
        assert_eq!(
            set_changes(&schema(), &old, &new),
            [SetChange { path: "ingress".into(), removed: vec![], added: vec![rule(443.0, "0.0.0.0/0")] }]
        );
        // A changed element is one removed and one added.
        let changed = Value::map([("ingress", Value::List(vec![rule(22.0, "10.0.0.0/16"), rule(80.0, "0.0.0.0/0")].into()))]);
        let c = set_changes(&schema(), &old, &changed);
        assert_eq!((c[0].removed.clone(), c[0].added.clone()), (vec![rule(22.0, "10.0.0.0/8")], vec![rule(22.0, "10.0.0.0/16")]));
        assert!(set_changes(&schema(), &old, &old).is_empty());
    }

    #[test]
    fn duplicates_match_once_and_null_is_empty() {
        let (removed, added) = set_diff(Some(&strings(&["a", "a", "b"])), Some(&strings(&["a", "c"]))).unwrap();
        assert_eq!((removed, added), (vec![Value::string("a"), Value::string("b")], vec![Value::string("c")]));
        let (removed, added) = set_diff(Some(&Value::Null), Some(&strings(&["x"]))).unwrap();
        assert_eq!((removed.len(), added), (0, vec![Value::string("x")]));
        assert!(set_diff(Some(&Value::string("x")), None).is_none(), "not a collection");
        // An unknown element is known after apply: it matches nothing.
        let (removed, added) = set_diff(Some(&strings(&["a"])), Some(&Value::List(vec![Value::unknown()].into()))).unwrap();
        assert_eq!((removed.len(), added.len()), (1, 1));
    }

    #[test]
    fn sets_inside_list_blocks_have_indexed_paths_and_sensitive_sets_none() {
        let action = |tgs: &[&str]| {
            Value::List(vec![Value::map([("forward", Value::List(vec![Value::map([("target_groups", strings(tgs))])].into()))])].into())
        };
        let old = Value::map([("action", action(&["tg-1"])), ("ids", strings(&["sg-1"]))]);
        let new = Value::map([("action", action(&["tg-1", "tg-2"])), ("ids", strings(&["sg-2"]).mark_if(true))]);
        let c = set_changes(&schema(), &old, &new);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!((c[0].path.as_str(), c[0].added.clone()), ("action[0].forward[0].target_groups", vec![Value::string("tg-2")]));
    }
}
