//! Plan files: JSON with sensitive values replaced by their keyed hash, the
//! configuration digest, and the freshness check.
//!
//! Values are written as JSON with three reserved one-key objects:
//! `{"__sensitive__": "<HMAC-SHA256 hex of the value's compact JSON>"}`,
//! `{"__unknown__": true}` and `{"__set__": [...]}`.
//!
//! Every hash of a secret is keyed with the state's [`StateKey`] (kept
//! beside the state, never in a plan): a plan file or `plan --json` can be
//! read by anyone without a secret being recoverable from its hashes by
//! guessing. Plan files are written with mode 0600 all the same.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value as J;
use strata_core::{Address, Diagnostic, Layer, Value};
use strata_state::{State, StateKey};

use crate::{PLAN_FORMAT_VERSION, Plan};

const SENSITIVE: &str = "__sensitive__";
const UNKNOWN: &str = "__unknown__";
const SET: &str = "__set__";

/// The hash a plan file records for a sensitive value: HMAC-SHA256 (hex,
/// keyed with the state's key) of its compact JSON, marks looked through.
/// Apply re-evaluates the value and compares. For a value read back from a
/// plan file, the recorded hash.
pub fn sensitive_hash(key: &StateKey, v: &Value) -> String {
    match redacted_hash(v) {
        Some(h) => h.to_string(),
        None => {
            let (plain, _) = v.clone().unmark_deep();
            let mut h = key.hasher("strata-sensitive-value/1");
            h.item(plain.to_json().to_string().as_bytes());
            h.hex()
        }
    }
}

/// `v` with every sensitive part replaced by the one-key object that stands
/// for it in a plan file (its keyed hash).
fn seal(key: &StateKey, v: &Value) -> Value {
    match v {
        Value::Sensitive(_) => Value::Sensitive(Box::new(Value::map([(SENSITIVE, Value::String(sensitive_hash(key, v).into()))]))),
        Value::List(items) => Value::List(items.iter().map(|v| seal(key, v)).collect()),
        Value::Set(items) => Value::Set(items.iter().map(|v| seal(key, v)).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), seal(key, v))).collect()),
        v => v.clone(),
    }
}

/// The recorded hash, when `v` is a sensitive value read from a plan file
/// (there it stands in for the secret, which is not stored).
pub fn redacted_hash(v: &Value) -> Option<&str> {
    let Value::Sensitive(inner) = v else { return None };
    let m = inner.as_map()?;
    if m.len() == 1 { m.get(SENSITIVE)?.as_str() } else { None }
}

/// The JSON of a value; `None` when a sensitive part was not sealed (a
/// plan is sealed before it is written, so that this never writes a secret).
fn encode(v: &Value) -> Option<J> {
    Some(match v {
        Value::Sensitive(_) => J::Object([(SENSITIVE.to_string(), J::String(redacted_hash(v)?.to_string()))].into_iter().collect()),
        Value::Unknown(_) => J::Object([(UNKNOWN.to_string(), J::Bool(true))].into_iter().collect()),
        Value::List(items) => J::Array(items.iter().map(encode).collect::<Option<_>>()?),
        Value::Set(items) => {
            J::Object([(SET.to_string(), J::Array(items.iter().map(encode).collect::<Option<_>>()?))].into_iter().collect())
        }
        Value::Map(m) => J::Object(m.iter().map(|(k, v)| Some((k.clone(), encode(v)?))).collect::<Option<_>>()?),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => v.to_json(),
    })
}

fn encoded<S: Serializer>(v: &Value) -> Result<J, S::Error> {
    encode(v).ok_or_else(|| serde::ser::Error::custom("a sensitive value was not sealed with the state key"))
}

fn decode(j: &J) -> Value {
    match j {
        J::Array(items) => Value::List(items.iter().map(decode).collect()),
        J::Object(o) if o.len() == 1 => match o.iter().next() {
            Some((k, J::String(h))) if k == SENSITIVE => {
                Value::Sensitive(Box::new(Value::map([(SENSITIVE, Value::String(h.clone().into()))])))
            }
            Some((k, J::Bool(true))) if k == UNKNOWN => Value::unknown(),
            Some((k, J::Array(items))) if k == SET => Value::Set(items.iter().map(decode).collect()),
            _ => Value::Map(o.iter().map(|(k, v)| (k.clone(), decode(v))).collect()),
        },
        J::Object(o) => Value::Map(o.iter().map(|(k, v)| (k.clone(), decode(v))).collect()),
        j => Value::from_json(j),
    }
}

/// Serde adapters for the fields of the plan types.
pub(crate) mod value {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
        encoded::<S>(v)?.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        Ok(decode(&J::deserialize(d)?))
    }
}

pub(crate) mod opt_value {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(encoded::<S>).transpose()?.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        Ok(Option::<J>::deserialize(d)?.map(|j| decode(&j)))
    }
}

pub(crate) mod addr {
    use super::*;

    pub fn serialize<S: Serializer>(a: &Address, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(a)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

pub(crate) mod opt_addr {
    use super::*;

    pub fn serialize<S: Serializer>(a: &Option<Address>, s: S) -> Result<S::Ok, S::Error> {
        a.as_ref().map(ToString::to_string).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Address>, D::Error> {
        Option::<String>::deserialize(d)?.map(|s| s.parse().map_err(serde::de::Error::custom)).transpose()
    }
}

pub(crate) mod addrs {
    use super::*;

    pub fn serialize<S: Serializer>(a: &[Address], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(a.iter().map(ToString::to_string))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Address>, D::Error> {
        Vec::<String>::deserialize(d)?.into_iter().map(|s| s.parse().map_err(serde::de::Error::custom)).collect()
    }
}

pub(crate) mod layer {
    use super::*;

    pub fn serialize<S: Serializer>(l: &Layer, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(l.number())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Layer, D::Error> {
        let n = u8::deserialize(d)?;
        Layer::from_number(n).ok_or_else(|| serde::de::Error::custom(format!("layer {n} is not in 1..5")))
    }
}

impl Plan {
    /// This plan with every sensitive value replaced by its keyed hash.
    pub fn sealed(&self, key: &StateKey) -> Plan {
        let mut p = self.clone();
        for c in &mut p.changes {
            for v in [&mut c.before, &mut c.after].into_iter().flatten() {
                *v = seal(key, v);
            }
        }
        for o in &mut p.outputs {
            if let Some(b) = &mut o.before {
                *b = seal(key, b);
            }
            o.after = seal(key, &o.after);
        }
        p
    }

    /// The plan file text: pretty JSON with a trailing newline; sensitive
    /// values only as their hash keyed with `key`.
    pub fn to_json_pretty(&self, key: &StateKey) -> String {
        // Every key is a string, encoded numbers are finite and every
        // sensitive value is sealed, so this cannot fail.
        let mut s = serde_json::to_string_pretty(&self.sealed(key)).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Write the plan file, mode 0600 (a plan describes the infrastructure
    /// and holds keyed hashes of its secrets), through a temporary file in
    /// the same directory renamed into place, so that a reader never sees
    /// half a plan.
    pub fn save(&self, path: &Path, key: &StateKey) -> Result<(), Diagnostic> {
        let fail =
            |e: std::io::Error| Diagnostic::error("strata::plan::unwritable", format!("cannot write plan file {}: {e}", path.display()));
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "plan".into());
        let tmp = dir.join(format!(".{name}.tmp{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()));
        let text = self.to_json_pretty(key);
        let write = || -> std::io::Result<()> {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)?;
            #[cfg(unix)]
            std::fs::File::open(dir)?.sync_all()?;
            Ok(())
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            fail(e)
        })
    }

    /// Read a plan file. Codes: `strata::plan::unreadable` (I/O),
    /// `strata::plan::future_version` (written by a newer strata),
    /// `strata::plan::corrupt` (not a plan file, or damaged).
    pub fn load(path: &Path) -> Result<Plan, Diagnostic> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Diagnostic::error("strata::plan::unreadable", format!("cannot read plan file {}: {e}", path.display())))?;
        Plan::parse(&text).map_err(|d| Diagnostic { message: format!("{}: {}", path.display(), d.message), ..d })
    }

    /// Parse plan file text; see [`Plan::load`].
    pub fn parse(text: &str) -> Result<Plan, Diagnostic> {
        let corrupt = |why: String| {
            Diagnostic::error("strata::plan::corrupt", format!("not a valid plan file: {why}"))
                .with_help("make the plan again with `strata plan --out FILE`")
        };
        let j: J = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
        let version = j.get("format_version").and_then(J::as_u64).ok_or_else(|| corrupt("no `format_version`".into()))?;
        if version > u64::from(PLAN_FORMAT_VERSION) {
            let by = j.get("strata_version").and_then(J::as_str).unwrap_or("a newer version");
            return Err(Diagnostic::error(
                "strata::plan::future_version",
                format!("plan format version {version} is newer than this strata understands ({PLAN_FORMAT_VERSION})"),
            )
            .with_help(format!("the plan was made by strata {by}; use that version or newer")));
        }
        if version == 0 {
            return Err(corrupt("format version 0 does not exist".into()));
        }
        serde_json::from_value(j).map_err(|e| corrupt(e.to_string()))
    }
}

/// Refuse a saved plan whose state or configuration changed since it was made
/// (`strata::plan::stale`, naming every difference).
pub fn check_fresh(plan: &Plan, state: Option<&State>, config_digest: &str) -> Result<(), Diagnostic> {
    let mut changed = Vec::new();
    match state {
        None if plan.state_found => changed.push("the state it was made against no longer exists".to_string()),
        Some(s) if !plan.state_found && s.serial > 0 => changed.push("a state was created since".to_string()),
        // A state never written (serial 0) is the apply's own fresh one.
        Some(_) if !plan.state_found => {}
        Some(s) if s.lineage != plan.lineage => {
            changed.push(format!("the state lineage differs ({} in the plan, {} now)", plan.lineage, s.lineage));
        }
        Some(s) if s.serial != plan.serial => changed.push(format!("state serial {} → {}", plan.serial, s.serial)),
        _ => {}
    }
    if plan.config_digest != config_digest {
        changed.push("the configuration or variable values changed".into());
    }
    if changed.is_empty() {
        return Ok(());
    }
    Err(Diagnostic::error("strata::plan::stale", format!("the saved plan is stale: {}", changed.join("; ")))
        .with_help("make a new plan with `strata plan --out FILE` and review it"))
}

/// The digest of a configuration and its variables: HMAC-SHA256 (hex, keyed
/// with the state's key) over the files (sorted by name; variable files, which
/// may hold secrets, among them) and the variables (sorted by name; values as
/// compact JSON, sensitive ones, or ones containing sensitive parts, only as
/// their keyed hash). Every item is length-prefixed, so no two inputs share a
/// byte stream. Without the key the digest tells nothing about any input.
pub fn config_digest(key: &StateKey, files: &[(String, &str)], vars: &[(String, Value, bool)]) -> String {
    let mut h = key.hasher("strata-config-digest/2");
    let mut item = |tag: &[u8], bytes: &[u8]| {
        h.item(tag).item(bytes);
    };
    let mut files: Vec<&(String, &str)> = files.iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, text) in files {
        item(b"f", name.as_bytes());
        item(b"c", text.as_bytes());
    }
    let mut vars: Vec<&(String, Value, bool)> = vars.iter().collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value, sensitive) in vars {
        item(b"v", name.as_bytes());
        let json = value.to_json().to_string();
        if *sensitive || value.contains_sensitive() {
            item(b"h", sensitive_hash(key, &value.clone().mark_if(true)).as_bytes());
        } else {
            item(b"j", json.as_bytes());
        }
    }
    h.hex()
}
