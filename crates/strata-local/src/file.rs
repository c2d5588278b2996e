//! hashicorp/local: `local_file` writes a file from the configuration
//! (deleting the object removes it; a file changed or removed outside
//! strata is read back as such) and data `local_file` reads one.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use strata_core::Value;
use strata_provider::ProviderError;

use crate::args::Object;
use crate::invalid;

/// The largest file read or written (a state holds its content).
const MAX_FILE: u64 = 16 << 20;

/// The arguments a file's content may come from; exactly one is set.
const SOURCES: [&str; 4] = ["content", "sensitive_content", "content_base64", "source"];

fn io(what: &str, path: &str, e: std::io::Error) -> ProviderError {
    ProviderError { code: Some("strata::local::file".into()), message: format!("cannot {what} {path}: {e}"), retryable: false }
}

fn read_bounded(path: &str) -> Result<Option<Vec<u8>>, ProviderError> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("read", path, e)),
        Ok(m) if m.len() > MAX_FILE => return Err(invalid(format!("{path} is larger than {} MiB", MAX_FILE >> 20))),
        Ok(_) => {}
    }
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("read", path, e)),
    }
}

/// `id` (hex SHA-1, as upstream) and the `content_*` digests.
fn set_digests(o: &mut Object, bytes: &[u8]) {
    o.set("id", Value::string(hex::encode(Sha1::digest(bytes))));
    o.set("content_md5", Value::string(hex::encode(Md5::digest(bytes))));
    o.set("content_sha1", Value::string(hex::encode(Sha1::digest(bytes))));
    o.set("content_sha256", Value::string(hex::encode(Sha256::digest(bytes))));
    o.set("content_base64sha256", Value::string(STANDARD.encode(Sha256::digest(bytes))));
    o.set("content_sha512", Value::string(hex::encode(Sha512::digest(bytes))));
    o.set("content_base64sha512", Value::string(STANDARD.encode(Sha512::digest(bytes))));
}

/// The bytes the configuration asks for.
fn content(o: &Object) -> Result<Vec<u8>, ProviderError> {
    let set: Vec<&str> = SOURCES.iter().copied().filter(|s| o.get(s).is_some()).collect();
    match set.as_slice() {
        ["content"] => Ok(o.string("content").unwrap_or_default().as_bytes().to_vec()),
        ["sensitive_content"] => Ok(o.string("sensitive_content").unwrap_or_default().as_bytes().to_vec()),
        ["content_base64"] => STANDARD
            .decode(o.string("content_base64").unwrap_or_default())
            .map_err(|e| invalid(format!("content_base64 is not base64: {e}"))),
        ["source"] => {
            let path = o.string("source").unwrap_or_default();
            read_bounded(path)?.ok_or_else(|| invalid(format!("source {path} does not exist")))
        }
        _ => Err(invalid("exactly one of content, sensitive_content, content_base64 and source must be set")),
    }
}

fn mode(o: &Object, name: &str) -> Result<u32, ProviderError> {
    let text = o.string(name).unwrap_or("0777");
    u32::from_str_radix(text, 8)
        .ok()
        .filter(|m| *m <= 0o7777)
        .ok_or_else(|| invalid(format!("{name} {text:?} is not an octal file mode such as \"0644\"")))
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

pub(crate) fn create(o: &mut Object) -> Result<(), ProviderError> {
    let filename = o.string("filename").ok_or_else(|| invalid("filename is required"))?.to_string();
    let bytes = content(o)?;
    let (file_mode, dir_mode) = (mode(o, "file_permission")?, mode(o, "directory_permission")?);
    let path = Path::new(&filename);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        std::fs::create_dir_all(parent).map_err(|e| io("create the directory of", &filename, e))?;
        set_mode(parent, dir_mode).map_err(|e| io("set the mode of the directory of", &filename, e))?;
    }
    std::fs::write(path, &bytes).map_err(|e| io("write", &filename, e))?;
    set_mode(path, file_mode).map_err(|e| io("set the mode of", &filename, e))?;
    set_digests(o, &bytes);
    // Modes left to the default are recorded; given ones stay as written.
    for (name, m) in [("file_permission", file_mode), ("directory_permission", dir_mode)] {
        if o.string(name).is_none() {
            o.set(name, Value::string(format!("{m:04o}")));
        }
    }
    Ok(())
}

pub(crate) fn delete(prior: &Value) -> Result<(), ProviderError> {
    let Some(filename) = prior.peel().as_map().and_then(|m| m.get("filename")).and_then(|f| f.peel().as_str()) else { return Ok(()) };
    match std::fs::remove_file(filename) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io("delete", filename, e)),
        _ => Ok(()),
    }
}

/// The file as it is now: `None` when removed; a changed file is the
/// recorded object with the content it now holds (in the argument the
/// configuration wrote it from), so the plan replaces it and drift names
/// what changed.
pub(crate) fn read(prior: &Value) -> Result<Option<Value>, ProviderError> {
    let mut o = Object::new(prior)?;
    let filename = o.string("filename").unwrap_or_default().to_string();
    let Some(bytes) = read_bounded(&filename)? else { return Ok(None) };
    let id = hex::encode(Sha1::digest(&bytes));
    if o.string("id") == Some(id.as_str()) {
        return Ok(Some(prior.clone()));
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if o.get("sensitive_content").is_some() {
        o.set("sensitive_content", Value::Sensitive(Box::new(Value::string(text))));
    } else if o.get("content_base64").is_some() {
        o.set("content_base64", Value::string(STANDARD.encode(&bytes)));
    } else if o.get("content").is_some() {
        o.set("content", Value::string(text));
    }
    set_digests(&mut o, &bytes);
    Ok(Some(o.finish()))
}

/// Data `local_file`.
pub(crate) fn read_data(config: &Value) -> Result<Value, ProviderError> {
    let mut o = Object::new(config)?;
    let filename = o.string("filename").ok_or_else(|| invalid("filename is required"))?.to_string();
    let bytes = read_bounded(&filename)?.ok_or_else(|| invalid(format!("{filename} does not exist")))?;
    o.set("content", Value::string(String::from_utf8_lossy(&bytes).into_owned()));
    o.set("content_base64", Value::string(STANDARD.encode(&bytes)));
    set_digests(&mut o, &bytes);
    Ok(o.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_read_change_delete() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/f.txt").display().to_string();
        let mut o = Object::new(&Value::map([("filename", Value::string(path.clone())), ("content", Value::string("hi"))])).unwrap();
        create(&mut o).unwrap();
        let state = o.finish();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "hi");
        // SHA-1 of "hi".
        assert_eq!(state.as_map().unwrap()["id"], Value::string("c22b5f9178342609428d6f51b2c5af4c0bde6a42"));
        assert_eq!(read(&state).unwrap().as_ref(), Some(&state));
        std::fs::write(&path, "changed").unwrap();
        let changed = read(&state).unwrap().unwrap();
        assert_eq!(changed.as_map().unwrap()["content"], Value::string("changed"));
        delete(&state).unwrap();
        assert_eq!(read(&state).unwrap(), None);
        delete(&state).unwrap();
    }

    #[test]
    fn exactly_one_source() {
        let o = Object::new(&Value::map([
            ("filename", Value::string("x")),
            ("content", Value::string("a")),
            ("content_base64", Value::string("YQ==")),
        ]))
        .unwrap();
        assert!(content(&o).unwrap_err().message.contains("exactly one"));
        let o = Object::new(&Value::map([("content_base64", Value::string("YQ=="))])).unwrap();
        assert_eq!(content(&o).unwrap(), b"a");
    }
}
