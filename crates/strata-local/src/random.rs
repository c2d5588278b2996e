//! hashicorp/random: values made once, at create, from the operating
//! system's random source (`rand`'s thread generator); `seed` makes
//! `random_integer` and `random_shuffle` repeatable.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use strata_core::Value;
use strata_provider::ProviderError;

use crate::args::Object;
use crate::invalid;

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUMERIC: &str = "0123456789";
/// Upstream's special characters when `override_special` is not set.
const SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";
/// Upstream's bcrypt cost (Go's `bcrypt.DefaultCost`).
const BCRYPT_COST: u32 = 10;
/// The longest string or id made (a typo such as `length = 1e9` is an error, not an allocation).
const MAX_LENGTH: i64 = 1 << 16;

pub(crate) fn create(ty: &str, o: &mut Object) -> Result<(), ProviderError> {
    match ty {
        "random_password" => {
            let result = characters(o)?;
            let hash = bcrypt::hash(&result, BCRYPT_COST).map_err(|e| invalid(format!("bcrypt_hash could not be made: {e}")))?;
            o.set("bcrypt_hash", Value::Sensitive(Box::new(Value::string(hash))));
            o.set("result", Value::Sensitive(Box::new(Value::string(result))));
            o.set("id", Value::string("none"));
        }
        "random_string" => {
            let result = characters(o)?;
            o.set("id", Value::string(result.clone()));
            o.set("result", Value::string(result));
        }
        "random_id" => {
            let n = bounded(o, "byte_length", 1)?;
            let mut bytes = vec![0u8; n];
            rand::rng().fill_bytes(&mut bytes);
            let prefix = o.string("prefix").unwrap_or_default().to_string();
            o.set("id", Value::string(URL_SAFE_NO_PAD.encode(&bytes)));
            o.set("b64_url", Value::string(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(&bytes))));
            o.set("b64_std", Value::string(format!("{prefix}{}", STANDARD.encode(&bytes))));
            o.set("hex", Value::string(format!("{prefix}{}", hex::encode(&bytes))));
            o.set("dec", Value::string(format!("{prefix}{}", decimal(&bytes))));
        }
        "random_pet" => {
            let words = o.integer("length")?.unwrap_or(2);
            let words = u8::try_from(words)
                .ok()
                .filter(|w| *w >= 1)
                .ok_or_else(|| invalid(format!("length must be between 1 and 255, not {words}")))?;
            let separator = o.string("separator").unwrap_or("-").to_string();
            let pet = petname::petname(words, &separator).ok_or_else(|| invalid("no pet name could be made"))?;
            let id = match o.string("prefix") {
                Some(p) => format!("{p}{separator}{pet}"),
                None => pet,
            };
            o.set("id", Value::string(id));
        }
        "random_uuid" => {
            let id = uuid::Uuid::new_v4().to_string();
            o.set("id", Value::string(id.clone()));
            o.set("result", Value::string(id));
        }
        "random_integer" => {
            let (min, max) = (o.integer("min")?.unwrap_or(0), o.integer("max")?.unwrap_or(0));
            if max < min {
                return Err(invalid(format!("max ({max}) must be at least min ({min})")));
            }
            let result = rng(o).random_range(min..=max);
            o.set("id", Value::string(result.to_string()));
            o.set("result", Value::Number(result as f64));
        }
        "random_shuffle" => {
            let mut input: Vec<Value> = o.get("input").and_then(Value::as_seq).map(<[Value]>::to_vec).unwrap_or_default();
            let count = match o.integer("result_count")? {
                Some(n) if !(0..=MAX_LENGTH).contains(&n) => {
                    return Err(invalid(format!("result_count must be between 0 and {MAX_LENGTH}")));
                }
                Some(n) => n as usize,
                None => input.len(),
            };
            input.shuffle(&mut rng(o));
            // More results than inputs repeat the shuffled inputs in turn.
            let result: Vec<Value> = if input.is_empty() { Vec::new() } else { input.iter().cycle().take(count).cloned().collect() };
            o.set("id", Value::string("-"));
            o.set("result", Value::list(result));
        }
        _ => return Err(invalid(format!("resource type {ty} cannot be managed yet"))),
    }
    Ok(())
}

/// A whole-number argument between `min` and [`MAX_LENGTH`].
fn bounded(o: &Object, name: &str, min: i64) -> Result<usize, ProviderError> {
    let n = o.integer(name)?.ok_or_else(|| invalid(format!("{name} is required")))?;
    if !(min..=MAX_LENGTH).contains(&n) {
        return Err(invalid(format!("{name} must be between {min} and {MAX_LENGTH}, not {n}")));
    }
    Ok(n as usize)
}

/// The generator of `random_integer` and `random_shuffle`: seeded from
/// `seed` when set (the same seed, the same result), else from the OS.
fn rng(o: &Object) -> StdRng {
    match o.string("seed") {
        Some(seed) => {
            // FNV-1a: a stable hash of the seed string.
            let h = seed.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
            StdRng::seed_from_u64(h)
        }
        None => StdRng::from_os_rng(),
    }
}

/// `random_password` and `random_string`: `min_*` characters of each class
/// first, the rest from every enabled class, then shuffled (as upstream).
fn characters(o: &mut Object) -> Result<String, ProviderError> {
    let result = characters_of(o)?;
    // `numeric` and its deprecated twin `number` are recorded as used.
    let numeric = o.bool_or("numeric", true) && o.bool_or("number", true);
    o.set("numeric", Value::Bool(numeric));
    o.set("number", Value::Bool(numeric));
    Ok(result)
}

fn characters_of(o: &Object) -> Result<String, ProviderError> {
    let length = bounded(o, "length", 1)?;
    let special_set = o.string("override_special").unwrap_or(SPECIAL).to_string();
    let numeric = o.bool_or("numeric", true) && o.bool_or("number", true);
    let classes = [
        (o.bool_or("upper", true), UPPER, "min_upper"),
        (o.bool_or("lower", true), LOWER, "min_lower"),
        (numeric, NUMERIC, "min_numeric"),
        (o.bool_or("special", true), special_set.as_str(), "min_special"),
    ];
    let mut rng = rand::rng();
    let mut out: Vec<char> = Vec::with_capacity(length);
    let mut all = String::new();
    for (enabled, set, min) in classes {
        let min = o.integer(min)?.unwrap_or(0);
        if !(0..=MAX_LENGTH).contains(&min) {
            return Err(invalid(format!("min_* must be between 0 and {MAX_LENGTH}")));
        }
        if enabled {
            all.push_str(set);
            let chars: Vec<char> = set.chars().collect();
            if chars.is_empty() && min > 0 {
                return Err(invalid("override_special is empty but min_special asks for special characters"));
            }
            for _ in 0..min {
                out.push(chars[rng.random_range(0..chars.len())]);
            }
        }
    }
    if out.len() > length {
        return Err(invalid(format!("length ({length}) must be at least the sum of the min_* arguments ({})", out.len())));
    }
    let all: Vec<char> = all.chars().collect();
    if all.is_empty() {
        return Err(invalid("at least one of upper, lower, numeric and special must be true"));
    }
    while out.len() < length {
        out.push(all[rng.random_range(0..all.len())]);
    }
    out.shuffle(&mut rng);
    Ok(out.into_iter().collect())
}

/// Big-endian bytes as a decimal number (`random_id.dec`, Go's `big.Int`).
fn decimal(bytes: &[u8]) -> String {
    // Base 10^9 limbs, least significant first.
    let mut limbs: Vec<u32> = vec![0];
    for &b in bytes {
        let mut carry = u64::from(b);
        for limb in limbs.iter_mut() {
            let v = u64::from(*limb) * 256 + carry;
            *limb = (v % 1_000_000_000) as u32;
            carry = v / 1_000_000_000;
        }
        while carry > 0 {
            limbs.push((carry % 1_000_000_000) as u32);
            carry /= 1_000_000_000;
        }
    }
    let mut s = limbs.last().map(u32::to_string).unwrap_or_default();
    for limb in limbs.iter().rev().skip(1) {
        s += &format!("{limb:09}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(pairs: &[(&str, Value)]) -> Object {
        Object::new(&Value::map(pairs.iter().map(|(k, v)| (*k, v.clone())))).unwrap()
    }

    #[test]
    fn decimal_of_big_endian_bytes() {
        assert_eq!(decimal(&[0]), "0");
        assert_eq!(decimal(&[1, 0]), "256");
        assert_eq!(decimal(&[0xff; 8]), "18446744073709551615");
        assert_eq!(decimal(&[0xff; 16]), "340282366920938463463374607431768211455");
    }

    #[test]
    fn strings_honour_classes_and_minimums() {
        let o = object(&[
            ("length", Value::Number(40.0)),
            ("special", Value::Bool(false)),
            ("upper", Value::Bool(false)),
            ("min_numeric", Value::Number(10.0)),
        ]);
        let s = characters_of(&o).unwrap();
        assert_eq!(s.len(), 40);
        assert!(s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{s}");
        assert!(s.chars().filter(char::is_ascii_digit).count() >= 10, "{s}");
        let o = object(&[("length", Value::Number(3.0)), ("min_upper", Value::Number(4.0))]);
        assert!(characters_of(&o).unwrap_err().message.contains("sum of the min_*"));
        let o = object(&[("length", Value::Number(30.0)), ("override_special", Value::string("_"))]);
        assert!(characters_of(&o).unwrap().chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }

    #[test]
    fn ids_in_every_encoding() {
        let mut o = object(&[("byte_length", Value::Number(8.0)), ("prefix", Value::string("p-"))]);
        create("random_id", &mut o).unwrap();
        let v = o.finish();
        let m = v.as_map().unwrap();
        let hex = m["hex"].as_str().unwrap();
        assert_eq!(hex.len(), 2 + 16);
        let n = u64::from_str_radix(&hex[2..], 16).unwrap();
        assert_eq!(m["dec"].as_str().unwrap(), format!("p-{n}"));
        assert_eq!(m["b64_url"].as_str().unwrap(), format!("p-{}", m["id"].as_str().unwrap()));
    }

    #[test]
    fn seeds_repeat() {
        let run = || {
            let mut o = object(&[("min", Value::Number(1.0)), ("max", Value::Number(1_000_000.0)), ("seed", Value::string("s"))]);
            create("random_integer", &mut o).unwrap();
            o.finish()
        };
        assert_eq!(run(), run());
        let mut o = object(&[("min", Value::Number(2.0)), ("max", Value::Number(1.0))]);
        assert!(create("random_integer", &mut o).is_err());
    }

    #[test]
    fn shuffles_repeat_inputs_for_more_results() {
        let input = Value::list(vec![Value::string("a"), Value::string("b")]);
        let mut o = object(&[("input", input), ("result_count", Value::Number(5.0))]);
        create("random_shuffle", &mut o).unwrap();
        let v = o.finish();
        assert_eq!(v.as_map().unwrap()["result"].as_seq().unwrap().len(), 5);
    }
}
