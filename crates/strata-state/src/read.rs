//! Reading and checking a state file. Reading never modifies the file.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::error::Category;
use strata_core::{Address, Layer};

use crate::error::StateError;
use crate::model::{FORMAT_VERSION, State};

/// Read the state at `path`; `Ok(None)` when there is no file.
pub fn read_state(path: impl AsRef<Path>) -> Result<Option<State>, StateError> {
    let path = path.as_ref();
    match fs::read(path) {
        Ok(bytes) => parse_state(path, &bytes).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StateError::io("read state file", path, e)),
    }
}

/// `state.json` → `state.json.backup`.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".backup");
    path.with_file_name(name)
}

/// Parse and check state text; `path` is only used in messages (and to
/// mention the backup beside it). Resource and intent addresses come back in
/// their canonical printed form.
pub fn parse_state(path: &Path, bytes: &[u8]) -> Result<State, StateError> {
    /// Only what is needed to decide whether this build can read the rest.
    #[derive(Deserialize)]
    struct Probe {
        version: Option<serde_json::Value>,
        strata_version: Option<serde_json::Value>,
    }

    let invalid =
        |message: String| StateError::Invalid { path: path.to_path_buf(), location: None, message, backup: existing_backup(path) };
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| json_error(path, &e))?;
    // Serde also accepts a struct written as an array.
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        return Err(invalid("the top level must be a JSON object".into()));
    }
    let version = match probe.version {
        None => return Err(invalid("missing field `version`".into())),
        Some(v) => v.as_u64().ok_or_else(|| invalid(format!("`version` must be a positive integer, found {v}")))?,
    };
    if version == 0 {
        return Err(invalid("format version 0 does not exist".into()));
    }
    if version > u64::from(FORMAT_VERSION) {
        let writer = probe.strata_version.and_then(|v| v.as_str().map(|s| format!("strata {s}")));
        return Err(StateError::FutureVersion { path: path.to_path_buf(), found: version, writer });
    }
    let mut state: State = serde_json::from_slice(bytes).map_err(|e| json_error(path, &e))?;
    check(&mut state).map_err(invalid)?;
    Ok(state)
}

fn existing_backup(path: &Path) -> Option<PathBuf> {
    // The backup sits beside the file a symbolic link leads to.
    let b = backup_path(&crate::local::resolve_links(path).unwrap_or_else(|_| path.to_path_buf()));
    b.is_file().then_some(b)
}

fn json_error(path: &Path, e: &serde_json::Error) -> StateError {
    let (line, column) = (e.line(), e.column());
    let full = e.to_string();
    let message = full.strip_suffix(&format!(" at line {line} column {column}")).unwrap_or(&full);
    let path_buf = path.to_path_buf();
    let backup = existing_backup(path);
    match e.classify() {
        Category::Eof => StateError::Truncated { path: path_buf, line, column, backup },
        Category::Syntax => StateError::Corrupt { path: path_buf, line, column, message: message.to_string(), backup },
        Category::Data => StateError::Invalid {
            path: path_buf,
            location: Some((line, column)),
            message: message.replace("struct Probe", "a JSON object"),
            backup,
        },
        Category::Io => StateError::io("read state file", path, io::Error::other(message.to_string())),
    }
}

/// The checks serde cannot express: addresses parse, types and layers agree,
/// no address is recorded twice.
fn check(state: &mut State) -> Result<(), String> {
    if state.lineage.trim().is_empty() {
        return Err("`lineage` is empty".into());
    }
    let mut seen = HashSet::new();
    for (i, r) in state.resources.iter_mut().enumerate() {
        let addr: Address = r.address.parse().map_err(|e| format!("resource {} has an invalid address {:?}: {e}", i + 1, r.address))?;
        r.address = addr.to_string();
        if addr.ty != r.ty {
            return Err(format!("resource {} has type {:?}, but its address names type {:?}", r.address, r.ty, addr.ty));
        }
        if Layer::from_number(r.layer).is_none() {
            return Err(format!("resource {} has layer {}; layers are 1 to 5", r.address, r.layer));
        }
        if let Some(dep) = r.dependencies.iter().find(|d| d.parse::<Address>().is_err()) {
            return Err(format!("resource {} has an invalid dependency address {dep:?}", r.address));
        }
        if !seen.insert(r.address.clone()) {
            return Err(format!("resource {} is recorded twice", r.address));
        }
    }
    let mut seen = HashSet::new();
    for (i, intent) in state.intents.iter_mut().enumerate() {
        let addr: Address =
            intent.address.parse().map_err(|e| format!("intent {} has an invalid address {:?}: {e}", i + 1, intent.address))?;
        intent.address = addr.to_string();
        if !seen.insert(intent.address.clone()) {
            return Err(format!("intent for {} is recorded twice", intent.address));
        }
    }
    Ok(())
}
