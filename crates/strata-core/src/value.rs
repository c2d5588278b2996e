//! strata's value type: what expressions evaluate to.
//!
//! Objects and maps share one representation (`Map`, keys in lexical order
//! as Terraform iterates them), as do tuples and lists (`List`); the
//! distinction lives in [`Type`]. Two marks travel with values:
//!
//! - `Unknown(ty)`: known only after apply (an instance id, `timestamp()`).
//! - `Sensitive(v)`: `v` must never be rendered. Any operation on a sensitive
//!   value yields a sensitive value.
//!
//! Strings, lists and maps are shared (see [`shared`]): cloning a value is
//! cheap whatever its size, and changing one copies only what is shared.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::types::{ObjectAttr, Type};

mod shared;

pub use shared::{List, Map, Str};

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(Str),
    List(List),
    /// Deduplicated; strings and numbers kept sorted, as Terraform orders sets.
    Set(List),
    Map(Map),
    Unknown(Type),
    Sensitive(Box<Value>),
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(Str::from(s.into()))
    }

    /// A list (or tuple) of `items`.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(items.into())
    }

    pub fn unknown() -> Value {
        Value::Unknown(Type::Any)
    }

    /// Build a set: duplicates removed, primitives sorted.
    pub fn set(items: Vec<Value>) -> Value {
        let mut out = dedup(items);
        if out.iter().all(|v| matches!(v, Value::String(_))) {
            out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        } else if out.iter().all(|v| matches!(v, Value::Number(_))) {
            out.sort_by(|a, b| a.as_f64().partial_cmp(&b.as_f64()).unwrap_or(std::cmp::Ordering::Equal));
        }
        Value::Set(out.into())
    }

    pub fn map<K: Into<String>>(items: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(items.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn is_null(&self) -> bool {
        matches!(self.peel(), Value::Null)
    }

    /// True when this value (shallowly, looking through the sensitive mark) is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self.peel(), Value::Unknown(_))
    }

    /// True when no part of this value is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::Sensitive(v) => v.is_wholly_known(),
            Value::List(vs) | Value::Set(vs) => vs.iter().all(Value::is_wholly_known),
            Value::Map(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// True when this value carries the sensitive mark at its top level.
    pub fn is_sensitive(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }

    /// True when this value or any part of it is sensitive.
    pub fn contains_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(vs) | Value::Set(vs) => vs.iter().any(Value::contains_sensitive),
            Value::Map(m) => m.values().any(Value::contains_sensitive),
            _ => false,
        }
    }

    /// The value under a sensitive mark, by reference.
    pub fn peel(&self) -> &Value {
        match self {
            Value::Sensitive(v) => v.peel(),
            v => v,
        }
    }

    /// Remove the top-level sensitive mark; returns the value and whether it was marked.
    pub fn unmark(self) -> (Value, bool) {
        match self {
            Value::Sensitive(v) => (v.unmark().0, true),
            v => (v, false),
        }
    }

    /// Remove every sensitive mark inside; returns whether any was found.
    /// A value without marks is returned as it is, not rebuilt.
    pub fn unmark_deep(self) -> (Value, bool) {
        fn strip(v: Value) -> Value {
            match v {
                Value::Sensitive(v) => strip(*v),
                Value::List(vs) => Value::List(vs.into_iter().map(strip).collect()),
                // Unmarked elements may now be equal or need sorting.
                Value::Set(vs) => Value::set(vs.into_iter().map(strip).collect()),
                Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, strip(v))).collect()),
                v => v,
            }
        }
        if self.contains_sensitive() { (strip(self), true) } else { (self, false) }
    }

    /// Add the sensitive mark when `sensitive` is true (idempotent).
    pub fn mark_if(self, sensitive: bool) -> Value {
        if sensitive && !self.is_sensitive() { Value::Sensitive(Box::new(self)) } else { self }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.peel() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.peel() {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.peel() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Elements of a list, tuple or set.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self.peel() {
            Value::List(v) | Value::Set(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self.peel() {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The type of a value as Terraform names it in messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "object",
            Value::Unknown(_) => "unknown",
            Value::Sensitive(v) => v.type_name(),
        }
    }

    /// The best type this value is known to have.
    pub fn ty(&self) -> Type {
        match self {
            Value::Null | Value::Unknown(Type::Any) => Type::Any,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(vs) => Type::Tuple(vs.iter().map(Value::ty).collect()),
            Value::Set(vs) => Type::set(vs.first().map_or(Type::Any, Value::ty)),
            Value::Map(m) => Type::Object(m.iter().map(|(k, v)| (k.clone(), ObjectAttr::required(v.ty()))).collect()),
            Value::Unknown(t) => t.clone(),
            Value::Sensitive(v) => v.ty(),
        }
    }

    /// Terraform's truthiness is strict: only bools (and the strings "true"/"false").
    pub fn to_bool(&self) -> Option<bool> {
        match self.peel() {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    /// Convert to a string as string templates do: primitives only.
    pub fn to_template_string(&self) -> Option<String> {
        match self.peel() {
            Value::String(s) => Some(s.to_string()),
            Value::Number(n) => Some(format_number(*n)),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Convert this value to a type constraint, as Terraform converts variable
    /// values and function arguments. Marks are kept.
    pub fn convert(&self, ty: &Type) -> Result<Value, String> {
        convert(self, ty, "")
    }

    /// JSON form of a wholly known value (sensitive marks are looked through:
    /// callers that render must check [`Value::contains_sensitive`] first).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null | Value::Unknown(_) => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => number_to_json(*n),
            Value::String(s) => J::String(s.to_string()),
            Value::List(vs) | Value::Set(vs) => J::Array(vs.iter().map(Value::to_json).collect()),
            Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Value::Sensitive(v) => v.to_json(),
        }
    }

    pub fn from_json(j: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match j {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
            J::String(s) => Value::string(s.as_str()),
            J::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            J::Object(o) => Value::Map(o.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect()),
        }
    }
}

fn number_to_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        serde_json::Value::Number((n as i64).into())
    } else {
        let rounded: f64 = format_number(n).parse().unwrap_or(n);
        serde_json::Number::from_f64(rounded).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

/// Format a number as Terraform prints it: integers without a fraction,
/// others rounded to 15 significant digits so that `0.1 + 0.2` prints `0.3`.
pub fn format_number(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if n.fract() == 0.0 && n.abs() < 1e16 {
        return format!("{}", n as i64);
    }
    let rounded: f64 = format!("{n:.14e}").parse().unwrap_or(n);
    format!("{rounded}")
}

fn convert(v: &Value, ty: &Type, path: &str) -> Result<Value, String> {
    let at = |msg: String| if path.is_empty() { msg } else { format!("{path}: {msg}") };
    match v {
        // The reason a sensitive value does not convert would quote it.
        Value::Sensitive(inner) => {
            return convert(inner, ty, path)
                .map(|v| v.mark_if(true))
                .map_err(|_| at(format!("{} required, got {}", ty.friendly(), crate::shown::SENSITIVE)));
        }
        Value::Null => return Ok(Value::Null),
        Value::Unknown(_) => return Ok(Value::Unknown(ty.clone())),
        _ => {}
    }
    match ty {
        Type::Any => Ok(v.clone()),
        Type::String => match v {
            Value::String(_) => Ok(v.clone()),
            Value::Number(n) => Ok(Value::string(format_number(*n))),
            Value::Bool(b) => Ok(Value::string(b.to_string())),
            _ => Err(at(format!("string required, got {}", v.type_name()))),
        },
        Type::Number => match v {
            Value::Number(_) => Ok(v.clone()),
            Value::String(s) => parse_number(s).map(Value::Number).ok_or_else(|| at(format!("a number is required, got the string {s:?}"))),
            _ => Err(at(format!("number required, got {}", v.type_name()))),
        },
        Type::Bool => match v {
            Value::Bool(_) => Ok(v.clone()),
            Value::String(s) if s == "true" => Ok(Value::Bool(true)),
            Value::String(s) if s == "false" => Ok(Value::Bool(false)),
            _ => Err(at(format!("bool required, got {}", v.type_name()))),
        },
        Type::List(et) | Type::Set(et) => {
            let items = match v {
                Value::List(vs) | Value::Set(vs) => vs,
                _ => return Err(at(format!("{} required, got {}", ty.friendly(), v.type_name()))),
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(convert(item, et, &format!("{path}[{i}]"))?);
            }
            let out = unify_elements(out, et);
            Ok(if matches!(ty, Type::Set(_)) { Value::set(out) } else { Value::list(out) })
        }
        Type::Tuple(ts) => {
            let items = match v {
                Value::List(vs) | Value::Set(vs) => vs,
                _ => return Err(at(format!("tuple required, got {}", v.type_name()))),
            };
            if items.len() != ts.len() {
                return Err(at(format!("tuple of {} elements required, got {}", ts.len(), items.len())));
            }
            items
                .iter()
                .zip(ts)
                .enumerate()
                .map(|(i, (v, t))| convert(v, t, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()
                .map(Value::list)
        }
        Type::Map(et) => {
            let m = match v {
                Value::Map(m) => m,
                _ => return Err(at(format!("{} required, got {}", ty.friendly(), v.type_name()))),
            };
            let mut out = Map::new();
            for (k, item) in m.iter() {
                out.insert(k.clone(), convert(item, et, &format!("{path}[{k:?}]"))?);
            }
            let keys: Vec<String> = out.keys().cloned().collect();
            let vals = unify_elements(out.into_btree().into_values().collect(), et);
            Ok(Value::Map(keys.into_iter().zip(vals).collect()))
        }
        Type::Object(attrs) => {
            let m = match v {
                Value::Map(m) => m,
                _ => return Err(at(format!("object required, got {}", v.type_name()))),
            };
            let mut out = Map::new();
            for (k, a) in attrs {
                let sub = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match m.get(k) {
                    Some(item) if !item.is_null() => {
                        out.insert(k.clone(), convert(item, &a.ty, &sub)?);
                    }
                    _ if a.optional => {
                        let d = match &a.default {
                            Some(d) => convert(d, &a.ty, &sub)?,
                            None => Value::Null,
                        };
                        out.insert(k.clone(), d);
                    }
                    Some(_) => {
                        out.insert(k.clone(), Value::Null);
                    }
                    None => return Err(at(format!("attribute {k:?} is required"))),
                }
            }
            Ok(Value::Map(out))
        }
    }
}

/// When a collection's element type is `any`, Terraform unifies elements to
/// one type: mixed strings and numbers become strings.
fn unify_elements(items: Vec<Value>, et: &Type) -> Vec<Value> {
    if *et != Type::Any {
        return items;
    }
    let has_string = items.iter().any(|v| matches!(v.peel(), Value::String(_)));
    let all_prim =
        items.iter().all(|v| matches!(v.peel(), Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null | Value::Unknown(_)));
    if has_string && all_prim { items.into_iter().map(|v| v.convert(&Type::String).unwrap_or(Value::Null)).collect() } else { items }
}

/// `items` without repeats, first occurrences kept in order. Hashing keeps
/// this linear: sets of a million elements (`setproduct`) are built in time.
pub fn dedup(items: Vec<Value>) -> Vec<Value> {
    let mut seen = HashSet::with_capacity(items.len());
    let keep: Vec<bool> = items.iter().map(|v| seen.insert(Key(v))).collect();
    drop(seen);
    items.into_iter().zip(keep).filter_map(|(v, keep)| keep.then_some(v)).collect()
}

/// A value as a hash-set key, equal when the values are equal. NaN is never
/// equal to itself, so every NaN is kept, as comparing with `==` keeps them.
struct Key<'a>(&'a Value);

impl PartialEq for Key<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Key<'_> {}

impl Hash for Key<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

/// Agrees with `==`: equal values hash alike (`0.0` and `-0.0` included).
/// Unknown values hash by kind only, which is coarser than `==` and so still agrees.
impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Value::Null | Value::Unknown(_) => {}
            Value::Bool(b) => b.hash(state),
            Value::Number(n) => (if *n == 0.0 { 0.0_f64 } else { *n }).to_bits().hash(state),
            Value::String(s) => s.hash(state),
            Value::List(vs) | Value::Set(vs) => vs.hash(state),
            Value::Map(m) => m.hash(state),
            Value::Sensitive(v) => v.hash(state),
        }
    }
}

/// Parse a number the way Terraform's `tonumber` does (decimal, optional exponent).
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t != s {
        return None;
    }
    let ok = t.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if !ok {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Renders values in HCL-like notation for `strata output` and plan text.
/// Sensitive parts print as `(sensitive value)`, unknown as `(known after apply)`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => f.write_str(&format_number(*n)),
            Value::String(s) => write!(f, "{s:?}"),
            Value::List(vs) | Value::Set(vs) => {
                f.write_str("[")?;
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                f.write_str("}")
            }
            Value::Unknown(_) => f.write_str("(known after apply)"),
            Value::Sensitive(_) => f.write_str("(sensitive value)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_terraform() {
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(9007199254740992.0), "9007199254740992");
        assert_eq!(format_number(-2.5), "-2.5");
    }

    #[test]
    fn conversion_rules() {
        assert_eq!(Value::Number(5.0).convert(&Type::String).unwrap(), Value::string("5"));
        assert_eq!(Value::string("12").convert(&Type::Number).unwrap(), Value::Number(12.0));
        assert!(Value::string("x").convert(&Type::Number).is_err());
        assert_eq!(Value::string("true").convert(&Type::Bool).unwrap(), Value::Bool(true));
        let l = Value::List(vec![Value::string("b"), Value::string("a"), Value::string("b")].into());
        assert_eq!(l.convert(&Type::set(Type::String)).unwrap(), Value::Set(vec![Value::string("a"), Value::string("b")].into()));
        let secret = Value::Sensitive(Box::new(Value::Number(1.0)));
        assert!(secret.convert(&Type::String).unwrap().is_sensitive());
        let err = Value::Sensitive(Box::new(Value::string("hunter2"))).convert(&Type::Number).unwrap_err();
        assert_eq!(err, "number required, got (sensitive value)", "a conversion error never quotes a sensitive value");
        let nested = Value::map([("pw", Value::Sensitive(Box::new(Value::string("hunter2"))))]);
        let err = nested.convert(&Type::map(Type::Number)).unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn optional_object_attributes_take_defaults() {
        let mut attrs = BTreeMap::new();
        attrs.insert("a".to_string(), ObjectAttr::required(Type::String));
        attrs.insert("b".to_string(), ObjectAttr { ty: Type::Number, optional: true, default: Some(Value::Number(1.0)) });
        let v = Value::map([("a", Value::string("x"))]);
        let out = v.convert(&Type::Object(attrs)).unwrap();
        assert_eq!(out, Value::map([("a", Value::string("x")), ("b", Value::Number(1.0))]));
    }

    /// Guards against quadratic set building: deduplicating by pairwise
    /// comparison made this test (and `setproduct` of large sets) run for
    /// many minutes; hashing takes well under a second.
    #[test]
    fn large_sets_build_in_linear_time() {
        let items: Vec<Value> = (0..400_000).map(|i| Value::List(vec![Value::Number(f64::from(i % 200_000))].into())).collect();
        let Value::Set(out) = Value::set(items) else { panic!("not a set") };
        assert_eq!(out.len(), 200_000);
        assert_eq!(out[1], Value::List(vec![Value::Number(1.0)].into()));
    }

    #[test]
    fn dedup_agrees_with_equality() {
        let items = vec![Value::Number(0.0), Value::Number(-0.0), Value::Number(f64::NAN), Value::Number(f64::NAN), Value::string("0")];
        let out = dedup(items);
        assert_eq!(out.len(), 4, "0 and -0 are equal; NaN never is; strings are not numbers");
        assert_eq!(out[0], Value::Number(0.0));
        assert_eq!(out[3], Value::string("0"));
    }

    /// Guards against deep copies: a clone shares strings, lists and maps,
    /// and changing a clone copies only what it changes.
    #[test]
    fn clones_share_and_changes_copy_on_write() {
        let big = Value::list((0..1000).map(|i| Value::string(format!("item-{i}"))).collect());
        let copy = big.clone();
        let (Value::List(a), Value::List(b)) = (&big, &copy) else { panic!("not lists") };
        assert!(a.ptr_eq(b), "a clone is the same allocation");
        let mut changed = copy.clone();
        if let Value::List(items) = &mut changed {
            items.push(Value::Null);
        }
        assert_eq!(copy, big, "the original is unchanged");
        assert_eq!(changed.as_seq().map(<[Value]>::len), Some(1001));
        let s = Value::string("x");
        assert!(matches!(&s, Value::String(t) if t == "x" && t.as_str() == "x"));
    }

    #[test]
    fn unmark_deep_merges_set_elements_that_differed_only_by_mark() {
        let secret = Value::Sensitive(Box::new(Value::string("b")));
        let set = Value::Set(vec![secret, Value::string("b"), Value::string("a")].into());
        assert_eq!(set.unmark_deep(), (Value::Set(vec![Value::string("a"), Value::string("b")].into()), true));
        let plain = Value::map([("k", Value::List(vec![Value::Null].into()))]);
        assert_eq!(plain.clone().unmark_deep(), (plain, false));
    }
}
