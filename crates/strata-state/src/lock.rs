//! The state lock: an OS advisory lock (`flock`, through std's `File::try_lock`)
//! on `state.lock`, plus a JSON holder record in the same file for messages.
//!
//! The kernel releases the lock when its holder exits, however it exits, so a
//! run killed with SIGKILL never blocks the next one; a record it leaves
//! behind is stale and is overwritten by the next holder. A released lock
//! file is removed; to make that safe, a process that obtains the lock checks
//! that the path still names the file it locked, and starts over otherwise.

use std::fs::{self, File, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::StateError;
use crate::local::{LocalBackend, create_private_dir, parent_dir, private_options};
use crate::time::now_rfc3339;

/// How often a waiting `lock` retries.
const RETRY_EVERY: Duration = Duration::from_millis(150);

/// Who holds the lock, for messages and `force-unlock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// A UUID naming this acquisition (what `force-unlock` takes).
    pub id: String,
    pub pid: u32,
    pub host: String,
    pub user: String,
    /// The command that took the lock (`apply`, `plan`, `state rm`).
    pub operation: String,
    /// RFC 3339; set again when the lock is obtained.
    pub since: String,
}

impl LockInfo {
    /// A holder record for this process with a fresh id.
    pub fn new(operation: impl Into<String>) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            pid: std::process::id(),
            host: host_name(),
            user: user_name(),
            operation: operation.into(),
            since: now_rfc3339(),
        }
    }
}

/// The host name from `HOSTNAME`, `/etc/hostname` or the kernel, else `unknown`.
pub fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| fs::read_to_string("/etc/hostname").ok())
        .or_else(|| fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The user name from `USER` or `LOGNAME`, else `unknown`.
pub fn user_name() -> String {
    ["USER", "LOGNAME"].iter().filter_map(|k| std::env::var(k).ok()).find(|s| !s.is_empty()).unwrap_or_else(|| "unknown".to_string())
}

/// A held state lock. Dropping it removes the lock file (and with it the
/// holder record) and releases the OS lock.
#[derive(Debug)]
pub struct LockGuard {
    file: File,
    path: PathBuf,
    info: LockInfo,
}

impl LockGuard {
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Unlink while still holding the lock: a waiter that opened this file
        // notices the path no longer names it and starts over.
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

impl LocalBackend {
    /// Take the state lock for `info.operation`.
    ///
    /// With a zero `timeout` a held lock fails at once with
    /// `strata::state::locked` naming the holder; otherwise it retries every
    /// 150 ms until the timeout has passed.
    pub fn lock(&self, mut info: LockInfo, timeout: Duration) -> Result<LockGuard, StateError> {
        let path = self.lock_path();
        create_private_dir(parent_dir(&path))?;
        let start = Instant::now();
        let file = loop {
            if let Some(file) = try_acquire(&path)? {
                break file;
            }
            let waited = start.elapsed();
            if waited >= timeout {
                return Err(StateError::Locked {
                    holder: read_holder(&path).map(Box::new),
                    path,
                    waited: (!timeout.is_zero()).then_some(waited),
                });
            }
            tracing::debug!(path = %path.display(), "state is locked; waiting");
            thread::sleep(RETRY_EVERY.min(timeout - waited));
        };
        info.since = now_rfc3339();
        let mut record = serde_json::to_string(&info).unwrap_or_default();
        record.push('\n');
        file.set_len(0)
            .and_then(|()| (&file).write_all(record.as_bytes()))
            .and_then(|()| file.sync_data())
            .map_err(|e| StateError::io("write lock record", &path, e))?;
        Ok(LockGuard { file, path, info })
    }

    /// The holder record of the lock file, if there is one. A record may be
    /// stale (its holder gone); the lock itself is the truth.
    pub fn lock_holder(&self) -> Option<LockInfo> {
        read_holder(&self.lock_path())
    }

    /// Clear the lock record with id `id` and return it.
    ///
    /// The OS lock cannot outlive its holder, so a record whose lock is free
    /// is stale and is removed. While the holder still runs (the OS lock is
    /// taken) this refuses with `strata::state::locked` naming its pid:
    /// removing the file under a live holder would let a second writer in
    /// beside it, so the holder must be stopped first. A wrong id (or no
    /// record) is `strata::state::lock_not_found`.
    pub fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        let path = self.lock_path();
        let holder = match read_holder(&path) {
            Some(h) if h.id == id => h,
            current => return Err(StateError::LockNotFound { id: id.to_string(), current: current.map(Box::new) }),
        };
        match try_acquire(&path)? {
            None => Err(StateError::HolderAlive { path, holder: Box::new(holder) }),
            Some(file) => {
                // Holding the lock, any record in the file is stale.
                let removed = fs::remove_file(&path).map_err(|e| StateError::io("remove lock file", &path, e));
                let _ = file.unlock();
                removed.map(|()| holder)
            }
        }
    }
}

/// Lock the file at `path` without waiting; `None` when another holder has it.
fn try_acquire(path: &Path) -> Result<Option<File>, StateError> {
    loop {
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| StateError::io("open lock file", path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(StateError::io("lock", path, e)),
        }
        let locked = file.metadata().map_err(|e| StateError::io("inspect lock file", path, e))?;
        match fs::metadata(path) {
            Ok(now) if same_file(&locked, &now) => return Ok(Some(file)),
            // The previous holder removed the file between our open and lock.
            _ => continue,
        }
    }
}

fn read_holder(path: &Path) -> Option<LockInfo> {
    let text = fs::read_to_string(path).ok()?;
    serde_json::from_str(text.trim()).ok()
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(_: &fs::Metadata, _: &fs::Metadata) -> bool {
    true
}
