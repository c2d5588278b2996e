//! The local backend: one JSON file, written atomically, with the previous
//! version kept beside it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::StateError;
use crate::model::{FORMAT_VERSION, State};
use crate::read::{backup_path, read_state};

/// Where the state lives when the configuration names no backend path,
/// relative to the configuration directory.
pub const DEFAULT_STATE_PATH: &str = ".strata/state.json";

/// State in a local file (`.strata/state.json` by default).
///
/// Files: the state (`state.json`, mode 0600), the previous version
/// (`state.json.backup`, 0600) and the lock (`state.lock`, see
/// [`LocalBackend::lock`]), all in one directory created with mode 0700.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    path: PathBuf,
}

impl LocalBackend {
    pub fn new(path: impl Into<PathBuf>) -> LocalBackend {
        LocalBackend { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `state.json.backup` beside the state.
    pub fn backup_path(&self) -> PathBuf {
        backup_path(&self.path)
    }

    /// `state.lock` beside `state.json` (the state's file name with the
    /// extension `lock`).
    pub fn lock_path(&self) -> PathBuf {
        let p = self.path.with_extension("lock");
        if p == self.path {
            let mut name = p.file_name().unwrap_or_default().to_os_string();
            name.push(".lock");
            return p.with_file_name(name);
        }
        p
    }

    pub(crate) fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }

    /// The state on disk; `Ok(None)` when there is none yet.
    pub fn read(&self) -> Result<Option<State>, StateError> {
        read_state(&self.path)
    }

    /// Write `state` as it is (no serial bump; see [`LocalBackend::persist`]).
    ///
    /// The text goes to a temporary file in the same directory, which is
    /// synced; the current file is hard-linked (copied where the filesystem
    /// has no hard links) to `state.json.backup`; the temporary file is
    /// renamed over the state and the directory synced. At every instant
    /// the path holds a complete state, old or new.
    pub fn write(&self, state: &State) -> Result<(), StateError> {
        let dir = self.dir();
        create_private_dir(dir)?;
        let tmp = dir.join(format!(".{}.tmp-{}", file_name(&self.path), unique_suffix()));
        let result = self.write_via(&tmp, state.to_json_pretty().as_bytes());
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    fn write_via(&self, tmp: &Path, text: &[u8]) -> Result<(), StateError> {
        let mut f =
            private_options().write(true).create_new(true).open(tmp).map_err(|e| StateError::io("create temporary state file", tmp, e))?;
        f.write_all(text).and_then(|()| f.sync_all()).map_err(|e| StateError::io("write temporary state file", tmp, e))?;
        drop(f);
        self.keep_backup()?;
        fs::rename(tmp, &self.path).map_err(|e| StateError::io("replace state file", &self.path, e))?;
        sync_dir(self.dir())
    }

    /// Make `state.json.backup` the current state file, replacing the old
    /// backup atomically. Nothing to do when there is no state file yet.
    fn keep_backup(&self) -> Result<(), StateError> {
        match fs::symlink_metadata(&self.path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(StateError::io("inspect state file", &self.path, e)),
            Ok(_) => {}
        }
        let backup = self.backup_path();
        let tmp = self.dir().join(format!(".{}.tmp-{}", file_name(&backup), unique_suffix()));
        let made = fs::hard_link(&self.path, &tmp).or_else(|_| copy_private(&self.path, &tmp));
        let result = made
            .map_err(|e| StateError::io("copy state file to", &tmp, e))
            // A hard link shares the mode of the state file, which may have been
            // created by hand with a wider one; the backup is a secret too.
            .and_then(|()| set_private(&tmp).map_err(|e| StateError::io("set permissions of", &tmp, e)))
            .and_then(|()| fs::rename(&tmp, &backup).map_err(|e| StateError::io("replace backup", &backup, e)));
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Write `state` if its content differs from the file on disk (ignoring
    /// `serial` and `strata_version`): the serial becomes one more than the
    /// larger of the on-disk and in-memory serials. Returns whether it wrote.
    ///
    /// Refuses to write over a file of another lineage, and over a file that
    /// cannot be read (corrupt, truncated, future version): that error is
    /// returned and the file is left untouched.
    pub fn persist(&self, state: &mut State) -> Result<bool, StateError> {
        let disk = self.read()?;
        if let Some(d) = &disk {
            if d.lineage != state.lineage {
                return Err(StateError::LineageMismatch {
                    path: self.path.clone(),
                    found: d.lineage.clone(),
                    expected: state.lineage.clone(),
                });
            }
            if d.same_content(state) {
                state.serial = d.serial;
                return Ok(false);
            }
        }
        let previous = (state.serial, std::mem::take(&mut state.strata_version));
        state.serial = disk.map_or(state.serial, |d| d.serial.max(state.serial)) + 1;
        state.strata_version = env!("CARGO_PKG_VERSION").to_string();
        state.version = FORMAT_VERSION;
        if let Err(e) = self.write(state) {
            (state.serial, state.strata_version) = previous;
            return Err(e);
        }
        tracing::debug!(path = %self.path.display(), serial = state.serial, "state persisted");
        Ok(true)
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(|| "state".to_string(), |n| n.to_string_lossy().into_owned())
}

fn unique_suffix() -> String {
    format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple())
}

/// Open options that create files with mode 0600.
pub(crate) fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

fn set_private(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn copy_private(from: &Path, to: &Path) -> io::Result<()> {
    let mut src = File::open(from)?;
    let mut dst = private_options().write(true).create_new(true).open(to)?;
    io::copy(&mut src, &mut dst)?;
    dst.sync_all()
}

/// Create `dir` (and its parents) with mode 0700 when it does not exist.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), StateError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(|e| StateError::io("create directory", dir, e))
}

/// Make renames in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), StateError> {
    #[cfg(unix)]
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| StateError::io("sync directory", dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
