//! String functions, including `regex`, `regexall` and the regex form of
//! `replace` (RE2 patterns translated for the `regex` crate).

use std::collections::BTreeMap;

use regex::{Regex, RegexBuilder};
use strata_core::Value;
use unicode_segmentation::UnicodeSegmentation;

use crate::{FnError, FnResult, arg_err, int_arg, seq_arg, string_arg};

/// Results longer than this (in bytes) are refused rather than built.
pub(crate) const MAX_STRING: usize = 64 << 20;

fn too_long(what: &str) -> FnError {
    FnError::Message(format!("the result of {what} would be longer than {} MiB", MAX_STRING >> 20))
}

fn map_str(args: &[Value], f: impl Fn(&str) -> String) -> FnResult {
    Ok(Value::String(f(&string_arg(args, 0)?).into()))
}

pub(crate) fn lower(args: &[Value]) -> FnResult {
    map_str(args, str::to_lowercase)
}

pub(crate) fn upper(args: &[Value]) -> FnResult {
    map_str(args, str::to_uppercase)
}

pub(crate) fn trimspace(args: &[Value]) -> FnResult {
    map_str(args, |s| s.trim().to_string())
}

pub(crate) fn chomp(args: &[Value]) -> FnResult {
    map_str(args, |s| s.trim_end_matches(['\r', '\n']).to_string())
}

pub(crate) fn strrev(args: &[Value]) -> FnResult {
    map_str(args, |s| s.graphemes(true).rev().collect())
}

/// Upper-cases the first letter of every word, where words are separated as
/// Go's `strings.Title` separates them.
pub(crate) fn title(args: &[Value]) -> FnResult {
    fn separator(c: char) -> bool {
        if c.is_ascii() { !(c.is_ascii_alphanumeric() || c == '_') } else { !c.is_alphanumeric() && c.is_whitespace() }
    }
    map_str(args, |s| {
        let mut prev = ' ';
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            if separator(prev) {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            prev = c;
        }
        out
    })
}

fn two_strings(args: &[Value], f: impl Fn(&str, &str) -> Value) -> FnResult {
    Ok(f(&string_arg(args, 0)?, &string_arg(args, 1)?))
}

pub(crate) fn startswith(args: &[Value]) -> FnResult {
    two_strings(args, |s, p| Value::Bool(s.starts_with(p)))
}

pub(crate) fn endswith(args: &[Value]) -> FnResult {
    two_strings(args, |s, p| Value::Bool(s.ends_with(p)))
}

pub(crate) fn strcontains(args: &[Value]) -> FnResult {
    two_strings(args, |s, p| Value::Bool(s.contains(p)))
}

pub(crate) fn trimprefix(args: &[Value]) -> FnResult {
    two_strings(args, |s, p| Value::string(s.strip_prefix(p).unwrap_or(s)))
}

pub(crate) fn trimsuffix(args: &[Value]) -> FnResult {
    two_strings(args, |s, p| Value::string(s.strip_suffix(p).unwrap_or(s)))
}

/// Removes every character of the cut set from both ends, as Go's `strings.Trim`.
pub(crate) fn trim(args: &[Value]) -> FnResult {
    two_strings(args, |s, cut| Value::string(s.trim_matches(|c| cut.contains(c))))
}

pub(crate) fn indent(args: &[Value]) -> FnResult {
    let spaces = int_arg(args, 0)?;
    let s = string_arg(args, 1)?;
    let spaces = usize::try_from(spaces).map_err(|_| arg_err(0, "the number of spaces must not be negative"))?;
    let lines = s.matches('\n').count();
    if spaces.checked_mul(lines).is_none_or(|extra| extra > MAX_STRING) {
        return Err(too_long("indent"));
    }
    Ok(Value::String(s.replace('\n', &format!("\n{}", " ".repeat(spaces))).into()))
}

pub(crate) fn join(args: &[Value]) -> FnResult {
    let sep = string_arg(args, 0)?;
    let mut parts = Vec::new();
    for i in 1..args.len() {
        for (j, v) in seq_arg(args, i)?.iter().enumerate() {
            match v {
                Value::Null => return Err(arg_err(i, format!("element {j} is null; cannot concatenate null values"))),
                v => parts.push(
                    v.to_template_string().ok_or_else(|| arg_err(i, format!("element {j}: string required, got {}", v.type_name())))?,
                ),
            }
        }
    }
    Ok(Value::String(parts.join(&sep).into()))
}

pub(crate) fn split(args: &[Value]) -> FnResult {
    let (sep, s) = (string_arg(args, 0)?, string_arg(args, 1)?);
    // Go's strings.Split splits around every character for an empty separator.
    Ok(if sep.is_empty() {
        crate::string_list(s.chars().map(String::from))
    } else {
        crate::string_list(s.split(sep.as_str()).map(String::from))
    })
}

/// Substring by grapheme clusters; a negative offset counts from the end,
/// a negative length takes the rest. Out-of-range values clamp.
pub(crate) fn substr(args: &[Value]) -> FnResult {
    let s = string_arg(args, 0)?;
    let (offset, length) = (int_arg(args, 1)?, int_arg(args, 2)?);
    let graphemes: Vec<&str> = s.graphemes(true).collect();
    let total = graphemes.len() as i64;
    let start = if offset < 0 { offset.saturating_add(total).max(0) } else { offset.min(total) } as usize;
    let rest = &graphemes[start..];
    let take = if length < 0 { rest.len() } else { (length as u64).min(rest.len() as u64) as usize };
    Ok(Value::String(rest[..take].concat().into()))
}

pub(crate) fn replace(args: &[Value]) -> FnResult {
    let s = string_arg(args, 0)?;
    let substr = string_arg(args, 1)?;
    let replacement = string_arg(args, 2)?;
    if substr.len() > 1 && substr.starts_with('/') && substr.ends_with('/') {
        let re = compile(&substr[1..substr.len() - 1]).map_err(|e| arg_err(1, e))?;
        // Each `$` reference may expand to at most the whole input.
        let per_match = replacement.len().saturating_add(replacement.matches('$').count().saturating_mul(s.len()));
        if re.find_iter(&s).count().checked_mul(per_match).is_none_or(|n| n > MAX_STRING) {
            return Err(too_long("replace"));
        }
        return Ok(Value::String(re.replace_all(&s, replacement.as_str()).into_owned().into()));
    }
    let count = if substr.is_empty() { s.chars().count() + 1 } else { s.matches(substr.as_str()).count() };
    if count.checked_mul(replacement.len()).is_none_or(|n| n.saturating_add(s.len()) > MAX_STRING) {
        return Err(too_long("replace"));
    }
    Ok(Value::String(s.replace(substr.as_str(), &replacement).into()))
}

pub(crate) fn regex(args: &[Value]) -> FnResult {
    let (re, s) = regex_args(args)?;
    let caps = re.captures(&s).ok_or_else(|| FnError::Message("pattern did not match any part of the given string".into()))?;
    Ok(capture_value(&re, &caps))
}

pub(crate) fn regexall(args: &[Value]) -> FnResult {
    let (re, s) = regex_args(args)?;
    Ok(Value::List(re.captures_iter(&s).map(|caps| capture_value(&re, &caps)).collect()))
}

fn regex_args(args: &[Value]) -> Result<(Regex, String), FnError> {
    let pattern = string_arg(args, 0)?;
    let re = compile(&pattern).map_err(|e| arg_err(0, e))?;
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.iter().any(Option::is_some) && names.iter().any(Option::is_none) {
        return Err(arg_err(0, "invalid regular expression pattern: can't mix both named and unnamed capture groups"));
    }
    Ok((re, string_arg(args, 1)?))
}

/// What Terraform's `regex` returns for one match: the matched text without
/// capture groups, a map for named groups, a list for unnamed ones.
/// A group that took no part in the match is null.
fn capture_value(re: &Regex, caps: &regex::Captures) -> Value {
    let group = |i: usize| caps.get(i).map_or(Value::Null, |m| Value::string(m.as_str()));
    let names: Vec<Option<&str>> = re.capture_names().collect();
    match names.get(1) {
        None => group(0),
        Some(Some(_)) => Value::Map(
            names.iter().enumerate().skip(1).filter_map(|(i, n)| n.map(|n| (n.to_string(), group(i)))).collect::<BTreeMap<_, _>>().into(),
        ),
        Some(None) => Value::List((1..names.len()).map(group).collect()),
    }
}

/// Compiles an RE2 pattern (the syntax Terraform uses).
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    let translated = translate_re2(pattern)?;
    RegexBuilder::new(&translated).octal(true).size_limit(1 << 24).build().map_err(|e| {
        format!("invalid regular expression pattern: {}", e.to_string().lines().last().unwrap_or_default().trim_start_matches("error: "))
    })
}

/// Translates RE2 syntax into the `regex` crate's dialect: `\d`, `\s`, `\w`
/// and `\b` are ASCII-only in RE2, `\Q...\E` quotes literal text, `[` and the
/// set operators `&&`, `--`, `~~` are plain characters inside an RE2 class,
/// and a `{` that does not start a repetition is a literal.
fn translate_re2(p: &str) -> Result<String, String> {
    let mut out = String::with_capacity(p.len() + 8);
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    // Where the current class began, so that a leading `]` or `^]` is literal.
    let mut class_start = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&next) = chars.get(i + 1) else {
                    return Err("invalid regular expression pattern: trailing backslash at end of expression".into());
                };
                i += 2;
                match (next, in_class) {
                    ('Q', false) => {
                        let rest: String = chars[i..].iter().collect();
                        let (quoted, after) = rest.split_once("\\E").unwrap_or((&rest, ""));
                        out.push_str(&regex::escape(quoted));
                        i = chars.len() - after.chars().count();
                    }
                    ('d', false) => out.push_str("[0-9]"),
                    ('D', false) => out.push_str("[^0-9]"),
                    ('s', false) => out.push_str(r"[\t\n\f\r ]"),
                    ('S', false) => out.push_str(r"[^\t\n\f\r ]"),
                    ('w', false) => out.push_str("[0-9A-Za-z_]"),
                    ('W', false) => out.push_str("[^0-9A-Za-z_]"),
                    ('b', false) => out.push_str(r"(?-u:\b)"),
                    ('B', false) => out.push_str(r"(?-u:\B)"),
                    ('d', true) => out.push_str("0-9"),
                    ('s', true) => out.push_str(r"\t\n\f\r "),
                    ('w', true) => out.push_str("0-9A-Za-z_"),
                    ('D', true) => out.push_str("[^0-9]"),
                    ('S', true) => out.push_str(r"[^\t\n\f\r ]"),
                    ('W', true) => out.push_str("[^0-9A-Za-z_]"),
                    (next, _) => {
                        out.push('\\');
                        out.push(next);
                        // `\x{...}` and `\p{...}` keep their braces.
                        if matches!(next, 'x' | 'p' | 'P') && chars.get(i) == Some(&'{') {
                            while let Some(&c) = chars.get(i) {
                                out.push(c);
                                i += 1;
                                if c == '}' {
                                    break;
                                }
                            }
                        }
                    }
                }
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                class_start = i;
                continue;
            }
            '[' if chars.get(i + 1) == Some(&':') => {
                // A POSIX class such as `[:alpha:]` passes through.
                let rest: String = chars[i..].iter().collect();
                match rest.find(":]") {
                    Some(end) if end > 1 => {
                        out.push_str(&rest[..end + 2]);
                        i += rest[..end + 2].chars().count();
                    }
                    _ => {
                        out.push_str(r"\[");
                        i += 1;
                    }
                }
                continue;
            }
            '[' | '&' | '~' if in_class => out.push('\\'),
            '-' if in_class && chars.get(i + 1) == Some(&'-') => out.push('\\'),
            ']' if in_class && i != class_start => in_class = false,
            '{' if !in_class => {
                let rest: String = chars[i..].iter().take(32).collect();
                let repetition = rest[1..].find('}').is_some_and(|end| {
                    let body = &rest[1..=end];
                    let (lo, hi) = body.split_once(',').unwrap_or((body, "0"));
                    !lo.is_empty() && lo.bytes().all(|b| b.is_ascii_digit()) && hi.bytes().all(|b| b.is_ascii_digit())
                });
                if !repetition {
                    out.push('\\');
                } else {
                    let end = rest.find('}').unwrap_or(0);
                    out.push_str(&rest[..=end]);
                    i += rest[..=end].chars().count();
                    continue;
                }
            }
            '}' if !in_class => out.push('\\'),
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use strata_core::{Type, Value};

    use super::translate_re2;
    use crate::tests::{check, check_err, list, n, s, strs};

    #[test]
    fn case_and_whitespace() {
        check("lower", vec![s("HELLO")], s("hello"));
        check("lower", vec![s("АЛЛО!")], s("алло!"));
        check("upper", vec![s("hello")], s("HELLO"));
        check("upper", vec![s("алло!")], s("АЛЛО!"));
        check("title", vec![s("hello world")], s("Hello World"));
        check("title", vec![s("hello-world o'neil x_y")], s("Hello-World O'Neil X_y"));
        check("trimspace", vec![s("  hello\n\n")], s("hello"));
        check("chomp", vec![s("hello\r\n\n")], s("hello"));
        check("strrev", vec![s("hello")], s("olleh"));
        check("strrev", vec![s("a☃")], s("☃a"));
        check("upper", vec![n(5.0)], s("5"));
        check("upper", vec![Value::unknown()], Value::Unknown(Type::String));
        check_err("upper", vec![Value::Null], "must not be null");
        check_err("upper", vec![strs(&["a"])], "string required");
    }

    #[test]
    fn prefixes_suffixes_and_trimming() {
        check("startswith", vec![s("hello world"), s("hello")], Value::Bool(true));
        check("startswith", vec![s("hello world"), s("world")], Value::Bool(false));
        check("endswith", vec![s("hello world"), s("world")], Value::Bool(true));
        check("strcontains", vec![s("hello world"), s("o w")], Value::Bool(true));
        check("trimprefix", vec![s("helloworld"), s("hello")], s("world"));
        check("trimprefix", vec![s("helloworld"), s("cat")], s("helloworld"));
        check("trimsuffix", vec![s("helloworld"), s("world")], s("hello"));
        check("trim", vec![s("?!hello?!"), s("!?")], s("hello"));
        check("trim", vec![s("foobar"), s("far")], s("oob"));
        check("indent", vec![n(2.0), s("[\n  foo,\n  bar,\n]\n")], s("[\n    foo,\n    bar,\n  ]\n  "));
        check_err("indent", vec![n(-1.0), s("a")], "must not be negative");
        check_err("indent", vec![n(1e15), s("a\nb")], "longer than");
    }

    #[test]
    fn join_and_split() {
        check("join", vec![s(", "), strs(&["foo", "bar", "baz"])], s("foo, bar, baz"));
        check("join", vec![s(", "), strs(&["foo"])], s("foo"));
        check("join", vec![s("-"), strs(&["a"]), list(vec![n(1.0), Value::Bool(true)])], s("a-1-true"));
        check_err("join", vec![s(","), list(vec![s("a"), Value::Null])], "element 1 is null");
        check("join", vec![s(","), list(vec![s("a"), Value::unknown()])], Value::Unknown(Type::String));
        check("split", vec![s(","), s("foo")], strs(&["foo"]));
        check("split", vec![s(","), s("foo,bar,baz")], strs(&["foo", "bar", "baz"]));
        check("split", vec![s(","), s("")], strs(&[""]));
        check("split", vec![s(""), s("abc")], strs(&["a", "b", "c"]));
    }

    #[test]
    fn substr_counts_graphemes_and_clamps() {
        check("substr", vec![s("hello world"), n(1.0), n(4.0)], s("ello"));
        check("substr", vec![s("🤔🤷"), n(0.0), n(1.0)], s("🤔"));
        check("substr", vec![s("hello world"), n(-5.0), n(-1.0)], s("world"));
        check("substr", vec![s("hello world"), n(6.0), n(10.0)], s("world"));
        check("substr", vec![s("hello"), n(100.0), n(2.0)], s(""));
        check("substr", vec![s("hello"), n(-100.0), n(2.0)], s("he"));
        check("substr", vec![s("hello"), n(1.0), n(9e18)], s("ello"));
        check_err("substr", vec![s("hello"), n(1e300), n(1.0)], "whole number");
    }

    #[test]
    fn replace_plain_and_regex() {
        check("replace", vec![s("1 + 2 + 3"), s("+"), s("-")], s("1 - 2 - 3"));
        check("replace", vec![s("hello world"), s("/w.*d/"), s("everybody")], s("hello everybody"));
        check("replace", vec![s("hello world"), s("/(h)(e)/"), s("$2$1")], s("ehllo world"));
        check("replace", vec![s("abc"), s(""), s("-")], s("-a-b-c-"));
        check("replace", vec![s("a/b"), s("/"), s("_")], s("a_b"));
        check_err("replace", vec![s("x"), s("/(/"), s("y")], "invalid regular expression");
        check_err("replace", vec![s(&"x".repeat(1000)), s(""), s(&"y".repeat(100_000))], "longer than");
    }

    #[test]
    fn regex_returns_string_list_or_map() {
        check("regex", vec![s("[a-z]+"), s("53453453.345345aaabbbccc23454")], s("aaabbbccc"));
        check("regex", vec![s(r"(\d\d\d\d)-(\d\d)-(\d\d)"), s("2019-02-01")], strs(&["2019", "02", "01"]));
        let url = r"^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?";
        check(
            "regex",
            vec![s(url), s("https://terraform.io/docs/")],
            Value::map([("authority", s("terraform.io")), ("scheme", s("https"))]),
        );
        check("regex", vec![s("(a)|(b)"), s("b")], list(vec![Value::Null, s("b")]));
        check_err("regex", vec![s("[a-z]+"), s("123")], "pattern did not match");
        check_err("regex", vec![s("(?P<x>a)(b)"), s("ab")], "can't mix both named and unnamed");
        check("regexall", vec![s("[a-z]+"), s("1234abcd5678efgh9")], strs(&["abcd", "efgh"]));
        check("regexall", vec![s("[a-z]+"), s("123")], list(vec![]));
        check("regexall", vec![s(r"(\w)=(\d)"), s("a=1 b=2")], list(vec![strs(&["a", "1"]), strs(&["b", "2"])]));
    }

    #[test]
    fn re2_syntax_is_translated() {
        // RE2's \d, \w and \s are ASCII-only.
        check("regexall", vec![s(r"\d"), s("1٣2")], strs(&["1", "2"]));
        check("regexall", vec![s(r"[\w.]+"), s("a.b é")], strs(&["a.b"]));
        check("regex", vec![s(r"\Qa.b*\E+"), s("xa.b*a.b*")], s("a.b*"));
        check("regex", vec![s("[[:alpha:]]+"), s("12abc3")], s("abc"));
        check("regex", vec![s("[a&&b]+"), s("xa&&by")], s("a&&b"));
        check("regex", vec![s("a{x"), s("ba{x")], s("a{x"));
        check("regex", vec![s("a{2}"), s("baaa")], s("aa"));
        check("regex", vec![s(r"\101"), s("zA")], s("A"));
        check("regex", vec![s(r"\x{41}\p{Greek}+"), s("zAαβ")], s("Aαβ"));
        check("regex", vec![s("[]a]+"), s("x]a]")], s("]a]"));
        assert_eq!(translate_re2(r"[^\d\S]").unwrap(), r"[^0-9[^\t\n\f\r ]]");
        assert!(translate_re2("a\\").is_err());
    }
}
