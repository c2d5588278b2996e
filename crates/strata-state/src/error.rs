//! Errors of reading, writing and locking state.
//!
//! State is not configuration, so these carry no spans: the path (and line
//! and column where known) are part of the message. Each variant has a stable
//! code; convert with [`StateError::to_diagnostic`] or `Diagnostic::from`.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use strata_core::Diagnostic;

use crate::lock::LockInfo;
use crate::model::FORMAT_VERSION;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// `strata::state::io`
    #[error("cannot {action} {}: {source}", path.display())]
    Io { action: &'static str, path: PathBuf, source: io::Error },

    /// `strata::state::corrupt`: not JSON.
    #[error("corrupt state file {}:{line}:{column}: {message}", path.display())]
    Corrupt { path: PathBuf, line: usize, column: usize, message: String, backup: Option<PathBuf> },

    /// `strata::state::truncated`: the JSON document ends early.
    #[error("truncated state file {}:{line}:{column}: the file ends in the middle of the JSON document", path.display())]
    Truncated { path: PathBuf, line: usize, column: usize, backup: Option<PathBuf> },

    /// `strata::state::future_version`
    #[error(
        "state file {} was written by a newer strata ({}format {found}); this strata reads format {FORMAT_VERSION}",
        path.display(),
        writer.as_ref().map(|v| format!("{v}, ")).unwrap_or_default()
    )]
    FutureVersion { path: PathBuf, found: u64, writer: Option<String> },

    /// `strata::state::invalid`: valid JSON of the wrong shape.
    #[error("invalid state file {}{}: {message}", path.display(), location.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Invalid { path: PathBuf, location: Option<(usize, usize)>, message: String, backup: Option<PathBuf> },

    /// `strata::state::lineage_mismatch`: the file on disk belongs to another state.
    #[error("state file {} has lineage {found}, but the state being written has lineage {expected}", path.display())]
    LineageMismatch { path: PathBuf, found: String, expected: String },

    /// `strata::state::locked`: another process holds the lock.
    #[error("{}", locked_message(holder.as_deref(), *waited))]
    Locked { path: PathBuf, holder: Option<Box<LockInfo>>, waited: Option<Duration> },

    /// `strata::state::locked`: `force_unlock` refused because the holder still runs.
    #[error("refusing to unlock: {} still holds the state lock (lock file {})", holder_text(holder), path.display())]
    HolderAlive { path: PathBuf, holder: Box<LockInfo> },

    /// `strata::state::lock_not_found`
    #[error("no state lock with id {id}")]
    LockNotFound { id: String, current: Option<Box<LockInfo>> },
}

fn holder_text(h: &LockInfo) -> String {
    format!("pid {} ({}@{}, {}, since {}; lock id {})", h.pid, h.user, h.host, h.operation, h.since, h.id)
}

fn locked_message(holder: Option<&LockInfo>, waited: Option<Duration>) -> String {
    let who = holder.map_or_else(|| "another process (no holder record)".to_string(), holder_text);
    match waited {
        Some(d) => format!("the state is locked by {who}; gave up after waiting {:.1}s", d.as_secs_f64()),
        None => format!("the state is locked by {who}"),
    }
}

fn backup_help(backup: &Option<PathBuf>) -> String {
    match backup {
        Some(b) => format!(
            "the previous version is in {}; the file was left untouched: inspect it, or copy the backup over it to restore",
            b.display()
        ),
        None => "no backup exists; the file was left untouched: restore it from a copy".to_string(),
    }
}

impl StateError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> StateError {
        StateError::Io { action, path: path.into(), source }
    }

    /// The stable diagnostic code.
    pub fn code(&self) -> &'static str {
        match self {
            StateError::Io { .. } => "strata::state::io",
            StateError::Corrupt { .. } => "strata::state::corrupt",
            StateError::Truncated { .. } => "strata::state::truncated",
            StateError::FutureVersion { .. } => "strata::state::future_version",
            StateError::Invalid { .. } => "strata::state::invalid",
            StateError::LineageMismatch { .. } => "strata::state::lineage_mismatch",
            StateError::Locked { .. } | StateError::HolderAlive { .. } => "strata::state::locked",
            StateError::LockNotFound { .. } => "strata::state::lock_not_found",
        }
    }

    pub fn help(&self) -> Option<String> {
        match self {
            StateError::Io { .. } => None,
            StateError::Corrupt { backup, .. } | StateError::Truncated { backup, .. } | StateError::Invalid { backup, .. } => {
                Some(backup_help(backup))
            }
            StateError::FutureVersion { .. } => Some("upgrade strata to work with this state; the file was left untouched".to_string()),
            StateError::LineageMismatch { .. } => {
                Some("the state file was replaced by a different state; check the backend path".to_string())
            }
            StateError::Locked { .. } => Some(
                "wait for that run to finish, or pass --lock-timeout to wait for it; \
                 the lock is released as soon as the holder exits"
                    .to_string(),
            ),
            StateError::HolderAlive { holder, .. } => {
                Some(format!("stop process {} first; force-unlock only clears a lock whose holder has exited", holder.pid))
            }
            StateError::LockNotFound { current, .. } => Some(match current {
                Some(c) => format!("the current lock has id {} ({})", c.id, holder_text(c)),
                None => "the state is not locked".to_string(),
            }),
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.code(), self.to_string());
        match self.help() {
            Some(h) => d.with_help(h),
            None => d,
        }
    }
}

impl From<StateError> for Diagnostic {
    fn from(e: StateError) -> Diagnostic {
        e.to_diagnostic()
    }
}
