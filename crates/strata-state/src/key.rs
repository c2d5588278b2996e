//! The state's key: 32 random bytes beside the state file (`state.key`,
//! mode 0600) that key every hash strata makes of a secret, so that a hash
//! which leaves the machine (a saved plan, `plan --json`) cannot be checked
//! against guesses without the key.
//!
//! The key is created atomically on first need (written to a temporary file,
//! then hard-linked to its name, which fails when another process won the
//! race; the winner's key is then read) and never changes or is printed.
//! It belongs to the state's directory, not to a lineage and not to one
//! version of the state: it is not part of `state.json` or its backup, so
//! restoring the backup keeps it, and a new lineage in the same place uses
//! it too. Losing it loses nothing recorded: hashes made with it no longer
//! match, so saved plans are refused as stale and must be made again.

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::error::StateError;
use crate::local::{LocalBackend, create_private_dir, private_options};

const KEY_LEN: usize = 32;

/// The key; `Debug` does not show it and nothing renders it.
#[derive(Clone, PartialEq, Eq)]
pub struct StateKey([u8; KEY_LEN]);

impl fmt::Debug for StateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StateKey(..)")
    }
}

impl StateKey {
    /// A fresh random key, kept nowhere: hashes made with it can be compared
    /// within this run only (for a plan whose state directory cannot be written).
    pub fn ephemeral() -> Result<StateKey, io::Error> {
        let mut k = [0u8; KEY_LEN];
        getrandom::fill(&mut k).map_err(|e| io::Error::other(e.to_string()))?;
        Ok(StateKey(k))
    }

    /// A fixed key, for tests.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> StateKey {
        StateKey(bytes)
    }

    /// A keyed hash (HMAC-SHA256) for the purpose `domain`: feed it with
    /// [`KeyedHash::item`], read it with [`KeyedHash::hex`].
    pub fn hasher(&self, domain: &str) -> KeyedHash {
        // HMAC takes keys of any length, so this cannot fail.
        let mut h = KeyedHash(Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length"));
        h.item(domain.as_bytes());
        h
    }

    fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn from_hex(text: &str) -> Option<StateKey> {
        let t = text.trim();
        if t.len() != KEY_LEN * 2 || !t.is_ascii() {
            return None;
        }
        let mut k = [0u8; KEY_LEN];
        for (i, b) in k.iter_mut().enumerate() {
            *b = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(StateKey(k))
    }
}

/// An HMAC-SHA256 in progress; every item is length-prefixed, so that no
/// two sequences of items share a byte stream.
pub struct KeyedHash(Hmac<Sha256>);

impl KeyedHash {
    pub fn item(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    pub fn hex(self) -> String {
        self.0.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl LocalBackend {
    /// `state.key` beside the state (the state's file name with the extension
    /// `key`; beside the target of a symbolic link, like the backup and lock).
    pub fn key_path(&self) -> PathBuf {
        let state = self.target_or_path();
        let p = state.with_extension("key");
        if p == state {
            let mut name = p.file_name().unwrap_or_default().to_os_string();
            name.push(".key");
            return p.with_file_name(name);
        }
        p
    }

    /// The state's key, created (mode 0600, atomically) when there is none yet.
    pub fn key(&self) -> Result<StateKey, StateError> {
        let path = self.key_path();
        if let Some(k) = read_key(&path)? {
            return Ok(k);
        }
        let dir = crate::local::parent_dir(&path).to_path_buf();
        create_private_dir(&dir)?;
        let key = StateKey::ephemeral().map_err(|e| StateError::io("create a random key for", &path, e))?;
        let tmp = dir.join(format!(".state.key.tmp-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()));
        let written = (|| -> io::Result<()> {
            let mut f = private_options().write(true).create_new(true).open(&tmp)?;
            f.write_all(format!("{}\n", key.to_hex()).as_bytes())?;
            f.sync_all()
        })();
        // Linking fails when the name exists: another process made the key first.
        let linked = written.and_then(|()| fs::hard_link(&tmp, &path));
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(key),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                read_key(&path)?.ok_or_else(|| StateError::io("read", &path, io::ErrorKind::NotFound.into()))
            }
            Err(e) => Err(StateError::io("create", &path, e)),
        }
    }
}

fn read_key(path: &Path) -> Result<Option<StateKey>, StateError> {
    let mut text = String::new();
    match fs::File::open(path).and_then(|f| f.take(1024).read_to_string(&mut text)) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StateError::io("read", path, e)),
    }
    let invalid = || io::Error::new(io::ErrorKind::InvalidData, format!("a state key is {} hexadecimal digits", KEY_LEN * 2));
    StateKey::from_hex(&text).map(Some).ok_or_else(|| StateError::io("read", path, invalid()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_created_once_private_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path().join(".strata/state.json"));
        let k = backend.key().unwrap();
        assert_eq!(backend.key_path(), dir.path().join(".strata/state.key"));
        assert_eq!(backend.key().unwrap(), k, "the second call reads the same key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(backend.key_path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(format!("{k:?}"), "StateKey(..)");
        let leftovers: Vec<_> = fs::read_dir(dir.path().join(".strata")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, ["state.key"]);
        fs::write(backend.key_path(), "short\n").unwrap();
        assert!(backend.key().is_err(), "a damaged key is an error, not replaced");
    }

    #[test]
    fn concurrent_first_uses_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s/state.json");
        let keys: Vec<StateKey> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8).map(|_| s.spawn(|| LocalBackend::new(&path).key().unwrap())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
    }

    #[test]
    fn keyed_hashes_depend_on_key_domain_and_items() {
        let a = StateKey::from_bytes([1; KEY_LEN]);
        let b = StateKey::from_bytes([2; KEY_LEN]);
        let h = |k: &StateKey, d: &str, items: &[&[u8]]| {
            let mut h = k.hasher(d);
            for i in items {
                h.item(i);
            }
            h.hex()
        };
        let x = h(&a, "d", &[b"pw"]);
        assert_eq!(x.len(), 64);
        assert_eq!(x, h(&a, "d", &[b"pw"]));
        assert_ne!(x, h(&b, "d", &[b"pw"]));
        assert_ne!(x, h(&a, "e", &[b"pw"]));
        assert_ne!(h(&a, "d", &[b"ab", b""]), h(&a, "d", &[b"a", b"b"]));
    }
}
