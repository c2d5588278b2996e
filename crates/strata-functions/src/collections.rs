//! Functions over lists, sets, tuples, maps and objects.

use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};

use strata_core::{Type, Value};
use unicode_segmentation::UnicodeSegmentation;

use crate::{FnError, FnResult, arg_err, int_arg, list_arg, map_arg, present, seq_arg};

/// Results larger than this are refused (`setproduct` of large sets).
const MAX_ELEMENTS: usize = 1_000_000;

/// A value as a hash-set member, so that set functions over large
/// collections take linear rather than quadratic time. `Value`'s hash agrees
/// with `==`; NaN, never equal to itself, is never found, as with `==`.
struct Member<'a>(&'a Value);

impl PartialEq for Member<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Member<'_> {}

impl Hash for Member<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

pub(crate) fn length(args: &[Value]) -> FnResult {
    let n = match present(args, 0)? {
        Value::String(s) => s.graphemes(true).count(),
        Value::List(vs) | Value::Set(vs) => vs.len(),
        Value::Map(m) => m.len(),
        v => return Err(arg_err(0, format!("argument must be a string, a collection type, or a structural type, got {}", v.type_name()))),
    };
    Ok(Value::Number(n as f64))
}

pub(crate) fn lookup(args: &[Value]) -> FnResult {
    if args[..2].iter().any(Value::is_unknown) {
        return Ok(Value::unknown());
    }
    let map = map_arg(args, 0)?;
    let key = crate::string_arg(args, 1)?;
    match (map.get(&key), args.get(2)) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(default)) => Ok(default.clone()),
        (None, None) => Err(FnError::Message(format!("lookup failed to find key {key:?}"))),
    }
}

pub(crate) fn merge(args: &[Value]) -> FnResult {
    let mut out = BTreeMap::new();
    for (i, arg) in args.iter().enumerate() {
        match arg {
            Value::Null => {}
            Value::Map(m) => out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
            v => return Err(arg_err(i, format!("arguments must be maps or objects, got {}", v.type_name()))),
        }
    }
    Ok(Value::Map(out.into()))
}

pub(crate) fn concat(args: &[Value]) -> FnResult {
    let mut out = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        match arg {
            Value::List(vs) => out.extend(vs.iter().cloned()),
            Value::Null => return Err(arg_err(i, "argument must not be null")),
            v => return Err(arg_err(i, format!("all arguments must be lists or tuples, got {}", v.type_name()))),
        }
    }
    Ok(Value::List(out.into()))
}

pub(crate) fn flatten(args: &[Value]) -> FnResult {
    fn walk(items: &[Value], out: &mut Vec<Value>) -> bool {
        for v in items {
            match v {
                Value::List(vs) | Value::Set(vs) => {
                    if !walk(vs, out) {
                        return false;
                    }
                }
                // An unknown that may be a collection makes the length of
                // the result unknown.
                Value::Unknown(Type::Any | Type::List(_) | Type::Set(_) | Type::Tuple(_)) => return false,
                v => out.push(v.clone()),
            }
        }
        true
    }
    let items = seq_arg(args, 0).map_err(|_| arg_err(0, "can only flatten lists, sets and tuples"))?;
    let mut out = Vec::new();
    Ok(if walk(items, &mut out) { Value::List(out.into()) } else { Value::unknown() })
}

pub(crate) fn distinct(args: &[Value]) -> FnResult {
    Ok(Value::List(strata_core::value::dedup(seq_arg(args, 0)?.to_vec()).into()))
}

pub(crate) fn contains(args: &[Value]) -> FnResult {
    let items = seq_arg(args, 0)?;
    Ok(Value::Bool(items.contains(&args[1])))
}

pub(crate) fn keys(args: &[Value]) -> FnResult {
    Ok(crate::string_list(map_arg(args, 0)?.keys().cloned()))
}

pub(crate) fn values(args: &[Value]) -> FnResult {
    Ok(Value::List(map_arg(args, 0)?.values().cloned().collect()))
}

pub(crate) fn element(args: &[Value]) -> FnResult {
    let items = list_arg(args, 0)?;
    let index = int_arg(args, 1)?;
    if index < 0 {
        return Err(arg_err(1, "cannot use element function with a negative index"));
    }
    if items.is_empty() {
        return Err(arg_err(0, "cannot use element function with an empty list"));
    }
    Ok(items[(index as u64 % items.len() as u64) as usize].clone())
}

pub(crate) fn slice(args: &[Value]) -> FnResult {
    let items = list_arg(args, 0)?;
    let (start, end) = (int_arg(args, 1)?, int_arg(args, 2)?);
    if start < 0 {
        return Err(arg_err(1, "start index must not be negative"));
    }
    if end > items.len() as i64 {
        return Err(arg_err(2, format!("end index {end} is greater than the length of the list ({})", items.len())));
    }
    if start > end {
        return Err(arg_err(1, format!("start index {start} is greater than the end index {end}")));
    }
    Ok(Value::List(items[start as usize..end as usize].to_vec().into()))
}

pub(crate) fn index(args: &[Value]) -> FnResult {
    let items = list_arg(args, 0)?;
    let pos = items.iter().position(|v| *v == args[1]).ok_or_else(|| FnError::Message("item not found".into()))?;
    Ok(Value::Number(pos as f64))
}

pub(crate) fn zipmap(args: &[Value]) -> FnResult {
    let keys = seq_arg(args, 0)?;
    let values = list_arg(args, 1)?;
    if keys.len() != values.len() {
        return Err(arg_err(1, format!("number of keys ({}) does not match number of values ({})", keys.len(), values.len())));
    }
    let mut out = BTreeMap::new();
    for (i, (k, v)) in keys.iter().zip(values).enumerate() {
        if k.is_unknown() {
            return Ok(Value::unknown());
        }
        let k = k.to_template_string().ok_or_else(|| arg_err(0, format!("element {i}: keys must be strings, got {}", k.type_name())))?;
        out.insert(k, v.clone());
    }
    Ok(Value::Map(out.into()))
}

pub(crate) fn coalesce(args: &[Value]) -> FnResult {
    let has_string = args.iter().any(|v| matches!(v, Value::String(_)));
    let all_primitive =
        args.iter().all(|v| matches!(v, Value::Null | Value::Unknown(_) | Value::Bool(_) | Value::Number(_) | Value::String(_)));
    if !all_primitive && args.iter().any(|v| matches!(v, Value::Bool(_) | Value::Number(_) | Value::String(_))) {
        return Err(FnError::Message("all arguments must have the same type".into()));
    }
    for v in args {
        match v {
            Value::Unknown(_) => return Ok(Value::Unknown(if has_string { Type::String } else { Type::Any })),
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            v if has_string => return Ok(Value::String(v.to_template_string().unwrap_or_default().into())),
            v => return Ok(v.clone()),
        }
    }
    Err(FnError::Message("no non-null, non-empty-string arguments".into()))
}

pub(crate) fn coalescelist(args: &[Value]) -> FnResult {
    for (i, v) in args.iter().enumerate() {
        match v {
            Value::Unknown(_) => return Ok(Value::unknown()),
            Value::Null => {}
            Value::List(vs) if vs.is_empty() => {}
            Value::List(_) => return Ok(v.clone()),
            v => return Err(arg_err(i, format!("coalescelist arguments must be lists or tuples, got {}", v.type_name()))),
        }
    }
    Err(FnError::Message("no non-null arguments".into()))
}

pub(crate) fn compact(args: &[Value]) -> FnResult {
    let mut out = Vec::new();
    for (i, v) in seq_arg(args, 0)?.iter().enumerate() {
        match v {
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            v => {
                out.push(v.to_template_string().ok_or_else(|| arg_err(0, format!("element {i}: string required, got {}", v.type_name())))?)
            }
        }
    }
    Ok(crate::string_list(out))
}

fn bools(args: &[Value], on_null: Option<bool>, stop_at: bool) -> FnResult {
    let mut unknown = false;
    for (i, v) in seq_arg(args, 0)?.iter().enumerate() {
        let b = match v {
            Value::Unknown(_) => {
                unknown = true;
                continue;
            }
            Value::Null => match on_null {
                Some(b) => b,
                None => continue,
            },
            v => v.to_bool().ok_or_else(|| arg_err(0, format!("element {i}: bool required, got {}", v.type_name())))?,
        };
        if b == stop_at {
            return Ok(Value::Bool(stop_at));
        }
    }
    Ok(if unknown { Value::Unknown(Type::Bool) } else { Value::Bool(!stop_at) })
}

pub(crate) fn alltrue(args: &[Value]) -> FnResult {
    bools(args, Some(false), false)
}

pub(crate) fn anytrue(args: &[Value]) -> FnResult {
    bools(args, None, true)
}

pub(crate) fn one(args: &[Value]) -> FnResult {
    match seq_arg(args, 0)? {
        [] => Ok(Value::Null),
        [v] => Ok(v.clone()),
        vs => Err(arg_err(0, format!("must be a list, set, or tuple value with either zero or one elements, got {}", vs.len()))),
    }
}

pub(crate) fn reverse(args: &[Value]) -> FnResult {
    Ok(Value::List(seq_arg(args, 0)?.iter().rev().cloned().collect()))
}

pub(crate) fn sort(args: &[Value]) -> FnResult {
    let mut out = Vec::new();
    for (i, v) in seq_arg(args, 0)?.iter().enumerate() {
        match v {
            Value::Null => return Err(arg_err(0, format!("given list element {i} is null; a null string cannot be sorted"))),
            v => {
                out.push(v.to_template_string().ok_or_else(|| arg_err(0, format!("element {i}: string required, got {}", v.type_name())))?)
            }
        }
    }
    out.sort_unstable();
    Ok(crate::string_list(out))
}

pub(crate) fn chunklist(args: &[Value]) -> FnResult {
    let items = seq_arg(args, 0)?;
    let size = int_arg(args, 1)?;
    if size < 0 {
        return Err(arg_err(1, "the size argument must be positive"));
    }
    if items.is_empty() {
        return Ok(Value::List(Vec::new().into()));
    }
    // Terraform answers a size of zero with the whole list as one chunk.
    if size == 0 {
        return Ok(Value::List(vec![Value::List(items.to_vec().into())].into()));
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Ok(Value::List(items.chunks(size).map(|c| Value::List(c.to_vec().into())).collect()))
}

/// The elements of every argument, unified to one element type as Terraform
/// unifies set arguments (mixed strings and numbers become strings).
fn unified_sets(args: &[Value]) -> Result<Vec<Vec<Value>>, FnError> {
    let mut lens = Vec::with_capacity(args.len());
    let mut all = Vec::new();
    for i in 0..args.len() {
        let items = seq_arg(args, i)?;
        lens.push(items.len());
        all.extend(items.iter().cloned());
    }
    let all = match Value::List(all.into()).convert(&Type::list(Type::Any)) {
        Ok(Value::List(vs)) => vs,
        Ok(_) => Vec::new().into(),
        Err(e) => return Err(FnError::Message(e)),
    };
    let mut rest = all.into_iter();
    Ok(lens.into_iter().map(|n| rest.by_ref().take(n).collect()).collect())
}

pub(crate) fn setunion(args: &[Value]) -> FnResult {
    Ok(Value::set(unified_sets(args)?.into_iter().flatten().collect()))
}

pub(crate) fn setintersection(args: &[Value]) -> FnResult {
    let mut sets = unified_sets(args)?.into_iter();
    let first = sets.next().unwrap_or_default();
    let others: Vec<Vec<Value>> = sets.collect();
    let others: Vec<HashSet<Member>> = others.iter().map(|o| o.iter().map(Member).collect()).collect();
    Ok(Value::set(first.iter().filter(|v| others.iter().all(|o| o.contains(&Member(v)))).cloned().collect()))
}

pub(crate) fn setsubtract(args: &[Value]) -> FnResult {
    let mut sets = unified_sets(args)?.into_iter();
    let (a, b) = (sets.next().unwrap_or_default(), sets.next().unwrap_or_default());
    let b: HashSet<Member> = b.iter().map(Member).collect();
    Ok(Value::set(a.iter().filter(|v| !b.contains(&Member(v))).cloned().collect()))
}

pub(crate) fn setproduct(args: &[Value]) -> FnResult {
    let sets = unified_sets(args)?;
    let total = sets.iter().try_fold(1usize, |acc, s| acc.checked_mul(s.len()));
    if total.is_none_or(|t| t > MAX_ELEMENTS) {
        return Err(FnError::Message(format!("the product would have more than {MAX_ELEMENTS} elements")));
    }
    let mut out: Vec<Vec<Value>> = vec![Vec::new()];
    for set in &sets {
        out = out.iter().flat_map(|prefix| set.iter().map(move |v| [prefix.as_slice(), std::slice::from_ref(v)].concat())).collect();
    }
    let out = out.into_iter().map(Value::list).collect::<Vec<_>>();
    // Any list argument makes the result a list (duplicates kept).
    Ok(if args.iter().any(|a| matches!(a, Value::List(_))) { Value::list(out) } else { Value::set(out) })
}

pub(crate) fn transpose(args: &[Value]) -> FnResult {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (key, list) in map_arg(args, 0)? {
        let items = list.as_seq().ok_or_else(|| arg_err(0, format!("{key:?}: list of string required, got {}", list.type_name())))?;
        for v in items {
            let s = v
                .to_template_string()
                .ok_or_else(|| arg_err(0, format!("{key:?}: list of string required, got an element of type {}", v.type_name())))?;
            out.entry(s).or_default().push(Value::String(key.clone().into()));
        }
    }
    Ok(Value::Map(out.into_iter().map(|(k, v)| (k, Value::List(v.into()))).collect()))
}

pub(crate) fn matchkeys(args: &[Value]) -> FnResult {
    let values = seq_arg(args, 0)?;
    let keys = seq_arg(args, 1)?;
    let search = seq_arg(args, 2)?;
    if values.len() != keys.len() {
        return Err(arg_err(1, format!("length of keys ({}) and values ({}) must be equal", keys.len(), values.len())));
    }
    // A key matches a search value that is equal, or that renders as the same string.
    let equal: HashSet<Member> = search.iter().map(Member).collect();
    let strings: HashSet<String> = search.iter().filter_map(Value::to_template_string).collect();
    let matches = |k: &Value| equal.contains(&Member(k)) || k.to_template_string().is_some_and(|k| strings.contains(&k));
    Ok(Value::List(values.iter().zip(keys).filter(|(_, k)| matches(k)).map(|(v, _)| v.clone()).collect()))
}

#[cfg(test)]
mod tests {
    use strata_core::{Type, Value};

    use crate::FnError;
    use crate::tests::{call, check, check_err, list, n, nums, s, strs};

    #[test]
    fn length_counts_characters_elements_and_keys() {
        check("length", vec![s("hello")], n(5.0));
        check("length", vec![s("🤔🤷")], n(2.0));
        check("length", vec![s("e\u{301}")], n(1.0)); // one grapheme cluster
        check("length", vec![strs(&["a", "b"])], n(2.0));
        check("length", vec![Value::map([("a", n(1.0)), ("b", n(2.0))])], n(2.0));
        check("length", vec![list(vec![Value::unknown(), s("x")])], n(2.0));
        check("length", vec![Value::Unknown(Type::list(Type::String))], Value::Unknown(Type::Number));
        check_err("length", vec![n(5.0)], "argument must be a string");
        check_err("length", vec![Value::Null], "must not be null");
    }

    #[test]
    fn lookup_finds_keys_and_falls_back() {
        let m = Value::map([("a", s("ay")), ("b", s("bee"))]);
        check("lookup", vec![m.clone(), s("a"), s("what?")], s("ay"));
        check("lookup", vec![m.clone(), s("c"), s("what?")], s("what?"));
        check("lookup", vec![m.clone(), s("c"), Value::Null], Value::Null);
        check_err("lookup", vec![m.clone(), s("c")], "lookup failed to find key \"c\"");
        check("lookup", vec![m.clone(), s("a"), Value::unknown()], s("ay"));
        check("lookup", vec![Value::unknown(), s("a"), s("x")], Value::unknown());
        check_err("lookup", vec![strs(&["a"]), s("a"), s("x")], "map or object required");
    }

    #[test]
    fn merge_overrides_left_to_right_and_skips_null() {
        let a = Value::map([("a", s("b")), ("c", s("d"))]);
        let b = Value::map([("e", s("f")), ("c", s("z"))]);
        check("merge", vec![a, Value::Null, b], Value::map([("a", s("b")), ("c", s("z")), ("e", s("f"))]));
        check("merge", vec![], Value::map::<String>([]));
        check("merge", vec![Value::map([("x", Value::unknown())])], Value::map([("x", Value::unknown())]));
        check_err("merge", vec![strs(&["a"])], "must be maps or objects");
    }

    #[test]
    fn concat_joins_lists_and_keeps_unknown_elements() {
        check("concat", vec![strs(&["a", ""]), strs(&["b", "c"])], strs(&["a", "", "b", "c"]));
        check("concat", vec![list(vec![Value::unknown()]), strs(&["b"])], list(vec![Value::unknown(), s("b")]));
        check("concat", vec![], list(vec![]));
        check_err("concat", vec![Value::set(vec![s("a")])], "must be lists or tuples");
    }

    #[test]
    fn flatten_is_recursive() {
        let nested = list(vec![strs(&["a", "b"]), list(vec![]), list(vec![s("c"), list(vec![s("d")])])]);
        check("flatten", vec![nested], strs(&["a", "b", "c", "d"]));
        check("flatten", vec![list(vec![Value::Unknown(Type::String), s("a")])], list(vec![Value::Unknown(Type::String), s("a")]));
        check("flatten", vec![list(vec![Value::Unknown(Type::list(Type::String))])], Value::unknown());
        check_err("flatten", vec![s("a")], "can only flatten");
    }

    #[test]
    fn distinct_contains_index() {
        check("distinct", vec![strs(&["a", "b", "a", "c", "d", "b"])], strs(&["a", "b", "c", "d"]));
        check("distinct", vec![list(vec![s("a"), Value::unknown()])], Value::unknown());
        check("contains", vec![strs(&["a", "b", "c"]), s("a")], Value::Bool(true));
        check("contains", vec![strs(&["a", "b", "c"]), s("d")], Value::Bool(false));
        check("contains", vec![list(vec![Value::unknown()]), s("d")], Value::Unknown(Type::Bool));
        check("index", vec![strs(&["a", "b", "c"]), s("b")], n(1.0));
        check_err("index", vec![strs(&["a"]), s("z")], "item not found");
    }

    #[test]
    fn keys_and_values_are_in_lexical_key_order() {
        let m = Value::map([("d", n(3.0)), ("a", n(1.0)), ("c", n(2.0))]);
        check("keys", vec![m.clone()], strs(&["a", "c", "d"]));
        check("values", vec![m], nums(&[1.0, 2.0, 3.0]));
        let partly = Value::map([("a", Value::unknown())]);
        check("keys", vec![partly.clone()], strs(&["a"]));
        check("values", vec![partly], list(vec![Value::unknown()]));
        check("keys", vec![Value::unknown()], Value::Unknown(Type::list(Type::String)));
    }

    #[test]
    fn element_wraps_around() {
        let l = strs(&["a", "b", "c"]);
        check("element", vec![l.clone(), n(1.0)], s("b"));
        check("element", vec![l.clone(), n(3.0)], s("a"));
        check_err("element", vec![l.clone(), n(-1.0)], "negative index");
        check_err("element", vec![l.clone(), n(1.5)], "whole number");
        check_err("element", vec![list(vec![]), n(0.0)], "empty list");
        check("element", vec![list(vec![Value::unknown()]), n(0.0)], Value::unknown());
    }

    #[test]
    fn slice_takes_a_half_open_range() {
        let l = strs(&["a", "b", "c", "d"]);
        check("slice", vec![l.clone(), n(1.0), n(3.0)], strs(&["b", "c"]));
        check("slice", vec![l.clone(), n(2.0), n(2.0)], list(vec![]));
        check_err("slice", vec![l.clone(), n(3.0), n(2.0)], "greater than the end index");
        check_err("slice", vec![l.clone(), n(0.0), n(5.0)], "greater than the length");
        check_err("slice", vec![l, n(-1.0), n(1.0)], "must not be negative");
    }

    #[test]
    fn zipmap_pairs_keys_with_values() {
        check("zipmap", vec![strs(&["a", "b"]), nums(&[1.0, 2.0])], Value::map([("a", n(1.0)), ("b", n(2.0))]));
        check("zipmap", vec![strs(&["a"]), list(vec![Value::unknown()])], Value::map([("a", Value::unknown())]));
        check("zipmap", vec![list(vec![Value::unknown()]), nums(&[1.0])], Value::unknown());
        check_err("zipmap", vec![strs(&["a"]), nums(&[1.0, 2.0])], "number of keys (1) does not match number of values (2)");
    }

    #[test]
    fn coalesce_skips_null_and_empty_strings() {
        check("coalesce", vec![s("a"), s("b")], s("a"));
        check("coalesce", vec![s(""), s("b")], s("b"));
        check("coalesce", vec![n(1.0), n(2.0)], n(1.0));
        check("coalesce", vec![Value::Null, n(2.0)], n(2.0));
        check("coalesce", vec![n(1.0), s("hello")], s("1"));
        check("coalesce", vec![s("a"), Value::unknown()], s("a"));
        check("coalesce", vec![Value::unknown(), s("a")], Value::Unknown(Type::String));
        check_err("coalesce", vec![Value::Null, s("")], "no non-null, non-empty-string arguments");
        assert!(matches!(call("coalesce", vec![]), Err(FnError::Arity(_))));
    }

    #[test]
    fn coalescelist_takes_the_first_non_empty_list() {
        check("coalescelist", vec![strs(&["a", "b"]), strs(&["c", "d"])], strs(&["a", "b"]));
        check("coalescelist", vec![list(vec![]), strs(&["c", "d"])], strs(&["c", "d"]));
        check("coalescelist", vec![list(vec![]), Value::unknown()], Value::unknown());
        check_err("coalescelist", vec![list(vec![])], "no non-null arguments");
        check_err("coalescelist", vec![s("a")], "must be lists or tuples");
    }

    #[test]
    fn compact_drops_empty_and_null() {
        check("compact", vec![list(vec![s("a"), s(""), s("b"), Value::Null, s("c")])], strs(&["a", "b", "c"]));
        check("compact", vec![list(vec![s("a"), Value::unknown()])], Value::Unknown(Type::list(Type::String)));
    }

    #[test]
    fn alltrue_and_anytrue() {
        let b = Value::Bool;
        check("alltrue", vec![list(vec![s("true"), b(true)])], b(true));
        check("alltrue", vec![list(vec![b(true), b(false)])], b(false));
        check("alltrue", vec![list(vec![])], b(true));
        check("alltrue", vec![list(vec![b(true), Value::Null])], b(false));
        check("alltrue", vec![list(vec![Value::unknown(), b(false)])], b(false));
        check("alltrue", vec![list(vec![Value::unknown(), b(true)])], Value::Unknown(Type::Bool));
        check("anytrue", vec![list(vec![s("true")])], b(true));
        check("anytrue", vec![list(vec![b(true), b(false)])], b(true));
        check("anytrue", vec![list(vec![])], b(false));
        check("anytrue", vec![list(vec![Value::unknown(), b(true)])], b(true));
        check("anytrue", vec![list(vec![Value::unknown(), b(false)])], Value::Unknown(Type::Bool));
        check_err("anytrue", vec![nums(&[1.0])], "bool required");
    }

    #[test]
    fn one_returns_the_single_element_or_null() {
        check("one", vec![list(vec![])], Value::Null);
        check("one", vec![strs(&["hello"])], s("hello"));
        check("one", vec![Value::set(vec![s("x")])], s("x"));
        check_err("one", vec![strs(&["a", "b"])], "either zero or one elements");
    }

    #[test]
    fn reverse_and_sort() {
        check("reverse", vec![nums(&[1.0, 2.0, 3.0])], nums(&[3.0, 2.0, 1.0]));
        check("sort", vec![strs(&["e", "d", "a", "x"])], strs(&["a", "d", "e", "x"]));
        check("sort", vec![nums(&[3.0, 1.0, 11.0])], strs(&["1", "11", "3"]));
        check_err("sort", vec![list(vec![s("a"), Value::Null])], "null string cannot be sorted");
        check("sort", vec![list(vec![s("a"), Value::unknown()])], Value::Unknown(Type::list(Type::String)));
    }

    #[test]
    fn chunklist_splits_into_fixed_sizes() {
        let l = strs(&["a", "b", "c", "d", "e"]);
        check("chunklist", vec![l.clone(), n(2.0)], list(vec![strs(&["a", "b"]), strs(&["c", "d"]), strs(&["e"])]));
        check("chunklist", vec![l.clone(), n(1.0)], list(vec![strs(&["a"]), strs(&["b"]), strs(&["c"]), strs(&["d"]), strs(&["e"])]));
        check("chunklist", vec![l.clone(), n(0.0)], list(vec![l.clone()]));
        check("chunklist", vec![list(vec![]), n(3.0)], list(vec![]));
        check("chunklist", vec![l.clone(), n(1e15)], list(vec![l.clone()]));
        check_err("chunklist", vec![l, n(-1.0)], "must be positive");
    }

    #[test]
    fn set_operations() {
        check("setunion", vec![strs(&["a", "b"]), strs(&["b", "c"]), strs(&["d"])], Value::set(vec![s("a"), s("b"), s("c"), s("d")]));
        check("setunion", vec![strs(&["a"]), nums(&[1.0])], Value::set(vec![s("1"), s("a")]));
        check("setintersection", vec![strs(&["a", "b"]), strs(&["b", "c"]), strs(&["b", "d"])], Value::set(vec![s("b")]));
        check("setsubtract", vec![strs(&["a", "b", "c"]), strs(&["a", "c"])], Value::set(vec![s("b")]));
        check("setunion", vec![list(vec![Value::unknown()])], Value::unknown());
        let product = call("setproduct", vec![strs(&["development", "staging"]), strs(&["app1", "app2"])]).unwrap();
        let pairs = [("development", "app1"), ("development", "app2"), ("staging", "app1"), ("staging", "app2")];
        assert_eq!(product, list(pairs.iter().map(|(a, b)| strs(&[a, b])).collect()));
        check_err("setproduct", vec![nums(&[0.0; 1000]), nums(&[0.0; 1000]), nums(&[0.0; 1000])], "more than 1000000 elements");
    }

    #[test]
    fn transpose_and_matchkeys() {
        let m = Value::map([("a", strs(&["1", "2"])), ("b", strs(&["2", "3"]))]);
        let want = Value::map([("1", strs(&["a"])), ("2", strs(&["a", "b"])), ("3", strs(&["b"]))]);
        check("transpose", vec![m], want);
        let ids = strs(&["i-123", "i-abc", "i-def"]);
        let zones = strs(&["us-west", "us-east", "us-east"]);
        check("matchkeys", vec![ids, zones, strs(&["us-east"])], strs(&["i-abc", "i-def"]));
    }

    /// Guards against quadratic set functions: the product of two
    /// 600-element sets, then subtracting and intersecting sets of that
    /// size, compared every pair of elements and ran for many minutes.
    #[test]
    fn set_functions_scale_to_large_sets() {
        let six_hundred: Vec<f64> = (0..600).map(f64::from).collect();
        let set = |v: &[f64]| Value::set(v.iter().map(|&x| n(x)).collect());
        let product = call("setproduct", vec![set(&six_hundred), set(&six_hundred)]).unwrap();
        let Value::Set(pairs) = &product else { panic!("setproduct of sets is a set") };
        assert_eq!(pairs.len(), 360_000);
        let half = Value::set(pairs[..180_000].to_vec());
        let Value::Set(rest) = call("setsubtract", vec![product.clone(), half.clone()]).unwrap() else { panic!("not a set") };
        assert_eq!((rest.len(), &rest[0]), (180_000, &nums(&[300.0, 0.0])));
        let Value::Set(common) = call("setintersection", vec![product.clone(), half]).unwrap() else { panic!("not a set") };
        assert_eq!(common.len(), 180_000);
        let Value::List(firsts) = call("distinct", vec![list(pairs.iter().map(|p| p.as_seq().unwrap()[0].clone()).collect())]).unwrap()
        else {
            panic!("not a list")
        };
        assert_eq!(firsts.len(), 600);
    }

    #[test]
    fn matchkeys_compares_keys_as_strings() {
        let keys = list(vec![n(1.0), s("2"), n(3.0)]);
        check("matchkeys", vec![strs(&["a", "b", "c"]), keys, list(vec![s("1"), n(2.0)])], strs(&["a", "b"]));
        check("matchkeys", vec![strs(&["a"]), list(vec![Value::Null]), list(vec![Value::Null])], strs(&["a"]));
    }
}
