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

/// How many symbolic links in a row the state path may go through.
const MAX_LINKS: usize = 40;

/// State in a local file (`.strata/state.json` by default).
///
/// Files: the state (`state.json`, mode 0600), the previous version
/// (`state.json.backup`, 0600) and the lock (`state.lock`, see
/// [`LocalBackend::lock`]), all in one directory created with mode 0700.
///
/// When the state path is a symbolic link, the state is the file it leads
/// to: writes replace that file (the temporary file, the backup and the lock
/// sit beside it, in its directory) and the link stays a link. Two
/// configurations linking to one state file thus share its lock.
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

    /// The state file itself: the state path with its symbolic links
    /// followed (the path as it is when it is no link, or names nothing yet).
    /// A link may lead to a file that does not exist yet; the first write
    /// creates it. More than 40 links in a row is an error, as for the OS.
    pub fn target(&self) -> Result<PathBuf, StateError> {
        resolve_links(&self.path).map_err(|e| StateError::io("follow the symbolic link", &self.path, e))
    }

    /// The state file where it can be resolved, else the path as given (whose
    /// use then fails with the error [`LocalBackend::target`] gives).
    pub(crate) fn target_or_path(&self) -> PathBuf {
        self.target().unwrap_or_else(|_| self.path.clone())
    }

    /// `state.json.backup` beside the state file (beside the target of a link).
    pub fn backup_path(&self) -> PathBuf {
        backup_path(&self.target_or_path())
    }

    /// `state.lock` beside the state file (the state's file name with the
    /// extension `lock`; beside the target of a link).
    pub fn lock_path(&self) -> PathBuf {
        let target = self.target_or_path();
        let p = target.with_extension("lock");
        if p == target {
            let mut name = p.file_name().unwrap_or_default().to_os_string();
            name.push(".lock");
            return p.with_file_name(name);
        }
        p
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
    ///
    /// A symbolic link is written through: all of the above happens in the
    /// directory of the file it leads to (see [`LocalBackend::target`]).
    pub fn write(&self, state: &State) -> Result<(), StateError> {
        let target = self.target()?;
        let dir = parent_dir(&target);
        create_private_dir(dir)?;
        let tmp = dir.join(format!(".{}.tmp-{}", file_name(&target), unique_suffix()));
        let result = write_via(&target, &tmp, state.to_json_pretty().as_bytes());
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

/// Write `text` to `tmp`, keep the current `target` as its backup and rename
/// `tmp` over `target` (no symbolic link: [`LocalBackend::write`] resolved it).
fn write_via(target: &Path, tmp: &Path, text: &[u8]) -> Result<(), StateError> {
    let mut f =
        private_options().write(true).create_new(true).open(tmp).map_err(|e| StateError::io("create temporary state file", tmp, e))?;
    f.write_all(text).and_then(|()| f.sync_all()).map_err(|e| StateError::io("write temporary state file", tmp, e))?;
    drop(f);
    keep_backup(target)?;
    fs::rename(tmp, target).map_err(|e| StateError::io("replace state file", target, e))?;
    sync_dir(parent_dir(target))
}

/// Make `state.json.backup` the current state file `target`, replacing the
/// old backup atomically. Nothing to do when there is no state file yet.
fn keep_backup(target: &Path) -> Result<(), StateError> {
    match fs::symlink_metadata(target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StateError::io("inspect state file", target, e)),
        Ok(_) => {}
    }
    let backup = backup_path(target);
    let tmp = parent_dir(target).join(format!(".{}.tmp-{}", file_name(&backup), unique_suffix()));
    let made = fs::hard_link(target, &tmp).or_else(|_| copy_private(target, &tmp));
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

impl LocalBackend {
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

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Follow `path` while it is a symbolic link; a relative link target is
/// relative to the link's directory. The result need not exist.
pub(crate) fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let next = fs::read_link(&path)?;
                path = parent_dir(&path).join(next);
            }
            Ok(_) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(path),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!("more than {MAX_LINKS} symbolic links in a row")))
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
