//! `format` and `formatlist`: the subset of Go's `fmt` verbs that Terraform
//! supports (`%v %#v %t %b %d %o %x %X %e %E %f %g %G %s %q %%`), with the
//! flags ` +-0#`, width, precision and explicit argument indexes `%[2]s`.

use strata_core::{Type, Value};
use unicode_segmentation::UnicodeSegmentation;

use crate::encoding::json;
use crate::{FnError, FnResult, arg_err, string_arg};

/// Widths and precisions above this are refused.
const MAX_WIDTH: usize = 1 << 20;

pub(crate) fn format(args: &[Value]) -> FnResult {
    let spec = string_arg(args, 0)?;
    sprintf(&spec, &args[1..]).map(Value::string).map_err(FnError::Message)
}

pub(crate) fn formatlist(args: &[Value]) -> FnResult {
    let spec = string_arg(args, 0)?;
    let rest = &args[1..];
    // Lists, tuples and sets are iterated in step; other values repeat.
    let mut len: Option<(usize, usize)> = None;
    for (i, arg) in rest.iter().enumerate() {
        if let Value::List(vs) | Value::Set(vs) = arg {
            match len {
                None => len = Some((vs.len(), i)),
                Some((n, first)) if n != vs.len() => {
                    return Err(arg_err(
                        i + 1,
                        format!(
                            "argument {} has length {}, which is inconsistent with argument {} of length {n}",
                            i + 1,
                            vs.len(),
                            first + 1
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    for iteration in 0..len.map_or(1, |(n, _)| n) {
        let call_args: Vec<Value> = rest
            .iter()
            .map(|a| match a {
                Value::List(vs) | Value::Set(vs) => vs[iteration].clone(),
                a => a.clone(),
            })
            .collect();
        if !call_args.iter().all(Value::is_wholly_known) {
            out.push(Value::Unknown(Type::String));
            continue;
        }
        let s = sprintf(&spec, &call_args).map_err(|e| FnError::Message(format!("error on format iteration {iteration}: {e}")))?;
        out.push(Value::String(s.into()));
    }
    Ok(Value::List(out.into()))
}

#[derive(Default)]
struct Verb<'a> {
    raw: &'a str,
    offset: usize,
    plus: bool,
    minus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
    mode: char,
}

/// Formats `args` according to `spec`.
fn sprintf(spec: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = spec;
    let mut next_arg = 0;
    // Arguments beyond the highest one a verb used are an error.
    let mut highest = 0;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        let offset = spec.len() - rest.len() + pos;
        let (verb, arg_index, len) = parse_verb(&spec[offset..], offset)?;
        rest = &spec[offset + len..];
        if verb.mode == '%' {
            out.push('%');
            continue;
        }
        let index = arg_index.unwrap_or(next_arg);
        next_arg = index + 1;
        highest = highest.max(next_arg);
        let arg = args.get(index).ok_or_else(|| {
            format!("not enough arguments for {:?} at {offset}: need index {} but have {} total", verb.raw, index + 1, args.len())
        })?;
        out.push_str(&format_one(&verb, arg)?);
        if out.len() > crate::strings::MAX_STRING {
            return Err("the formatted string is too long".into());
        }
    }
    out.push_str(rest);
    if highest < args.len() {
        return Err(if highest == 0 {
            "too many arguments; no verbs in format string".into()
        } else {
            format!("too many arguments; only {highest} used by format string")
        });
    }
    Ok(out)
}

/// Parses one `%...` sequence at the start of `s`: the verb, an explicit
/// zero-based argument index, and the sequence's length in bytes.
fn parse_verb(s: &str, offset: usize) -> Result<(Verb<'_>, Option<usize>, usize), String> {
    let bytes = s.as_bytes();
    let mut verb = Verb { offset, ..Verb::default() };
    let mut i = 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => verb.plus = true,
            b'-' => verb.minus = true,
            b' ' => verb.space = true,
            b'0' => verb.zero = true,
            b'#' => verb.sharp = true,
            _ => break,
        }
        i += 1;
    }
    let number = |i: &mut usize| -> Result<Option<usize>, String> {
        let start = *i;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        if *i == start {
            return Ok(None);
        }
        match s[start..*i].parse::<usize>() {
            Ok(n) if n <= MAX_WIDTH => Ok(Some(n)),
            _ => Err(format!("width or precision at offset {} is too large", offset + start)),
        }
    };
    let mut arg_index = None;
    if bytes.get(i) == Some(&b'[') {
        i += 1;
        let n = number(&mut i)?.filter(|&n| n > 0 && bytes.get(i) == Some(&b']'));
        let n = n.ok_or_else(|| format!("invalid argument index at offset {}", offset + i))?;
        arg_index = Some(n - 1);
        i += 1;
    }
    verb.width = number(&mut i)?;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        verb.precision = Some(number(&mut i)?.ok_or_else(|| format!("missing precision after '.' at offset {}", offset + i))?);
    }
    let mode = s[i..].chars().next().ok_or_else(|| format!("unterminated format sequence {s:?} at offset {offset}"))?;
    let len = i + mode.len_utf8();
    verb.raw = &s[..len];
    verb.mode = mode;
    if mode == '%' && len != 2 {
        return Err(format!("unsupported format verb '%' in {:?} at offset {offset}", verb.raw));
    }
    Ok((verb, arg_index, len))
}

fn format_one(verb: &Verb, arg: &Value) -> Result<String, String> {
    let unsupported = |why: &str| format!("unsupported value for {:?} at {}: {why}", verb.raw, verb.offset);
    if verb.mode != 'v' && arg.is_null() {
        return Err(unsupported("null value cannot be formatted"));
    }
    match verb.mode {
        'v' => {
            let s = match arg {
                Value::String(s) if !verb.sharp => s.to_string(),
                Value::Number(n) if !verb.sharp => float(*n, 'g', None),
                v => json(v).map_err(|e| unsupported(&e))?,
            };
            Ok(pad(verb, s))
        }
        't' => {
            arg.to_bool().map(|b| pad(verb, b.to_string())).ok_or_else(|| unsupported(&format!("bool required, got {}", arg.type_name())))
        }
        'b' | 'd' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'g' | 'G' => {
            let n = match arg.convert(&Type::Number) {
                Ok(Value::Number(n)) => n,
                Ok(_) => return Err(unsupported("number required")),
                Err(e) => return Err(unsupported(&e)),
            };
            if matches!(verb.mode, 'e' | 'E' | 'f' | 'g' | 'G') {
                return Ok(float_verb(verb, n));
            }
            if n.fract() != 0.0 || !n.is_finite() {
                return Err(unsupported("an integer is required"));
            }
            integer_verb(verb, n).ok_or_else(|| unsupported("the integer is too large for this verb"))
        }
        's' | 'q' => {
            let s = arg.to_template_string().ok_or_else(|| unsupported(&format!("string required, got {}", arg.type_name())))?;
            let s = match verb.precision {
                Some(p) if p > 0 => s.graphemes(true).take(p).collect(),
                _ => s,
            };
            let s = if verb.mode == 'q' { json(&Value::String(s.into())).map_err(|e| unsupported(&e))? } else { s };
            Ok(pad(verb, s))
        }
        m => Err(format!("unsupported format verb '{m}' in {:?} at offset {}", verb.raw, verb.offset)),
    }
}

/// Pads to the verb's width, counting grapheme clusters.
fn pad(verb: &Verb, s: String) -> String {
    let len = s.graphemes(true).count();
    let Some(width) = verb.width.filter(|&w| w > len) else { return s };
    let fill = (if verb.zero { "0" } else { " " }).repeat(width - len);
    if verb.minus { s + &fill } else { fill + &s }
}

/// Integers as Go's `big.Int` formats them:
/// `[left pad][sign][prefix][zero pad][digits][right pad]`.
fn integer_verb(verb: &Verb, n: f64) -> Option<String> {
    let magnitude = n.abs();
    let digits = match verb.mode {
        // Decimal digits of any whole f64, however large.
        'd' => format!("{magnitude:.0}"),
        mode => {
            let m = (magnitude < 3.4e38).then_some(magnitude as u128)?;
            match mode {
                'b' => format!("{m:b}"),
                'o' => format!("{m:o}"),
                'x' => format!("{m:x}"),
                _ => format!("{m:X}"),
            }
        }
    };
    let sign = sign(verb, n < 0.0);
    let prefix = match (verb.sharp, verb.mode) {
        (true, 'b') => "0b",
        (true, 'o') => "0",
        (true, 'x') => "0x",
        (true, 'X') => "0X",
        _ => "",
    };
    let mut zeros = 0;
    if let Some(p) = verb.precision {
        if p == 0 && digits == "0" {
            return Some(String::new());
        }
        zeros = p.saturating_sub(digits.len());
    }
    let (mut left, mut right) = (0, 0);
    let length = sign.len() + prefix.len() + zeros + digits.len();
    if let Some(d) = verb.width.and_then(|w| w.checked_sub(length)) {
        if verb.minus {
            right = d;
        } else if verb.zero && verb.precision.is_none() {
            zeros = d;
        } else {
            left = d;
        }
    }
    Some(format!("{}{sign}{prefix}{}{digits}{}", " ".repeat(left), "0".repeat(zeros), " ".repeat(right)))
}

fn sign(verb: &Verb, negative: bool) -> &'static str {
    match () {
        _ if negative => "-",
        _ if verb.plus => "+",
        _ if verb.space => " ",
        _ => "",
    }
}

/// Floats as Go's `big.Float` formats them for `%e %E %f %g %G`.
fn float_verb(verb: &Verb, n: f64) -> String {
    let lower = verb.mode.to_ascii_lowercase();
    let precision = match (lower, verb.precision) {
        ('g', p) => p,
        (_, p) => Some(p.unwrap_or(6)),
    };
    let mut body = float(n.abs(), lower, precision);
    if verb.mode.is_ascii_uppercase() {
        body = body.to_uppercase();
    }
    let sign = sign(verb, n.is_sign_negative() && n != 0.0);
    let padding = verb.width.map_or(0, |w| w.saturating_sub(sign.len() + body.len()));
    if verb.zero && n.is_finite() {
        format!("{sign}{}{body}", "0".repeat(padding))
    } else if verb.minus {
        format!("{sign}{body}{}", " ".repeat(padding))
    } else {
        format!("{}{sign}{body}", " ".repeat(padding))
    }
}

/// Past this many decimals the exact expansion of any `f64` has only zeros
/// (the smallest subnormal, 2^-1074, has 1074), and Rust's formatter refuses
/// precisions above `u16::MAX`: longer precisions are padded with zeros.
const EXACT_DECIMALS: usize = 1100;

/// `n` with `p` decimals, as `{n:.p$}` prints it, for any `p`.
fn fixed(n: f64, p: usize) -> String {
    let mut s = format!("{n:.*}", p.min(EXACT_DECIMALS));
    s.extend(std::iter::repeat_n('0', p.saturating_sub(EXACT_DECIMALS)));
    s
}

/// `n` with `p` mantissa decimals, as `{n:.p$e}` prints it, for any `p`.
fn scientific(n: f64, p: usize) -> String {
    let s = format!("{n:.*e}", p.min(EXACT_DECIMALS));
    match (p.saturating_sub(EXACT_DECIMALS), s.split_once('e')) {
        (0, _) | (_, None) => s,
        (pad, Some((mantissa, exp))) => format!("{mantissa}{}e{exp}", "0".repeat(pad)),
    }
}

/// `n` in Go's `e`, `f` or `g` format; `precision` `None` means the
/// shortest representation (only for `g`).
fn float(n: f64, mode: char, precision: Option<usize>) -> String {
    if n.is_sign_negative() && n != 0.0 {
        return format!("-{}", float(-n, mode, precision));
    }
    if !n.is_finite() {
        return if n.is_nan() {
            "NaN".into()
        } else if n > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    match mode {
        'f' => fixed(n, precision.unwrap_or(6)),
        'e' => exponent_form(&scientific(n, precision.unwrap_or(6))),
        _ => {
            // Significant digits and the decimal exponent of the rounded value.
            let sci = match precision {
                None => format!("{n:e}"),
                Some(p) => scientific(n, p.max(1) - 1),
            };
            let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
            let exp: i64 = exp.parse().unwrap_or(0);
            let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
            let digits = digits.trim_end_matches('0');
            let digits = if digits.is_empty() { "0" } else { digits };
            let eprec = match precision {
                None => 6,
                Some(p) if p > digits.len() && digits.len() as i64 > exp => digits.len() as i64,
                Some(p) => p.max(1) as i64,
            };
            if exp < -4 || exp >= eprec {
                let frac = &digits[1..];
                let m = if frac.is_empty() { digits.to_string() } else { format!("{}.{frac}", &digits[..1]) };
                exponent_form(&format!("{m}e{exp}"))
            } else {
                let decimals = (digits.len() as i64 - exp - 1).max(0) as usize;
                fixed(n, decimals)
            }
        }
    }
}

/// Rust writes `1.5e3`; Go writes `1.5e+03`.
fn exponent_form(s: &str) -> String {
    match s.split_once('e') {
        Some((m, e)) => {
            let e: i64 = e.parse().unwrap_or(0);
            format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
        }
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use strata_core::{Type, Value};

    use crate::tests::{check, check_err, list, n, nums, s, strs};

    #[track_caller]
    fn f(spec: &str, args: Vec<Value>, want: &str) {
        let mut all = vec![s(spec)];
        all.extend(args);
        check("format", all, s(want));
    }

    #[test]
    fn terraform_documented_examples() {
        f("Hello, %s!", vec![s("Ander")], "Hello, Ander!");
        f("There are %d lights", vec![n(4.0)], "There are 4 lights");
        f("%-5s|", vec![s("ab")], "ab   |");
        f("%5s|", vec![s("ab")], "   ab|");
        f("%.2f", vec![n(4.56789)], "4.57");
        f("%10.3f|", vec![n(-4.56789)], "    -4.568|");
        f("%t", vec![Value::Bool(true)], "true");
        f("%q", vec![s("hi \"x\"")], "\"hi \\\"x\\\"\"");
        f("%v %v %v", vec![s("a"), n(1.5), Value::Bool(false)], "a 1.5 false");
        f("%#v", vec![s("a")], "\"a\"");
        f("%v", vec![Value::map([("a", n(1.0)), ("b", strs(&["x"]))])], "{\"a\":1,\"b\":[\"x\"]}");
        f("%v", vec![Value::Null], "null");
        f("100%%", vec![], "100%");
        f("%[2]s %[1]s", vec![s("a"), s("b")], "b a");
        f("%s %[1]s %s", vec![s("a"), s("b")], "a a b");
    }

    #[test]
    fn numbers_follow_go() {
        f("%d", vec![s("12")], "12");
        f("%05d", vec![n(-42.0)], "-0042");
        f("%+d % d", vec![n(5.0), n(5.0)], "+5  5");
        f("%x %X %o %b", vec![n(255.0), n(255.0), n(8.0), n(5.0)], "ff FF 10 101");
        f("%#x %#o", vec![n(255.0), n(8.0)], "0xff 010");
        f("%.3d", vec![n(7.0)], "007");
        f("%d", vec![n(1e20)], "100000000000000000000");
        f("%f", vec![n(1.0)], "1.000000");
        f("%e", vec![n(1234.5678)], "1.234568e+03");
        f("%.2E", vec![n(0.000123)], "1.23E-04");
        f("%g", vec![n(0.00001)], "1e-05");
        f("%g", vec![n(123456.0)], "123456");
        f("%g", vec![n(1234567.0)], "1.234567e+06");
        f("%.3g", vec![n(4.56789)], "4.57");
        f("%v", vec![n(1000000.0)], "1e+06");
        f("%v %g", vec![n(-0.5), n(-1234567.0)], "-0.5 -1.234567e+06");
        f("%08.3f", vec![n(-4.56789)], "-004.568");
        f("%s", vec![n(1.5)], "1.5");
    }

    #[test]
    fn strings_pad_and_truncate_by_grapheme() {
        f("%.3s|", vec![s("héllo")], "hél|");
        f("%4s|", vec![s("🤔")], "   🤔|");
        f("%-4v|", vec![s("x")], "x   |");
    }

    #[test]
    fn format_errors() {
        check_err("format", vec![s("%d"), n(1.5)], "unsupported value for \"%d\" at 0: an integer is required");
        check_err("format", vec![s("%s %s"), s("a")], "not enough arguments for \"%s\" at 3: need index 2 but have 1 total");
        check_err("format", vec![s("%s"), s("a"), s("b")], "too many arguments; only 1 used by format string");
        check_err("format", vec![s("x"), s("a")], "too many arguments; no verbs in format string");
        check_err("format", vec![s("%y"), s("a")], "unsupported format verb 'y'");
        check_err("format", vec![s("%s"), strs(&["a"])], "string required");
        check_err("format", vec![s("%s"), Value::Null], "null value cannot be formatted");
        check_err("format", vec![s("%t"), n(1.0)], "bool required");
        check_err("format", vec![s("abc %")], "unterminated format sequence");
        check_err("format", vec![s("%.f"), n(1.0)], "missing precision");
        check_err("format", vec![s("%99999999999d"), n(1.0)], "too large");
        check_err("format", vec![s("%[0]d"), n(1.0)], "invalid argument index");
        check("format", vec![s("%s"), Value::unknown()], Value::Unknown(Type::String));
        check("format", vec![s("%v"), list(vec![Value::unknown()])], Value::Unknown(Type::String));
    }

    #[test]
    fn formatlist_iterates_lists_in_step() {
        let names = strs(&["Valentina", "Ander", "Olivia", "Sam"]);
        let want = strs(&["Hello, Valentina!", "Hello, Ander!", "Hello, Olivia!", "Hello, Sam!"]);
        check("formatlist", vec![s("Hello, %s!"), names], want);
        check(
            "formatlist",
            vec![s("%s, %s!"), s("Salutations"), strs(&["Valentina", "Ander"])],
            strs(&["Salutations, Valentina!", "Salutations, Ander!"]),
        );
        check("formatlist", vec![s("%d-%s"), nums(&[1.0, 2.0]), strs(&["a", "b"])], strs(&["1-a", "2-b"]));
        check("formatlist", vec![s("x")], strs(&["x"]));
        check("formatlist", vec![s("%s"), list(vec![])], list(vec![]));
        check("formatlist", vec![s("%s"), list(vec![s("a"), Value::unknown()])], list(vec![s("a"), Value::Unknown(Type::String)]));
        check_err(
            "formatlist",
            vec![s("%s%s"), strs(&["a"]), strs(&["a", "b"])],
            "argument 2 has length 2, which is inconsistent with argument 1 of length 1",
        );
        check_err("formatlist", vec![s("%d"), strs(&["x"])], "error on format iteration 0");
    }

    /// Guards against a panic found by fuzzing: `%.1000000f` passed the
    /// precision to Rust's formatter, which refuses more than 65535.
    #[test]
    fn float_precisions_beyond_the_formatter_limit_pad_with_zeros() {
        let call = |spec: &str, v: f64| match crate::tests::call("format", vec![s(spec), n(v)]) {
            Ok(Value::String(out)) => out,
            other => panic!("{spec}: {other:?}"),
        };
        let out = call("%.1000000f", 1.5);
        assert_eq!((out.len(), &out[..4], out.trim_end_matches('0')), (1_000_002, "1.50", "1.5"));
        let out = call("%.70000e", 0.1);
        assert!(out.starts_with("1.000000000000000055511151231257827"), "{}", &out[..40]);
        assert!(out.ends_with("00000e-01") && out.len() == 70_006, "{}", &out[out.len() - 20..]);
        assert_eq!(call("%.70000g", 0.25), "0.25");
        // The exact expansion of the smallest subnormal ends in 625 at the
        // 1074th decimal: padding past the formatter's precision stays exact.
        let tiny = call("%.1200f", f64::from_bits(1));
        assert_eq!((tiny.len(), tiny.trim_end_matches('0').len()), (1202, 1076));
        assert!(tiny.trim_end_matches('0').ends_with("625"));
    }
}
