//! Numeric functions.

use strata_core::Value;

use crate::{FnError, FnResult, arg_err, number_arg, seq_arg, string_arg, tidy};

/// Terraform refuses to generate more than this many numbers with `range`.
const RANGE_LIMIT: usize = 1024;

fn unary(args: &[Value], f: fn(f64) -> f64) -> FnResult {
    Ok(Value::Number(f(number_arg(args, 0)?)))
}

pub(crate) fn abs(args: &[Value]) -> FnResult {
    unary(args, f64::abs)
}

pub(crate) fn ceil(args: &[Value]) -> FnResult {
    unary(args, f64::ceil)
}

pub(crate) fn floor(args: &[Value]) -> FnResult {
    unary(args, f64::floor)
}

pub(crate) fn signum(args: &[Value]) -> FnResult {
    unary(args, |n| if n == 0.0 { 0.0 } else { n.signum() })
}

/// Like Terraform, `log` and `pow` compute in binary floating point.
fn real(n: f64) -> FnResult {
    if n.is_nan() { Err(FnError::Message("the result is not a real number".into())) } else { Ok(Value::Number(n)) }
}

pub(crate) fn log(args: &[Value]) -> FnResult {
    let (n, base) = (number_arg(args, 0)?, number_arg(args, 1)?);
    real(n.ln() / base.ln())
}

pub(crate) fn pow(args: &[Value]) -> FnResult {
    real(number_arg(args, 0)?.powf(number_arg(args, 1)?))
}

fn fold(args: &[Value], pick: fn(f64, f64) -> f64) -> FnResult {
    let mut acc = number_arg(args, 0)?;
    for i in 1..args.len() {
        acc = pick(acc, number_arg(args, i)?);
    }
    Ok(Value::Number(acc))
}

pub(crate) fn min(args: &[Value]) -> FnResult {
    fold(args, f64::min)
}

pub(crate) fn max(args: &[Value]) -> FnResult {
    fold(args, f64::max)
}

pub(crate) fn sum(args: &[Value]) -> FnResult {
    let items = seq_arg(args, 0)?;
    if items.is_empty() {
        return Err(arg_err(0, "cannot sum an empty list"));
    }
    let mut total = 0.0;
    for (i, v) in items.iter().enumerate() {
        total += number_arg(std::slice::from_ref(v), 0).map_err(|e| match e {
            FnError::Arg { message, .. } => arg_err(0, format!("element {i}: {message}")),
            e => e,
        })?;
    }
    Ok(Value::Number(tidy(total)))
}

pub(crate) fn parseint(args: &[Value]) -> FnResult {
    let s = string_arg(args, 0)?;
    let base = number_arg(args, 1)?;
    if !(2.0..=62.0).contains(&base) || base.fract() != 0.0 {
        return Err(arg_err(1, "base must be a whole number between 2 and 62 inclusive"));
    }
    let base = base as u32;
    let bad = || arg_err(0, format!("cannot parse {s:?} as a base {base} integer"));
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let mut acc: i128 = 0;
    for c in digits.chars() {
        // Up to base 36 letters are case-insensitive; above it lower case
        // letters come first, as Go's big.Int reads them.
        let d = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 10,
            'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
            'A'..='Z' => c as u32 - 'A' as u32 + 36,
            _ => return Err(bad()),
        };
        if d >= base {
            return Err(bad());
        }
        acc =
            acc.checked_mul(base.into()).and_then(|a| a.checked_add(d.into())).ok_or_else(|| arg_err(0, format!("{s:?} is too large")))?;
    }
    Ok(Value::Number(if negative { -(acc as f64) } else { acc as f64 }))
}

pub(crate) fn range(args: &[Value]) -> FnResult {
    let nums = (0..args.len()).map(|i| number_arg(args, i)).collect::<Result<Vec<f64>, _>>()?;
    let (start, end, step) = match nums[..] {
        [end] => (0.0, end, if end < 0.0 { -1.0 } else { 1.0 }),
        [start, end] => (start, end, if end < start { -1.0 } else { 1.0 }),
        [start, end, step] => (start, end, step),
        _ => return Err(FnError::Arity(format!("expects 1 to 3 arguments, got {}", args.len()))),
    };
    if step == 0.0 {
        return Err(arg_err(2, "step must not be zero"));
    }
    let down = step < 0.0;
    if down && end > start {
        return Err(arg_err(1, "end must be less than start when step is negative"));
    }
    if !down && end < start {
        return Err(arg_err(1, "end must be greater than start when step is positive"));
    }
    let mut out = Vec::new();
    for i in 0.. {
        // Multiplying rather than adding up keeps fractional steps from
        // accumulating rounding error.
        let n = tidy(start + step * f64::from(i));
        if (down && n <= end) || (!down && n >= end) || n.is_nan() {
            break;
        }
        if out.len() >= RANGE_LIMIT {
            return Err(FnError::Message(format!(
                "more than {RANGE_LIMIT} values were generated; either decrease the difference between start and end or use a smaller step"
            )));
        }
        out.push(Value::Number(n));
    }
    Ok(Value::List(out.into()))
}

#[cfg(test)]
mod tests {
    use strata_core::Value;

    use crate::tests::{check, check_err, list, n, nums, s, strs};

    #[test]
    fn min_max_abs_ceil_floor_signum() {
        check("min", vec![n(12.0), n(54.0), n(3.0)], n(3.0));
        check("max", vec![n(12.0), n(54.0), n(3.0)], n(54.0));
        check("max", vec![s("7"), n(3.0)], n(7.0));
        check_err("min", vec![s("x")], "a number is required, got the string \"x\"");
        check("abs", vec![n(23.0)], n(23.0));
        check("abs", vec![n(-12.4)], n(12.4));
        check("ceil", vec![n(5.0)], n(5.0));
        check("ceil", vec![n(5.1)], n(6.0));
        check("floor", vec![n(4.9)], n(4.0));
        check("floor", vec![n(-1.5)], n(-2.0));
        check("signum", vec![n(-13.0)], n(-1.0));
        check("signum", vec![n(0.0)], n(0.0));
        check("signum", vec![n(344.0)], n(1.0));
    }

    #[test]
    fn log_pow_parseint() {
        let log = |x: f64, b: f64| strata_core::format_number(crate::tests::call("log", vec![n(x), n(b)]).unwrap().as_f64().unwrap());
        assert_eq!(log(50.0, 10.0), "1.69897000433602");
        assert_eq!(log(1000.0, 10.0), "3");
        check("log", vec![n(16.0), n(2.0)], n(4.0));
        check_err("log", vec![n(-1.0), n(10.0)], "not a real number");
        check("pow", vec![n(3.0), n(2.0)], n(9.0));
        check("pow", vec![n(4.0), n(0.0)], n(1.0));
        check("parseint", vec![s("100"), n(10.0)], n(100.0));
        check("parseint", vec![s("FF"), n(16.0)], n(255.0));
        check("parseint", vec![s("-10"), n(16.0)], n(-16.0));
        check("parseint", vec![s("1011111011101111"), n(2.0)], n(48879.0));
        check("parseint", vec![s("aA"), n(62.0)], n(656.0));
        check_err("parseint", vec![s("12"), n(2.0)], "cannot parse \"12\" as a base 2 integer");
        check_err("parseint", vec![s("1"), n(63.0)], "between 2 and 62");
        check_err("parseint", vec![s(&"9".repeat(60)), n(10.0)], "too large");
    }

    #[test]
    fn sum_adds_exactly_enough() {
        check("sum", vec![nums(&[10.0, 13.0, 6.0, 4.5])], n(33.5));
        check("sum", vec![nums(&[0.1, 0.2])], n(0.3));
        check("sum", vec![strs(&["1", "2"])], n(3.0));
        check_err("sum", vec![list(vec![])], "cannot sum an empty list");
        check_err("sum", vec![list(vec![n(1.0), Value::Null])], "element 1");
    }

    #[test]
    fn range_follows_terraform() {
        check("range", vec![n(3.0)], nums(&[0.0, 1.0, 2.0]));
        check("range", vec![n(1.0), n(4.0)], nums(&[1.0, 2.0, 3.0]));
        check("range", vec![n(1.0), n(8.0), n(2.0)], nums(&[1.0, 3.0, 5.0, 7.0]));
        check("range", vec![n(1.0), n(4.0), n(0.5)], nums(&[1.0, 1.5, 2.0, 2.5, 3.0, 3.5]));
        check("range", vec![n(4.0), n(1.0)], nums(&[4.0, 3.0, 2.0]));
        check("range", vec![n(10.0), n(5.0), n(-2.0)], nums(&[10.0, 8.0, 6.0]));
        check("range", vec![n(-3.0)], nums(&[0.0, -1.0, -2.0]));
        check("range", vec![n(0.0), n(0.3), n(0.1)], nums(&[0.0, 0.1, 0.2]));
        check("range", vec![n(0.0)], list(vec![]));
        check_err("range", vec![n(1.0), n(4.0), n(-1.0)], "end must be less than start");
        check_err("range", vec![n(4.0), n(1.0), n(1.0)], "end must be greater than start");
        check_err("range", vec![n(1.0), n(4.0), n(0.0)], "step must not be zero");
        assert_eq!(crate::tests::call("range", vec![n(1024.0)]).unwrap().as_seq().unwrap().len(), 1024);
        check_err("range", vec![n(1025.0)], "more than 1024 values were generated");
        check_err("range", vec![n(1e300)], "more than 1024 values were generated");
    }
}
